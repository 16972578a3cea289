"""Kvasir-like polyp phantoms (Chapter 5): RGB endoscopy-like frames with several polyps of varied size and
contrast, generated from a seed. Results on them are never Kvasir-SEG's.

:func:`kvasir_like` makes a training set; :func:`polyp_example` makes the one frame of the chapter's Fig. 2
analogue — a large, easy polyp and a small, faint one — with a *simulated* network prediction that gets
the large polyp right (confident inside, soft at its border) and almost misses the small one, the
situation of Hosseini's Fig. 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["POLYP_PHANTOM_VERSION", "PolypExample", "kvasir_like", "polyp_example"]

#: The version of these phantoms; it enters every result key trained on them, so that a change to the
#: phantom never mixes old and new results.
POLYP_PHANTOM_VERSION = 1


def _disc(shape, centre, radii, angle=0.0):
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float64)
    dy, dx = yy - centre[0], xx - centre[1]
    c, s = np.cos(angle), np.sin(angle)
    u, v = c * dx + s * dy, -s * dx + c * dy
    return (u / radii[1]) ** 2 + (v / radii[0]) ** 2 <= 1.0


def _frame(shape, rng):
    """Pinkish mucosa with folds, vignetting and specular spots: (3, H, W) in [0, 1]."""
    h, w = shape
    yy, xx = np.mgrid[:h, :w] / max(h, w)
    folds = np.sin(2 * np.pi * (3 * xx + 2 * yy + rng.uniform())) * 0.05
    texture = ndimage.gaussian_filter(rng.standard_normal(shape), 2) * 0.04
    vignette = 1 - 0.5 * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2)
    base = np.array([0.78, 0.42, 0.38])[:, None, None] * vignette + folds + texture
    spots = ndimage.gaussian_filter((rng.random(shape) > 0.9985).astype(float), 1.2) * 4
    return np.clip(base + spots, 0, 1)


def _add_polyp(image, mask, rng, centre, radii, contrast):
    blob = _disc(mask.shape, centre, radii, rng.uniform(0, np.pi))
    soft = ndimage.gaussian_filter(blob.astype(float), 1.5)
    tint = np.array([0.9, 0.55, 0.45])[:, None, None]
    image += contrast * soft * (tint - image) + contrast * 0.05 * ndimage.gaussian_filter(
        rng.standard_normal(mask.shape), 1) * soft
    mask |= blob
    return blob


def kvasir_like(n: int, size: int = 96, seed: int = 0, max_polyps: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``n`` frames: images (n, 3, size, size) float32 in [0, 1] and masks (n, size, size) uint8.

    Each frame has 1 … ``max_polyps`` polyps with radii from 4 % to 25 % of the side and contrast from 0.25
    (faint, hard) to 0.9 (clear, easy).
    """
    if not (isinstance(n, int) and n >= 1 and isinstance(size, int) and size >= 16):
        raise ValueError(f"n, size: need n ≥ 1 frames of side ≥ 16, got n={n!r}, size={size!r}.")
    rng = np.random.default_rng([seed, 5])
    images = np.empty((n, 3, size, size), np.float32)
    masks = np.zeros((n, size, size), np.uint8)
    for i in range(n):
        image, mask = _frame((size, size), rng), np.zeros((size, size), bool)
        for _ in range(int(rng.integers(1, max_polyps + 1))):
            r = rng.uniform(0.04, 0.25) * size
            centre = rng.uniform(r, size - r, size=2)
            _add_polyp(image, mask, rng, centre, (r, r * rng.uniform(0.7, 1.3)), rng.uniform(0.25, 0.9))
        images[i], masks[i] = np.clip(image, 0, 1), mask
    return images, masks


@dataclass(frozen=True)
class PolypExample:
    """One frame, its reference mask, a simulated foreground probability map and the two polyps' masks."""

    image: np.ndarray  # (3, H, W) in [0, 1]
    mask: np.ndarray  # (H, W) uint8
    probability: np.ndarray  # (H, W) float64, the simulated network output for the polyp class
    large: np.ndarray  # (H, W) bool
    small: np.ndarray  # (H, W) bool

    def regions(self, border: int = 3) -> dict[str, np.ndarray]:
        """Disjoint masks covering the frame: the small polyp, the large polyp's border (± ``border`` px),
        its inside, and the rest."""
        ring = (self.large & ~ndimage.binary_erosion(self.large, iterations=border)) | (
            ndimage.binary_dilation(self.large, iterations=border) & ~self.large)
        return {"small polyp": self.small, f"large polyp, border (±{border} px)": ring,
                "large polyp, inside": self.large & ~ring, "rest of the frame": ~(self.small | self.large | ring)}


def polyp_example(size: int = 160, seed: int = 0) -> PolypExample:
    """Fig. 2's situation: a large, clear polyp predicted well and a small, faint one almost missed."""
    rng = np.random.default_rng([seed, 6])
    image, mask = _frame((size, size), rng), np.zeros((size, size), bool)
    large = _add_polyp(image, mask, rng, (0.45 * size, 0.4 * size), (0.24 * size, 0.2 * size), 0.9)
    small = _add_polyp(image, mask, rng, (0.78 * size, 0.78 * size), (0.06 * size, 0.05 * size), 0.3)
    inside = ndimage.distance_transform_edt(large) - ndimage.distance_transform_edt(~large)
    logit = np.clip(inside / 1.5, -6, 6)  # confident inside, soft over a few pixels at the border
    logit = logit + np.where(small, -0.2, 0.0) + 0.6 * ndimage.gaussian_filter(rng.standard_normal(mask.shape), 2)
    probability = 1 / (1 + np.exp(-logit))
    probability = np.where(small, 0.12 + 0.1 * ndimage.gaussian_filter(rng.random(mask.shape), 1), probability)
    return PolypExample(np.clip(image, 0, 1).astype(np.float32), mask.astype(np.uint8), probability, large, small)
