"""Smooth random fields shared by the phantoms: Gaussian-filtered white noise (texture, wobble, lesion shapes)
and multiplicative bias fields. One place, so that every phantom draws its noise the same way."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["smooth_noise", "standardised_noise", "bias_field"]


def smooth_noise(shape, rng: np.random.Generator, sigma: float, dtype=np.float64) -> np.ndarray:
    """White noise of ``shape`` drawn from ``rng`` (as ``dtype``), Gaussian-filtered with ``sigma`` voxels."""
    return ndimage.gaussian_filter(rng.standard_normal(shape).astype(dtype, copy=False), sigma)


def standardised_noise(shape, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """:func:`smooth_noise` scaled to unit standard deviation (texture whose strength does not depend on ``sigma``)."""
    field = smooth_noise(shape, rng, sigma)
    return field / field.std()


def bias_field(shape, rng: np.random.Generator, sigma: float, amplitude: float) -> np.ndarray:
    """A smooth multiplicative field around 1, within 1 ± ``amplitude`` (an MRI coil's intensity bias)."""
    f = smooth_noise(shape, rng, sigma)
    return 1.0 + amplitude * f / (np.abs(f).max() + 1e-12)
