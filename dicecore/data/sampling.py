"""How the chapters draw training batches — one module, one function per sampling rule the papers use.

Each returns ``sample(generator) → (x, y)``, the ``batches`` argument of :func:`dicecore.train.fit`: every
draw comes from the ``torch.Generator`` that ``fit`` seeds (and checkpoints), so a training is reproducible
and resumes where it stopped.

* :func:`foreground_patches` — Sudre et al.'s rule: a patch placed at random over a random foreground voxel
  (Chapter 3), with extra context for valid-convolution networks.
* :func:`random_patches` — uniformly placed patches of random training volumes (Chapter 4, BraTS-like).
* :func:`weighted_frames` — whole frames drawn with a weight per group, e.g. ED : ES = 3 : 1 (Chapter 4,
  ACDC-like), optionally flagging one group in a second target channel.
* :func:`random_crops` — uniformly placed crops with random flips and 90° rotations (Chapter 5).

``random_patches`` and ``random_crops`` draw the same kind of patch in different orders of random numbers;
they are kept apart so that the results committed with each still reproduce from this code.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np
import torch

__all__ = ["foreground_patches", "random_patches", "weighted_frames", "random_crops"]


def foreground_patches(images: np.ndarray, labels: np.ndarray, size: int, batch_size: int, context: int = 0):
    """Random patches whose predicted ``size``-voxel window holds at least one foreground voxel (the
    paper's rule: the window is placed at random over a random lesion voxel), in 2-D or 3-D. ``context``
    extra voxels each side go to the input only — DeepMedic's valid convolutions predict the centre of a
    larger patch; beyond the image the input repeats its edge. Returns ``sample(generator) → (x, y)``:
    ``x`` ``(B, C, size + 2·context, …)``, ``y`` float ``(B, 1, size, …)``."""
    fg = np.argwhere(labels > 0)
    spatial = labels.shape[1:]
    if size > min(spatial):
        raise ValueError(f"size: a {size}-voxel patch does not fit the {' × '.join(map(str, spatial))} images.")
    if context < 0:
        raise ValueError(f"context: need ≥ 0 voxels, got {context}.")

    def sample(gen: torch.Generator):
        xs, ys = [], []
        for _ in range(batch_size):
            n, *point = fg[int(torch.randint(len(fg), (1,), generator=gen))]
            start = [int(np.clip(p - int(torch.randint(size, (1,), generator=gen)), 0, d - size))
                     for p, d in zip(point, spatial)]
            ys.append(labels[(n, *(slice(a, a + size) for a in start))])
            lo = [a - context for a in start]
            hi = [a + size + context for a in start]
            window = images[(n, slice(None), *(slice(max(0, l), min(d, h)) for l, h, d in zip(lo, hi, spatial)))]
            pad = [(0, 0)] + [(max(0, -l), max(0, h - d)) for l, h, d in zip(lo, hi, spatial)]
            xs.append(np.pad(window, pad, mode="edge") if context else window)
        return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys)[:, None].astype(np.float32))

    return sample


def _reader(images: np.ndarray, entries: np.ndarray):
    def image(k, sl=()):
        return torch.from_numpy(np.array(images[entries[k]][(slice(None), *sl)]))  # a copy: images may be read-only
    return image


def random_patches(images: np.ndarray, entries: np.ndarray, labels: np.ndarray, patch: Sequence[int],
                   batch_size: int):
    """``batch_size`` patches of size ``patch``, each from a random training entry at a uniformly random
    position. ``images`` is the whole (possibly memory-mapped) cohort ``(N, C, …)``, ``entries`` the
    training entries in it and ``labels`` theirs ``(len(entries), …)`` (the training labels). Returns
    ``sample(generator) → (x (B, C, *patch), y float (B, 1, *patch))``."""
    y_all = torch.from_numpy(np.ascontiguousarray(labels))
    image = _reader(images, entries)
    spatial = images.shape[2:]
    if any(p > s for p, s in zip(patch, spatial)):
        raise ValueError(f"patch: {tuple(patch)} does not fit the volumes {tuple(spatial)}.")

    def sample(gen: torch.Generator):
        idx = torch.randint(len(entries), (batch_size,), generator=gen)
        xs, ys = [], []
        for k in idx.tolist():
            o = [int(torch.randint(s - p + 1, (1,), generator=gen)) for s, p in zip(spatial, patch)]
            sl = tuple(slice(a, a + p) for a, p in zip(o, patch))
            xs.append(image(k, sl))
            ys.append(y_all[k][sl][None].float())
        return torch.stack(xs), torch.stack(ys)

    return sample


def weighted_frames(images: np.ndarray, entries: np.ndarray, labels: np.ndarray, groups: Sequence[str],
                    weights: Mapping[str, float], batch_size: int, flag: Optional[str] = None):
    """``batch_size`` whole frames drawn with replacement, an entry of group ``g`` with weight
    ``weights[g]``. ``images``, ``entries`` and ``labels`` as :func:`random_patches`; ``groups`` the
    training entries' groups. Returns ``sample(generator) → (x (B, C, …), y float (B, 1, …))``; with
    ``flag``, ``y`` has a second channel, 1 on the frames of that group (e.g. the ES frames whose
    myocardium is unannotated)."""
    unknown = sorted(set(groups) - set(weights))
    if unknown:
        raise ValueError(f"weights: no weight for the groups {unknown}; give one per group.")
    y_all = torch.from_numpy(np.ascontiguousarray(labels))
    image = _reader(images, entries)
    w = torch.tensor([float(weights[g]) for g in groups], dtype=torch.float64)
    flagged = torch.tensor([g == flag for g in groups], dtype=torch.float32)

    def sample(gen: torch.Generator):
        idx = torch.multinomial(w, batch_size, replacement=True, generator=gen)
        x, y = torch.stack([image(k) for k in idx.tolist()]), y_all[idx, None].float()
        if flag is None:
            return x, y
        return x, torch.cat([y, flagged[idx].reshape(-1, 1, 1, 1, 1).expand(-1, 1, *y_all.shape[1:])], dim=1)

    return sample


def random_crops(images: torch.Tensor, masks: torch.Tensor, crop: Optional[int], batch_size: int,
                 foreground_share: float = 0.0):
    """Random frames of ``images`` ``(N, C, H, W)`` and their label maps ``masks`` ``(N, H, W)``, a random
    square ``crop`` (``None``: the whole frame), random flips and, for square crops, 90° rotations. Returns
    ``sample(generator) → (x (B, C, h, w), y long (B, 1, h, w))``.

    ``foreground_share``: the share of each batch (rounded to whole crops) placed over a random foreground
    pixel, as :func:`foreground_patches` (nnU-Net's "foreground oversampling", which keeps a network from
    settling on all-background when the foreground is rare); the rest uniformly as before. With the default 0
    the draws are those of earlier versions, so committed results reproduce."""
    n, _, h, w = images.shape
    crop_h, crop_w = (h, w) if crop is None else (crop, crop)
    if crop_h > h or crop_w > w:
        raise ValueError(f"crop: {crop} pixels do not fit the {h} × {w} frames.")
    if not 0.0 <= foreground_share <= 1.0:
        raise ValueError(f"foreground_share: a share of the batch lies in [0, 1], got {foreground_share}.")
    forced = int(round(foreground_share * batch_size))
    fg = torch.nonzero(masks > 0) if forced else None
    if forced and len(fg) == 0:
        raise ValueError("foreground_share: the masks hold no foreground pixel to place crops over; "
                         "use foreground_share=0.")

    def sample(gen: torch.Generator):
        idx = torch.randint(0, n, (batch_size,), generator=gen)
        top = torch.randint(0, h - crop_h + 1, (batch_size,), generator=gen)
        left = torch.randint(0, w - crop_w + 1, (batch_size,), generator=gen)
        flips = torch.rand(batch_size, 2, generator=gen) < 0.5
        turns = torch.randint(0, 4, (batch_size,), generator=gen)
        if forced:  # the first crops over a random foreground pixel, at a random offset
            pick = fg[torch.randint(0, len(fg), (forced,), generator=gen)]
            idx[:forced] = pick[:, 0]
            off_h = torch.randint(0, crop_h, (forced,), generator=gen)
            off_w = torch.randint(0, crop_w, (forced,), generator=gen)
            top[:forced] = (pick[:, 1] - off_h).clamp(0, h - crop_h)
            left[:forced] = (pick[:, 2] - off_w).clamp(0, w - crop_w)
        xs, ys = [], []
        for k in range(batch_size):
            x = images[idx[k], :, top[k]:top[k] + crop_h, left[k]:left[k] + crop_w]
            y = masks[idx[k], None, top[k]:top[k] + crop_h, left[k]:left[k] + crop_w]
            for axis, flip in zip((1, 2), flips[k]):
                if flip:
                    x, y = x.flip(axis), y.flip(axis)
            if crop_h == crop_w:
                x, y = torch.rot90(x, int(turns[k]), (1, 2)), torch.rot90(y, int(turns[k]), (1, 2))
            xs.append(x)
            ys.append(y)
        return torch.stack(xs), torch.stack(ys).long()

    return sample
