"""Loss functions. One module per family; every loss takes (B, C, *spatial) tensors."""

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
