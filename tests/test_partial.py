"""dicecore.losses.partial: marginal and leaf Dice — hand-worked cases, limits, errors."""

import pytest
import torch

from dicecore.losses import dice_loss
from dicecore.losses.partial import leaf_dice_loss, marginal_dice_loss


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    p = torch.softmax(torch.randn(2, 3, 6, 6, generator=g, dtype=torch.float64), 1)
    y = torch.randint(0, 3, (2, 6, 6), generator=g)
    return p, y


def test_marginal_with_everything_annotated_is_the_image_wise_dice():
    p, y = _batch()
    all_on = torch.ones(2, 3, dtype=torch.bool)
    assert marginal_dice_loss(p, y, all_on).item() == pytest.approx(dice_loss(p, y, "I").item(), rel=1e-12)
    assert marginal_dice_loss(p, y, all_on, include_background=False).item() == pytest.approx(
        dice_loss(p, y, "I", include_background=False).item(), rel=1e-12)


def test_marginal_merges_unannotated_class_into_background():
    p, y = _batch(1)
    y[1][y[1] == 2] = 0  # image 1 does not annotate class 2: its voxels are labelled background
    annotated = torch.tensor([[True, True, True], [True, True, False]])
    merged = p.clone()
    merged[1, 0] += merged[1, 2]
    merged[1, 2] = 0
    per = dice_loss(merged, y, "I", reduction="none")
    expect = torch.cat([per[0], per[1, :2]]).mean()
    assert marginal_dice_loss(p, y, annotated).item() == pytest.approx(expect.item(), rel=1e-12)
    # predicting class 2 in image 1 costs nothing (it is merged into the background)
    p2 = p.clone()
    p2[1, 2] += p2[1, 0]
    p2[1, 0] = 0
    assert marginal_dice_loss(p2, y, annotated).item() == pytest.approx(marginal_dice_loss(p, y, annotated).item())


def test_leaf_drops_empty_references():
    p, y = _batch(2)
    y[0][y[0] == 1] = 0  # class 1 empty in image 0
    per = dice_loss(p, y, "I", reduction="none")
    present = torch.tensor([[True, False, True], [True, True, True]])
    assert leaf_dice_loss(p, y).item() == pytest.approx(per[present].mean().item(), rel=1e-12)
    # with nothing labelled at all the loss is 0 and still differentiable
    x = p.clone().requires_grad_(True)
    empty = leaf_dice_loss(x, torch.zeros(2, 3, 6, 6, dtype=torch.float64))
    empty.backward()
    assert empty.item() == 0.0 and torch.all(x.grad == 0)


def test_errors():
    p, y = _batch()
    with pytest.raises(ValueError, match="annotated: expected a bool mask"):
        marginal_dice_loss(p, y, torch.ones(2, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="target: a class marked unannotated"):
        marginal_dice_loss(p, y, torch.tensor([[True, True, False], [True, True, True]]))
    with pytest.raises(ValueError, match="C ≥ 2"):
        marginal_dice_loss(p[:, :1] / p[:, :1], torch.ones(2, 1, 6, 6, dtype=torch.float64), torch.ones(2, 1))
