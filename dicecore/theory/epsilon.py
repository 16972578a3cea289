"""The smoothing term ε and empty maps (Tilborghs, Bertels et al., MICCAI 2022, §2.2–2.3, Eq. 4–5).

Eq. 4 at a voxel with ``y_ω = 0`` is, without the ``1/|Φ|`` factor,

* in a φ that holds labels:           ``(2·Σyŷ + ε) / (Σ(y + ŷ) + ε)²``  → :func:`background_gradient`
* in a φ whose labels are all empty:  ``ε / (Σŷ + ε)²``                  → :func:`empty_map_gradient`

The paper's heuristic (Eq. 5) asks for the ε at which the second equals the first for a batch-wise φ of
infinite batch size, writing the intersection as ``a·v̂`` and the union as ``b·v̂`` with ``v̂ = Σŷ``:

.. math::  \\frac{2 a \\hat v}{(b \\hat v)^2} = \\frac{\\epsilon}{(\\hat v + \\epsilon)^2}.

With ``k = 2a/b²`` this is the quadratic ``k ε² + (2k − 1) v̂ ε + k v̂² = 0``, so

.. math::  \\epsilon_\\pm = \\hat v\\,\\frac{1 - 2k \\pm \\sqrt{1 - 4k}}{2k},

real only when ``k ≤ 1/4`` (``8a ≤ b²``); the two roots multiply to ``v̂²``. At the paper's ``a = 1/2,
b = 2`` we get ``k = 1/4``, a double root, and ``ε = v̂`` — which is also the ε that *maximises* the
empty-map gradient ``ε/(v̂ + ε)²`` (its maximum is ``1/(4v̂)``). For ``k > 1/4`` no ε makes the image-wise
loss push an empty map as hard as the batch-wise one does. :func:`eq5_epsilon` solves the general case;
:func:`heuristic_epsilon` estimates ``v̂ ≈ E Σ_{φ} y`` from a label set.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence, Union

import numpy as np
import torch

from dicecore.losses.dice import PHIS

__all__ = [
    "background_gradient",
    "empty_map_gradient",
    "eq5_epsilon",
    "heuristic_epsilon",
    "toy_batch",
]

ArrayLike = Union[np.ndarray, torch.Tensor, float]


def _as_float_array(x: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite, got {x!r}.")
    return arr


def empty_map_gradient(pred_volume: ArrayLike, eps: ArrayLike) -> np.ndarray:
    """``|∂DL/∂ŷ_ω| · |Φ|`` of Eq. 4 at any voxel of a φ with no label: ``ε / (Σŷ + ε)²``."""
    v = _as_float_array(pred_volume, "pred_volume")
    e = _as_float_array(eps, "eps")
    if np.any(v < 0) or np.any(e < 0):
        raise ValueError("pred_volume, eps: must be ≥ 0.")
    with np.errstate(divide="ignore", invalid="ignore"):
        return e / (v + e) ** 2


def background_gradient(intersection: ArrayLike, union: ArrayLike, eps: ArrayLike = 0.0) -> np.ndarray:
    """``|∂DL/∂ŷ_ω| · |Φ|`` of Eq. 4 at a voxel with y_ω = 0 in a labelled φ: ``(2·Σyŷ + ε) / (Σ(y + ŷ) + ε)²``."""
    i = _as_float_array(intersection, "intersection")
    u = _as_float_array(union, "union")
    e = _as_float_array(eps, "eps")
    if np.any(u <= 0):
        raise ValueError("union: Σ(y + ŷ) must be > 0 in a labelled φ.")
    return (2 * i + e) / (u + e) ** 2


def eq5_epsilon(v_hat: ArrayLike, a: ArrayLike = 0.5, b: ArrayLike = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Solve Eq. 5 for ε: the two roots ``(ε₋, ε₊)``, NaN where no real root exists (``8a > b²``).

    Args:
        v_hat: the expected predicted volume v̂ = Σ_{φ} ŷ (voxels), > 0.
        a: intersection as a fraction of v̂ (Σyŷ = a·v̂), > 0.
        b: union as a multiple of v̂ (Σ(y + ŷ) = b·v̂), > 0.

    All three broadcast against each other. At ``a = 1/2, b = 2`` both roots equal v̂.
    """
    v = _as_float_array(v_hat, "v_hat")
    a_ = _as_float_array(a, "a")
    b_ = _as_float_array(b, "b")
    if np.any(v <= 0):
        raise ValueError("v_hat: the predicted volume must be > 0.")
    if np.any(a_ <= 0) or np.any(b_ <= 0):
        raise ValueError("a, b: the intersection and union factors must be > 0.")
    k = 2 * a_ / b_**2
    disc = 1 - 4 * k
    with np.errstate(invalid="ignore"):
        root = np.sqrt(np.where(disc >= 0, disc, np.nan))
    lower = v * (1 - 2 * k - root) / (2 * k)
    upper = v * (1 - 2 * k + root) / (2 * k)
    return lower, upper


def heuristic_epsilon(
    labels: Union[np.ndarray, torch.Tensor, Iterable[Union[np.ndarray, torch.Tensor]]],
    phi: str = "I",
    batch_size: int = 1,
    weights: Optional[Iterable[float]] = None,
) -> np.ndarray:
    """The paper's ε heuristic (§2.3, setup I_ε): ``ε = E Σ_{φ∈Φ} y`` estimated from a label set.

    Args:
        labels: binary/one-hot labels, an array ``(N, C, *spatial)`` or any iterable (list, generator) of N
            arrays ``(C, *spatial)`` whose spatial sizes may differ. Empty maps (e.g. partially labelled
            samples) count as zero.
        phi: the partition the ε is for. ``"I"``/``"BI"`` give one ε per class, ``"CI"``/``"BCI"`` one value.
        batch_size: B, for the batch-wise partitions (a φ then holds B samples: ``E Σ = B · E Σ_sample``).
        weights: optional sampling weight per sample (e.g. 3 for every ED and 1 for every ES frame when ED
            and ES are sampled 3:1, as for ACDC in the paper).

    Returns:
        array of shape (C,) for I/BI, shape () for CI/BCI, in voxels.
    """
    if phi not in PHIS:
        raise ValueError(f"phi: unknown partition {phi!r}; choose one of {PHIS}.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: must be a positive integer, got {batch_size!r}.")
    if isinstance(labels, (np.ndarray, torch.Tensor)) and labels.ndim < 3:
        raise ValueError(f"labels: expected (N, C, *spatial), got shape {tuple(labels.shape)}.")
    volumes = []
    n_classes = None
    for k, s in enumerate(labels):  # any iterable: a generator keeps one sample in memory at a time
        arr = _as_float_array(s, f"labels[{k}]")
        if arr.ndim < 2:
            raise ValueError(f"labels[{k}]: expected (C, *spatial), got shape {arr.shape}.")
        if n_classes is None:
            n_classes = arr.shape[0]
        elif arr.shape[0] != n_classes:
            raise ValueError(f"labels[{k}]: has {arr.shape[0]} classes, the first sample has {n_classes}.")
        if arr.min() < 0 or arr.max() > 1:
            raise ValueError(f"labels[{k}]: labels must be binary/one-hot in [0, 1].")
        volumes.append(arr.reshape(arr.shape[0], -1).sum(axis=1))
    if not volumes:
        raise ValueError("labels: empty label set; need at least one sample.")
    vol = np.stack(volumes)  # (N, C)
    w = np.ones(len(vol)) if weights is None else _as_float_array(list(weights), "weights")
    if w.shape != (len(vol),) or np.any(w < 0) or w.sum() == 0:
        raise ValueError(f"weights: need {len(vol)} non-negative weights with a positive sum.")
    per_class = (w[:, None] * vol).sum(axis=0) / w.sum()
    if phi in ("CI", "BCI"):
        per_class = np.asarray(per_class.sum())
    return per_class * (batch_size if phi in ("BI", "BCI") else 1)


def toy_batch(
    batch_size: int,
    n_voxels: int = 1000,
    label_volume: float = 100.0,
    pred_volume: float = 100.0,
    overlap: float = 0.5,
    empty: Sequence[int] = (0,),
    empty_pred_volume: Optional[float] = None,
    dtype: torch.dtype = torch.float64,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A (B, 1, n_voxels) prediction/label pair for studying Eq. 4 on empty maps.

    Labelled samples have ``label_volume`` foreground voxels and a prediction of total mass ``pred_volume``
    of which the fraction ``overlap`` lies on the label (so Σyŷ = overlap·pred_volume). Samples listed in
    ``empty`` have an empty label map and a uniform prediction of mass ``empty_pred_volume`` (default
    ``pred_volume``). Used by Chapter 1 to plot the empty-map gradient against Σŷ, ε and B.
    """
    if batch_size < 1 or n_voxels < 2:
        raise ValueError("batch_size, n_voxels: need batch_size ≥ 1 and n_voxels ≥ 2.")
    if not 0 < label_volume < n_voxels:
        raise ValueError(f"label_volume: must lie in (0, n_voxels={n_voxels}), got {label_volume}.")
    if not 0.0 <= overlap <= 1.0:
        raise ValueError(f"overlap: a fraction in [0, 1], got {overlap}.")
    n_fg = int(round(label_volume))
    inside, outside = overlap * pred_volume, (1 - overlap) * pred_volume
    if inside > n_fg or outside > n_voxels - n_fg:
        raise ValueError("pred_volume: too large to spread as probabilities ≤ 1 over the voxels given.")
    empty_mass = pred_volume if empty_pred_volume is None else empty_pred_volume
    if not 0 <= empty_mass <= n_voxels:
        raise ValueError(f"empty_pred_volume: must lie in [0, n_voxels={n_voxels}].")
    target = torch.zeros(batch_size, 1, n_voxels, dtype=dtype)
    pred = torch.zeros(batch_size, 1, n_voxels, dtype=dtype)
    for b in range(batch_size):
        if b in empty:
            pred[b, 0, :] = empty_mass / n_voxels
        else:
            target[b, 0, :n_fg] = 1.0
            pred[b, 0, :n_fg] = inside / n_fg
            pred[b, 0, n_fg:] = outside / (n_voxels - n_fg)
    return pred, target
