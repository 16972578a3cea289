"""How a loss splits its gradient between a small foreground and a large background (Sudre et al., Chapter 3).

:func:`gradient_balance` builds one image of ``n`` voxels of which a fraction ``fg_fraction`` is
foreground, predicted ``p_fg`` there and ``p_bg`` elsewhere, and returns the mean ``|∂loss/∂p|`` on the
foreground and on the background voxels, by autograd. A loss that "re-balances" keeps the foreground's
share of the total gradient from vanishing as the foreground shrinks.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

__all__ = ["gradient_balance", "gradient_focus", "stop_gradient_ablation"]


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


def _logit_gradient(loss_fn: Callable, probability: np.ndarray, mask: np.ndarray) -> tuple[float, torch.Tensor]:
    """The loss and its gradient on the two-channel softmax logits ``log p`` of a foreground probability map."""
    p = torch.as_tensor(np.clip(probability, 1e-6, 1 - 1e-6), dtype=torch.float64)
    logits = torch.stack([torch.log1p(-p), torch.log(p)])[None].clone().requires_grad_(True)
    y = torch.as_tensor(np.asarray(mask), dtype=torch.float64)
    loss = loss_fn(logits, torch.stack([1 - y, y])[None], activation="softmax")
    loss.backward()
    return float(loss.detach()), logits.grad


def _share(grad: torch.Tensor, region) -> float:
    magnitude = grad.abs().sum((0, 1)).numpy()
    total = magnitude.sum()
    return float(magnitude[np.asarray(region, bool)].sum() / total) if total > 0 else float("nan")


def gradient_focus(loss_fn: Callable, probability: np.ndarray, mask: np.ndarray,
                   regions: "dict[str, np.ndarray]") -> dict:
    """Where a loss pushes: the loss value and the share of the gradient magnitude that falls in each region.

    ``probability`` (H, W) is a foreground probability map, ``mask`` (H, W) the reference; the two-channel
    (background, foreground) softmax logits ``log p`` are differentiated, so the shares are of
    ``Σ |∂L/∂logit|`` over both channels, the signal a network's last layer receives. ``regions`` maps
    names to boolean (H, W) masks (they need not cover the image). ``loss_fn(logits, one_hot,
    activation="softmax")`` is any loss of :mod:`dicecore.losses` with that signature.
    """
    loss, grad = _logit_gradient(loss_fn, probability, mask)
    return {"loss": loss, **{name: _share(grad, region) for name, region in regions.items()}}


def stop_gradient_ablation(probability: np.ndarray, mask: np.ndarray, region: np.ndarray,
                           gammas=(0.5, 1.0, 2.0, 5.0)) -> "pd.DataFrame":
    """PM Dice with and without its stop-gradient on ``m`` (Hosseini Eq. 5), on one prediction: per γ, the
    cosine between the two gradients on the logits and each one's share of the gradient in ``region``
    (the same logits and shares as :func:`gradient_focus`)."""
    import pandas as pd

    from dicecore.losses import pm_dice_loss

    rows = []
    for g in gammas:
        grads = {}
        for detach in (True, False):
            _, grads[detach] = _logit_gradient(
                lambda x, t, g=g, d=detach, **kw: pm_dice_loss(x, t, gamma=g, detach_modulation=d, **kw),
                probability, mask)
        cosine = torch.nn.functional.cosine_similarity(grads[True].flatten(), grads[False].flatten(), dim=0)
        rows.append({"γ": g, "cos(detached, through m)": float(cosine), "share in region, detached":
                     _share(grads[True], region), "share in region, through m": _share(grads[False], region)})
    return pd.DataFrame(rows)
