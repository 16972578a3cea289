"""Loss functions. One module per family; every loss takes ``(B, C, *spatial)`` tensors."""

from dicecore.losses.dice import PHIS, DiceLoss, dice_loss, phi_count, reduction_dims

__all__ = ["PHIS", "DiceLoss", "dice_loss", "phi_count", "reduction_dims"]
from dicecore.losses.classic import sensitivity_specificity_loss, two_class_dice_loss, weighted_cross_entropy
from dicecore.losses.generalized import GeneralizedDiceLoss, generalized_dice_loss

__all__ += [
    "GeneralizedDiceLoss", "generalized_dice_loss", "weighted_cross_entropy", "two_class_dice_loss",
    "sensitivity_specificity_loss",
]
from dicecore.losses.partial import leaf_dice_loss, marginal_dice_loss

__all__ += ["marginal_dice_loss", "leaf_dice_loss"]
from dicecore.losses.modulated import (
    PMDiceLoss, focal_dice_loss, logarithmic_dice_loss, modulating_term, negative_topk_dice_loss, pm_dice_loss,
    topk_dice_loss,
)
from dicecore.losses.difficulty import (
    TABLE_LOSSES, cross_entropy_loss, eq4_dice_loss, focal_cross_entropy_loss, loss_for_row, topk_cross_entropy_loss,
)

__all__ += [
    "PMDiceLoss", "pm_dice_loss", "modulating_term", "logarithmic_dice_loss", "focal_dice_loss",
    "negative_topk_dice_loss", "topk_dice_loss", "cross_entropy_loss", "focal_cross_entropy_loss",
    "topk_cross_entropy_loss", "eq4_dice_loss", "TABLE_LOSSES", "loss_for_row",
]
