"""Evaluation metrics (per image) and significance tests.

Volumes follow Bertels et al. Eq. 3: the volume of a probabilistic map is the sum of its probabilities
(times the voxel volume), so ΔV = V(Ŷ) − V(Y) is computed on the soft prediction.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

__all__ = [
    "dice_score", "soft_dice_score", "volume", "volume_error", "mean_cross_entropy", "bootstrap_mean_test", "roc_auc",
    "roc_curve",
]


def _flat(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1).double()


def dice_score(pred_mask: torch.Tensor, target: torch.Tensor, empty_value: float = 1.0) -> torch.Tensor:
    """Hard Dice per image of binary masks (B, …); ``empty_value`` when both are empty."""
    p, t = _flat(pred_mask) > 0.5, _flat(target) > 0.5
    inter = (p & t).sum(1).double()
    total = (p.sum(1) + t.sum(1)).double()
    return torch.where(total > 0, 2 * inter / total.clamp(min=1), torch.full_like(total, empty_value))


def soft_dice_score(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 − SD per image (Bertels et al. Eq. 6), i.e. 2Σŷy / (Σŷ + Σy)."""
    p, t = _flat(probs), _flat(target)
    return 2 * (p * t).sum(1) / (p.sum(1) + t.sum(1)).clamp(min=1e-12)


def volume(probs: torch.Tensor, voxel_volume: float = 1.0) -> torch.Tensor:
    """V per image: the sum of the (soft) map times the voxel volume (Eq. 3)."""
    return _flat(probs).sum(1) * voxel_volume


def volume_error(probs: torch.Tensor, target: torch.Tensor, voxel_volume: float = 1.0) -> torch.Tensor:
    """ΔV = V(Ŷ) − V(Y) per image."""
    return volume(probs, voxel_volume) - volume(target, voxel_volume)


def mean_cross_entropy(probs: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Voxel-averaged binary cross-entropy per image (Eq. 5 divided by the number of voxels)."""
    p, t = _flat(probs).clamp(eps, 1 - eps), _flat(target)
    return -(t * p.log() + (1 - t) * (1 - p).log()).mean(1)


def bootstrap_mean_test(values, n_boot: int = 10_000, seed: int = 0,
                        alpha: float = 0.05, rng: Optional[np.random.Generator] = None) -> dict:
    """Non-parametric bootstrap test of H0: mean = 0 (two-sided), for per-subject values or paired differences.

    Returns the mean, the percentile confidence interval at level 1 − alpha and the bootstrap p-value
    (the share of resampled means, shifted to mean 0, at least as far from 0 as the observed mean).
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) < 2 or not np.all(np.isfinite(x)):
        raise ValueError("values: need a 1-D array of at least 2 finite values.")
    rng = rng or np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(n_boot, len(x)))].mean(1)
    centred = means - x.mean()  # the bootstrap distribution moved to satisfy H0
    p = (np.count_nonzero(np.abs(centred) >= abs(x.mean())) + 1) / (n_boot + 1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return {"mean": float(x.mean()), "ci_low": float(lo), "ci_high": float(hi), "p_value": float(p)}


def roc_auc(scores, positive) -> float:
    """Area under the ROC curve of ``scores`` for the boolean ``positive`` (Mann–Whitney, ties count ½)."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(positive, dtype=bool)
    if s.shape != y.shape or y.all() or not y.any():
        raise ValueError("scores, positive: need equal shapes and both classes present.")
    pos, neg = s[y], s[~y]
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def roc_curve(scores, positive) -> tuple[np.ndarray, np.ndarray]:
    """(false-positive rate, true-positive rate) at every threshold, from the highest score down."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(positive, dtype=bool)
    if s.shape != y.shape or y.all() or not y.any():
        raise ValueError("scores, positive: need equal shapes and both classes present.")
    order = np.argsort(-s, kind="stable")
    tp = np.concatenate([[0], np.cumsum(y[order])]) / y.sum()
    fp = np.concatenate([[0], np.cumsum(~y[order])]) / (~y).sum()
    return fp, tp
