"""Deterministic phantoms, generated from a seed. Results on them are never the papers' datasets.

:func:`uncertainty_task` builds the four binary tasks of Bertels et al.'s empirical study (Chapter 2): two
with low inherent uncertainty, where the label is a deterministic function of the image, and two with
high inherent uncertainty, where part of the label is drawn at random *after* the image is made, so no
model can predict it better than its probability.

============== ==== ===================================================================================
task           dims what it imitates / where the uncertainty comes from
============== ==== ===================================================================================
molars_like    2D   third molar on a radiograph: a bright ellipse on a textured background; label = ellipse
brats_like     3D   whole tumour on FLAIR/T1ce-like channels: a bright ellipsoid; label = ellipsoid
isles17_like   3D   final infarct from pre-treatment images: a visible core plus a hypoperfused rim cut into
                    ``n_subregions`` pieces, each infarcted with probability ``uncertainty`` (not visible)
isles18_like   3D   acute lesion from perfusion maps: label = a hidden smooth field above a threshold, the
                    image shows that field under noise of standard deviation ``uncertainty``
============== ==== ===================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["UNCERTAINTY_TASKS", "UNCERTAINTY_PHANTOM_VERSION", "SegmentationSet", "uncertainty_task"]

#: Version of the phantoms of :func:`uncertainty_task`: part of every result key trained on them, raised
#: whenever they change, so that results on old and new phantoms are never mixed in one table.
UNCERTAINTY_PHANTOM_VERSION = 1
#: The four tasks of Bertels et al.'s Table 1, as phantoms (:func:`uncertainty_task`).
UNCERTAINTY_TASKS = ("molars_like", "brats_like", "isles17_like", "isles18_like")


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


def _ellipsoid(shape, rng, radius=(0.25, 0.45), centre=0.35):
    g = _grid(shape)
    c = rng.uniform(-centre, centre, size=len(shape))
    r = rng.uniform(*radius, size=len(shape))
    return (((g - c.reshape(-1, *[1] * len(shape))) / r.reshape(-1, *[1] * len(shape))) ** 2).sum(0) <= 1.0


def _texture(shape, rng, sigma):
    return ndimage.gaussian_filter(rng.standard_normal(shape), sigma)


def _standardise(images):
    mean = images.mean(axis=(0, *range(2, images.ndim)), keepdims=True)
    std = images.std(axis=(0, *range(2, images.ndim)), keepdims=True)
    return ((images - mean) / std).astype(np.float32)


def uncertainty_task(name: str, n_subjects: int = 20, size: int = 32, seed: int = 0, uncertainty: float | None = None,
                     n_subregions: int = 8) -> SegmentationSet:
    """One of :data:`UNCERTAINTY_TASKS`, ``n_subjects`` images of side ``size`` (2D or 3D), from ``seed``.

    ``uncertainty`` sets the inherent uncertainty of the two high-uncertainty tasks (isles17_like: the
    probability that a rim piece is infarcted, default 0.5; isles18_like: the noise level, default 1.0);
    it must be left ``None`` for the two low-uncertainty tasks.
    """
    if name not in UNCERTAINTY_TASKS:
        raise ValueError(f"name: unknown task {name!r}; choose one of {UNCERTAINTY_TASKS}.")
    if n_subjects < 2 or size < 8:
        raise ValueError(f"n_subjects, size: need n_subjects ≥ 2 and size ≥ 8, got {n_subjects}, {size}.")
    if uncertainty is not None and name in ("molars_like", "brats_like"):
        raise ValueError(f"uncertainty: {name} has no inherent-uncertainty parameter; leave it None.")
    rng = np.random.default_rng([seed, UNCERTAINTY_TASKS.index(name)])
    images, labels = [], []
    if name == "molars_like":
        shape = (size, size)
        for _ in range(n_subjects):
            tooth = _ellipsoid(shape, rng, radius=(0.3, 0.5))
            img = 1.0 * tooth + 0.4 * _texture(shape, rng, 2.0) * 4 + 0.25 * rng.standard_normal(shape)
            images.append(img[None])
            labels.append(tooth[None])
        kind = "low: the label is the bright ellipse"
    elif name == "brats_like":
        shape = (size,) * 3
        for _ in range(n_subjects):
            tumour = _ellipsoid(shape, rng, radius=(0.2, 0.4))
            core = ndimage.binary_erosion(tumour, iterations=max(1, size // 12))
            flair = 1.0 * tumour + 0.3 * _texture(shape, rng, 2.0) * 3 + 0.3 * rng.standard_normal(shape)
            t1ce = 0.8 * core + 0.3 * _texture(shape, rng, 2.0) * 3 + 0.3 * rng.standard_normal(shape)
            images.append(np.stack([flair, t1ce]))
            labels.append(tumour[None])
        kind = "low: the label is the bright ellipsoid"
    elif name == "isles17_like":
        p = 0.5 if uncertainty is None else float(uncertainty)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"uncertainty: the infarction probability of a rim piece must lie in [0, 1], got {p}.")
        shape = (size,) * 3
        g = _grid(shape)
        for _ in range(n_subjects):
            region = _ellipsoid(shape, rng, radius=(0.3, 0.45), centre=0.25)
            core = ndimage.binary_erosion(region, iterations=max(1, size // 8))
            rim = region & ~core
            # cut the rim into pieces by angle around the region's centre (independent sub-regions)
            centre = np.array([g[d][region].mean() for d in range(3)]).reshape(3, 1, 1, 1)
            v = g - centre
            angle = np.arctan2(v[1], v[0]) + np.pi
            piece = np.minimum((angle / (2 * np.pi) * n_subregions).astype(int), n_subregions - 1)
            on = rng.random(n_subregions) < p  # drawn after the image: not predictable from it
            label = core | (rim & on[piece])
            perfusion = 1.0 * region + 0.3 * _texture(shape, rng, 2.0) * 3 + 0.3 * rng.standard_normal(shape)
            diffusion = 0.8 * core + 0.3 * rng.standard_normal(shape)
            images.append(np.stack([perfusion, diffusion]))
            labels.append(label[None])
        kind = f"high: {n_subregions} rim pieces each infarcted with p = {p:g}, invisible in the image"
    else:
        noise = 1.0 if uncertainty is None else float(uncertainty)
        if noise < 0:
            raise ValueError(f"uncertainty: the noise level must be ≥ 0, got {noise}.")
        shape = (size,) * 3
        for _ in range(n_subjects):
            field = _texture(shape, rng, size / 8)
            field /= field.std()
            label = field > 1.0
            img = field + noise * rng.standard_normal(shape) + 0.3 * _texture(shape, rng, 1.0)
            images.append(img[None])
            labels.append(label[None])
        kind = f"high: label = hidden field > 1, seen under noise σ = {noise:g}"
    imgs = _standardise(np.stack(images).astype(np.float64))
    return SegmentationSet(name, imgs, np.stack(labels).astype(np.float32), kind)
