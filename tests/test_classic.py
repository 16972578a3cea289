"""dicecore.losses.classic: WCE (both weightings), DL₂ and SS as printed by Sudre et al. — values and gradients."""

import math

import pytest
import torch

from dicecore.losses import dice_loss
from dicecore.losses.classic import sensitivity_specificity_loss, two_class_dice_loss, weighted_cross_entropy

R = torch.tensor([1.0, 1, 0, 0]).reshape(1, 1, 4)
P = torch.tensor([0.5, 0.9, 0.5, 0.1]).reshape(1, 1, 4)


def test_wce_hand_worked():
    # printed: w = (N − Σp)/Σp = (4 − 2)/2 = 1 → plain mean CE
    ce = -(math.log(0.5) + math.log(0.9) + math.log(0.5) + math.log(0.9)) / 4
    assert weighted_cross_entropy(P, R).item() == pytest.approx(ce, rel=1e-6)
    # reference weighting: w = (4 − 2)/2 = 1 too; change the reference to one voxel: w = 3
    r1 = torch.tensor([1.0, 0, 0, 0]).reshape(1, 1, 4)
    expect = -(3 * math.log(0.5) + math.log(0.1) + math.log(0.5) + math.log(0.9)) / 4
    assert weighted_cross_entropy(P, r1, weight_from="reference").item() == pytest.approx(expect, rel=1e-6)
    # the printed weighting differentiates through w(p): its gradient differs from the constant-w variant
    p1 = P.clone().requires_grad_(True)
    p2 = P.clone().requires_grad_(True)
    weighted_cross_entropy(p1, r1).backward()
    w = (4 - P.sum()) / P.sum()
    (-(w * r1 * torch.log(p2) + (1 - r1) * torch.log(1 - p2)).sum() / 4).backward()
    assert not torch.allclose(p1.grad, p2.grad)


def test_wce_without_foreground_is_plain_ce():
    r0 = torch.zeros(1, 1, 4)
    ce = -(torch.log(1 - P)).mean().item()
    assert weighted_cross_entropy(P, r0, weight_from="reference").item() == pytest.approx(ce, rel=1e-6)


def test_dl2_is_one_minus_the_mean_two_class_dice():
    g = torch.Generator().manual_seed(0)
    p = torch.rand(3, 1, 20, generator=g, dtype=torch.float64)
    r = (torch.rand(3, 1, 20, generator=g) > 0.6).double()
    two = torch.cat([1 - p, p], 1), torch.cat([1 - r, r], 1)
    # with ε = 0: DL₂ = 1 − ½(Dice_fg + Dice_bg), i.e. Eq. 3 with Φ = I over the two maps (the ½ of the
    # mean absorbs the 2 missing from the printed numerators)
    ours = two_class_dice_loss(p, r, eps=0.0)
    assert ours.item() == pytest.approx(dice_loss(*two, "I", 0.0).item(), rel=1e-12)


def test_ss_hand_worked():
    # sens: Σ(r−p)² r / Σr = (0.25 + 0.01)/2 = 0.13; spec: (0.25 + 0.01)/2 = 0.13
    assert sensitivity_specificity_loss(P, R, lam=0.05, eps=0.0).item() == pytest.approx(0.13)
    assert sensitivity_specificity_loss(R.clone(), R).item() == pytest.approx(0.0)


@pytest.mark.parametrize("fn", [weighted_cross_entropy, two_class_dice_loss, sensitivity_specificity_loss])
def test_logits_route_and_gradients_are_finite(fn):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 1, 6, 6, generator=g, dtype=torch.float64, requires_grad=True)
    r = (torch.rand(2, 1, 6, 6, generator=g) > 0.8).double()
    loss = fn(x, r, activation="sigmoid")
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all()
    assert fn(torch.sigmoid(x.detach()), r).item() == pytest.approx(loss.item())
    assert fn(torch.sigmoid(x.detach()), r, phi="BI", reduction="none").shape == (1,)


def test_errors():
    with pytest.raises(ValueError, match="one foreground map"):
        two_class_dice_loss(torch.rand(1, 2, 4), torch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="weight_from"):
        weighted_cross_entropy(P, R, weight_from="both")
    with pytest.raises(ValueError, match="lam"):
        sensitivity_specificity_loss(P, R, lam=2.0)
    with pytest.raises(ValueError, match="phi"):
        two_class_dice_loss(P, R, phi="CI")
    with pytest.raises(ValueError, match="activation"):
        weighted_cross_entropy(P, R, activation="softmax")
    with pytest.raises(ValueError, match="not probabilities"):
        sensitivity_specificity_loss(P + 1, R)
