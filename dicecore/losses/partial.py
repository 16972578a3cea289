"""Dice losses for partially labelled data, as Tilborghs, Bertels et al. (2022, §2.1) read them.

* :func:`marginal_dice_loss` (Shi et al. 2021): per image, the predicted probabilities of the classes
  that image leaves unannotated are added to the background prediction, and the soft Dice is taken over
  the background and the annotated classes only.
* :func:`leaf_dice_loss` (Fidon et al. 2021), in the reading of Tilborghs et al.: the image-wise Dice
  loss DL_I with every subset φ whose reference is empty (Σ_φ y = 0) removed from the partition.

Both take probabilities (or logits with ``activation``) of shape ``(B, C, *spatial)``, channel 0 being the
background, and a one-hot or label-map target in which unannotated classes are simply absent.
"""

from __future__ import annotations

from typing import Optional

import torch

from dicecore.losses.dice import check_no_zero_denominator, dice_terms, prepare_inputs, reduction_dims

__all__ = ["marginal_dice_loss", "leaf_dice_loss"]


def _image_wise(p: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """1 − sDSC per (b, c): Eq. 3's terms from :func:`~dicecore.losses.dice.dice_terms` with Φ = I."""
    numerator, denominator = dice_terms(p, y, "I", False, eps, eps)
    check_no_zero_denominator(denominator, "I", eps)
    return 1.0 - numerator / denominator


def marginal_dice_loss(
    input: torch.Tensor, target: torch.Tensor, annotated: torch.Tensor, eps: float = 1e-7, *,
    include_background: bool = True, activation: Optional[str] = None, to_onehot_y: bool = False,
    validate: bool = True,
) -> torch.Tensor:
    """Marginal Dice loss: unannotated classes merged into the background before an image-wise Dice.

    Args:
        annotated: bool (B, C): which classes image b annotates (the background, channel 0, always counts
            as annotated). ``annotated[b, c] = False`` means class c may be present in image b but is
            labelled as background there.
        include_background: keep the (merged) background map in the mean (the paper ignores it for ACDC).

    Returns the mean over the annotated (b, c) of 1 − sDSC.
    """
    prep = prepare_inputs(input, target, eps=eps, activation=activation, to_onehot_y=to_onehot_y, validate=validate)
    p, y = prep.probs, prep.target
    mask = torch.as_tensor(annotated, dtype=torch.bool, device=p.device)
    if mask.shape != p.shape[:2]:
        raise ValueError(f"annotated: expected a bool mask of shape (B, C) = {tuple(p.shape[:2])}, got {tuple(mask.shape)}.")
    if p.shape[1] < 2:
        raise ValueError("input: the marginal Dice needs a background channel and at least one class (C ≥ 2).")
    mask = mask.clone()
    mask[:, 0] = True
    shape = (*mask.shape, *([1] * (p.ndim - 2)))
    keep = mask.reshape(shape).to(p.dtype)
    merged = p * keep
    merged = torch.cat([merged[:, :1] + (p * (1 - keep)).sum(1, keepdim=True), merged[:, 1:]], dim=1)
    if validate and bool((y * (1 - keep)).sum() > 0):
        raise ValueError("target: a class marked unannotated in `annotated` has labels in `target`; "
                         "relabel it as background or mark it annotated.")
    loss = _image_wise(merged, y, prep.smooth_nr)
    if not include_background:
        loss, mask = loss[:, 1:], mask[:, 1:]
    return loss[mask].mean()


def leaf_dice_loss(
    input: torch.Tensor, target: torch.Tensor, eps: float = 1e-7, *, include_background: bool = True,
    activation: Optional[str] = None, to_onehot_y: bool = False, validate: bool = True,
) -> torch.Tensor:
    """DL_I over the subsets φ = (b, c) whose reference is not empty; 0 if every reference map is empty."""
    prep = prepare_inputs(input, target, eps=eps, include_background=include_background, activation=activation,
                          to_onehot_y=to_onehot_y, validate=validate)
    loss = _image_wise(prep.probs, prep.target, prep.smooth_nr)
    present = prep.target.sum(dim=reduction_dims("I", prep.target.ndim)) > 0
    if not bool(present.any()):
        return (prep.probs.sum() * 0.0).to(loss.dtype)  # keeps the graph; nothing to learn from
    return loss[present].mean()
