"""How hard is a phantom? Training-free baselines, to set beside the level the papers' networks reach on the
real data (the "How hard is each phantom?" appendix).

A loss comparison means something only on a task that a trained network does not solve by a trick: if one
intensity interval on one channel already segments a phantom better than the paper's networks segment the
real images, every loss will look alike on it. Three baselines, none trained by gradient descent:

* :func:`interval_dice` — the best Dice of ``lo ≤ x ≤ hi`` on any single channel, pooled over subjects (the
  interval searched over quantile bins of that channel);
* :func:`logistic_dice` — a per-voxel logistic regression on the channels, fitted on half the subjects and
  scored (Dice at 0.5) on the other half;
* :func:`best_cue_auc` — for a detection question (HGG vs LGG, ED vs ES), the best AUC of any single scalar
  cue per subject (mean intensity in the structure, its volume, its position).

:func:`patch_foreground_share` measures the other property Sudre et al. tabulate: the median foreground share
of training patches drawn to contain foreground (their Table 1).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

__all__ = ["interval_dice", "logistic_dice", "best_cue_auc", "structure_cues", "patch_foreground_share",
           "summary_row"]


def _channels(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(voxels, C) intensities and (voxels,) binary labels from (N, C, *spatial) and (N, *spatial)."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim < 3 or images.shape[0] != labels.shape[0] or images.shape[2:] != labels.shape[1:]:
        raise ValueError(f"images, labels: need (N, C, *spatial) and (N, *spatial) of the same N and spatial "
                         f"shape, got {images.shape} and {labels.shape}.")
    x = np.moveaxis(images, 1, -1).reshape(-1, images.shape[1]).astype(np.float64)
    y = (labels.reshape(-1) > 0)
    if not y.any():
        raise ValueError("labels: no foreground voxel; a baseline needs something to segment.")
    return x, y


def interval_dice(images: np.ndarray, labels: np.ndarray, bins: int = 256,
                  names: Sequence[str] | None = None) -> pd.DataFrame:
    """Per channel, the best Dice of one intensity interval against ``labels``, pooled over all subjects: the
    channel's values are cut at ``bins`` quantiles and every interval of whole bins is tried (exact for that
    binning). Rows sorted best first: channel, Dice, lo, hi."""
    x, y = _channels(images, labels)
    names = list(names) if names is not None else [f"channel {c}" for c in range(x.shape[1])]
    if len(names) != x.shape[1]:
        raise ValueError(f"names: {len(names)} names for {x.shape[1]} channels.")
    rows = []
    for c, name in enumerate(names):
        edges = np.unique(np.quantile(x[:, c], np.linspace(0, 1, bins + 1)))
        k = np.clip(np.searchsorted(edges, x[:, c], side="right") - 1, 0, len(edges) - 2)
        total = np.bincount(k, minlength=len(edges) - 1).astype(np.float64)
        fg = np.bincount(k, weights=y, minlength=len(edges) - 1)
        ct, cf = np.concatenate([[0], np.cumsum(total)]), np.concatenate([[0], np.cumsum(fg)])
        inside_t = ct[None, 1:] - ct[:-1, None]  # interval [i, j] of bins: sums over i … j
        inside_f = cf[None, 1:] - cf[:-1, None]
        dice = np.where(inside_t > 0, 2 * inside_f / (inside_t + y.sum()), 0.0)
        dice = np.triu(dice)
        i, j = np.unravel_index(np.argmax(dice), dice.shape)
        rows.append({"channel": name, "Dice": float(dice[i, j]), "lo": float(edges[i]), "hi": float(edges[j + 1])})
    return pd.DataFrame(rows).sort_values("Dice", ascending=False, ignore_index=True)


def logistic_dice(images: np.ndarray, labels: np.ndarray, max_voxels: int = 50_000, seed: int = 0,
                  iterations: int = 200, soft: bool = False, squares: bool = True, balanced: bool = True) -> float:
    """Dice, on the second half of the subjects, of a per-voxel logistic regression on the channels (and their
    squares, so that an intensity band is reachable) fitted on the first half (at most ``max_voxels`` voxels,
    foreground and background balanced by weight; L-BFGS).

    ``soft=True, squares=False, balanced=False`` is Bertels et al.'s LR model trained with plain cross-entropy
    and scored as their Table 1 is, by the soft Dice score 1 − SD of its posterior (mean over the test subjects)."""
    n = len(images)
    if n < 2:
        raise ValueError(f"images: need at least two subjects (fit on half, score on the other), got {n}.")
    x_fit, y_fit = _channels(images[: n // 2], labels[: n // 2])
    x_test, y_test = _channels(images[n // 2:], labels[n // 2:])
    mean, std = x_fit.mean(0), x_fit.std(0) + 1e-8
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(x_fit), size=min(max_voxels, len(x_fit)), replace=False)

    def features(v):
        z = (v - mean) / std
        return torch.as_tensor(np.concatenate([z, z ** 2], 1) if squares else z, dtype=torch.float64)

    xf, yf = features(x_fit[pick]), torch.as_tensor(y_fit[pick], dtype=torch.float64)
    weight = (torch.where(yf > 0, 0.5 / max(float(yf.mean()), 1e-8), 0.5 / max(1 - float(yf.mean()), 1e-8))
              if balanced else torch.ones_like(yf))
    w = torch.zeros(xf.shape[1] + 1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=iterations, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        logits = xf @ w[:-1] + w[-1]
        loss = (weight * torch.nn.functional.binary_cross_entropy_with_logits(logits, yf, reduction="none")).mean()
        loss = loss + 1e-4 * (w[:-1] ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        logits = (features(x_test) @ w[:-1] + w[-1]).numpy()
    if soft:
        p = 1 / (1 + np.exp(-logits.reshape(n - n // 2, -1)))
        y = y_test.reshape(n - n // 2, -1)
        return float(np.mean(2 * (p * y).sum(1) / (p.sum(1) + y.sum(1))))
    pred = logits > 0
    return float(2 * (pred & y_test).sum() / (pred.sum() + y_test.sum()))


def best_cue_auc(cues: pd.DataFrame, positive: Sequence[bool]) -> pd.Series:
    """Per cue (a column of ``cues``: one scalar per subject), the AUC of telling ``positive`` subjects from
    the others, taken the better way round (max(AUC, 1 − AUC)); sorted best first (ties in the columns' order)."""
    from dicecore.metrics import roc_auc

    positive = np.asarray(positive, dtype=bool)
    if len(positive) != len(cues) or positive.all() or not positive.any():
        raise ValueError("positive: need one flag per subject (row of cues) and both groups present.")
    aucs = {name: roc_auc(cues[name].to_numpy(dtype=float), positive) for name in cues.columns}
    return pd.Series({k: max(v, 1 - v) for k, v in aucs.items()}, name="AUC").sort_values(ascending=False,
                                                                                          kind="stable")


def structure_cues(images: Sequence[np.ndarray], labels: Sequence[np.ndarray], channels: Sequence[str],
                   bright: str | None = None) -> pd.DataFrame:
    """One row per subject of the scalar cues :func:`best_cue_auc` compares: each channel's mean inside the
    labelled structure, the structure's volume (voxels) and its centre along the second axis; with ``bright``
    (a channel's name), also that channel's 95th percentile inside the structure (an enhancement cue).
    ``images`` are channels-first volumes and ``labels`` their label maps, one of each per subject."""
    channels = list(channels)
    if bright is not None and bright not in channels:
        raise ValueError(f"bright: {bright!r} is not one of the channels {channels}.")
    rows = []
    for image, label in zip(images, labels, strict=True):
        inside = np.asarray(label) > 0
        if image.shape[0] != len(channels) or image.shape[1:] != inside.shape or not inside.any():
            raise ValueError(f"images, labels: need (C={len(channels)}, *spatial) and (*spatial) with a labelled "
                             f"structure, got {image.shape} and {inside.shape} ({int(inside.sum())} labelled).")
        row = {f"mean {c} in it": float(image[k][inside].mean()) for k, c in enumerate(channels)}
        if bright is not None:
            row[f"{bright} 95th percentile in it"] = float(np.quantile(image[channels.index(bright)][inside], 0.95))
        row["volume"] = float(inside.sum())
        row["centre (second axis)"] = float(np.argwhere(inside)[:, 1].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def patch_foreground_share(labels: np.ndarray, patch: int, n_patches: int = 200, seed: int = 0) -> float:
    """The median foreground share of ``n_patches`` cubic (or square) patches of side ``patch`` drawn at random
    from ``labels`` ``(N, *spatial)`` among those that contain foreground — Sudre et al.'s sampling ("patches
    selected if they contained at least one foreground element") and their Table 1's imbalance ratio."""
    labels = np.asarray(labels) > 0
    rng = np.random.default_rng(seed)
    shares, tries = [], 0
    spatial = labels.shape[1:]
    if any(patch > s for s in spatial):
        raise ValueError(f"patch: {patch} is larger than the image {spatial}.")
    while len(shares) < n_patches and tries < 50 * n_patches:
        tries += 1
        i = rng.integers(len(labels))
        corner = [rng.integers(0, s - patch + 1) for s in spatial]
        window = labels[(i, *(slice(c, c + patch) for c in corner))]
        if window.any():
            shares.append(window.mean())
    if not shares:
        raise ValueError("labels: no patch of that size contains foreground.")
    return float(np.median(shares))


def summary_row(task: str, images: np.ndarray, labels: np.ndarray, channels: Sequence[str],
                paper_level: float, paper_source: str, seed: int = 0) -> Mapping[str, object]:
    """One row of the difficulty report: the best single-channel interval Dice (and its channel), the
    logistic-regression Dice, and the paper networks' level beside them."""
    best = interval_dice(images, labels, names=channels).iloc[0]
    return {"phantom": task, "best interval Dice": best["Dice"], "on": best["channel"],
            "logistic regression Dice": logistic_dice(images, labels, seed=seed),
            "paper's networks": paper_level, "(paper, data)": paper_source}
