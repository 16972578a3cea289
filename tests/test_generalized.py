"""dicecore.losses.generalized: Sudre et al.'s GDL — hand-worked, MONAI equality, absent classes, errors."""

import itertools
import warnings

import pytest
import torch
from hypothesis import given, settings

from dicecore.grad import two_class_gdl
from dicecore.losses.generalized import GeneralizedDiceLoss, generalized_dice_loss, generalized_dice_weights
from _monai_cases import cases, monai_value

monai_losses = pytest.importorskip("monai.losses")


def test_hand_worked_two_classes():
    # one image, 4 voxels; classes: background, foreground
    r = torch.tensor([[[1.0, 1, 0, 0], [0, 0, 1, 1]]])  # bg volume 2, fg volume 2
    p = torch.tensor([[[0.5, 1, 0.5, 0], [0.5, 0, 0.5, 1]]])
    # w = 1/4 each; Σ w tp = (1.5 + 1.5)/4; Σ w (r + p) = (4 + 4)/4 → GDL = 1 − 2·0.75/2 = 0.25
    assert generalized_dice_loss(p, r, eps=0.0).item() == pytest.approx(0.25)
    assert generalized_dice_loss(p, r, weight_type="uniform", eps=0.0).item() == pytest.approx(0.25)


def test_equals_the_two_class_form_with_volume_weights():
    g = torch.Generator().manual_seed(1)
    fg = torch.rand(1, 1, 30, generator=g, dtype=torch.float64)
    ref = (torch.rand(1, 1, 30, generator=g) > 0.7).double()
    p2, r2 = torch.cat([1 - fg, fg], 1), torch.cat([1 - ref, ref], 1)
    w1, w2 = 1 / ref.sum() ** 2, 1 / (1 - ref).sum() ** 2
    ours = generalized_dice_loss(p2, r2, eps=0.0)
    assert ours.item() == pytest.approx(two_class_gdl(fg.flatten(), ref.flatten(), w1, w2).item(), rel=1e-12)


GRID = list(itertools.product([True, False], ["softmax", "sigmoid", None], [False, True],
                              ["square", "simple", "uniform"], ["mean", "sum"]))


@pytest.mark.parametrize("include_background,activation,batch,w_type,reduction", GRID)
def test_matches_monai(include_background, activation, batch, w_type, reduction):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(3, 4, 6, 5, 4, generator=g, dtype=torch.float64)
    if activation is None:
        x = torch.softmax(x, 1)
    y = torch.randint(0, 4, (3, 1, 6, 5, 4), generator=g)
    y[0][y[0] == 2] = 0  # class 2 absent from image 0
    y[1][:] = 0  # only background in image 1
    kw = dict(include_background=include_background, to_onehot_y=True, sigmoid=activation == "sigmoid",
              softmax=activation == "softmax", batch=batch, w_type=w_type, reduction=reduction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = monai_losses.GeneralizedDiceLoss(**kw)(x, y)
    ours = GeneralizedDiceLoss(**kw)(x, y)
    # MONAI computes the weights in float32 (ground_o.float()), so agreement is to float32 precision
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(cases("generalized"))
def test_module_is_a_monai_drop_in(case):
    """Every MONAI 1.6 keyword (other_act, soft_label …), random shapes: the same values and shapes."""
    kw, x, target = case
    theirs = monai_value(monai_losses.GeneralizedDiceLoss, kw, x, target)
    ours = GeneralizedDiceLoss(**kw)(x, target)
    assert ours.shape == theirs.shape, (kw, ours.shape, theirs.shape)
    # MONAI computes the weights in float32 (ground_o.float()), so agreement is to float32 precision
    torch.testing.assert_close(ours, theirs, rtol=2e-6, atol=1e-8)


def test_module_takes_monai_arguments_in_monai_order():
    import inspect

    ours = inspect.signature(GeneralizedDiceLoss).parameters
    theirs = inspect.signature(monai_losses.GeneralizedDiceLoss).parameters
    assert list(ours)[:len(theirs)] == list(theirs)
    assert all(ours[k].default == v.default for k, v in theirs.items())


def test_absent_classes_give_no_inf_or_nan():
    w = generalized_dice_weights(torch.tensor([[4.0, 0.0, 2.0], [0.0, 0.0, 0.0]]))
    torch.testing.assert_close(w, torch.tensor([[1 / 16, 1 / 4, 1 / 4], [0.0, 0.0, 0.0]]))
    x = torch.rand(2, 3, 8, 8, requires_grad=True)
    y = torch.zeros(2, 3, 8, 8)
    y[0, 0] = 1  # image 0: only class 0; image 1: nothing at all
    loss = generalized_dice_loss(x, y)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all()
    # image 1 has no reference in any class: weights 0, loss 1 − ε_nr/ε_dr = 0
    assert generalized_dice_loss(x, y, reduction="none")[1].item() == pytest.approx(0.0)
    # false positives in an absent class are penalised (it takes the largest weight of the image)
    perfect = y.clone()
    fp = y.clone()
    fp[0, 1, :2] = 1
    assert generalized_dice_loss(fp, y, reduction="none")[0] > generalized_dice_loss(perfect, y, reduction="none")[0]


def test_errors():
    x, y = torch.rand(2, 2, 4, 4), torch.randint(0, 2, (2, 4, 4))
    with pytest.raises(ValueError, match="phi"):
        generalized_dice_loss(x, y, phi="I")
    with pytest.raises(ValueError, match="weight_type"):
        generalized_dice_loss(x, y, weight_type="cubic")
    with pytest.raises(ValueError, match="eps: with ε = 0"):
        generalized_dice_loss(torch.zeros(1, 2, 4), torch.zeros(1, 2, 4), eps=0.0, weight_type="uniform")
    with pytest.raises(ValueError, match="target: shape"):
        generalized_dice_loss(x, torch.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="w_type"):
        GeneralizedDiceLoss(w_type="cubic")
    with pytest.raises(ValueError, match="sigmoid, softmax"):
        GeneralizedDiceLoss(sigmoid=True, softmax=True)
