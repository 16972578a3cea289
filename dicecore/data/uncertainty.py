"""Deterministic phantoms, generated from a seed. Results on them are never the papers' datasets.

:func:`uncertainty_task` builds the four binary tasks of Bertels et al.'s empirical study (Chapter 2): two
with low inherent uncertainty, where the label is a deterministic function of the image, and two with
high inherent uncertainty, where part of the label is drawn at random *after* the image is made, so no
model can predict it better than its probability — and one variant of the book's own.

Every task has *target-coloured distractors*: structures as bright as the target, on the same channels, that
are not labelled. A per-voxel model (the paper's LR) therefore cannot tell target from distractor and keeps a
posterior of about 0.1–0.4 over large areas, as on the real data (the paper's LR reaches a soft Dice of
0.07–0.36); only context — position, a neighbouring structure — tells them apart, which is what the ConvNet
and the U-Net can learn (version 2 of the phantoms; version 1 had none, and its LR reached 0.6–0.8).

===================== ==== ==============================================================================
task                  dims what it imitates / where the uncertainty comes from
===================== ==== ==============================================================================
molars_like           2D   third molar in a region of interest centred on it (as the paper's crops): a
                           bright ellipse near the centre; neighbouring teeth as bright, cut by the
                           border, are not labelled. Label = the central tooth (low uncertainty)
brats_like            3D   whole tumour on FLAIR/T1ce-like channels: a FLAIR-bright ellipsoid around a
                           small enhancing (T1ce-bright) core; FLAIR-bright white-matter lesions without
                           enhancement and T1ce-bright vessels are not labelled (low uncertainty)
isles17_like          3D   final infarct from pre-treatment images: a hypoperfused region (bright
                           perfusion) with a diffusion-bright core; its rim, cut into ``n_subregions``
                           pieces, each infarcted with probability ``uncertainty`` (not visible);
                           hypoperfused regions without a core (benign oligaemia) never infarct
isles18_like          3D   acute lesion from perfusion maps: label = a hidden smooth field above a
                           threshold; the image shows that field under noise of standard deviation
                           ``uncertainty``, plus a second, unlabelled smooth field (a perfusion mimic)
isles17_rater_like    3D   the book's variant of isles17_like: the same images and the same probability per
                           voxel, but one draw per subject decides the *whole* rim (a rater who includes
                           the penumbra or not) — correlated uncertainty, Bertels et al.'s "single region"
                           (Fig. 1 A) beside isles17_like's "multiple independent regions" (Fig. 1 B–C)
===================== ==== ==============================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from dicecore.data.noise import smooth_noise, standardised_noise

__all__ = ["UNCERTAINTY_TASKS", "CORRELATED_TASK", "ALL_UNCERTAINTY_TASKS", "UNCERTAINTY_PHANTOM_VERSION",
           "SegmentationSet", "uncertainty_task"]

#: Version of the phantoms of :func:`uncertainty_task`: part of every result key trained on them, raised
#: whenever they change, so that results on old and new phantoms are never mixed in one table
#: (2: target-coloured distractors in every task, and the correlated variant).
UNCERTAINTY_PHANTOM_VERSION = 2
#: The four tasks of Bertels et al.'s Table 1, as phantoms (:func:`uncertainty_task`).
UNCERTAINTY_TASKS = ("molars_like", "brats_like", "isles17_like", "isles18_like")
#: The book's variant of isles17_like with the rim's uncertainty correlated (one draw per subject).
CORRELATED_TASK = "isles17_rater_like"
#: The paper's four tasks and the book's variant.
ALL_UNCERTAINTY_TASKS = UNCERTAINTY_TASKS + (CORRELATED_TASK,)


@dataclass(frozen=True)
class SegmentationSet:
    """Images ``(N, C_in, *spatial)`` float32 standardised, labels ``(N, 1, *spatial)`` float32 in {0, 1}."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    inherent_uncertainty: str
    voxel_volume: float = 1.0  # in the unit ΔV is reported in (pixels or ml)

    def __len__(self) -> int:
        return len(self.images)


def _grid(shape):
    return np.stack(np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij"))


def _ellipse(grid, centre, radius):
    """The ellipse (ellipsoid) of ``centre`` and ``radius`` (one value per axis) on a :func:`_grid`."""
    shape = (-1,) + (1,) * grid.shape[0]
    return (((grid - np.reshape(centre, shape)) / np.reshape(radius, shape)) ** 2).sum(0) <= 1.0


def _distractors(grid, rng, count, radius, avoid, margin, where=0.7, place=None):
    """``count`` ellipses of ``radius`` range, centred by ``place(rng)`` (default: uniform in ±``where``), kept
    ``margin`` voxels clear of the ``avoid`` mask: the unlabelled structures as bright as the target."""
    nd = grid.shape[0]
    keep_out = ndimage.binary_dilation(avoid, iterations=margin)
    out = np.zeros(grid.shape[1:], dtype=bool)
    for _ in range(count):
        centre = place(rng) if place is not None else rng.uniform(-where, where, nd)
        out |= _ellipse(grid, centre, rng.uniform(*radius, size=nd))
    return out & ~keep_out


def _standardise(images):
    mean = images.mean(axis=(0, *range(2, images.ndim)), keepdims=True)
    std = images.std(axis=(0, *range(2, images.ndim)), keepdims=True)
    return ((images - mean) / std).astype(np.float32)


def _on_border(rng):
    """A centre on a ring near the border of the field (neighbouring teeth, cut by the crop)."""
    angle = rng.uniform(0, 2 * np.pi)
    return rng.uniform(0.8, 1.0) * np.array([np.cos(angle), np.sin(angle)])


def uncertainty_task(name: str, n_subjects: int = 20, size: int = 32, seed: int = 0, uncertainty: float | None = None,
                     n_subregions: int = 8) -> SegmentationSet:
    """One of :data:`ALL_UNCERTAINTY_TASKS`, ``n_subjects`` images of side ``size`` (2D or 3D), from ``seed``.

    ``uncertainty`` sets the inherent uncertainty of the high-uncertainty tasks (isles17_like and
    isles17_rater_like: the probability that the rim — a piece of it, or all of it — is infarcted, default 0.5;
    isles18_like: the noise level, default 1.0); it must be left ``None`` for the two low-uncertainty tasks.
    isles17_rater_like has the same images as isles17_like for the same arguments; only the labels differ.
    """
    if name not in ALL_UNCERTAINTY_TASKS:
        raise ValueError(f"name: unknown task {name!r}; choose one of {ALL_UNCERTAINTY_TASKS}.")
    if n_subjects < 2 or size < 8:
        raise ValueError(f"n_subjects, size: need n_subjects ≥ 2 and size ≥ 8, got {n_subjects}, {size}.")
    if uncertainty is not None and name in ("molars_like", "brats_like"):
        raise ValueError(f"uncertainty: {name} has no inherent-uncertainty parameter; leave it None.")
    stream = ALL_UNCERTAINTY_TASKS.index("isles17_like" if name == CORRELATED_TASK else name)
    rng = np.random.default_rng([seed, stream])
    draws = np.random.default_rng([seed, stream, 1])  # the labels' random part, apart from the images
    images, labels = [], []
    if name == "molars_like":
        shape = (size, size)
        g = _grid(shape)
        for _ in range(n_subjects):
            tooth = _ellipse(g, rng.uniform(-0.1, 0.1, 2), rng.uniform(0.25, 0.35, 2))
            others = _distractors(g, rng, rng.integers(3, 6), (0.25, 0.4), tooth, max(1, size // 32), place=_on_border)
            bright = np.maximum(tooth * rng.uniform(0.85, 1.15), others * rng.uniform(0.85, 1.15))
            img = bright + 1.6 * smooth_noise(shape, rng, 2.0) + 0.25 * rng.standard_normal(shape)
            images.append(img[None])
            labels.append(tooth[None])
        kind = "low: the label is the central tooth; the teeth cut by the border are as bright"
    elif name == "brats_like":
        shape = (size,) * 3
        g = _grid(shape)
        for _ in range(n_subjects):
            centre, radius = rng.uniform(-0.35, 0.35, 3), rng.uniform(0.2, 0.35, 3)
            tumour = _ellipse(g, centre, radius)
            core = _ellipse(g, centre, np.maximum(0.4 * radius, 3.0 / size))  # at least a voxel or so across
            lesions = _distractors(g, rng, rng.integers(2, 5), (0.15, 0.3), tumour, 2)
            vessels = (np.abs(smooth_noise(shape, rng, 1.5)) < 0.01) & ~ndimage.binary_dilation(tumour | lesions)
            flair = 1.0 * (tumour | lesions) + 0.9 * smooth_noise(shape, rng, 2.0) + 0.3 * rng.standard_normal(shape)
            t1ce = 2.0 * (core | vessels) + 0.5 * smooth_noise(shape, rng, 2.0) + 0.3 * rng.standard_normal(shape)
            images.append(np.stack([flair, t1ce]))
            labels.append(tumour[None])
        kind = "low: the label is the FLAIR-bright region around the enhancing core; lesions without one are as bright"
    elif name in ("isles17_like", CORRELATED_TASK):
        p = 0.5 if uncertainty is None else float(uncertainty)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"uncertainty: the infarction probability of the rim must lie in [0, 1], got {p}.")
        shape = (size,) * 3
        g = _grid(shape)
        for _ in range(n_subjects):
            centre, radius = rng.uniform(-0.25, 0.25, 3), rng.uniform(0.3, 0.45, 3)
            region = _ellipse(g, centre, radius)
            core = _ellipse(g, centre, 0.55 * radius)
            rim = region & ~core
            # cut the rim into pieces by angle around the region's centre (independent sub-regions)
            v = g - np.reshape(centre, (3, 1, 1, 1))
            angle = np.arctan2(v[1], v[0]) + np.pi
            piece = np.minimum((angle / (2 * np.pi) * n_subregions).astype(int), n_subregions - 1)
            oligaemia = _distractors(g, rng, rng.integers(1, 4), (0.2, 0.35), region, 2)
            perfusion = 1.0 * (region | oligaemia) + 0.9 * smooth_noise(shape, rng, 2.0) + 0.3 * rng.standard_normal(shape)
            diffusion = 0.8 * core + 0.3 * rng.standard_normal(shape)
            # drawn after the image, so not predictable from it: per piece, or once for the whole rim
            on = draws.random(n_subregions) < p
            if name == CORRELATED_TASK:
                on[:] = on[0]
            images.append(np.stack([perfusion, diffusion]))
            labels.append((core | (rim & on[piece]))[None])
        kind = (f"high: the rim infarcted with p = {p:g}, invisible in the image, " +
                (f"in {n_subregions} independent pieces" if name == "isles17_like" else "all or nothing (one draw)"))
    else:
        noise = 1.0 if uncertainty is None else float(uncertainty)
        if noise < 0:
            raise ValueError(f"uncertainty: the noise level must be ≥ 0, got {noise}.")
        shape = (size,) * 3
        for _ in range(n_subjects):
            field = standardised_noise(shape, rng, size / 8)
            mimic = standardised_noise(shape, rng, size / 8)
            label = field > 1.0
            img = field + 2.5 * np.clip(mimic - 0.5, 0, None) + noise * rng.standard_normal(shape) \
                + 0.3 * smooth_noise(shape, rng, 1.0)
            images.append(img[None])
            labels.append(label[None])
        kind = f"high: label = hidden field > 1, seen under noise σ = {noise:g} beside an unlabelled mimic"
    imgs = _standardise(np.stack(images).astype(np.float64))
    return SegmentationSet(name, imgs, np.stack(labels).astype(np.float32), kind)
