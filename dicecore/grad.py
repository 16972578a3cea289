"""Closed-form gradients of the Dice losses.

:func:`dice_loss_grad` is Eq. 4 of Tilborghs, Bertels et al. (MICCAI 2022): for ω in the subset φ^ω,

.. math::

    \\frac{\\partial \\mathrm{DL}}{\\partial \\tilde y_\\omega} = -\\frac{w_{c}}{|\\Phi|}\\left(
        \\frac{2 y_\\omega}{D_{\\phi^\\omega}} - \\frac{N_{\\phi^\\omega}}{D_{\\phi^\\omega}^2}\\,
        \\frac{\\partial D_{\\phi^\\omega}}{\\partial \\tilde y_\\omega}\\right),\\qquad
    N_\\phi = 2\\sum_{\\varphi\\in\\phi} y_\\varphi\\tilde y_\\varphi + \\epsilon,\\quad
    D_\\phi = \\sum_{\\varphi\\in\\phi}(y_\\varphi + \\tilde y_\\varphi) + \\epsilon

with ∂D/∂ŷ_ω = 1 for the L1 relaxation (the paper's Eq. 4: the gradient in a φ takes only two values, one
for y_ω = 0 and one for y_ω = 1) and ∂D/∂ŷ_ω = 2ŷ_ω for the squared (L2, V-Net) relaxation, where
D = Σ(y² + ŷ²) + ε. With an activation the gradient is chained to the logits: σ(1 − σ) for a sigmoid,
``p ⊙ (g − Σ_c g p)`` for a softmax. Tested against autograd in float64 (``tests/test_grad.py``).
"""

from __future__ import annotations

from typing import Optional

import torch

from dicecore.losses.dice import (
    WeightLike,
    _check_phi,
    _check_weight_phi,
    check_no_zero_denominator,
    dice_terms,
    phi_count,
    prepare_inputs,
)

__all__ = ["dice_loss_grad", "autograd_dice_grad"]


def _expand(per_phi: torch.Tensor, phi: str, ndim: int) -> torch.Tensor:
    """Broadcast one value per φ back over the (B, C, *spatial) elements that φ contains."""
    shape = [1] * ndim
    if phi == "I":
        shape[0], shape[1] = per_phi.shape
    elif phi == "CI":
        shape[0] = per_phi.shape[0]
    elif phi == "BI":
        shape[1] = per_phi.shape[0]
    return per_phi.reshape(shape)


def dice_loss_grad(
    input: torch.Tensor,
    target: torch.Tensor,
    phi: str = "I",
    eps: float = 1e-7,
    *,
    smooth_nr: Optional[float] = None,
    smooth_dr: Optional[float] = None,
    squared: bool = False,
    include_background: bool = True,
    activation: Optional[str] = None,
    to_onehot_y: bool = False,
    weight: WeightLike = None,
    reduction: str = "mean",
    validate: bool = True,
) -> torch.Tensor:
    """∂ dice_loss / ∂ input by Eq. 4, same arguments as :func:`dicecore.losses.dice_loss`.

    Without an activation this is ∂DL/∂ŷ of Eq. 4; with ``activation`` it is the gradient with respect
    to the logits. Channels dropped by ``include_background=False`` get the gradient that flows into them
    through the softmax only (zero for no activation).

    Raises:
        ValueError: ``reduction="none"`` (the gradient of a vector is not defined here), and every input
            error :func:`~dicecore.losses.dice_loss` raises.
    """
    _check_phi(phi)
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction: the gradient is defined for 'mean' or 'sum', got {reduction!r}.")
    prep = prepare_inputs(
        input, target, eps=eps, smooth_nr=smooth_nr, smooth_dr=smooth_dr, include_background=include_background,
        activation=activation, to_onehot_y=to_onehot_y, weight=weight, validate=validate,
    )
    _check_weight_phi(prep, phi)
    numerator, denominator = dice_terms(prep, phi, squared)
    if validate:
        check_no_zero_denominator(denominator, phi, prep)
    p, y = prep.probs, prep.target
    ndim = p.ndim
    n = _expand(numerator, phi, ndim)
    d = _expand(denominator, phi, ndim)
    d_denominator = 2.0 * p if squared else 1.0
    grad = -(2.0 * y / d - n / d**2 * d_denominator)
    scale = 1.0 / phi_count(phi, p.shape[0], p.shape[1]) if reduction == "mean" else 1.0
    if prep.weight is not None:
        w = prep.weight.to(grad.dtype)
        grad = grad * (w.reshape(1, -1, *([1] * (ndim - 2))))
    grad = grad * scale

    # back to the full channel set (background kept at zero before the activation)
    if prep.first_channel:
        grad = torch.cat([torch.zeros_like(grad[:, :1]), grad], dim=1)
    grad = grad.to(prep.probs_full.dtype)

    if activation == "sigmoid":
        s = prep.probs_full
        grad = grad * s * (1.0 - s)
    elif activation == "softmax":
        s = prep.probs_full
        grad = s * (grad - (grad * s).sum(dim=1, keepdim=True))
    return grad



def autograd_dice_grad(input: torch.Tensor, target: torch.Tensor, **kwargs) -> torch.Tensor:
    """The same gradient as :func:`dice_loss_grad`, but by autograd through :func:`dice_loss` (the check)."""
    from dicecore.losses.dice import dice_loss

    x = input.detach().clone().requires_grad_(True)
    dice_loss(x, target, **kwargs).backward()
    return x.grad
