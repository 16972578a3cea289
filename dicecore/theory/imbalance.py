"""How a loss splits its gradient between a small foreground and a large background (Sudre et al., Chapter 3).

:func:`gradient_balance` builds one image of ``n`` voxels of which a fraction ``fg_fraction`` is
foreground, predicted ``p_fg`` there and ``p_bg`` elsewhere, and returns the mean ``|∂loss/∂p|`` on the
foreground and on the background voxels, by autograd. A loss that "re-balances" keeps the foreground's
share of the total gradient from vanishing as the foreground shrinks.
"""

from __future__ import annotations

from typing import Callable

import torch

__all__ = ["gradient_balance"]


def gradient_balance(loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], fg_fraction: float,
                     n: int = 100_000, p_fg: float = 0.6, p_bg: float = 0.05) -> dict:
    """Mean ``|gradient|`` per foreground and background voxel, and the foreground's share of the total.

    ``loss_fn(p, r)`` takes foreground probabilities and the reference, both (1, 1, n), float64.
    """
    if not 0 < fg_fraction < 1:
        raise ValueError(f"fg_fraction: must lie in (0, 1), got {fg_fraction}.")
    n_fg = max(1, int(round(fg_fraction * n)))
    if n_fg >= n:
        raise ValueError("fg_fraction, n: leave at least one background voxel.")
    if not (0 <= p_fg <= 1 and 0 <= p_bg <= 1):
        raise ValueError("p_fg, p_bg: probabilities in [0, 1].")
    r = torch.zeros(1, 1, n, dtype=torch.float64)
    r[..., :n_fg] = 1.0
    p = torch.where(r > 0, torch.tensor(p_fg, dtype=torch.float64), torch.tensor(p_bg, dtype=torch.float64))
    p.requires_grad_(True)
    loss_fn(p, r).backward()
    g = p.grad.abs().flatten()
    fg, bg = g[:n_fg].mean().item(), g[n_fg:].mean().item()
    total_fg, total_bg = g[:n_fg].sum().item(), g[n_fg:].sum().item()
    return {"fg_fraction": n_fg / n, "grad_fg": fg, "grad_bg": bg,
            "fg_share": total_fg / (total_fg + total_bg) if total_fg + total_bg > 0 else float("nan")}
