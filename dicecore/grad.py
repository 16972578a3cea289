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
    prepare_inputs,
)

__all__ = [
    "dice_loss_grad", "eq4_gradient", "autograd_dice_grad", "two_class_gdl", "sudre_gdl_gradient_printed",
    "gdl_two_class_gradient", "pm_dice_grad",
]


def _expand(per_phi: torch.Tensor, phi: str, ndim: int) -> torch.Tensor:
    """Broadcast one value per φ back over the ``(B, C, *spatial)`` elements that φ contains."""
    shape = [1] * ndim
    if phi == "I":
        shape[0], shape[1] = per_phi.shape
    elif phi == "CI":
        shape[0] = per_phi.shape[0]
    elif phi == "BI":
        shape[1] = per_phi.shape[0]
    return per_phi.reshape(shape)


def eq4_gradient(
    target: torch.Tensor,
    numerator: torch.Tensor,
    denominator: torch.Tensor,
    coefficient: torch.Tensor,
    phi: str,
    probs: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Eq. 4 from the per-φ terms: ``−c_φ (2y/D_φ − N_φ/D_φ² · ∂D/∂ŷ)`` in one elementwise pass.

    ``coefficient`` holds ``c_φ = (upstream gradient) · w / |Φ|`` for each φ. Without ``probs`` this is the
    L1 relaxation (∂D/∂ŷ = 1): ``a_φ·y + b_φ`` with ``a_φ = −2c_φ/D_φ`` and ``b_φ = c_φ N_φ/D_φ²``.
    With ``probs`` (squared relaxation) ∂D/∂ŷ = 2ŷ: ``a_φ·y + 2 b_φ·ŷ``.
    """
    ndim = target.ndim
    a = _expand(-2.0 * coefficient / denominator, phi, ndim)
    b = _expand(coefficient * numerator / denominator**2, phi, ndim)
    if probs is None:
        return torch.addcmul(b.to(target.dtype).expand_as(target), target, a.to(target.dtype))
    grad = target * a.to(target.dtype)
    return grad.addcmul_(probs, (2.0 * b).to(probs.dtype))


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
    numerator, denominator = dice_terms(
        prep.probs, prep.target, phi, squared, prep.smooth_nr, prep.smooth_dr)
    if validate:
        check_no_zero_denominator(denominator, phi, prep.smooth_dr)
    coefficient = torch.full_like(numerator, 1.0 / numerator.numel() if reduction == "mean" else 1.0)
    if prep.weight is not None:
        coefficient = coefficient * prep.weight.to(coefficient.dtype)
    grad = eq4_gradient(prep.target, numerator, denominator, coefficient, phi, prep.probs if squared else None)

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
    """The same gradient as :func:`dice_loss_grad`, by autograd through the sums of Eq. 3 (the check).

    Runs :func:`~dicecore.losses.dice_loss` with ``closed_form_backward=False``, so Eq. 4 is not used.
    """
    from dicecore.losses.dice import dice_loss

    x = input.detach().clone().requires_grad_(True)
    dice_loss(x, target, closed_form_backward=False, **kwargs).backward()
    return x.grad


def two_class_gdl(p: torch.Tensor, r: torch.Tensor, w1, w2) -> torch.Tensor:
    """Sudre et al.'s two-class GDL with given class weights, on one image's flattened maps (no ε).

    ``GDL = 1 − 2 [w₁Σ r p + w₂Σ(1−r)(1−p)] / [w₁Σ(r + p) + w₂Σ(2 − r − p)]``; foreground p, background 1 − p.
    """
    num = w1 * (r * p).sum() + w2 * ((1 - r) * (1 - p)).sum()
    den = w1 * (r + p).sum() + w2 * (2 - r - p).sum()
    return 1 - 2 * num / den


def sudre_gdl_gradient_printed(p: torch.Tensor, r: torch.Tensor, w1, w2) -> torch.Tensor:
    """∂GDL/∂p_i exactly as printed in Sudre et al. (2017), §2.1 (two classes, one image).

    ``−2 [(w₁² − w₂²)(Σ p r − r_i Σ(p + r)) + N w₂(w₁ + w₂)(1 − 2r_i)] / [(w₁ − w₂) Σ(p + r) + 2N w₂]²``.
    Its sign is wrong for the loss (it is the gradient of the score GDS = 1 − GDL): compare
    :func:`gdl_two_class_gradient` and ``tests/test_grad.py``.
    """
    n = p.numel()
    s = (p + r).sum()
    num = (w1**2 - w2**2) * ((p * r).sum() - r * s) + n * w2 * (w1 + w2) * (1 - 2 * r)
    return -2 * num / ((w1 - w2) * s + 2 * n * w2) ** 2


def gdl_two_class_gradient(p: torch.Tensor, r: torch.Tensor, w1, w2) -> torch.Tensor:
    """∂GDL/∂p_i derived from the loss: ``+2 [(w₁² − w₂²)(Σ p r − r_i Σ(p + r)) + N w₂(w₁ + w₂)(1 − 2r_i)] / D²``.

    With N = w₁Σrp + w₂Σ(1−r)(1−p) and D = (w₁ − w₂)Σ(p + r) + 2Nw₂: ∂N/∂p_i = w₁r_i − w₂(1 − r_i),
    ∂D/∂p_i = w₁ − w₂, and the quotient rule on −2N/D simplifies to the expression above — the printed one
    with the opposite sign.
    """
    return -sudre_gdl_gradient_printed(p, r, w1, w2)


def pm_dice_grad(probs: torch.Tensor, target: torch.Tensor, gamma=1.0, eps: float = 1e-6,
                 average: str = "present") -> torch.Tensor:
    """Closed-form gradient of Hosseini's PM Dice (Eq. 5) with respect to the probabilities, m held fixed.

    With :math:`N = 2\\sum_i m_i y_i p_i + \\epsilon` and :math:`D = \\sum_i m_i (y_i^2 + p_i^2) + \\epsilon`
    per image and class, and :math:`a_{bc}` the weight of that class in the mean (1/(B·n_b) over the n_b
    classes present in image b, or 1/(B·C) for ``average="all"``),

    .. math::

        \\frac{\\partial\\,\\mathrm{PM}}{\\partial p_i} = -a_{bc}\\,\\frac{2 m_i (y_i D - N p_i)}{D^2}.

    Because m does not depend on p (the paper's stop-gradient), the modulating term only scales each
    pixel's Eq. 4 gradient. ``probs`` and ``target`` are ``(B, C, *spatial)`` probabilities and one-hot labels.
    """
    from dicecore.losses.modulated import AVERAGES, modulating_term

    if average not in AVERAGES:
        raise ValueError(f"average: unknown value {average!r}; choose one of {AVERAGES}.")
    dims = tuple(range(2, probs.ndim))
    m = modulating_term(probs, target, gamma)
    numerator = 2 * (m * target * probs).sum(dims, keepdim=True) + eps
    denominator = (m * (target * target + probs * probs)).sum(dims, keepdim=True) + eps
    batch, classes = probs.shape[:2]
    if average == "all":
        a = torch.full((batch, classes), 1.0 / (batch * classes), dtype=probs.dtype, device=probs.device)
    else:
        present = target.sum(dims) > 0
        present[:, 0] = True
        a = present.to(probs.dtype) / (batch * present.sum(1, keepdim=True).to(probs.dtype))
    a = a.reshape(batch, classes, *([1] * (probs.ndim - 2)))
    return -a * 2 * m * (target * denominator - numerator * probs) / denominator**2
