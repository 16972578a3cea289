"""Exact expectations of soft Dice and cross-entropy under inherent uncertainty (Bertels et al., §2).

The set-up of the paper's Fig. 1: an image of independent regions

* α, certain background: volume ``s_α = 100``, ``p_α = 0``;
* β, uncertain: total volume ``s_β = µ·s_γ`` split into ``N`` equal, independent sub-regions β_n, each
  wholly part of the structure with probability ``p_β``;
* γ, certain foreground: volume ``s_γ = 1``, ``p_γ = 1``;

and a prediction ``p̂`` for every voxel of β (α and γ are predicted exactly, ``p̂_α = 0`` and ``p̂_γ = 1``,
which the paper shows to be optimal). With ``K ~ Binomial(N, p_β)`` sub-regions switched on, the soft
Dice loss of Eq. 6 is

.. math::

    \\mathrm{SD}_K(\\hat p) = 1 - \\frac{2(\\hat p\\,\\mu K/N + 1)}
        {s_\\alpha\\hat p_\\alpha + \\hat p\\,\\mu + 1 + \\mu K/N + 1}, \\qquad
    \\mathbb E[\\mathrm{SD}](\\hat p) = \\sum_{K=0}^{N} \\binom{N}{K} p_\\beta^K (1-p_\\beta)^{N-K}\\,\\mathrm{SD}_K(\\hat p),

an exact finite sum (no sampling). The voxel-wise cross-entropy of Eq. 5 is linear in the labels, so its
expectation only needs ``p_β``: ``E[CE] = µ·(−p_β log p̂ − (1 − p_β) log(1 − p̂))`` (α and γ add 0), whose
minimiser is ``p̂ = p_β`` (Eq. 8–9): CE is an unbiased volume estimator.

:func:`optimal_prediction` minimises over a grid of ``p̂`` in [0, 1] (vectorised over every other
argument), :func:`volume_bias` gives ``V(Ŷ) − V(Y) = µ (p̂* − p_β)`` (in units of ``s_γ``) and the error in
predicted uncertainty ``p̂* − p_β``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

__all__ = [
    "expected_soft_dice",
    "expected_cross_entropy",
    "optimal_prediction",
    "volume_bias",
    "switching_point",
    "VolumeBias",
]

S_ALPHA = 100.0
S_GAMMA = 1.0


def _check(p_beta, mu, n_regions):
    p = np.asarray(p_beta, dtype=float)
    m = np.asarray(mu, dtype=float)
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError(f"p_beta: probabilities must lie in [0, 1], got {p_beta!r}.")
    if np.any(~np.isfinite(m)) or np.any(m <= 0):
        raise ValueError(f"mu: the volume ratio s_β/s_γ must be > 0, got {mu!r}.")
    if not isinstance(n_regions, (int, np.integer)) or n_regions < 1:
        raise ValueError(f"n_regions: N must be a positive integer, got {n_regions!r}.")
    return p, m


def _binomial_pmf(n: int, p: np.ndarray) -> np.ndarray:
    """P(K = k), k = 0..n, along a new last axis; exact at p = 0 and p = 1."""
    k = np.arange(n + 1)
    log_choose = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
    p = p[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        logpmf = log_choose + np.where(k > 0, k * np.log(p), 0.0) + np.where(n - k > 0, (n - k) * np.log1p(-p), 0.0)
    return np.exp(logpmf)


def expected_soft_dice(
    p_hat, p_beta, mu, n_regions: int = 1, p_hat_alpha: float = 0.0, p_hat_gamma: float = 1.0
) -> np.ndarray:
    """E[SD] over the label uncertainty, exactly; broadcasts ``p_hat``, ``p_beta`` and ``mu``.

    Args:
        p_hat: predicted probability for the voxels of β, in [0, 1].
        p_beta: probability that a sub-region of β is part of the structure.
        mu: volume ratio ``s_β / s_γ``.
        n_regions: N, the number of independent equal sub-regions of β.
        p_hat_alpha, p_hat_gamma: predictions for α and γ (the optimum is 0 and 1).
    """
    p, m = _check(p_beta, mu, n_regions)
    q = np.asarray(p_hat, dtype=float)
    if np.any((q < 0) | (q > 1)) or np.any(~np.isfinite(q)):
        raise ValueError("p_hat: predictions must lie in [0, 1].")
    q, p, m = np.broadcast_arrays(q, p, m)
    pmf = _binomial_pmf(n_regions, p)  # (..., N+1)
    frac = np.arange(n_regions + 1) / n_regions  # K/N
    on = m[..., None] * frac  # labelled volume of β
    inter = q[..., None] * on + p_hat_gamma * S_GAMMA
    denom = S_ALPHA * p_hat_alpha + q[..., None] * m[..., None] + p_hat_gamma * S_GAMMA + on + S_GAMMA
    return (pmf * (1.0 - 2.0 * inter / denom)).sum(axis=-1)


def expected_cross_entropy(p_hat, p_beta, mu) -> np.ndarray:
    """E[CE] of Eq. 5 summed over the image (α and γ predicted exactly contribute 0), in units of s_γ."""
    p, m = _check(p_beta, mu, 1)
    q = np.asarray(p_hat, dtype=float)
    if np.any((q < 0) | (q > 1)):
        raise ValueError("p_hat: predictions must lie in [0, 1].")
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(p > 0, -p * np.log(q), 0.0)
        neg = np.where(p < 1, -(1 - p) * np.log1p(-q), 0.0)
    return m * (pos + neg)


def optimal_prediction(p_beta, mu, n_regions: int = 1, loss: str = "soft_dice", resolution: int = 2001) -> np.ndarray:
    """argmin over p̂ ∈ [0, 1] of the expected loss, on a grid of ``resolution`` points (step 1/(resolution−1)).

    Ties (a flat loss, e.g. µ-independent cases) resolve to the smallest p̂. The default grid step is 0.0005,
    fine enough to read a switching point to ±0.005.
    """
    if loss not in ("soft_dice", "cross_entropy"):
        raise ValueError(f"loss: choose 'soft_dice' or 'cross_entropy', got {loss!r}.")
    if resolution < 3:
        raise ValueError("resolution: need at least 3 grid points.")
    p, m = _check(p_beta, mu, n_regions)
    p, m = np.broadcast_arrays(p, m)
    grid = np.linspace(0.0, 1.0, resolution)
    shape = (1,) * p.ndim + (resolution,)
    if loss == "soft_dice":
        values = expected_soft_dice(grid.reshape(shape), p[..., None], m[..., None], n_regions)
    else:
        values = expected_cross_entropy(grid.reshape(shape), p[..., None], m[..., None])
    return grid[np.argmin(values, axis=-1)]


@dataclass(frozen=True)
class VolumeBias:
    p_beta: np.ndarray
    p_hat: np.ndarray  # the optimal prediction p̂*
    volume_bias: np.ndarray  # V(Ŷ) − V(Y) = µ (p̂* − p_β), in units of s_γ
    uncertainty_error: np.ndarray  # p̂* − p_β


def volume_bias(p_beta, mu, n_regions: int = 1, loss: str = "soft_dice", resolution: int = 2001) -> VolumeBias:
    """The volumetric bias and the error in predicted uncertainty of the optimal prediction (Fig. 1, col. 4)."""
    p, m = _check(p_beta, mu, n_regions)
    p_hat = optimal_prediction(p, m, n_regions, loss, resolution)
    return VolumeBias(np.broadcast_to(p, p_hat.shape), p_hat, m * (p_hat - p), p_hat - p)


def switching_point(mu: float, n_regions: int = 1, resolution: int = 2001, p_resolution: int = 1001) -> float:
    """The p_β at which the soft-Dice optimum turns from under- (p̂* < p_β) to over-estimation (p̂* > p_β).

    Scans ``p_β`` on a grid of step 1/(p_resolution − 1) (interior points only, where the sign is defined)
    and returns the midpoint of the first sign change of ``p̂* − p_β``; NaN if there is none.
    """
    p = np.linspace(0.0, 1.0, p_resolution)[1:-1]
    err = optimal_prediction(p, mu, n_regions, "soft_dice", resolution) - p
    sign = np.sign(err)
    change = np.nonzero((sign[:-1] < 0) & (sign[1:] > 0))[0]
    if len(change) == 0:
        return float("nan")
    k = change[0]
    return float((p[k] + p[k + 1]) / 2)
