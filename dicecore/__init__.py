"""dicecore: the Dice-loss family with explicit Φ and ε, their closed-form gradients and the theory behind them.

The companion package of the dicecore book, which re-derives and re-runs four papers on the Dice loss.
"""

from dicecore.grad import dice_loss_grad
from dicecore.losses import PHIS, DiceLoss, dice_loss

__version__ = "0.1.0"
__all__ = ["PHIS", "DiceLoss", "dice_loss", "dice_loss_grad", "__version__"]
