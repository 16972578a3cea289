"""Dice losses re-weighted pixel by pixel: the pixel-wise modulated (PM) Dice of Hosseini and the Dice
variants it is compared with (logarithmic, focal, negative-top-K and TopK Dice).

Every loss here is Hosseini's Eq. 4 — the image-wise, class-averaged Dice with squared denominators,

.. math::

    \\mathrm{DL} = 1 - \\frac{1}{C}\\sum_{c}\\frac{2\\sum_i w_i^c y_i^c p_i^c + \\epsilon}
                                         {\\sum_i w_i^c [(y_i^c)^2 + (p_i^c)^2] + \\epsilon},

under a pixel weight map ``w`` (:func:`weighted_dice_scores`): ``w = 1`` is Eq. 4 itself; ``w = m =
|y − p̂|^γ`` with ``p̂`` detached is the PM Dice (Eq. 5); a 0/1 mask of kept pixels gives the resampling
losses [41] and [42]. The average runs over the classes present in the image's reference, background
included, as the paper states under Eq. 4 (``average="present"``), or over every class (``"all"``).

Inputs follow :func:`dicecore.losses.dice_loss`: ``input`` ``(B, C, *spatial)`` probabilities (or logits with
``activation="softmax"``), C ≥ 2 with channel 0 the background; ``target`` one-hot ``(B, C, *spatial)`` or a
label map with ``to_onehot_y=True``.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import torch

from dicecore.losses.dice import check_no_zero_denominator, dice_terms, prepare_inputs, reduction_dims
from dicecore.losses.sums import BACKENDS, dice_sums

__all__ = [
    "AVERAGES", "weighted_dice_scores", "modulating_term", "pm_dice_loss", "PMDiceLoss", "logarithmic_dice_loss",
    "focal_dice_loss", "negative_topk_dice_loss", "topk_dice_loss", "topk_mask", "GammaLike",
]

#: Mean over the classes present in the reference (Eq. 4) or over all classes.
AVERAGES = ("present", "all")
#: A focusing parameter γ — one number for every class, or one per class.
GammaLike = Union[float, Sequence[float], torch.Tensor]


def _prepare(input, target, eps, activation, to_onehot_y, validate, keep_label_map=False):
    """(probabilities, one-hot target) — or the label map itself with ``keep_label_map`` (for ``dice_sums``)."""
    if activation not in (None, "softmax"):
        raise ValueError(f"activation: these losses take probabilities (None) or softmax logits, got {activation!r}.")
    prep = prepare_inputs(input, target, eps=eps, activation=activation, to_onehot_y=to_onehot_y, validate=validate,
                          keep_label_map=keep_label_map)
    if prep.probs.shape[1] < 2:
        raise ValueError("input: needs C ≥ 2 channels with channel 0 the background (softmax outputs), got C=1.")
    return prep.probs, prep.target_full


def _volume(onehot: torch.Tensor) -> torch.Tensor:
    """Reference volume Σ_i y per (image, class), for the average over the classes present."""
    return onehot.sum(dim=reduction_dims("I", onehot.ndim))


def weighted_dice_scores(probs: torch.Tensor, target: torch.Tensor, weight: Optional[torch.Tensor],
                         eps: float) -> torch.Tensor:
    """Soft Dice per (b, c) of Eq. 4/5: ``(2Σ w y p + ε) / (Σ w (y² + p²) + ε)``, sums over the pixels.

    ``weight`` ``(B, C, *spatial)`` or ``None`` (all ones). With ε = 0 an all-zero weighted denominator is 0/0
    and raises ``ValueError``.
    """
    if weight is None:  # Eq. 4 itself: the shared terms of Eq. 3 with Φ = I and squared denominators
        numerator, denominator = dice_terms(probs, target, "I", True, eps, eps)
    else:
        dims = reduction_dims("I", probs.ndim)
        acc = torch.promote_types(probs.dtype, torch.float32)
        numerator = 2 * torch.sum(weight * target * probs, dim=dims, dtype=acc) + eps
        denominator = torch.sum(weight * (target * target + probs * probs), dim=dims, dtype=acc) + eps
    check_no_zero_denominator(denominator, "I", eps)
    return numerator / denominator


def _class_mean(per_class_loss: torch.Tensor, volume: torch.Tensor, average: str) -> torch.Tensor:
    """Mean over classes per image (``present``: classes with reference pixels, background always), then batch.

    ``volume`` is the reference volume Σ_i y per (image, class), ``(B, C)``.
    """
    if average not in AVERAGES:
        raise ValueError(f"average: unknown value {average!r}; choose one of {AVERAGES}.")
    if average == "all":
        return per_class_loss.mean()
    present = volume > 0
    present[:, 0] = True
    present = present.to(per_class_loss.dtype)
    return ((per_class_loss * present).sum(1) / present.sum(1)).mean()


def _gamma(gamma: GammaLike, n_classes: int, like: torch.Tensor) -> torch.Tensor:
    g = torch.as_tensor(gamma, dtype=like.dtype, device=like.device).flatten()
    if g.numel() == 1:
        g = g.expand(n_classes)
    if g.numel() != n_classes:
        raise ValueError(f"gamma: expected one focusing parameter or {n_classes} (one per class), got {g.numel()}.")
    if not bool(torch.isfinite(g).all()) or bool((g < 0).any()):
        raise ValueError(f"gamma: focusing parameters must be finite and ≥ 0, got {g.tolist()}.")
    return g.reshape(1, n_classes, *([1] * (like.ndim - 2)))


def modulating_term(probs: torch.Tensor, target: torch.Tensor, gamma: GammaLike = 1.0,
                    detach: bool = True) -> torch.Tensor:
    """Hosseini's ``m_i^c = |y_i^c − p̂_i^c|^{γ_c}`` (under Eq. 5); ``p̂`` is ``probs`` detached unless ``detach=False``.

    ``gamma`` is one value or one per class. γ = 0 gives ``m = 1`` everywhere (``0⁰ = 1``), so PM Dice
    becomes the Dice of Eq. 4 exactly.
    """
    p_hat = probs.detach() if detach else probs
    g = _gamma(gamma, probs.shape[1], probs)
    return torch.where(g == 0, torch.ones_like(p_hat), (target - p_hat).abs() ** g)


def pm_dice_loss(
    input: torch.Tensor, target: torch.Tensor, gamma: GammaLike = 1.0, eps: float = 1e-6, *,
    average: str = "present", detach_modulation: bool = True, activation: Optional[str] = None,
    to_onehot_y: bool = False, validate: bool = True, backend: str = "auto",
) -> torch.Tensor:
    """Pixel-wise modulated Dice loss, Hosseini Eq. 5 (default ε = 10⁻⁶ and γ = 1 as the paper).

    .. math::

        \\mathrm{PM} = 1 - \\frac{1}{C}\\sum_c \\frac{2\\sum_i m_i^c y_i^c p_i^c + \\epsilon}
                                              {\\sum_i m_i^c[(y_i^c)^2 + (p_i^c)^2] + \\epsilon},
        \\qquad m_i^c = |y_i^c - \\hat p_i^c|^{\\gamma_c}.

    Args:
        gamma: the focusing parameter, one value or one per class (e.g. ``(1, 2)`` for γ_BG = 1, γ_FG = 2).
        detach_modulation: ``True`` as the paper (no gradient through m). ``False`` is the ablation the paper
            asserts but does not show: the gradient then also flows through ``m``.
        average: ``"present"`` (classes present in the image's reference, as printed) or ``"all"``.

        backend: kernels for the fused sums (:mod:`dicecore.losses.sums`), as in
            :func:`~dicecore.losses.dice_loss`; the ablation (``detach_modulation=False``) runs on autograd.

    The closed-form gradient (m held fixed) is :func:`dicecore.grad.pm_dice_grad`; the loss computes its
    sums and that gradient in one pass each (:func:`~dicecore.losses.sums.dice_sums` with ``gamma``).
    """
    if not detach_modulation:
        probs, onehot = _prepare(input, target, eps, activation, to_onehot_y, validate)
        m = modulating_term(probs, onehot, gamma, detach=False)
        return _class_mean(1 - weighted_dice_scores(probs, onehot, m, eps), _volume(onehot), average)
    probs, target = _prepare(input, target, eps, activation, to_onehot_y, validate, keep_label_map=True)
    return modulated_dice_loss(probs, target, _gamma(gamma, probs.shape[1], probs).flatten(), eps, average, backend)


def modulated_dice_loss(probs: torch.Tensor, target: torch.Tensor, gamma: Optional[torch.Tensor], eps: float,
                        average: str, backend: str = "auto") -> torch.Tensor:
    """Eq. 5 (``gamma`` a ``(C,)`` tensor) or Eq. 4 (``gamma=None``) on validated inputs, by the fused sums.

    ``target`` is one-hot ``(B, C, *spatial)`` or a label map ``(B, *spatial)``.
    """
    s = dice_sums(probs, target, squared=True, gamma=gamma, backend=backend)
    numerator = 2 * s.intersection + eps
    denominator = s.prediction + s.reference + eps
    check_no_zero_denominator(denominator, "I", eps)
    return _class_mean(1 - numerator / denominator, s.volume, average)


class PMDiceLoss(torch.nn.Module):
    """Module form of :func:`pm_dice_loss` (Hosseini Eq. 5)."""

    def __init__(self, gamma: GammaLike = 1.0, eps: float = 1e-6, average: str = "present",
                 detach_modulation: bool = True, softmax: bool = False, to_onehot_y: bool = False,
                 backend: str = "auto"):
        super().__init__()
        if average not in AVERAGES:
            raise ValueError(f"average: unknown value {average!r}; choose one of {AVERAGES}.")
        if backend not in BACKENDS:
            raise ValueError(f"backend: unknown value {backend!r}; choose one of {BACKENDS}.")
        self.gamma, self.eps, self.average, self.backend = gamma, eps, average, backend
        self.detach_modulation, self.softmax, self.to_onehot_y = detach_modulation, softmax, to_onehot_y

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return pm_dice_loss(input, target, self.gamma, self.eps, average=self.average,
                            detach_modulation=self.detach_modulation, activation="softmax" if self.softmax else None,
                            to_onehot_y=self.to_onehot_y, backend=self.backend)

    def extra_repr(self) -> str:
        return f"gamma={self.gamma}, eps={self.eps}, average={self.average!r}, detach_modulation={self.detach_modulation}"


def logarithmic_dice_loss(
    input: torch.Tensor, target: torch.Tensor, gamma: float = 0.3, eps: float = 1e-6, *, average: str = "present",
    activation: Optional[str] = None, to_onehot_y: bool = False, validate: bool = True,
) -> torch.Tensor:
    """Logarithmic Dice of Wong et al. [38]: the class mean of ``(−ln DSC_c)^γ`` with the Eq. 4 DSC.

    Reading: [38]'s exponential logarithmic Dice term, γ = 0.3 as in [38], without its cross-entropy term
    (Hosseini lists it as a Dice loss). γ = 1 is the plain logarithmic Dice.

    At DSC_c = 1 the term is 0, its minimum, and for γ < 1 its slope ``γ (−ln DSC)^(γ−1)`` is infinite; a class
    predicted so well that its DSC rounds to 1 (a confident background) contributes 0 with a zero gradient,
    not the ∞ · 0 = NaN that autograd would give (which stopped all three MSSEG-like trainings early).
    """
    if not gamma > 0:
        raise ValueError(f"gamma: must be > 0, got {gamma!r}.")
    probs, onehot = _prepare(input, target, eps, activation, to_onehot_y, validate)
    dsc = weighted_dice_scores(probs, onehot, None, eps).clamp(min=torch.finfo(probs.dtype).tiny, max=1.0)
    neg_log = -torch.log(dsc)
    solved = neg_log <= 0  # DSC_c = 1: the power's slope there is infinite; the term is 0 with a zero gradient
    safe = torch.where(solved, torch.ones_like(neg_log), neg_log)  # keeps autograd off the infinite slope
    term = torch.where(solved, torch.zeros_like(neg_log), safe ** gamma)
    return _class_mean(term, _volume(onehot), average)


def focal_dice_loss(
    input: torch.Tensor, target: torch.Tensor, beta: float = 2.0, eps: float = 1e-6, *, average: str = "present",
    activation: Optional[str] = None, to_onehot_y: bool = False, validate: bool = True,
) -> torch.Tensor:
    """Focal Dice, class level: the class mean of ``1 − DSC_c^{1/β}`` (β = 2: the "root" of the Dice score).

    Reading: Hosseini describes [39] as the root of each class's Dice score and [40] as "an improved version"
    without printing it; this is [39]'s form, which the chapter uses for the row "Focal Dice [40]".
    """
    if not beta > 0:
        raise ValueError(f"beta: must be > 0, got {beta!r}.")
    probs, onehot = _prepare(input, target, eps, activation, to_onehot_y, validate)
    dsc = weighted_dice_scores(probs, onehot, None, eps).clamp(min=0.0)
    return _class_mean(1 - dsc ** (1.0 / beta), _volume(onehot), average)


def topk_mask(error: torch.Tensor, candidates: torch.Tensor, k: float) -> torch.Tensor:
    """Per (b, c): all non-candidates, plus the ``ceil(k % · count)`` candidates with the largest ``error``
    (at least one). Ties are broken by position (a stable sort), so exactly that many are kept.
    ``error`` and ``candidates`` are ``(B, C, *spatial)``.
    """
    if not 0 < k <= 100:
        raise ValueError(f"k: the kept share must lie in (0, 100] percent, got {k!r}.")
    b, c = error.shape[:2]
    cand = candidates.reshape(b, c, -1)
    e = torch.where(cand, error.detach().reshape(b, c, -1), torch.full_like(cand, -1.0, dtype=error.dtype))
    n_keep = torch.clamp(torch.ceil(cand.sum(-1).to(torch.float64) * k / 100).long(), min=1)
    order = e.argsort(dim=-1, descending=True, stable=True)
    rank = torch.empty_like(order).scatter_(-1, order, torch.arange(e.shape[-1], device=e.device).expand_as(order))
    keep = cand & (rank < n_keep.unsqueeze(-1))
    return (keep | ~cand).reshape(error.shape)


def negative_topk_dice_loss(
    input: torch.Tensor, target: torch.Tensor, k: float = 10.0, eps: float = 1e-6, *, average: str = "present",
    activation: Optional[str] = None, to_onehot_y: bool = False, validate: bool = True,
) -> torch.Tensor:
    """Focal Dice of Zhao et al. [41] as Hosseini describes it: per class, the negatives (y = 0) ranked by
    their error p, only the top ``k`` % kept, every positive kept; Eq. 4 on the kept pixels.

    Reading: [41]'s K is not given by Hosseini; ``k`` = 10 % is this book's choice.
    """
    probs, onehot = _prepare(input, target, eps, activation, to_onehot_y, validate)
    mask = topk_mask((onehot - probs).abs(), onehot == 0, k).to(probs.dtype)
    return _class_mean(1 - weighted_dice_scores(probs, onehot, mask, eps), _volume(onehot), average)


def topk_dice_loss(
    input: torch.Tensor, target: torch.Tensor, k: float = 10.0, eps: float = 1e-6, *, average: str = "present",
    activation: Optional[str] = None, to_onehot_y: bool = False, validate: bool = True,
) -> torch.Tensor:
    """TopK Dice of Hosseini [42]: per class, the positives (true positives and false negatives, y = 1) ranked
    by their error 1 − p, only the top ``k`` % kept, every negative kept; Eq. 4 on the kept pixels.

    Reading: [42]'s K is not given in this paper; ``k`` = 10 % is this book's choice.
    """
    probs, onehot = _prepare(input, target, eps, activation, to_onehot_y, validate)
    mask = topk_mask((onehot - probs).abs(), onehot == 1, k).to(probs.dtype)
    return _class_mean(1 - weighted_dice_scores(probs, onehot, mask, eps), _volume(onehot), average)
