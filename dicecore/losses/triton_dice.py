"""Triton kernels of :mod:`dicecore.losses.sums`: the four Dice sums forward, the closed-form gradient backward.

Imported only when the Triton backend is used. Layout: ``probs`` is viewed as ``(B, C, S)`` (``S`` the
number of voxels), the target as ``(B, C, S)`` floats or a ``(B, S)`` integer label map. Each program takes
one image ``b`` and one block of ``BLOCK`` voxels, loads the block of labels once and loops over the
classes, so the forward pass reads the prediction and the label map exactly once. Per-block partial sums
go to a ``(B, C, 4, n_blocks)`` buffer that one small ``sum`` reduces, so results do not depend on the order
in which blocks finish (no atomics: the same numbers on every run). Arithmetic is float32 whatever the
input dtype. Under ``TRITON_INTERPRET=1`` the same kernels run on the CPU in Triton's interpreter, which
is how the tests check them on machines without a GPU.
"""

from __future__ import annotations

from typing import Optional

import torch
import triton
import triton.language as tl

__all__ = ["sums", "grad", "BLOCK"]

#: Voxels per program; one program handles every class of its block.
BLOCK = 2048
NUM_WARPS = 8


@triton.jit
def _modulation(y, p, g):
    # m = |y − p|^γ, with 0^0 = 1 (γ = 0 gives m = 1 exactly, as torch's pow)
    d = tl.abs(y - p)
    m = tl.where(d > 0, tl.exp2(g * tl.log2(tl.maximum(d, 1e-38))), tl.where(g == 0, 1.0, 0.0))
    return m.to(tl.float32)  # the interpreter promotes the scalar branch to float64


@triton.jit
def _block(t_ptr, S, LABELS: tl.constexpr, BLOCK: tl.constexpr):
    """This program's image ``b``, its voxel offsets and mask, and (label maps) the block's labels, read once."""
    b = tl.program_id(1)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < S
    if LABELS:
        lab = tl.load(t_ptr + b.to(tl.int64) * S + offs, mask=mask, other=-1).to(tl.int32)
    else:
        lab = tl.zeros([BLOCK], dtype=tl.int32)
    return b, offs, mask, lab


@triton.jit
def _reference(t_ptr, lab, c, base, offs, mask, LABELS: tl.constexpr):
    """``y`` of class ``c`` on the block: 1 where the label is ``c``, or the float target's values."""
    if LABELS:
        y = tl.where(lab == c, 1.0, 0.0)
    else:
        y = tl.load(t_ptr + base + offs, mask=mask, other=0.0).to(tl.float32)
    return y


@triton.jit
def _sums_kernel(p_ptr, t_ptr, gamma_ptr, out_ptr, S, C, n_blocks,
                 LABELS: tl.constexpr, SQUARED: tl.constexpr, MODULATED: tl.constexpr, BLOCK: tl.constexpr):
    blk = tl.program_id(0)
    b, offs, mask, lab = _block(t_ptr, S, LABELS, BLOCK)
    for c in range(C):
        base = (b * C + c).to(tl.int64) * S
        p = tl.load(p_ptr + base + offs, mask=mask, other=0.0).to(tl.float32)
        y = _reference(t_ptr, lab, c, base, offs, mask, LABELS)
        if SQUARED:
            pk = p * p
            yk = y * y
        else:
            pk = p
            yk = y
        if MODULATED:
            m = _modulation(y, p, tl.load(gamma_ptr + c))
            m = tl.where(mask, m, 0.0)
            wy = m * y
            pk = m * pk
            yk = m * yk
        else:
            wy = y
        o = out_ptr + (b * C + c).to(tl.int64) * 4 * n_blocks + blk
        tl.store(o, tl.sum(wy * p, axis=0))
        tl.store(o + n_blocks, tl.sum(pk, axis=0))
        tl.store(o + 2 * n_blocks, tl.sum(yk, axis=0))
        tl.store(o + 3 * n_blocks, tl.sum(y, axis=0))


@triton.jit
def _grad_kernel(p_ptr, t_ptr, gamma_ptr, gi_ptr, gp_ptr, grad_ptr, S, C,
                 LABELS: tl.constexpr, SQUARED: tl.constexpr, MODULATED: tl.constexpr, NEED_P: tl.constexpr,
                 BLOCK: tl.constexpr):
    b, offs, mask, lab = _block(t_ptr, S, LABELS, BLOCK)
    for c in range(C):
        base = (b * C + c).to(tl.int64) * S
        gi = tl.load(gi_ptr + b * C + c)
        gp = tl.load(gp_ptr + b * C + c)
        y = _reference(t_ptr, lab, c, base, offs, mask, LABELS)
        if NEED_P:
            p = tl.load(p_ptr + base + offs, mask=mask, other=0.0).to(tl.float32)
        if SQUARED:
            g = gi * y + 2.0 * gp * p
        else:
            g = gi * y + gp
        if MODULATED:
            g = g * _modulation(y, p, tl.load(gamma_ptr + c))
        tl.store(grad_ptr + base + offs, g.to(grad_ptr.dtype.element_ty), mask=mask)


def _flat(probs: torch.Tensor, target: torch.Tensor):
    """Contiguous ``(B, C, S)`` prediction and ``(B, C, S)`` float target or ``(B, S)`` label map."""
    b, c = probs.shape[:2]
    p = probs.contiguous().view(b, c, -1)
    if torch.is_floating_point(target):
        t = target.contiguous().view(b, c, -1)
    else:
        t = target.contiguous().view(b, -1)
        if t.dtype == torch.bool:
            t = t.view(torch.uint8)
    return p, t


def sums(probs: torch.Tensor, target: torch.Tensor, gamma: Optional[torch.Tensor], squared: bool):
    """The four ``(B, C)`` sums of :class:`~dicecore.losses.sums.DiceSums` (float32; float64 for float64 input)."""
    p, t = _flat(probs, target)
    b, c, s = p.shape
    n_blocks = triton.cdiv(s, BLOCK)
    out = torch.empty((b, c, 4, n_blocks), dtype=torch.float32, device=p.device)
    gamma_arg = gamma if gamma is not None else out  # never read when MODULATED is False
    _sums_kernel[(n_blocks, b)](
        p, t, gamma_arg, out, s, c, n_blocks, LABELS=not torch.is_floating_point(t), SQUARED=bool(squared),
        MODULATED=gamma is not None, BLOCK=BLOCK, num_warps=NUM_WARPS,
    )
    total = out.sum(-1)
    if probs.dtype == torch.float64:  # float64 inputs get float64 sums, as the torch backend gives
        total = total.double()
    return total[..., 0], total[..., 1], total[..., 2], total[..., 3]


def grad(probs, target, gamma, squared, g_intersection, g_prediction):
    """∂loss/∂p from ``g^I`` and ``g^P`` (the module docstring of :mod:`dicecore.losses.sums`), one pass."""
    p, t = _flat(probs, target)
    b, c, s = p.shape
    out = torch.empty_like(p)
    gi = g_intersection.to(torch.float32).contiguous()
    gp = g_prediction.to(torch.float32).contiguous()
    gamma_arg = gamma if gamma is not None else gi
    _grad_kernel[(triton.cdiv(s, BLOCK), b)](
        p, t, gamma_arg, gi, gp, out, s, c, LABELS=not torch.is_floating_point(t), SQUARED=bool(squared),
        MODULATED=gamma is not None, NEED_P=bool(squared) or gamma is not None, BLOCK=BLOCK, num_warps=NUM_WARPS,
    )
    return out.view(probs.shape)
