"""The per-(image, class) sums behind every Dice loss, with their closed-form gradient: the fast path.

Every Dice-family loss in this package — soft Dice over any Φ (Tilborghs 2022, Eq. 3), Generalised Dice
(Sudre 2017), PM Dice (Hosseini, Eq. 5) — is arithmetic on four sums per image ``b`` and class ``c``:

.. math::

    I_{bc} = \\sum_i m\\,y\\,p, \\qquad P_{bc} = \\sum_i m\\,p^k, \\qquad
    R_{bc} = \\sum_i m\\,y^k, \\qquad V_{bc} = \\sum_i y,

with ``k = 2`` for the squared (V-Net) relaxation and ``k = 1`` otherwise, and ``m = 1`` or Hosseini's
modulating term ``m = |y − p̂|^γ_c`` (``p̂`` detached). Grouping the sums by Φ, the GDL weights, ε and the
class mean are then operations on ``(B, C)`` tensors that autograd differentiates for free. Only
``g^I = ∂loss/∂I`` and ``g^P = ∂loss/∂P`` reach the pixels, through

.. math::

    \\frac{\\partial\\,\\mathrm{loss}}{\\partial p_i} = m_i\\,\\bigl(g^I_{bc}\\,y_i + g^P_{bc}\\,k\\,p_i^{k-1}\\bigr),

which is Eq. 4 of Tilborghs 2022 (and its weighted and modulated forms) written once: one elementwise pass
backward, nothing full-size saved beyond the inputs themselves (``tests/test_sums.py`` checks it against
autograd through the plain formulas).

Two backends compute the same numbers: ``"torch"`` (plain PyTorch, any device; an integer label map is
expanded to one-hot once in the forward pass and kept for the backward pass, as MONAI does) and
``"triton"`` (CUDA; one read of the prediction and of the label map forward, one pass backward, no one-hot
ever built, float32 accumulation for half-precision inputs, deterministic: per-block partial sums, no
atomics). ``backend="auto"`` takes Triton for CUDA tensors when the
``triton`` package imports, else torch; the environment variable ``DICECORE_BACKEND`` (``torch`` or ``triton``)
overrides ``"auto"`` everywhere.
"""

from __future__ import annotations

import functools
import os
from typing import NamedTuple, Optional

import torch

__all__ = ["BACKENDS", "DiceSums", "dice_sums", "resolve_backend", "group_by_phi", "triton_available"]

#: Values of the ``backend`` argument of the Dice losses.
BACKENDS = ("auto", "torch", "triton")


class DiceSums(NamedTuple):
    """The four ``(B, C)`` float32 (or float64) sums of one call; see the module docstring."""

    intersection: torch.Tensor  # Σ m y p          (differentiable)
    prediction: torch.Tensor  # Σ m p^k            (differentiable)
    reference: torch.Tensor  # Σ m y^k             (no gradient)
    volume: torch.Tensor  # Σ y, unweighted       (no gradient)


@functools.lru_cache(maxsize=None)
def triton_available() -> bool:
    """Whether the ``triton`` package imports (it ships with PyTorch's CUDA wheels on Linux)."""
    try:
        import triton  # noqa: F401
    except Exception:  # ImportError, or a broken install raising at import
        return False
    return True


def _interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET", "") == "1"


def resolve_backend(backend: str, probs: torch.Tensor) -> str:
    """``"torch"`` or ``"triton"`` for this call; ``"auto"`` (or ``DICECORE_BACKEND``) picks Triton on CUDA."""
    if backend not in BACKENDS:
        raise ValueError(f"backend: unknown value {backend!r}; choose one of {BACKENDS}.")
    if backend == "auto":
        backend = os.environ.get("DICECORE_BACKEND", "auto") or "auto"
        if backend not in BACKENDS:
            raise ValueError(f"DICECORE_BACKEND: unknown value {backend!r}; set it to 'torch', 'triton' or unset it.")
    if backend == "auto":
        return "triton" if probs.is_cuda and triton_available() else "torch"
    if backend == "triton":
        if not triton_available():
            raise ValueError("backend: 'triton' needs the triton package (pip install triton); use backend='torch'.")
        if not probs.is_cuda and not _interpreting():
            raise ValueError(
                f"backend: 'triton' runs on CUDA tensors, got a tensor on {probs.device}; use backend='torch' "
                "(or set TRITON_INTERPRET=1 before starting Python to run the kernels in Triton's CPU interpreter, "
                "for testing)."
            )
    return backend


# --- torch backend -----------------------------------------------------------------------------------

def _dense_target(target: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """A float ``(B, C, *spatial)`` target as it is; an integer label map ``(B, *spatial)`` as one-hot."""
    if torch.is_floating_point(target):
        return target
    return torch.zeros_like(probs).scatter_(1, target.unsqueeze(1).long(), 1)


def _modulation(probs: torch.Tensor, y: torch.Tensor, gamma: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    if gamma is None:
        return None
    g = gamma.to(probs.dtype).reshape(1, -1, *([1] * (probs.ndim - 2)))
    return (y - probs).abs() ** g  # torch gives 0**0 = 1: γ = 0 is m = 1 exactly


def _torch_sums(probs, y, gamma, squared):
    dims = tuple(range(2, probs.ndim))
    acc = torch.promote_types(probs.dtype, torch.float32)
    m = _modulation(probs, y, gamma)
    volume = torch.sum(y, dim=dims, dtype=acc)
    yk = y * y if squared else y
    pk = probs * probs if squared else probs
    if m is None:
        intersection = torch.sum(y * probs, dim=dims, dtype=acc)
        prediction = torch.sum(pk, dim=dims, dtype=acc)
        reference = torch.sum(yk, dim=dims, dtype=acc) if squared else volume.clone()
    else:
        intersection = torch.sum(m * y * probs, dim=dims, dtype=acc)
        prediction = torch.sum(m * pk, dim=dims, dtype=acc)
        reference = torch.sum(m * yk, dim=dims, dtype=acc)
    return intersection, prediction, reference, volume


def _torch_grad(probs, y, gamma, squared, g_intersection, g_prediction):
    shape = (*g_intersection.shape, *([1] * (probs.ndim - 2)))
    a = g_intersection.reshape(shape).to(probs.dtype)
    b = g_prediction.reshape(shape).to(probs.dtype)
    if squared:
        grad = torch.addcmul(y * a, probs, 2 * b)
    else:
        grad = torch.addcmul(b.expand_as(probs), y, a)
    m = _modulation(probs, y, gamma)
    return grad if m is None else grad.mul_(m)


# --- the autograd function shared by both backends ----------------------------------------------------

class _DiceSumsFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, probs, target, gamma, squared, backend):
        if backend == "triton":
            from dicecore.losses import triton_dice

            sums = triton_dice.sums(probs, target, gamma, squared)
        else:
            # One-hot once, kept for backward: on the CPU the gather/bincount alternative measured slower
            # than MONAI (benchmarks/results/dice_cpu.csv); memory is what the Triton backend saves.
            target = _dense_target(target, probs)
            sums = _torch_sums(probs, target, gamma, squared)
        ctx.save_for_backward(probs, target, gamma)
        ctx.squared, ctx.backend = squared, backend
        ctx.mark_non_differentiable(sums[2], sums[3])
        return sums

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g_intersection, g_prediction, _g_reference, _g_volume):
        probs, target, gamma = ctx.saved_tensors
        if g_intersection is None:
            g_intersection = torch.zeros(probs.shape[:2], dtype=torch.float32, device=probs.device)
        if g_prediction is None:
            g_prediction = torch.zeros(probs.shape[:2], dtype=torch.float32, device=probs.device)
        if ctx.backend == "triton":
            from dicecore.losses import triton_dice

            grad = triton_dice.grad(probs, target, gamma, ctx.squared, g_intersection, g_prediction)
        else:
            grad = _torch_grad(probs, target, gamma, ctx.squared, g_intersection, g_prediction)
        return grad.to(probs.dtype), None, None, None, None


def dice_sums(
    probs: torch.Tensor,
    target: torch.Tensor,
    *,
    squared: bool = False,
    gamma: Optional[torch.Tensor] = None,
    backend: str = "auto",
) -> DiceSums:
    """The sums ``I, P, R, V`` per (image, class) of the module docstring, differentiable in ``probs``.

    Args:
        probs: probabilities ``(B, C, *spatial)``, any float dtype (sums accumulate in float32 at least).
        target: one-hot or soft labels of the same shape (float), or an integer label map ``(B, *spatial)``
            with values in ``[0, C)`` (never expanded to one-hot by the Triton backend).
        squared: ``k = 2`` (V-Net's squared relaxation) instead of ``k = 1``.
        gamma: ``None`` for ``m = 1``, or a ``(C,)`` tensor of focusing parameters: ``m = |y − p̂|^γ_c`` with
            ``p̂`` detached (Hosseini's PM Dice).
        backend: ``"auto"``, ``"torch"`` or ``"triton"`` (see the module docstring).

    Inputs are not validated here: the losses validate them (``prepare_inputs``) before calling this.
    """
    backend = resolve_backend(backend, probs)
    if gamma is not None:
        gamma = torch.as_tensor(gamma, dtype=torch.float32, device=probs.device).reshape(-1)
        # contiguous: the kernels read γ_c at offset c (an expanded scalar has stride 0)
        gamma = (gamma.expand(probs.shape[1]) if gamma.numel() == 1 else gamma).contiguous()
        if gamma.numel() != probs.shape[1]:
            raise ValueError(f"gamma: expected 1 or {probs.shape[1]} focusing parameters (one per class), "
                             f"got {gamma.numel()}.")
    if target.requires_grad:
        raise ValueError("target: the fused sums differentiate only the prediction; detach the target (or, for "
                         "dice_loss and generalized_dice_loss, pass closed_form_backward=False).")
    return DiceSums(*_DiceSumsFunction.apply(probs, target, gamma, bool(squared), backend))


def group_by_phi(per_image_class: torch.Tensor, phi: str) -> torch.Tensor:
    """Sum ``(B, C)`` per-(image, class) values into one value per subset φ of Φ (Tilborghs 2022, Fig. 1).

    ``"I"`` → ``(B, C)``; ``"CI"`` → ``(B,)``; ``"BI"`` → ``(C,)``; ``"BCI"`` → ``()``.
    """
    if phi == "I":
        return per_image_class
    if phi == "CI":
        return per_image_class.sum(1)
    if phi == "BI":
        return per_image_class.sum(0)
    if phi == "BCI":
        return per_image_class.sum()
    raise ValueError(f"phi: unknown partition {phi!r}; choose one of ('I', 'CI', 'BI', 'BCI').")
