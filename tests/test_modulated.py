"""Hosseini's losses: PM Dice (Eq. 5) and every comparison loss of Tables 1–3, by hand, against autograd,
against MONAI and PyTorch where the settings match, and their limiting cases."""

import math
import re

import pytest
import torch
import torch.nn.functional as F
from monai.losses import DiceLoss as MonaiDiceLoss

from dicecore.grad import pm_dice_grad
from dicecore.losses import (
    TABLE_LOSSES, PMDiceLoss, cross_entropy_loss, dice_loss, eq4_dice_loss, focal_cross_entropy_loss,
    focal_dice_loss, logarithmic_dice_loss, loss_for_row, modulating_term, negative_topk_dice_loss, pm_dice_loss,
    topk_cross_entropy_loss, topk_dice_loss,
)
from dicecore.losses.modulated import topk_mask


def _batch(seed=0, classes=3, shape=(6, 5), absent=None):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, classes, *shape, generator=g, dtype=torch.float64)
    labels = torch.randint(0, classes, (2, 1, *shape), generator=g)
    if absent is not None:
        labels[labels == absent] = 0
    onehot = torch.zeros_like(logits).scatter_(1, labels, 1.0)
    return logits, torch.softmax(logits, 1), labels, onehot


def test_pm_dice_by_hand():
    """One image, two classes, two pixels, γ = 1: every term worked out on paper."""
    p = torch.tensor([[[0.9, 0.4]], [[0.1, 0.6]]], dtype=torch.float64).reshape(1, 2, 2)
    y = torch.tensor([[[1.0, 1.0]], [[0.0, 0.0]]], dtype=torch.float64).reshape(1, 2, 2)
    # background: m = |1 - p| = (0.1, 0.6); N = 2(0.1·0.9 + 0.6·0.4) = 0.66; D = 0.1(1 + .81) + 0.6(1 + .16) = 0.877
    # class 1 is absent from the reference → left out of the mean (average="present")
    expected = 1 - 0.66 / 0.877
    assert pm_dice_loss(p, y, gamma=1.0, eps=0.0).item() == pytest.approx(expected, rel=1e-12)
    # average="all": class 1 has m = (0.1, 0.6), N = 0, D = 0.1·0.01 + 0.6·0.36 = 0.217 → DSC 0, loss 1
    assert pm_dice_loss(p, y, gamma=1.0, eps=0.0, average="all").item() == pytest.approx((expected + 1) / 2, rel=1e-12)


def test_gamma_zero_is_eq4_dice_exactly():
    _, p, labels, y = _batch(1)
    for average in ("present", "all"):
        assert torch.equal(pm_dice_loss(p, y, gamma=0.0, average=average), eq4_dice_loss(p, y, average=average))
    assert torch.equal(modulating_term(p, y, 0.0), torch.ones_like(p))


def test_eq4_dice_is_dicecore_and_monai_dice_with_squared_denominators():
    _, p, labels, y = _batch(2)
    ours = eq4_dice_loss(p, y, average="all")
    same = dice_loss(p, y, phi="I", squared=True, eps=1e-6)
    monai = MonaiDiceLoss(squared_pred=True, smooth_nr=1e-6, smooth_dr=1e-6)(p, y)
    torch.testing.assert_close(ours, same, rtol=1e-12, atol=0)
    torch.testing.assert_close(ours, monai, rtol=1e-10, atol=0)


def test_present_average_leaves_absent_classes_out():
    _, p, _, y = _batch(3, absent=2)
    per_class = 1 - (2 * (y * p).sum((2, 3)) + 1e-6) / ((y * y + p * p).sum((2, 3)) + 1e-6)
    torch.testing.assert_close(eq4_dice_loss(p, y), per_class[:, :2].mean(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 5.0, (1.0, 2.0, 0.5)])
@pytest.mark.parametrize("average", ["present", "all"])
def test_pm_dice_gradient_closed_form_equals_autograd(gamma, average):
    _, p, _, y = _batch(4, absent=1)
    p = p.clone().requires_grad_(True)
    pm_dice_loss(p, y, gamma=gamma, average=average).backward()
    torch.testing.assert_close(pm_dice_grad(p.detach(), y, gamma, average=average), p.grad, rtol=1e-10, atol=1e-14)


def test_stop_gradient_ablation_changes_the_gradient():
    """detach_modulation=False lets the gradient flow through m = |y − p|^γ: a different direction."""
    _, p, _, y = _batch(5)
    grads = []
    for detach in (True, False):
        q = p.clone().requires_grad_(True)
        pm_dice_loss(q, y, gamma=2.0, detach_modulation=detach).backward()
        grads.append(q.grad)
    # the same value (the ablation runs on autograd, the paper's form on the fused sums: rounding only)
    torch.testing.assert_close(pm_dice_loss(p, y, gamma=2.0, detach_modulation=False), pm_dice_loss(p, y, gamma=2.0),
                               rtol=1e-14, atol=1e-15)
    cosine = F.cosine_similarity(grads[0].flatten(), grads[1].flatten(), dim=0)
    assert cosine < 0.99 and not torch.allclose(grads[0], grads[1])


def test_modulating_term_is_large_where_the_prediction_is_wrong():
    p = torch.tensor([0.95, 0.5, 0.05], dtype=torch.float64).reshape(1, 1, 3)
    y = torch.ones_like(p)
    p2, y2 = torch.cat([1 - p, p], 1), torch.cat([1 - y, y], 1)
    m = modulating_term(p2, y2, gamma=2.0)[0, 1]
    torch.testing.assert_close(m, torch.tensor([0.0025, 0.25, 0.9025], dtype=torch.float64))
    with pytest.raises(ValueError, match="gamma: expected one focusing parameter or 2"):
        modulating_term(p2, y2, gamma=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="gamma: focusing parameters must be finite and ≥ 0"):
        modulating_term(p2, y2, gamma=-1.0)


def test_cross_entropy_family_matches_pytorch():
    logits, p, labels, y = _batch(6)
    reference = F.cross_entropy(logits, labels[:, 0], reduction="none")
    torch.testing.assert_close(cross_entropy_loss(logits, y, activation="softmax"), reference.mean())
    torch.testing.assert_close(cross_entropy_loss(p, y), reference.mean(), rtol=1e-10, atol=0)
    torch.testing.assert_close(focal_cross_entropy_loss(p, y, gamma=0.0), reference.mean(), rtol=1e-10, atol=0)
    pt = p.gather(1, labels)[:, 0]
    torch.testing.assert_close(focal_cross_entropy_loss(p, y), ((1 - pt) ** 2 * reference).mean(), rtol=1e-10, atol=0)
    n_keep = int(reference.numel() * 0.1)
    expected = reference.flatten().sort(descending=True).values[:n_keep].mean()
    torch.testing.assert_close(topk_cross_entropy_loss(p, y), expected, rtol=1e-10, atol=0)
    torch.testing.assert_close(topk_cross_entropy_loss(p, y, k=100), reference.mean(), rtol=1e-10, atol=0)


def test_dice_variants_reduce_to_eq4_at_their_neutral_settings():
    _, p, _, y = _batch(7)
    dice = eq4_dice_loss(p, y)
    torch.testing.assert_close(focal_dice_loss(p, y, beta=1.0), dice, rtol=1e-12, atol=0)
    torch.testing.assert_close(negative_topk_dice_loss(p, y, k=100), dice, rtol=1e-12, atol=0)
    torch.testing.assert_close(topk_dice_loss(p, y, k=100), dice, rtol=1e-12, atol=0)
    per_class = (2 * (y * p).sum((2, 3)) + 1e-6) / ((y * y + p * p).sum((2, 3)) + 1e-6)
    torch.testing.assert_close(logarithmic_dice_loss(p, y, gamma=1.0), (-per_class.log()).mean(), rtol=1e-12, atol=0)
    torch.testing.assert_close(logarithmic_dice_loss(p, y), ((-per_class.log()) ** 0.3).mean(), rtol=1e-12, atol=0)


def test_logarithmic_dice_has_a_finite_gradient_where_a_class_is_solved():
    """(−ln DSC)^0.3 has an infinite slope at DSC = 1: a class whose DSC rounds to 1 (a confident background)
    gave autograd ∞ · 0 = NaN, which stopped every MSSEG-like training; it now contributes 0 with a zero
    gradient, and the rest of the batch keeps the gradient of its printed terms."""
    y = torch.zeros(2, 2, 4, 4, dtype=torch.float64)
    y[:, 0] = 1.0
    y[1, :, 1, 1] = torch.tensor([0.0, 1.0])  # image 1: one lesion pixel; image 0: none
    logits = torch.where(y > 0, torch.tensor(60.0), torch.tensor(-60.0)).double()
    logits[1, :, 1, 1] = torch.tensor([1.0, 0.0])  # image 1's lesion pixel half-missed; image 0 is solved
    logits.requires_grad_(True)
    loss = logarithmic_dice_loss(logits, y, activation="softmax")
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    assert torch.equal(logits.grad[0], torch.zeros_like(logits.grad[0])) and logits.grad[1].abs().sum() > 0
    p = logits.detach().softmax(1)
    dsc = (2 * (y * p).sum((2, 3)) + 1e-6) / ((y * y + p * p).sum((2, 3)) + 1e-6)
    assert dsc[0, 0] == 1.0 and dsc[1, 0] < 1 and dsc[1, 1] < 1
    # the value is the printed one: image 0's background term (−ln 1)^0.3 = 0, image 1 the mean of its classes
    torch.testing.assert_close(loss, ((-dsc[1].log()) ** 0.3).mean() / 2, rtol=1e-12, atol=0)


def test_topk_mask_keeps_the_hardest_candidates_and_every_other_pixel():
    error = torch.tensor([0.1, 0.9, 0.5, 0.3, 0.7, 0.2, 0.0, 0.4, 0.6, 0.8]).reshape(1, 1, 10)
    candidates = torch.tensor([1, 1, 1, 1, 1, 1, 0, 0, 0, 0], dtype=torch.bool).reshape(1, 1, 10)
    keep = topk_mask(error, candidates, k=34)  # ceil(0.34 · 6) = 3 of the six candidates: errors .9, .7, .5
    assert keep.flatten().tolist() == [False, True, True, False, True, False, True, True, True, True]
    assert math.isclose(topk_mask(error, candidates, k=1).flatten()[:6].sum().item(), 1)  # at least one kept
    with pytest.raises(ValueError, match=r"k: the kept share must lie in \(0, 100\]"):
        topk_mask(error, candidates, k=0)


def test_resampling_dice_losses_focus_on_their_pixels():
    """[42] keeps the hard positives: a badly missed positive raises TopK Dice far more than Eq. 4 Dice."""
    y = torch.zeros(1, 2, 20, 20, dtype=torch.float64)
    y[0, 1, 5:15, 5:15] = 1
    y[0, 0] = 1 - y[0, 1]
    p = y.clone() * 0.98 + 0.01
    p[0, 1, 5, 5:15], p[0, 0, 5, 5:15] = 0.05, 0.95  # one row of the object missed
    assert topk_dice_loss(p, y) > 2 * eq4_dice_loss(p, y)
    # [41] ignores easy negatives: with graded foreground negatives, making the easiest one a little less
    # easy (still far below the kept top 10 %) moves Eq. 4 Dice but leaves [41] unchanged
    negatives = y[0, 1] == 0
    p[0, 1][negatives] = torch.linspace(0.001, 0.3, int(negatives.sum()), dtype=torch.float64)
    q = p.clone()
    q[0, 1, 0, 0] = 0.002  # the first negative holds the smallest error, 0.001
    assert eq4_dice_loss(q, y) != eq4_dice_loss(p, y)
    torch.testing.assert_close(negative_topk_dice_loss(q, y), negative_topk_dice_loss(p, y), rtol=1e-12, atol=0)


def test_the_fourteen_table_losses():
    assert len(TABLE_LOSSES) == 14
    logits, p, labels, y = _batch(8)
    for name, loss in TABLE_LOSSES.items():
        q = logits.clone().requires_grad_(True)
        value = loss(q, labels, activation="softmax", to_onehot_y=True)
        value.backward()
        assert torch.isfinite(value) and torch.isfinite(q.grad).all() and q.grad.abs().sum() > 0, name
    per_class = loss_for_row("CE + PM Dice", gamma=(1.0, 2.0, 2.0))
    expected = cross_entropy_loss(p, y) + pm_dice_loss(p, y, gamma=(1.0, 2.0, 2.0))
    torch.testing.assert_close(per_class(p, y), expected, rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match=re.escape("name: unknown loss 'Dice++'")):
        loss_for_row("Dice++")


def test_module_form():
    _, p, labels, y = _batch(9)
    module = PMDiceLoss(gamma=2.0, to_onehot_y=True)
    torch.testing.assert_close(module(p, labels), pm_dice_loss(p, y, gamma=2.0), rtol=1e-12, atol=0)
    assert "gamma=2.0" in repr(module)
    with pytest.raises(ValueError, match="average: unknown value 'some'"):
        PMDiceLoss(average="some")
