"""Generalised Dice loss (Sudre et al. 2017, §2.1; Crum et al. 2006).

.. math::

    \\mathrm{GDL} = 1 - 2\\,\\frac{\\sum_l w_l \\sum_n r_{ln} p_{ln} + \\epsilon_{nr}}
                          {\\sum_l w_l \\sum_n (r_{ln} + p_{ln}) + \\epsilon_{dr}}

with ``w_l = 1/(Σ_n r_ln)²`` ("square", the paper's GDL_v), ``1/Σ_n r_ln`` ("simple") or ``1``
("uniform"). In the terms of Chapter 1 this is a Dice loss whose subsets φ span the classes — Φ = "CI"
(one value per image, MONAI's ``batch=False``) or "BCI" (one value per batch, ``batch=True``) — with the
class weights *inside* the sums.

**Classes absent from the reference.** Their weight 1/0 would be infinite. As MONAI does, such a class
gets the largest weight of the classes present in the same φ, so false positives in it are still
penalised; if no class is present in a φ, every weight there is 0 and the loss of that φ is
``1 − ε_nr/ε_dr`` (0 with equal smoothing). The loss is never inf or NaN (``tests/test_generalized.py``).
"""

from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import nn

from dicecore.losses.dice import REDUCTIONS, ActivationLike, _reduce, prepare_inputs, reduction_dims
from dicecore.losses.sums import BACKENDS, dice_sums

__all__ = ["WEIGHT_TYPES", "generalized_dice_weights", "generalized_dice_loss", "GeneralizedDiceLoss"]

#: w_l = 1/V², 1/V or 1 (MONAI's ``w_type``).
WEIGHT_TYPES = ("square", "simple", "uniform")


def generalized_dice_weights(reference_volume: torch.Tensor, weight_type: str = "square") -> torch.Tensor:
    """w_l per φ and class from Σ_n r_ln (last dim = classes); absent classes get the φ's largest weight."""
    if weight_type not in WEIGHT_TYPES:
        raise ValueError(f"weight_type: unknown {weight_type!r}; choose one of {WEIGHT_TYPES}.")
    v = reference_volume.float() if reference_volume.dtype in (torch.float16, torch.bfloat16) else reference_volume
    if weight_type == "uniform":
        return torch.ones_like(v)
    w = torch.reciprocal(v * v if weight_type == "square" else v)
    absent = torch.isinf(w)
    w = torch.where(absent, torch.zeros_like(w), w)
    return torch.where(absent, w.amax(dim=-1, keepdim=True).expand_as(w), w)


def generalized_dice_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    phi: str = "CI",
    weight_type: str = "square",
    eps: float = 1e-5,
    *,
    smooth_nr: Optional[float] = None,
    smooth_dr: Optional[float] = None,
    include_background: bool = True,
    activation: ActivationLike = None,
    to_onehot_y: bool = False,
    reduction: str = "mean",
    validate: bool = True,
    closed_form_backward: bool = True,
    backend: str = "auto",
    soft_label: bool = False,
) -> torch.Tensor:
    """Generalised Dice loss of Sudre et al. (2017) over ``phi`` = "CI" (per image) or "BCI" (per batch).

    Same tensor conventions, input checks, ``closed_form_backward``, ``backend`` and ``soft_label`` as
    :func:`dicecore.losses.dice_loss` (``activation`` may be a callable); ``weight_type`` is "square" (GDL_v),
    "simple" or "uniform". ``reduction="none"`` returns one value per φ. The weights depend on the reference
    only, so the closed form is Eq. 4 with each class's terms scaled by its weight (:mod:`dicecore.losses.sums`).
    """
    if phi not in ("CI", "BCI"):
        raise ValueError(f"phi: the generalised Dice sums over the classes, so phi must be 'CI' or 'BCI', got {phi!r}.")
    if weight_type not in WEIGHT_TYPES:
        raise ValueError(f"weight_type: unknown {weight_type!r}; choose one of {WEIGHT_TYPES}.")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: unknown value {reduction!r}; choose one of {REDUCTIONS}.")
    closed_form = closed_form_backward and not soft_label and not (isinstance(target, torch.Tensor)
                                                                   and target.requires_grad)
    prep = prepare_inputs(
        input, target, eps=eps, smooth_nr=smooth_nr, smooth_dr=smooth_dr, include_background=include_background,
        activation=activation, to_onehot_y=to_onehot_y, validate=validate, keep_label_map=closed_form,
    )
    if closed_form:  # per (b, c) from the fused sums, then over the batch for BCI
        s = dice_sums(prep.probs_full, prep.target_full, backend=backend)
        keep = slice(prep.first_channel, None)
        tp, reference, prediction = s.intersection[:, keep], s.volume[:, keep], s.prediction[:, keep]
        if phi == "BCI":
            tp, reference, prediction = tp.sum(0), reference.sum(0), prediction.sum(0)
        union = reference + prediction
    else:
        p, y = prep.probs, prep.target
        dims = reduction_dims("I" if phi == "CI" else "BI", p.ndim)  # per (b, c) or per c
        acc = torch.promote_types(p.dtype, torch.float32)
        reference = torch.sum(y, dim=dims, dtype=acc)
        union = reference + torch.sum(p, dim=dims, dtype=acc)
        if soft_label:  # the intersection that stays exact for soft labels (dice_loss's soft_label)
            tp = (union - torch.sum((p - y).abs(), dim=dims, dtype=acc)) / 2
        else:
            tp = torch.sum(p * y, dim=dims, dtype=acc)
    w = generalized_dice_weights(reference, weight_type)
    numerator = 2.0 * (w * tp).sum(-1) + prep.smooth_nr
    denominator = (w * union).sum(-1) + prep.smooth_dr
    if validate and prep.smooth_dr == 0.0 and bool((denominator == 0).any()):
        raise ValueError("eps: with ε = 0 (smooth_dr=0) a φ with no label and no prediction gives 0/0; use eps > 0.")
    loss = _reduce(1.0 - numerator / denominator, None, reduction)
    return loss.to(input.dtype) if input.dtype in (torch.float16, torch.bfloat16) else loss


class GeneralizedDiceLoss(nn.Module):
    """Module form of :func:`generalized_dice_loss`: a complete drop-in for MONAI 1.6's
    ``monai.losses.GeneralizedDiceLoss``.

    Every keyword of MONAI's class in MONAI's order — ``include_background, to_onehot_y, sigmoid, softmax,
    other_act, w_type, reduction, smooth_nr, smooth_dr, batch, soft_label`` — with MONAI's defaults (ε = 1e-5
    here, as MONAI), values and shapes (``reduction="none"``: ``(B, 1, 1, …)``, or ``(1, 1, …)`` with
    ``batch=True``), compared in ``tests/test_generalized.py`` over random keyword combinations. Where MONAI
    warns and ignores a setting on a single channel, or would return NaN, this class raises an error naming
    the argument (as :class:`~dicecore.losses.dice.DiceLoss`).
    """

    def __init__(self, include_background: bool = True, to_onehot_y: bool = False, sigmoid: bool = False,
                 softmax: bool = False, other_act: Optional[Callable[[torch.Tensor], torch.Tensor]] = None,
                 w_type: str = "square", reduction: str = "mean", smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
                 batch: bool = False, soft_label: bool = False, *, validate: bool = True,
                 backend: str = "auto") -> None:
        super().__init__()
        if other_act is not None and not callable(other_act):
            raise TypeError(f"other_act: expected None or a callable, got {type(other_act).__name__}.")
        if int(sigmoid) + int(softmax) + int(other_act is not None) > 1:
            raise ValueError("sigmoid, softmax, other_act: choose at most one activation.")
        if backend not in BACKENDS:
            raise ValueError(f"backend: unknown value {backend!r}; choose one of {BACKENDS}.")
        if w_type not in WEIGHT_TYPES:
            raise ValueError(f"w_type: unknown {w_type!r}; choose one of {WEIGHT_TYPES}.")
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction: unknown value {reduction!r}; choose one of {REDUCTIONS}.")
        self.reduction = reduction
        self.kwargs = dict(
            phi="BCI" if batch else "CI", weight_type=w_type, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
            include_background=include_background,
            activation="sigmoid" if sigmoid else "softmax" if softmax else other_act,
            to_onehot_y=to_onehot_y, reduction=reduction, validate=validate, backend=backend, soft_label=soft_label,
        )

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = generalized_dice_loss(input, target, **self.kwargs)
        if self.reduction != "none":
            return loss
        # MONAI keeps the class axis it summed over: (B, 1, 1, …) per image, (1, 1, …) per batch
        keep = list(loss.shape) + [1] if loss.ndim == 1 else [1]
        return loss.reshape(keep + [1] * (input.ndim - 2))
