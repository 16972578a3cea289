"""Loss functions. One module per family; every loss takes (B, C, *spatial) tensors."""

from dicecore.losses.dice import PHIS, DiceLoss, dice_loss, phi_count, reduction_dims

__all__ = ["PHIS", "DiceLoss", "dice_loss", "phi_count", "reduction_dims"]
