"""Evaluation metrics (per image) and significance tests.

Volumes follow Bertels et al. Eq. 3: the volume of a probabilistic map is the sum of its probabilities
(times the voxel volume), so ΔV = V(Ŷ) − V(Y) is computed on the soft prediction.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

__all__ = [
    "surface_dice", "segmentation_metrics", "summarise_segmentation", "dice_score", "soft_dice_score", "volume", "volume_error", "mean_cross_entropy", "bootstrap_mean_test", "roc_auc",
    "roc_curve",
]


def _flat(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1).double()


def _check_map(name: str, x, kind: str) -> None:
    """``kind``: "probabilities" (finite, in [0, 1]), "binary" (0/1 or bool) or "values" (finite)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor of shape (B, …), got {type(x).__name__}.")
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"{name}: expected a non-empty batch (B, …), got shape {tuple(x.shape)}.")
    if x.dtype == torch.bool:
        return
    if x.is_complex() or not (x.is_floating_point() or x.dtype in (torch.uint8, torch.int8, torch.int16,
                                                                   torch.int32, torch.int64)):
        raise TypeError(f"{name}: expected a real (float, int or bool) tensor, got {x.dtype}.")
    xf = x.double()
    if not bool(torch.isfinite(xf).all()):
        raise ValueError(f"{name}: contains NaN or Inf; check the network output or the label file.")
    if kind == "probabilities" and (bool((xf < 0).any()) or bool((xf > 1).any())):
        raise ValueError(f"{name}: probabilities must lie in [0, 1], found [{xf.min().item():g}, "
                         f"{xf.max().item():g}]; apply a sigmoid/softmax first.")
    if kind == "binary" and not bool(((xf == 0) | (xf == 1)).all()):
        bad = sorted({v for v in torch.unique(xf).tolist() if v not in (0.0, 1.0)})[:5]
        raise ValueError(f"{name}: expected a binary mask (0/1), found values {bad}; for a label map with C "
                         "classes compare one class at a time (target == c).")


def _check_pair(name_a: str, a, kind_a: str, name_b: str, b, kind_b: str) -> None:
    _check_map(name_a, a, kind_a)
    _check_map(name_b, b, kind_b)
    if a.shape != b.shape:
        raise ValueError(f"{name_a}, {name_b}: shapes differ, {tuple(a.shape)} vs {tuple(b.shape)}; "
                         "they must describe the same images.")


def dice_score(pred_mask: torch.Tensor, target: torch.Tensor, empty_value: float = 1.0) -> torch.Tensor:
    """Hard Dice per image of binary masks (B, …); ``empty_value`` when both are empty.

    ``pred_mask`` may be a bool mask or probabilities (thresholded at 0.5); ``target`` must be binary.
    """
    _check_pair("pred_mask", pred_mask, "probabilities", "target", target, "binary")
    p, t = _flat(pred_mask) > 0.5, _flat(target) > 0.5
    inter = (p & t).sum(1).double()
    total = (p.sum(1) + t.sum(1)).double()
    return torch.where(total > 0, 2 * inter / total.clamp(min=1), torch.full_like(total, empty_value))


def soft_dice_score(probs: torch.Tensor, target: torch.Tensor, empty_value: float = 1.0) -> torch.Tensor:
    """1 − SD per image (Bertels et al. Eq. 6), i.e. 2Σŷy / (Σŷ + Σy); ``empty_value`` when both sums are 0."""
    _check_pair("probs", probs, "probabilities", "target", target, "probabilities")
    p, t = _flat(probs), _flat(target)
    total = p.sum(1) + t.sum(1)
    return torch.where(total > 0, 2 * (p * t).sum(1) / total.clamp(min=1e-300),
                       torch.full_like(total, empty_value))


def volume(probs: torch.Tensor, voxel_volume: float = 1.0) -> torch.Tensor:
    """V per image: the sum of the (soft) map times the voxel volume (Eq. 3)."""
    _check_map("probs", probs, "probabilities")
    if not (isinstance(voxel_volume, (int, float)) and voxel_volume > 0 and np.isfinite(voxel_volume)):
        raise ValueError(f"voxel_volume: expected a positive finite number (ml or mm³ per voxel), got {voxel_volume!r}.")
    return _flat(probs).sum(1) * voxel_volume


def volume_error(probs: torch.Tensor, target: torch.Tensor, voxel_volume: float = 1.0) -> torch.Tensor:
    """ΔV = V(Ŷ) − V(Y) per image."""
    _check_pair("probs", probs, "probabilities", "target", target, "probabilities")
    return volume(probs, voxel_volume) - volume(target, voxel_volume)


def mean_cross_entropy(probs: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Voxel-averaged binary cross-entropy per image (Eq. 5 divided by the number of voxels)."""
    _check_pair("probs", probs, "probabilities", "target", target, "probabilities")
    if not 0 < eps < 0.5:
        raise ValueError(f"eps: the log clamp must lie in (0, 0.5), got {eps!r}.")
    p, t = _flat(probs).clamp(eps, 1 - eps), _flat(target)
    return -(t * p.log() + (1 - t) * (1 - p).log()).mean(1)


def bootstrap_mean_test(values, n_boot: int = 10_000, seed: int = 0,
                        alpha: float = 0.05, rng: Optional[np.random.Generator] = None) -> dict:
    """Non-parametric bootstrap test of H0: mean = 0 (two-sided), for per-subject values or paired differences.

    Returns the mean, the percentile confidence interval at level 1 − alpha and the bootstrap p-value
    (the share of resampled means, shifted to mean 0, at least as far from 0 as the observed mean).
    """
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"values: expected numbers, got {type(values).__name__} ({err}).") from err
    if x.ndim != 1 or len(x) < 2 or not np.all(np.isfinite(x)):
        raise ValueError("values: need a 1-D array of at least 2 finite values.")
    if not (isinstance(n_boot, int) and n_boot >= 100):
        raise ValueError(f"n_boot: need an integer ≥ 100 resamples, got {n_boot!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: must lie in (0, 1), got {alpha!r}.")
    rng = rng or np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(n_boot, len(x)))].mean(1)
    centred = means - x.mean()  # the bootstrap distribution moved to satisfy H0
    p = (np.count_nonzero(np.abs(centred) >= abs(x.mean())) + 1) / (n_boot + 1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return {"mean": float(x.mean()), "ci_low": float(lo), "ci_high": float(hi), "p_value": float(p)}


def _roc_inputs(scores, positive) -> tuple[np.ndarray, np.ndarray]:
    try:
        s = np.asarray(scores, dtype=float)
    except (TypeError, ValueError) as err:
        raise TypeError(f"scores: expected numbers, got {type(scores).__name__} ({err}).") from err
    raw = np.asarray(positive)
    if raw.dtype != bool and not np.isin(raw, (0, 1)).all():
        raise ValueError("positive: expected booleans (or 0/1) marking the positive cases.")
    y = raw.astype(bool)
    if s.ndim != 1 or s.shape != y.shape:
        raise ValueError(f"scores, positive: need two 1-D arrays of equal length, got {s.shape} and {y.shape}.")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores: contains NaN or Inf.")
    if y.all() or not y.any():
        raise ValueError("positive: both classes must be present (some True and some False) for a ROC curve.")
    return s, y


def roc_auc(scores, positive) -> float:
    """Area under the ROC curve of ``scores`` for the boolean ``positive`` (Mann–Whitney, ties count ½)."""
    s, y = _roc_inputs(scores, positive)
    pos, neg = s[y], s[~y]
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def roc_curve(scores, positive) -> tuple[np.ndarray, np.ndarray]:
    """(false-positive rate, true-positive rate) at every threshold, from the highest score down."""
    s, y = _roc_inputs(scores, positive)
    order = np.argsort(-s, kind="stable")
    tp = np.concatenate([[0], np.cumsum(y[order])]) / y.sum()
    fp = np.concatenate([[0], np.cumsum(~y[order])]) / (~y).sum()
    return fp, tp


# --------------------------------------------------------------------- multi-class label maps (Chapter 5)
def _edges(mask: np.ndarray) -> np.ndarray:
    from scipy.ndimage import binary_erosion

    return mask & ~binary_erosion(mask)


def surface_dice(pred_mask, target_mask, tolerance: float = 1.0, spacing=None) -> float:
    """Normalised surface distance (NSD) of Nikolov et al., Hosseini Eq. 6, for two binary masks (2-D or 3-D).

    ``NSD = (|S_y ∩ B_p^τ| + |S_p ∩ B_y^τ|) / (|S_y| + |S_p|)``: the share of border pixels of each mask that
    lie within ``tolerance`` (in the units of ``spacing``, default pixels) of the other mask's border.
    Borders are the mask minus its erosion, distances Euclidean — MONAI's ``compute_surface_dice`` with
    ``use_subvoxels=False`` (checked in ``tests/test_segmentation_metrics.py``). Both masks empty: NaN (undefined,
    as MONAI); one empty: 0.
    """
    from scipy.ndimage import distance_transform_edt

    p, t = np.asarray(pred_mask, dtype=bool), np.asarray(target_mask, dtype=bool)
    if p.shape != t.shape or p.ndim not in (2, 3):
        raise ValueError(f"pred_mask, target_mask: need two 2-D or 3-D masks of one shape, got {p.shape} and {t.shape}.")
    if not (np.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance: the boundary tolerance τ must be a finite number ≥ 0, got {tolerance!r}.")
    sp = None if spacing is None else tuple(float(v) for v in np.broadcast_to(spacing, (p.ndim,)))
    edge_p, edge_t = _edges(p), _edges(t)
    total = edge_p.sum() + edge_t.sum()
    if total == 0:
        return float("nan")
    if edge_p.sum() == 0 or edge_t.sum() == 0:
        return 0.0
    dist_to_t = distance_transform_edt(~edge_t, sampling=sp)
    dist_to_p = distance_transform_edt(~edge_p, sampling=sp)
    good = (dist_to_t[edge_p] <= tolerance).sum() + (dist_to_p[edge_t] <= tolerance).sum()
    return float(good / total)


def segmentation_metrics(pred_labels, target_labels, num_classes: int, tolerance: float = 1.0,
                         spacing=None) -> "pd.DataFrame":
    """Per image and foreground class: Dice, IoU, precision, recall and NSD (Hosseini §3.2) of label maps.

    ``pred_labels``, ``target_labels``: integer arrays ``(B, *spatial)`` with values in 0 … C − 1 (0 is the
    background). A score whose denominator is 0 (e.g. Dice when the class is in neither map, precision when
    it is not predicted) is NaN, left out of the means of :func:`summarise_segmentation`.
    """
    import pandas as pd

    pred = np.asarray(pred_labels.cpu() if isinstance(pred_labels, torch.Tensor) else pred_labels)
    target = np.asarray(target_labels.cpu() if isinstance(target_labels, torch.Tensor) else target_labels)
    if pred.shape != target.shape:
        raise ValueError(f"pred_labels, target_labels: shapes differ, {pred.shape} vs {target.shape}.")
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes: need an integer ≥ 2 (background + classes), got {num_classes!r}.")
    for name, arr in (("pred_labels", pred), ("target_labels", target)):
        if not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() >= num_classes:
            raise ValueError(f"{name}: expected integer labels in 0 … {num_classes - 1}, got dtype {arr.dtype} and "
                             f"range [{arr.min()}, {arr.max()}].")
    rows = []
    nan = float("nan")
    for b in range(pred.shape[0]):
        for c in range(1, num_classes):
            p, t = pred[b] == c, target[b] == c
            tp, fp, fn = int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum())
            rows.append({
                "image": b, "class": c,
                "dice": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else nan,
                "iou": tp / (tp + fp + fn) if tp + fp + fn else nan,
                "precision": tp / (tp + fp) if tp + fp else nan,
                "recall": tp / (tp + fn) if tp + fn else nan,
                "nsd": surface_dice(p, t, tolerance, spacing),
            })
    return pd.DataFrame(rows)


def summarise_segmentation(per_image: "pd.DataFrame") -> dict:
    """mDice, mIoU, mNSD, mPrec., mRec. (percent, means over images and foreground classes, NaN left out) and
    the Dice of each class, as in Hosseini's Tables 1–3."""
    out = {f"m{k}": 100 * float(per_image[v].mean()) for k, v in  # pandas' mean leaves NaN out
           (("Dice", "dice"), ("IoU", "iou"), ("NSD", "nsd"), ("Prec.", "precision"), ("Rec.", "recall"))}
    for c, d in per_image.groupby("class"):
        out[f"Dice {c}"] = 100 * float(d["dice"].mean())
    return out
