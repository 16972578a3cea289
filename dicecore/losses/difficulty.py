"""Cross-entropy losses for difficulty imbalance (Hosseini Eq. 1–3) and the fourteen losses of Hosseini's
Tables 1–3, each by name (:data:`TABLE_LOSSES`, :func:`loss_for_row`).

Inputs as :mod:`dicecore.losses.modulated`: ``(B, C, *spatial)`` probabilities with C ≥ 2 (channel 0 the
background), or logits with ``activation="softmax"`` (then the logarithm is taken by ``log_softmax``).
"""

from __future__ import annotations

from typing import Callable, Optional

import torch

from dicecore.losses.modulated import (
    focal_dice_loss, logarithmic_dice_loss, negative_topk_dice_loss, pm_dice_loss, topk_dice_loss,
    modulated_dice_loss, _prepare,
)

__all__ = [
    "pixel_cross_entropy", "cross_entropy_loss", "focal_cross_entropy_loss", "topk_cross_entropy_loss",
    "eq4_dice_loss", "TABLE_LOSSES", "loss_for_row",
]


def _log_probs(input, target, activation, to_onehot_y, validate):
    probs, onehot = _prepare(input, target, 0.0, activation, to_onehot_y, validate)
    if activation == "softmax":
        log_p = torch.log_softmax(input, dim=1)
    else:
        log_p = torch.log(probs.clamp(min=torch.finfo(probs.dtype).tiny))
    return probs, log_p, onehot


def pixel_cross_entropy(probs_log: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-pixel ``−Σ_c y^c log p^c`` ``(B, *spatial)`` from log-probabilities and one-hot labels."""
    return -(target * probs_log).sum(1)


def cross_entropy_loss(input: torch.Tensor, target: torch.Tensor, *, activation: Optional[str] = None,
                       to_onehot_y: bool = False, validate: bool = True) -> torch.Tensor:
    """CE, Hosseini Eq. 1: ``−(1/N) Σ_c Σ_i y_i^c log p_i^c``, averaged over the images of the batch."""
    _, log_p, y = _log_probs(input, target, activation, to_onehot_y, validate)
    return pixel_cross_entropy(log_p, y).mean()


def focal_cross_entropy_loss(input: torch.Tensor, target: torch.Tensor, gamma: float = 2.0, *,
                             activation: Optional[str] = None, to_onehot_y: bool = False,
                             validate: bool = True) -> torch.Tensor:
    """Focal CE, Hosseini Eq. 3 (Lin et al. [2], γ = 2): ``−(1/N) Σ_c Σ_i (1 − p_i^c)^γ y_i^c log p_i^c``."""
    if not gamma >= 0:
        raise ValueError(f"gamma: must be ≥ 0, got {gamma!r}.")
    p, log_p, y = _log_probs(input, target, activation, to_onehot_y, validate)
    return -((1 - p) ** gamma * y * log_p).sum(1).mean()


def topk_cross_entropy_loss(input: torch.Tensor, target: torch.Tensor, k: float = 10.0, *,
                            activation: Optional[str] = None, to_onehot_y: bool = False,
                            validate: bool = True) -> torch.Tensor:
    """TopK CE (Hosseini Eq. 2; nnU-Net's ``TopKLoss``): the mean CE of the ``k`` % pixels of the batch with
    the highest CE.

    Eq. 2 divides the kept sum by all N pixels; nnU-Net divides by the kept count, and this follows nnU-Net
    (k = 10, the book's choice: the paper gives no K). Alone the two differ by the constant factor k/100 and
    train alike up to the learning rate; in a compound they do not: in "TopK CE + Dice" and "TopK CE + TopK
    Dice" this CE term weighs 100/k = 10 times more against the Dice term than Eq. 2's would.
    """
    if not 0 < k <= 100:
        raise ValueError(f"k: the kept share must lie in (0, 100] percent, got {k!r}.")
    _, log_p, y = _log_probs(input, target, activation, to_onehot_y, validate)
    ce = pixel_cross_entropy(log_p, y).reshape(-1)
    n_keep = max(1, int(ce.numel() * k / 100))
    return ce.topk(n_keep, sorted=False).values.mean()


def eq4_dice_loss(input: torch.Tensor, target: torch.Tensor, eps: float = 1e-6, *, average: str = "present",
                  activation: Optional[str] = None, to_onehot_y: bool = False,
                  validate: bool = True, backend: str = "auto") -> torch.Tensor:
    """Dice, Hosseini Eq. 4: image-wise, squared denominators, mean over the classes present (ε = 10⁻⁶).

    Equal to :func:`dicecore.losses.dice_loss` with ``phi="I", squared=True`` when ``average="all"``, and to
    :func:`~dicecore.losses.pm_dice_loss` with γ = 0 (both tested); computed by the fused sums.
    """
    probs, target = _prepare(input, target, eps, activation, to_onehot_y, validate, keep_label_map=True)
    return modulated_dice_loss(probs, target, None, eps, average, backend)


def _sum(*terms: Callable) -> Callable:
    def compound(input, target, **kw):
        return sum(term(input, target, **kw) for term in terms)
    return compound


#: The rows of Hosseini's Tables 1–3 in the paper's order, name → ``loss(input, target, **kw)``, with the
#: paper's ε = 10⁻⁶ and PM γ = 1 and the book's focal γ = 2 (Lin et al.'s default) and K = 10 % (nnU-Net's),
#: which the paper does not give. "Focal Dice [40]" uses [39]'s form. Compounds are unweighted sums.
TABLE_LOSSES: dict[str, Callable] = {
    "CE": cross_entropy_loss,
    "Dice": eq4_dice_loss,
    "Logarithmic Dice [38]": logarithmic_dice_loss,
    "Focal Dice [40]": focal_dice_loss,
    "Focal Dice [41]": negative_topk_dice_loss,
    "CE + Dice": _sum(cross_entropy_loss, eq4_dice_loss),
    "Focal CE + Dice": _sum(focal_cross_entropy_loss, eq4_dice_loss),
    "TopK CE + Dice": _sum(topk_cross_entropy_loss, eq4_dice_loss),
    "TopK Dice [42]": topk_dice_loss,
    "CE + TopK Dice [42]": _sum(cross_entropy_loss, topk_dice_loss),
    "TopK CE + TopK Dice [42]": _sum(topk_cross_entropy_loss, topk_dice_loss),
    "PM Dice": pm_dice_loss,
    "CE + PM Dice": _sum(cross_entropy_loss, pm_dice_loss),
    "Focal CE + PM Dice": _sum(focal_cross_entropy_loss, pm_dice_loss),
}


def loss_for_row(name: str, **settings) -> Callable:
    """The loss of a table row by name; ``settings`` (e.g. ``gamma=(1, 2)`` for PM Dice) go to the PM Dice term
    of a row that has one, else to the whole loss."""
    if name not in TABLE_LOSSES:
        raise ValueError(f"name: unknown loss {name!r}; choose one of {list(TABLE_LOSSES)}.")
    base = TABLE_LOSSES[name]
    if not settings:
        return base
    if "PM Dice" in name and name != "PM Dice":
        ce = cross_entropy_loss if name.startswith("CE") else focal_cross_entropy_loss
        return lambda input, target, **kw: ce(input, target, **kw) + pm_dice_loss(input, target, **settings, **kw)
    return lambda input, target, **kw: base(input, target, **settings, **kw)
