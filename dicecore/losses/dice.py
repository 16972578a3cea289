"""Soft Dice loss over an explicit partition Φ (Tilborghs, Bertels et al., MICCAI 2022, Eq. 3).

For a ground truth ``y`` and a prediction ``ŷ`` with values ``y[b, c, i]``, a family ``Φ`` of
disjoint subsets ``φ`` of the index domain ``Ω = B × C × I`` and a smoothing term ``ε``:

.. math::

    \\mathrm{DL}(Y, \\tilde Y) = 1 - \\frac{1}{|\\Phi|}\\sum_{\\phi\\in\\Phi}
        \\frac{2\\sum_{\\varphi\\in\\phi} y_\\varphi\\tilde y_\\varphi + \\epsilon}
             {\\sum_{\\varphi\\in\\phi} (y_\\varphi + \\tilde y_\\varphi) + \\epsilon}

The four partitions of the paper's Fig. 1 are named by the dimensions each ``φ`` spans:

==========  =====================  ================  ===========
``phi``     one φ per              reduces over      ``|Φ|``
==========  =====================  ================  ===========
``"I"``     (b, c): image-wise     spatial           B·C
``"CI"``    b: class-wise          classes, spatial  B
``"BI"``    c: batch-wise          batch, spatial    C
``"BCI"``   —: all-wise            everything        1
==========  =====================  ================  ===========

``squared=True`` is the L2 relaxation of V-Net (Milletari et al. 2016): the denominator becomes
``Σ(y² + ŷ²) + ε``. ``smooth_nr``/``smooth_dr`` split ε into a numerator and a denominator term as MONAI
does. The closed-form gradient of this loss (Eq. 4) is :func:`dicecore.grad.dice_loss_grad`.

Three variants that MONAI's ``DiceLoss`` offers are here too, so that :class:`DiceLoss` is a complete
drop-in (none is used by the papers of the book):

* ``jaccard=True``: the soft Jaccard loss, ``1 − (2I + ε_nr) / (2(Σŷ^k + Σy^k − I) + ε_dr)`` with
  ``I = Σ y ŷ`` (MONAI's scaling: numerator and denominator of IoU doubled);
* ``soft_label=True``: the intersection written as ``I = (Σŷ + Σy − Σ|ŷ − y|) / 2`` (Wang et al. 2023),
  which equals ``Σ y ŷ`` for hard labels and stays a semimetric for soft ones;
* ``ignore_index``: voxels labelled ``ignore_index`` are left out of every sum (prediction and reference
  multiplied by a mask, as MONAI).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Union

import torch
from torch import nn

__all__ = ["PHIS", "reduction_dims", "phi_count", "dice_loss", "DiceLoss", "monai_none_shape", "WeightLike",
           "ActivationLike"]

#: The partitions Φ of the paper's Fig. 1, named by the dimensions one subset φ spans.
PHIS = ("I", "CI", "BI", "BCI")
ACTIVATIONS = (None, "sigmoid", "softmax")  # or any callable (MONAI's other_act)
REDUCTIONS = ("mean", "sum", "none")

#: Per-class weights — one number, one per class, or ``None``.
WeightLike = Union[Sequence[float], torch.Tensor, float, None]
#: ``None``, ``"sigmoid"``, ``"softmax"`` or a callable such as MONAI's ``other_act``.
ActivationLike = Union[str, Callable[[torch.Tensor], torch.Tensor], None]


def _check_phi(phi: str) -> str:
    if phi not in PHIS:
        raise ValueError(
            f"phi: unknown partition {phi!r}; choose one of {PHIS} "
            "(I image-wise, CI class-wise, BI batch-wise, BCI all-wise)."
        )
    return phi


def reduction_dims(phi: str, ndim: int) -> tuple[int, ...]:
    """Tensor dimensions summed inside one subset φ, for a ``(B, C, *spatial)`` tensor of ``ndim`` dims."""
    _check_phi(phi)
    spatial = tuple(range(2, ndim))
    return {"I": spatial, "CI": (1,) + spatial, "BI": (0,) + spatial, "BCI": (0, 1) + spatial}[phi]


def phi_count(phi: str, batch_size: int, num_classes: int) -> int:
    """``|Φ|``, the number of subsets φ (the ``1/|Φ|`` of Eq. 3 and Eq. 4)."""
    _check_phi(phi)
    return {"I": batch_size * num_classes, "CI": batch_size, "BI": num_classes, "BCI": 1}[phi]


@dataclass
class _Prepared:
    """Inputs of Eq. 3 after activation, one-hot conversion and background removal."""

    probs_full: torch.Tensor  # activated prediction, all channels (needed to chain the softmax)
    probs: torch.Tensor  # the ŷ of Eq. 3 (background removed if asked)
    target: Optional[torch.Tensor]  # the y of Eq. 3, same shape as probs (None when a label map is kept)
    target_full: torch.Tensor  # y for all channels: one-hot/soft (B, C, *spatial), or the label map (B, *spatial)
    first_channel: int  # 0, or 1 when the background channel was dropped
    smooth_nr: float
    smooth_dr: float
    weight: Optional[torch.Tensor]
    mask: Optional[torch.Tensor] = None  # (B, 1, *spatial): 0 where the label is ignore_index (already applied)


def _finite_range(x: torch.Tensor) -> tuple[float, float]:
    """(min, max) in one pass; NaN propagates into both, ±inf shows in them."""
    lo, hi = torch.aminmax(x.detach())
    return float(lo), float(hi)


def _one_hot(labels: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(B, 1, *spatial) class indices → one-hot with the shape and dtype of ``like``."""
    return torch.zeros_like(like).scatter_(1, labels.long(), 1)


def prepare_inputs(
    input: torch.Tensor,
    target: torch.Tensor,
    *,
    eps: float = 1e-7,
    smooth_nr: Optional[float] = None,
    smooth_dr: Optional[float] = None,
    include_background: bool = True,
    activation: ActivationLike = None,
    to_onehot_y: bool = False,
    weight: WeightLike = None,
    validate: bool = True,
    keep_label_map: bool = False,
    ignore_index: Optional[int] = None,
) -> _Prepared:
    """Validate and normalise the arguments shared by :func:`dice_loss` and :func:`~dicecore.grad.dice_loss_grad`.

    With ``keep_label_map=True`` an integer label map (C ≥ 2) is validated but not expanded to one-hot: it is
    returned as ``target_full`` of shape ``(B, *spatial)`` for :func:`~dicecore.losses.sums.dice_sums`, and
    ``target`` is ``None``. ``activation`` may be a callable (MONAI's ``other_act``): its output is checked to
    be probabilities. ``ignore_index`` (never with ``keep_label_map``): the mask of MONAI's
    ``create_ignore_mask`` is built from the target as given and multiplied into ``probs`` and ``target``.
    """
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"input: expected a torch.Tensor of shape (B, C, *spatial), got {type(input).__name__}.")
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target: expected a torch.Tensor, got {type(target).__name__}.")
    if input.ndim < 3:
        raise ValueError(
            f"input: expected (B, C, *spatial) with at least one spatial dimension, got shape {tuple(input.shape)}; "
            "add the missing batch or channel axis with unsqueeze()."
        )
    if not torch.is_floating_point(input):
        raise TypeError(f"input: expected a floating-point tensor of probabilities or logits, got {input.dtype}.")
    if activation not in ACTIVATIONS and not callable(activation):
        raise ValueError(f"activation: unknown value {activation!r}; choose one of {ACTIVATIONS} or pass a callable.")
    if ignore_index is not None and (isinstance(ignore_index, bool) or not isinstance(ignore_index, int)):
        raise TypeError(f"ignore_index: expected an integer label value (or None), got {ignore_index!r}.")
    smooth_nr = eps if smooth_nr is None else smooth_nr
    smooth_dr = eps if smooth_dr is None else smooth_dr
    for name, value in (("eps", eps), ("smooth_nr", smooth_nr), ("smooth_dr", smooth_dr)):
        if not (float(value) >= 0.0) or value == float("inf"):
            raise ValueError(f"{name}: smoothing must be a finite number ≥ 0, got {value!r}.")
    n_classes = input.shape[1]
    if activation == "softmax" and n_classes == 1:
        raise ValueError("activation: softmax over a single channel is constant 1; use activation='sigmoid' for C=1.")

    if validate:
        lo, hi = _finite_range(input)
        if lo != lo or hi != hi or abs(lo) == float("inf") or abs(hi) == float("inf"):
            raise ValueError("input: contains NaN or Inf; check the network output (e.g. a diverged training step).")
        if activation is None and (lo < 0.0 or hi > 1.0):
            raise ValueError(
                f"input: values in [{lo:.4g}, {hi:.4g}] are not probabilities in [0, 1]; "
                "pass activation='sigmoid' or 'softmax' if these are logits."
            )

    # --- target: label map -> one-hot -----------------------------------------------------------
    if ignore_index is not None and keep_label_map:
        raise ValueError("ignore_index: masking needs the dense target; call with keep_label_map=False.")
    spatial = tuple(input.shape[2:])
    mask = None
    label_map = to_onehot_y or (target.ndim == input.ndim - 1 and not torch.is_floating_point(target))
    labels = None  # the label map itself, when kept (keep_label_map)
    if label_map:
        if target.ndim == input.ndim - 1:
            target = target.unsqueeze(1)
        if target.ndim != input.ndim or target.shape[1] != 1:
            raise ValueError(
                f"target: a label map must have shape (B, 1, *spatial) or (B, *spatial), got {tuple(target.shape)}."
            )
        if (target.shape[0],) + tuple(target.shape[2:]) != (input.shape[0],) + spatial:
            raise ValueError(
                f"target: label map shape {tuple(target.shape)} does not match input {tuple(input.shape)} "
                "in the batch or spatial dimensions."
            )
        if ignore_index is not None:  # MONAI: mask from the labels; an index outside [0, C) becomes 0 first
            mask = (target != ignore_index).to(input.dtype)
            if not 0 <= ignore_index < max(n_classes, 2):
                target = torch.where(target == ignore_index, torch.zeros_like(target), target)
        if validate:
            lo, hi = _finite_range(target)
            if lo != lo or hi != hi:
                raise ValueError("target: label map contains NaN.")
            top = max(n_classes - 1, 1)  # a single (sigmoid) channel takes a binary mask
            if lo < 0 or hi > top:
                raise ValueError(
                    f"target: label values must lie in [0, {top}] for C={n_classes} input channels, "
                    f"found range [{lo:g}, {hi:g}]."
                )
            if torch.is_floating_point(target) and not torch.equal(target, target.round()):
                raise ValueError("target: a label map must hold integer class indices, found fractional values.")
        if n_classes == 1:
            target = target.to(input.dtype)
        elif keep_label_map:
            labels = target.squeeze(1)
            labels = labels if not torch.is_floating_point(labels) else labels.to(torch.int64)
        else:
            target = _one_hot(target, like=input)
    else:
        if target.dtype == torch.bool:
            target = target.to(input.dtype)
        if target.ndim != input.ndim:
            raise ValueError(
                f"target: expected {input.ndim} dims (B, C, *spatial) like input {tuple(input.shape)}, got "
                f"{tuple(target.shape)}; pass an integer label map of shape (B, *spatial) or set to_onehot_y=True."
            )
        if target.shape != input.shape:
            hint = " For an integer label map with 1 channel pass to_onehot_y=True." if target.shape[1] == 1 else ""
            raise ValueError(
                f"target: shape {tuple(target.shape)} does not match input shape {tuple(input.shape)}.{hint}"
            )
        if validate:
            lo, hi = _finite_range(target)
            if lo != lo or hi != hi or abs(lo) == float("inf") or abs(hi) == float("inf"):
                raise ValueError("target: contains NaN or Inf; check the label file or the label transform.")
            if lo < 0.0 or hi > 1.0:
                raise ValueError(
                    f"target: one-hot/soft labels must lie in [0, 1] and be finite, found range [{lo:g}, {hi:g}]."
                )
        target = target.to(input.dtype)
        if ignore_index is not None:
            if n_classes == 1:
                mask = (target != ignore_index).to(input.dtype)
            elif 0 <= ignore_index < n_classes:  # that class's voxels leave every class's sums
                mask = 1.0 - target[:, ignore_index:ignore_index + 1]
            else:  # a sentinel: voxels with no label at all
                mask = (target.sum(dim=1, keepdim=True) > 0).to(input.dtype)

    # --- activation -------------------------------------------------------------------------------
    if activation == "sigmoid":
        probs_full = torch.sigmoid(input)
    elif activation == "softmax":
        probs_full = torch.softmax(input, dim=1)
    elif callable(activation):
        probs_full = activation(input)
        if not isinstance(probs_full, torch.Tensor) or probs_full.shape != input.shape:
            raise ValueError(f"activation: the callable must return a tensor of the input's shape {tuple(input.shape)}.")
        if validate:
            lo, hi = _finite_range(probs_full)
            if not (0.0 <= lo and hi <= 1.0):
                raise ValueError(f"activation: the callable returned values in [{lo:.4g}, {hi:.4g}], not probabilities "
                                 "in [0, 1]; use an activation that maps to [0, 1] (e.g. torch.sigmoid), or "
                                 "validate=False to accept them as MONAI does.")
    else:
        probs_full = input

    first = 0
    probs = probs_full
    target_full = target if labels is None else labels
    target = target if labels is None else None
    if not include_background:
        if n_classes == 1:
            raise ValueError(
                "include_background: False needs at least 2 channels; with C=1 there is no background channel to drop."
            )
        first = 1
        probs, target = probs_full[:, 1:], (None if target is None else target[:, 1:])
    if mask is not None:
        probs, target = probs * mask, target * mask

    w = None
    if weight is not None:
        w = torch.as_tensor(weight, dtype=torch.float32, device=input.device).flatten()
        n_kept = probs.shape[1]
        if w.numel() == 1:
            w = w.expand(n_kept)
        if w.numel() != n_kept:
            raise ValueError(
                f"weight: expected {n_kept} per-class weights (one per channel kept"
                f"{', background excluded' if first else ''}), got {w.numel()}."
            )
        if bool((w < 0).any()) or not bool(torch.isfinite(w).all()):
            raise ValueError("weight: per-class weights must be finite and ≥ 0.")
    return _Prepared(probs_full, probs, target, target_full, first, float(smooth_nr), float(smooth_dr), w, mask)


def dice_terms(
    probs: torch.Tensor, target: torch.Tensor, phi: str, squared: bool, smooth_nr: float, smooth_dr: float,
    *, jaccard: bool = False, soft_label: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Numerator ``N_φ = 2Σyŷ + ε_nr`` and denominator ``D_φ = Σ(y + ŷ) + ε_dr`` of Eq. 3, one per φ.

    ``jaccard``: ``D_φ = 2(Σ(y + ŷ) − Σyŷ) + ε_dr`` instead (soft IoU, MONAI's scaling). ``soft_label``: the
    intersection as ``(Σŷ + Σy − Σ|ŷ − y|)/2`` (equal to ``Σyŷ`` for hard labels; only for ``squared=False``,
    where the two differ). Sums accumulate in float32 at least (bfloat16/float16 inputs under mixed precision).
    """
    dims = reduction_dims(phi, probs.ndim)
    acc = torch.promote_types(probs.dtype, torch.float32)
    if squared:
        total = torch.sum(probs * probs, dim=dims, dtype=acc) + torch.sum(target * target, dim=dims, dtype=acc)
    else:
        total = torch.sum(probs, dim=dims, dtype=acc) + torch.sum(target, dim=dims, dtype=acc)
    if soft_label and not squared:
        intersection = (total - torch.sum((probs - target).abs(), dim=dims, dtype=acc)) / 2
    else:
        intersection = torch.sum(probs * target, dim=dims, dtype=acc)
    denominator = 2.0 * (total - intersection) if jaccard else total
    return 2.0 * intersection + smooth_nr, denominator + smooth_dr


def grouped_dice_terms(prep: _Prepared, phi: str, squared: bool, backend: str = "auto", jaccard: bool = False):
    """``N_φ`` and ``D_φ`` of Eq. 3 from the fused per-(image, class) sums (:func:`~dicecore.losses.sums.dice_sums`).

    The same numbers as :func:`dice_terms`; the gradient reaches the prediction by the closed form of Eq. 4.
    """
    from dicecore.losses.sums import dice_sums, group_by_phi

    s = dice_sums(prep.probs_full, prep.target_full, squared=squared, backend=backend)
    keep = slice(prep.first_channel, None)  # the background's sums are dropped here, not its voxels
    intersection = group_by_phi(s.intersection[:, keep], phi)
    total = group_by_phi(s.prediction[:, keep] + s.reference[:, keep], phi)
    denominator = 2.0 * (total - intersection) if jaccard else total
    return 2.0 * intersection + prep.smooth_nr, denominator + prep.smooth_dr


def _reduce(loss: torch.Tensor, weight: Optional[torch.Tensor], reduction: str) -> torch.Tensor:
    if weight is not None:
        loss = loss * weight.to(loss.dtype)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def check_no_zero_denominator(denominator: torch.Tensor, phi: str, smooth_dr: float) -> None:
    if smooth_dr == 0.0 and bool((denominator == 0).any()):
        raise ValueError(
            f"eps: with ε = 0 (smooth_dr=0) the Dice of an empty φ (Φ={phi!r}: no label and no predicted mass) "
            "is 0/0; use a small positive eps such as 1e-7."
        )


def _check_weight_phi(prep: _Prepared, phi: str) -> None:
    if prep.weight is not None and phi in ("CI", "BCI"):
        raise ValueError(
            f"weight: per-class weights need a partition with one class per φ ('I' or 'BI'); under phi={phi!r} a φ "
            "spans all classes. For class weights inside the sums use generalized_dice_loss."
        )


def dice_loss(
    input: torch.Tensor,
    target: torch.Tensor,
    phi: str = "I",
    eps: float = 1e-7,
    *,
    smooth_nr: Optional[float] = None,
    smooth_dr: Optional[float] = None,
    squared: bool = False,
    include_background: bool = True,
    activation: ActivationLike = None,
    to_onehot_y: bool = False,
    weight: WeightLike = None,
    reduction: str = "mean",
    validate: bool = True,
    closed_form_backward: bool = True,
    backend: str = "auto",
    jaccard: bool = False,
    soft_label: bool = False,
    ignore_index: Optional[int] = None,
) -> torch.Tensor:
    """Soft Dice loss of Eq. 3 (Tilborghs et al. 2022) over the partition ``phi``.

    Args:
        input: prediction of shape ``(B, C, *spatial)``: probabilities ŷ in [0, 1], or logits with ``activation``.
        target: one-hot or soft labels of the same shape, or an integer label map ``(B, *spatial)`` /
            ``(B, 1, *spatial)`` with ``to_onehot_y=True``; label values must be < C.
        phi: the partition Φ: ``"I"`` image-wise, ``"CI"`` class-wise, ``"BI"`` batch-wise, ``"BCI"`` all-wise.
        eps: the smoothing term ε added to numerator and denominator (paper: 1e-7).
        smooth_nr, smooth_dr: separate numerator/denominator smoothing (MONAI's names); default ``eps``.
        squared: L2 relaxation (V-Net): denominator Σ(y² + ŷ²) instead of Σ(y + ŷ).
        include_background: keep channel 0; ``False`` drops it after the activation (as MONAI).
        activation: ``None`` (input already probabilities), ``"sigmoid"``, ``"softmax"`` (over channels), or a
            callable (MONAI's ``other_act``) whose output must be probabilities.
        to_onehot_y: ``target`` is a label map to convert to one-hot.
        weight: per-class weights w_c (only for ``"I"``/``"BI"``): the loss of each φ becomes w_c (1 − sDSC_φ).
        reduction: ``"mean"`` (Eq. 3), ``"sum"`` or ``"none"`` (one value per φ: I → (B, C), BI → (C,),
            CI → (B,), BCI → ()).
        validate: check for NaN/Inf, ranges and 0/0 (one min/max pass over input and target).
        closed_form_backward: differentiate by the closed form of Eq. 4 (one elementwise pass; kept for
            backward: nothing full-size beyond the inputs with Triton, the one-hot target with PyTorch;
            :mod:`dicecore.losses.sums`) instead of autograd through the sums. Both give the same gradient (tested); ``False`` allows double backward. A target that
            requires grad always takes the autograd route. With the Triton backend an integer label map is
            never expanded to one-hot.
        backend: kernels for the closed form: ``"auto"`` (Triton on CUDA when it imports, else PyTorch;
            the environment variable ``DICECORE_BACKEND`` overrides it), ``"torch"`` or ``"triton"``.
        jaccard: the soft Jaccard (IoU) loss instead of Dice (MONAI's ``jaccard``; module docstring).
        soft_label: the intersection in the form that stays exact for soft labels (MONAI's ``soft_label``);
            takes the autograd route.
        ignore_index: a label value whose voxels are left out of every sum (MONAI's ``ignore_index``); takes
            the autograd route.

    Returns:
        the loss; a scalar unless ``reduction="none"``.

    Raises:
        ValueError: naming the offending argument — shape mismatch, NaN or Inf, probabilities outside [0, 1],
            label values ≥ C, unknown Φ, ε < 0, 0/0 from ε = 0 on an empty map.
        TypeError: a non-tensor or integer input, a non-integer ``ignore_index``.
    """
    _check_phi(phi)
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction: unknown value {reduction!r}; choose one of {REDUCTIONS}.")
    closed_form = (closed_form_backward and not (isinstance(target, torch.Tensor) and target.requires_grad)
                   and not soft_label and ignore_index is None)
    prep = prepare_inputs(
        input, target, eps=eps, smooth_nr=smooth_nr, smooth_dr=smooth_dr, include_background=include_background,
        activation=activation, to_onehot_y=to_onehot_y, weight=weight, validate=validate, keep_label_map=closed_form,
        ignore_index=ignore_index,
    )
    _check_weight_phi(prep, phi)
    if closed_form:
        numerator, denominator = grouped_dice_terms(prep, phi, squared, backend, jaccard=jaccard)
    else:
        numerator, denominator = dice_terms(prep.probs, prep.target, phi, squared, prep.smooth_nr, prep.smooth_dr,
                                            jaccard=jaccard, soft_label=soft_label)
    loss = _reduce(1.0 - numerator / denominator, prep.weight, reduction)
    if validate:
        check_no_zero_denominator(denominator, phi, prep.smooth_dr)
    return loss.to(input.dtype) if input.dtype in (torch.float16, torch.bfloat16) else loss


def monai_none_shape(loss: torch.Tensor, ndim: int) -> torch.Tensor:
    """MONAI's shape for ``reduction="none"``: the loss's first two dimensions, then a 1 per spatial axis
    of the ``ndim``-dimensional input (``(B, C, 1, 1)`` image-wise, ``(C, 1, 1)`` batch-wise for 2-D)."""
    return loss.reshape(list(loss.shape[:2]) + [1] * (ndim - 2))


class DiceLoss(nn.Module):
    """Soft Dice loss (Eq. 3 of Tilborghs et al. 2022) as a module: a complete drop-in for MONAI 1.6's
    ``monai.losses.DiceLoss``.

    It takes every keyword of MONAI's class, in MONAI's order — ``include_background, to_onehot_y, sigmoid,
    softmax, other_act, squared_pred, jaccard, reduction, smooth_nr, smooth_dr, batch, weight, soft_label,
    ignore_index`` — and returns MONAI's values and MONAI's shapes for every ``reduction`` (``"none"``:
    ``(B, C, 1, …)``, or ``(C, 1, …)`` with ``batch=True``); ``tests/test_dice.py`` compares the two over
    random keyword combinations and shapes. The differences are deliberate:

    * **ε**: the default smoothing is the paper's ε = 1e-7, not MONAI's 1e-5; pass
      ``smooth_nr=smooth_dr=1e-5`` to reproduce MONAI's defaults exactly;
    * **Φ**: the partition can be named directly with ``phi`` (``batch=True`` is ``phi="BI"``, ``batch=False``
      is ``"I"``; ``"CI"`` and ``"BCI"`` have no MONAI equivalent);
    * **errors instead of silence**: where MONAI warns and ignores a setting on a single channel
      (``softmax``, ``include_background=False``), where a probability lies outside [0, 1] (also after
      ``other_act``), and for ε = 0 on an empty map (MONAI returns NaN), this class raises an error naming the
      argument (``validate=False`` skips the value checks).

    See :func:`dice_loss` for the arguments and the errors raised.
    """

    def __init__(
        self,
        include_background: bool = True,
        to_onehot_y: bool = False,
        sigmoid: bool = False,
        softmax: bool = False,
        other_act: Optional[Callable[[torch.Tensor], torch.Tensor]] = None,
        squared_pred: bool = False,
        jaccard: bool = False,
        reduction: str = "mean",
        smooth_nr: Optional[float] = None,
        smooth_dr: Optional[float] = None,
        batch: bool = False,
        weight: WeightLike = None,
        soft_label: bool = False,
        ignore_index: Optional[int] = None,
        *,
        phi: Optional[str] = None,
        eps: float = 1e-7,
        validate: bool = True,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        if other_act is not None and not callable(other_act):
            raise TypeError(f"other_act: expected None or a callable, got {type(other_act).__name__}.")
        if int(sigmoid) + int(softmax) + int(other_act is not None) > 1:
            raise ValueError("sigmoid, softmax, other_act: choose at most one activation.")
        if phi is None:
            phi = "BI" if batch else "I"
        else:
            _check_phi(phi)
            if batch and phi not in ("BI", "BCI"):
                raise ValueError(f"batch: batch=True reduces over the batch, which contradicts phi={phi!r}.")
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction: unknown value {reduction!r}; choose one of {REDUCTIONS}.")
        self.phi = phi
        self.eps = eps
        self.smooth_nr = smooth_nr
        self.smooth_dr = smooth_dr
        self.squared = squared_pred
        self.jaccard = jaccard
        self.soft_label = soft_label
        self.ignore_index = ignore_index
        self.include_background = include_background
        self.activation = "sigmoid" if sigmoid else "softmax" if softmax else other_act
        self.to_onehot_y = to_onehot_y
        self.weight = weight
        self.reduction = reduction
        self.validate = validate
        from dicecore.losses.sums import BACKENDS

        if backend not in BACKENDS:
            raise ValueError(f"backend: unknown value {backend!r}; choose one of {BACKENDS}.")
        self.backend = backend

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        kept = input.shape[1] - (0 if self.include_background else 1) if isinstance(input, torch.Tensor) \
            and input.ndim >= 2 else None
        weight = self.weight if kept != 1 else None  # MONAI applies class weights only with ≥ 2 classes
        loss = dice_loss(
            input, target, self.phi, self.eps, smooth_nr=self.smooth_nr, smooth_dr=self.smooth_dr,
            squared=self.squared, include_background=self.include_background, activation=self.activation,
            to_onehot_y=self.to_onehot_y, weight=weight, reduction=self.reduction, validate=self.validate,
            backend=self.backend, jaccard=self.jaccard, soft_label=self.soft_label, ignore_index=self.ignore_index,
        )
        return monai_none_shape(loss, input.ndim) if self.reduction == "none" else loss

    def extra_repr(self) -> str:
        eps = self.eps if self.smooth_nr is None and self.smooth_dr is None else (self.smooth_nr, self.smooth_dr)
        act = self.activation if self.activation is None or isinstance(self.activation, str) else "other_act"
        extra = "".join(f", {k}={v!r}" for k, v in (("jaccard", self.jaccard), ("soft_label", self.soft_label),
                                                       ("ignore_index", self.ignore_index)) if v)
        return f"phi={self.phi!r}, eps={eps}, squared={self.squared}, activation={act!r}{extra}"
