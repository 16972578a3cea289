"""Kvasir-like polyp phantoms (Chapter 5): RGB endoscopy-like frames with several polyps of varied size and
contrast, generated from a seed. Results on them are never Kvasir-SEG's.

Since version 2 the frames carry what makes Kvasir-SEG hard for a colour threshold: polyp-coloured
distractors — flat reddened patches of mucosa (erythema, blood) and curved mucosal folds of the polyp's tint
—, uneven, off-centre illumination, specular highlights over everything, and flat, low-contrast polyps (two in
five) beside raised ones. A polyp differs from a distractor by its shape and its shading (a raised polyp is
lit on one side and shadowed on the other), which a network can learn and a threshold cannot: the best
single-channel interval reaches a Dice of about 0.4 (version 1: 0.7), a per-pixel logistic regression about
0.4 (version 1: 0.94; the paper's networks reach 0.91 on Kvasir-SEG).

:func:`kvasir_like` makes a training set; :func:`polyp_example` makes the one frame of the chapter's Fig. 2
analogue — a large, easy polyp and a small, faint one — with a *simulated* network prediction that gets
the large polyp right (confident inside, soft at its border) and almost misses the small one, the
situation of Hosseini's Fig. 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from dicecore.data.noise import smooth_noise, standardised_noise

__all__ = ["POLYP_PHANTOM_VERSION", "PolypExample", "kvasir_like", "polyp_example"]

#: The version of these phantoms; it enters every result key trained on them, so that a change to the
#: phantom never mixes old and new results (2: polyp-coloured distractors, flat polyps, uneven light).
POLYP_PHANTOM_VERSION = 2


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
    texture = smooth_noise(shape, rng, 2) * 0.04
    vignette = 1 - 0.5 * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2)
    base = np.array([0.78, 0.42, 0.38])[:, None, None] * vignette + folds + texture
    spots = ndimage.gaussian_filter((rng.random(shape) > 0.9985).astype(float), 1.2) * 4
    return np.clip(base + spots, 0, 1)


def _add_polyp(image, mask, rng, centre, radii, contrast):
    blob = _disc(mask.shape, centre, radii, rng.uniform(0, np.pi))
    soft = ndimage.gaussian_filter(blob.astype(float), 1.5)
    tint = np.array([0.9, 0.55, 0.45])[:, None, None]
    image += contrast * soft * (tint - image) + contrast * 0.05 * smooth_noise(mask.shape, rng, 1) * soft
    mask |= blob
    return blob


#: The polyp's tint, toward which a polyp (and a polyp-coloured distractor) shifts the mucosa.
_TINT = np.array([0.9, 0.55, 0.45])[:, None, None]


def _distract(image, rng):
    """Uneven, off-centre light; 2–4 flat polyp-coloured patches (erythema, blood); 1–2 curved folds of the
    polyp's tint. In place on a (3, H, W) frame."""
    h, w = image.shape[1:]
    yy, xx = np.mgrid[:h, :w] / max(h, w)
    cy, cx = rng.uniform(0.2, 0.8, 2)
    image *= (1 - 0.9 * ((xx - cx) ** 2 + (yy - cy) ** 2))[None]
    for _ in range(int(rng.integers(2, 5))):
        patch = ndimage.gaussian_filter((standardised_noise((h, w), rng, max(h, w) / 16) > 1.8).astype(float), 1.0)
        image += rng.uniform(0.5, 0.9) * patch * (_TINT - image)
    for _ in range(int(rng.integers(1, 3))):
        fold = np.exp(-(standardised_noise((h, w), rng, max(h, w) / 8) / 0.12) ** 2)  # a ridge along a level line
        image += 0.6 * fold * (_TINT - image)


def _dome(shape, centre, radii, angle, light):
    """A raised polyp's mask and shading: > 0 on the side facing ``light`` (an angle), < 0 on the far side."""
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float64)
    dy, dx = yy - centre[0], xx - centre[1]
    c, s = np.cos(angle), np.sin(angle)
    u, v = (c * dx + s * dy) / radii[1], (-s * dx + c * dy) / radii[0]
    r2 = u ** 2 + v ** 2
    inside = r2 <= 1.0
    shade = 0.5 * (u * np.cos(light) + v * np.sin(light)) / np.sqrt(np.clip(1 - r2, 1e-3, 1))
    return inside, np.clip(shade, -1, 1) * inside


def kvasir_like(n: int, size: int = 96, seed: int = 0, max_polyps: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``n`` frames: images (n, 3, size, size) float32 in [0, 1] and masks (n, size, size) uint8.

    Each frame has 1 … ``max_polyps`` polyps with radii from 4 % to 25 % of the side: two in five flat (contrast
    0.15–0.4, faint shading), the others raised (contrast 0.35–0.8, shaded as lit from one side), on mucosa
    with polyp-coloured distractors, uneven light and specular highlights (see the module docstring).
    """
    if not (isinstance(n, int) and n >= 1 and isinstance(size, int) and size >= 16):
        raise ValueError(f"n, size: need n ≥ 1 frames of side ≥ 16, got n={n!r}, size={size!r}.")
    rng = np.random.default_rng([seed, 5])
    images = np.empty((n, 3, size, size), np.float32)
    masks = np.zeros((n, size, size), np.uint8)
    for i in range(n):
        image, mask = _frame((size, size), rng), np.zeros((size, size), bool)
        _distract(image, rng)
        for _ in range(int(rng.integers(1, max_polyps + 1))):
            r = rng.uniform(0.04, 0.25) * size
            centre = rng.uniform(r, size - r, size=2)
            flat = rng.random() < 0.4
            contrast = rng.uniform(0.15, 0.4) if flat else rng.uniform(0.35, 0.8)
            blob, shade = _dome((size, size), centre, (r, r * rng.uniform(0.7, 1.3)), rng.uniform(0, np.pi),
                                rng.uniform(0, 2 * np.pi))
            image += contrast * ndimage.gaussian_filter(blob.astype(float), 1.5) * (_TINT - image)
            image *= 1 + (0.15 if flat else 0.35) * ndimage.gaussian_filter(shade, 1)[None]
            mask |= blob
        highlights = ndimage.gaussian_filter((rng.random((size, size)) > 0.997).astype(float), 1.0) * 3
        images[i], masks[i] = np.clip(image + highlights, 0, 1), mask
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
    logit = logit + np.where(small, -0.2, 0.0) + 0.6 * smooth_noise(mask.shape, rng, 2)
    probability = 1 / (1 + np.exp(-logit))
    probability = np.where(small, 0.12 + 0.1 * ndimage.gaussian_filter(rng.random(mask.shape), 1), probability)
    return PolypExample(np.clip(image, 0, 1).astype(np.float32), mask.astype(np.uint8), probability, large, small)
