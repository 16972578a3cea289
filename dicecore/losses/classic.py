"""Two-class losses compared by Sudre et al. (2017, §2.1), as printed, on a foreground probability map.

All take ``input`` of shape ``(B, 1, *spatial)`` — foreground probabilities ``p``, or logits with
``activation="sigmoid"`` — and a binary reference ``r`` of the same shape (or a ``(B, *spatial)`` label map).
Sums run over one image (``phi="I"``, then the mean over the batch) or over the whole batch
(``phi="BI"``), as for the Dice losses of Chapter 1.

* :func:`weighted_cross_entropy` —
  ``WCE = −(1/N) Σ_n [w r_n log p_n + (1 − r_n) log(1 − p_n)]``. As printed, ``w = (N − Σ p)/Σ p`` is computed
  from the *prediction* (``weight_from="prediction"``) and differentiated through; the common variant
  (NiftyNet's, and most re-implementations') computes it from the *reference*, ``w = (N − Σ r)/Σ r``
  (``weight_from="reference"``), a constant per image. The two differ in value and in gradient.
* :func:`two_class_dice_loss` — ``DL₂ = 1 − (Σpr + ε)/(Σ(p + r) + ε) − (Σ(1−p)(1−r) + ε)/(Σ(2 − p − r) + ε)``:
  one minus the mean of the foreground and background Dice (the printed numerators lack the usual 2,
  which the ½ of the mean cancels).
* :func:`sensitivity_specificity_loss` —
  ``SS = λ Σ(r − p)² r / (Σ r + ε) + (1 − λ) Σ(r − p)² (1 − r) / (Σ(1 − r) + ε)``, λ = 0.05 (Brosch et al.).
"""

from __future__ import annotations

from typing import Optional

import torch

from dicecore.losses.dice import REDUCTIONS, _reduce, check_no_zero_denominator, prepare_inputs, reduction_dims

__all__ = ["weighted_cross_entropy", "two_class_dice_loss", "sensitivity_specificity_loss"]


def _binary(input, target, activation, validate, eps, loss_name):
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"input: expected a torch.Tensor of shape (B, 1, *spatial), got {type(input).__name__}.")
    if input.ndim >= 2 and input.shape[1] != 1:
        raise ValueError(f"input: {loss_name} is a two-class loss on one foreground map (B, 1, *spatial); "
                         f"got {input.shape[1]} channels.")
    if activation not in (None, "sigmoid"):
        raise ValueError(f"activation: {loss_name} takes probabilities or sigmoid logits, got {activation!r}.")
    prep = prepare_inputs(input, target, eps=eps, activation=activation, validate=validate)
    return prep.probs, prep.target


def _check(phi, reduction):
    if phi not in ("I", "BI"):
        raise ValueError(f"phi: these two-class losses sum per image ('I') or over the batch ('BI'), got {phi!r}.")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: unknown value {reduction!r}; choose one of {REDUCTIONS}.")


def weighted_cross_entropy(
    input: torch.Tensor, target: torch.Tensor, weight_from: str = "prediction", phi: str = "I",
    *, activation: Optional[str] = None, reduction: str = "mean", log_clamp: float = 1e-7, validate: bool = True,
) -> torch.Tensor:
    """Sudre et al.'s two-class weighted cross-entropy; ``weight_from`` "prediction" (as printed) or "reference".

    Where the weighting mass (Σp or Σr) of an image is 0, ``w = N/0`` is undefined; that image then uses
    ``w = 1`` (plain cross-entropy): without foreground there is nothing to re-weight. ``log_clamp`` keeps
    ``log`` finite at p ∈ {0, 1}.
    """
    _check(phi, reduction)
    if weight_from not in ("prediction", "reference"):
        raise ValueError(f"weight_from: 'prediction' (as printed) or 'reference', got {weight_from!r}.")
    p, r = _binary(input, target, activation, validate, 0.0, "weighted_cross_entropy")
    dims = reduction_dims(phi, p.ndim)
    n = torch.tensor(float(p[0].numel() if phi == "I" else p.numel()), dtype=p.dtype, device=p.device)
    mass = (p if weight_from == "prediction" else r).sum(dim=dims, keepdim=True)
    w = torch.where(mass > 0, (n - mass) / mass.clamp(min=torch.finfo(p.dtype).tiny), torch.ones_like(mass))
    pc = p.clamp(log_clamp, 1 - log_clamp)
    per_voxel = w * r * torch.log(pc) + (1 - r) * torch.log(1 - pc)
    loss = -per_voxel.sum(dim=dims) / n
    return _reduce(loss.reshape(-1), None, reduction)


def two_class_dice_loss(
    input: torch.Tensor, target: torch.Tensor, eps: float = 1e-5, phi: str = "I",
    *, activation: Optional[str] = None, reduction: str = "mean", validate: bool = True,
) -> torch.Tensor:
    """DL₂ of Sudre et al. (Milletari et al.'s two-class Dice loss), with ε as printed."""
    _check(phi, reduction)
    p, r = _binary(input, target, activation, validate, eps, "two_class_dice_loss")
    dims = reduction_dims(phi, p.ndim)
    fg_den, bg_den = (p + r).sum(dims) + eps, (2 - p - r).sum(dims) + eps
    check_no_zero_denominator(fg_den, phi, eps)  # ε = 0 and an empty foreground φ: 0/0
    check_no_zero_denominator(bg_den, phi, eps)  # ε = 0 and a φ that is all foreground
    fg = ((p * r).sum(dims) + eps) / fg_den
    bg = (((1 - p) * (1 - r)).sum(dims) + eps) / bg_den
    return _reduce((1 - fg - bg).reshape(-1), None, reduction)


def sensitivity_specificity_loss(
    input: torch.Tensor, target: torch.Tensor, lam: float = 0.05, eps: float = 1e-5, phi: str = "I",
    *, activation: Optional[str] = None, reduction: str = "mean", validate: bool = True,
) -> torch.Tensor:
    """SS of Brosch et al. as printed by Sudre et al.; ``lam`` = λ weights the sensitivity term."""
    _check(phi, reduction)
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam: λ must lie in [0, 1], got {lam}.")
    p, r = _binary(input, target, activation, validate, eps, "sensitivity_specificity_loss")
    dims = reduction_dims(phi, p.ndim)
    sq = (r - p) ** 2
    sens_den, spec_den = r.sum(dims) + eps, (1 - r).sum(dims) + eps
    check_no_zero_denominator(sens_den, phi, eps)  # ε = 0 and no foreground in the reference: 0/0
    check_no_zero_denominator(spec_den, phi, eps)
    sens = (sq * r).sum(dims) / sens_den
    spec = (sq * (1 - r)).sum(dims) / spec_den
    return _reduce((lam * sens + (1 - lam) * spec).reshape(-1), None, reduction)
