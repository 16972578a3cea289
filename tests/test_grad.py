"""dicecore.grad.dice_loss_grad: Eq. 4 against autograd in float64, for every Φ, L1/L2, activation."""

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dicecore.grad import autograd_dice_grad, dice_loss_grad
from dicecore.losses import PHIS

CASES = list(itertools.product(PHIS, [False, True], [None, "sigmoid", "softmax"], [True, False], ["mean", "sum"]))


@pytest.mark.parametrize("phi,squared,activation,include_background,reduction", CASES)
def test_eq4_matches_autograd(phi, squared, activation, include_background, reduction):
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(3, 4, 6, 5, generator=gen, dtype=torch.float64)
    if activation is None:
        x = torch.sigmoid(x)
    y = torch.randint(0, 4, (3, 6, 5), generator=gen)
    y[0][y[0] == 2] = 1  # an empty map in image 0
    kw = dict(phi=phi, eps=0.01, squared=squared, activation=activation,
              include_background=include_background, reduction=reduction)
    if phi in ("I", "BI"):
        kw["weight"] = [0.5, 1.0, 2.0, 3.0][(0 if include_background else 1):]
    torch.testing.assert_close(dice_loss_grad(x, y, **kw), autograd_dice_grad(x, y, **kw), rtol=1e-10, atol=1e-13)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(2, 30), st.sampled_from(PHIS), st.booleans(),
       st.sampled_from([0.0, 1e-7, 1.0, 50.0]), st.integers(0, 2**31 - 1))
def test_eq4_matches_autograd_random(b, c, n, phi, squared, smooth_nr, seed):
    gen = torch.Generator().manual_seed(seed)
    p = torch.rand(b, c, n, generator=gen, dtype=torch.float64)
    y = (torch.rand(b, c, n, generator=gen, dtype=torch.float64) > 0.6).double()
    kw = dict(phi=phi, smooth_nr=smooth_nr, smooth_dr=1e-3, squared=squared)
    torch.testing.assert_close(dice_loss_grad(p, y, **kw), autograd_dice_grad(p, y, **kw), rtol=1e-9, atol=1e-12)


def test_l1_gradient_takes_two_values_per_phi():
    gen = torch.Generator().manual_seed(0)
    p = torch.rand(1, 1, 200, generator=gen, dtype=torch.float64)
    y = (torch.rand(1, 1, 200, generator=gen) > 0.5).double()
    g1 = dice_loss_grad(p, y, "I")
    assert torch.unique(g1).numel() == 2
    assert torch.unique(g1[y == 1]).numel() == 1 and torch.unique(g1[y == 0]).numel() == 1
    g2 = dice_loss_grad(p, y, "I", squared=True)
    assert torch.unique(g2).numel() > 150


def test_gradients_do_not_leak_across_subsets():
    # image-wise: changing image 1 changes nothing in the gradient of image 0 except through 1/|Φ| (fixed)
    gen = torch.Generator().manual_seed(3)
    p = torch.rand(2, 1, 10, generator=gen, dtype=torch.float64)
    y = (torch.rand(2, 1, 10, generator=gen) > 0.5).double()
    g = dice_loss_grad(p, y, "I")
    p2 = p.clone()
    p2[1] = torch.rand(1, 10, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(dice_loss_grad(p2, y, "I")[0], g[0])
    assert not torch.allclose(dice_loss_grad(p2, y, "BI")[0], dice_loss_grad(p, y, "BI")[0])


def test_grad_errors():
    p = torch.full((1, 1, 4), 0.5)
    y = torch.zeros(1, 1, 4)
    with pytest.raises(ValueError, match="reduction"):
        dice_loss_grad(p, y, reduction="none")
    with pytest.raises(ValueError, match="phi"):
        dice_loss_grad(p, y, phi="X")
    with pytest.raises(ValueError, match="eps: with ε = 0"):
        dice_loss_grad(torch.zeros(1, 1, 4), y, eps=0.0)


# --- the loss's own backward (closed form) equals autograd ------------------------------------------

@pytest.mark.parametrize("phi,squared,reduction", list(itertools.product(PHIS, [False, True], ["mean", "sum", "none"])))
def test_dice_loss_backward_is_eq4(phi, squared, reduction):
    from dicecore.losses import dice_loss

    gen = torch.Generator().manual_seed(11)
    x = torch.randn(3, 3, 5, 4, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (3, 5, 4), generator=gen)
    kw = dict(phi=phi, eps=0.1, squared=squared, activation="softmax", reduction=reduction)
    if phi in ("I", "BI"):
        kw["weight"] = [0.3, 1.0, 2.0]
    grads = []
    for closed in (True, False):
        xi = x.clone().requires_grad_(True)
        loss = dice_loss(xi, y, closed_form_backward=closed, **kw)
        upstream = torch.linspace(0.5, 2.0, loss.numel(), dtype=torch.float64).reshape(loss.shape)
        loss.backward(upstream)
        grads.append(xi.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-10, atol=1e-13)


def test_closed_form_backward_matches_autograd_through_monai():
    # independent of dicecore's forward code: MONAI's DiceLoss differentiated by autograd
    from monai.losses import DiceLoss as MonaiDiceLoss

    from dicecore.losses import DiceLoss

    gen = torch.Generator().manual_seed(5)
    x = torch.randn(2, 4, 6, 6, 6, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 4, (2, 1, 6, 6, 6), generator=gen)
    for batch, squared in itertools.product((False, True), (False, True)):
        kw = dict(softmax=True, to_onehot_y=True, batch=batch, squared_pred=squared, smooth_nr=1e-5, smooth_dr=1e-5)
        a, b = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
        DiceLoss(**kw)(a, y).backward()
        MonaiDiceLoss(**kw)(b, y).backward()
        # MONAI's squared path computes Σyŷ by cancellation (see test_dice.py): looser there
        tol = dict(rtol=1e-5, atol=1e-10) if squared else dict(rtol=1e-9, atol=1e-14)
        torch.testing.assert_close(a.grad, b.grad, **tol)


def test_closed_form_backward_in_bfloat16_and_soft_target_route():
    from dicecore.losses import dice_loss

    gen = torch.Generator().manual_seed(2)
    x = torch.randn(2, 2, 32, 32, generator=gen)
    y = torch.randint(0, 2, (2, 32, 32), generator=gen)
    ref = autograd_dice_grad(x, y, activation="softmax")
    xb = x.to(torch.bfloat16).requires_grad_(True)
    dice_loss(xb, y, activation="softmax").backward()
    assert xb.grad.dtype == torch.bfloat16
    torch.testing.assert_close(xb.grad.float(), ref, rtol=0.05, atol=2e-4)
    # a target that requires grad (e.g. a teacher's soft labels) takes the autograd route
    soft = torch.rand(2, 2, 32, 32, generator=gen).requires_grad_(True)
    dice_loss(torch.sigmoid(x), soft).backward()
    assert soft.grad is not None and torch.isfinite(soft.grad).all()


def test_double_backward_needs_the_autograd_route():
    from dicecore.losses import dice_loss

    x = torch.rand(1, 1, 8, dtype=torch.float64, requires_grad=True)
    y = (torch.arange(8) % 2).reshape(1, 1, 8).double()
    (g,) = torch.autograd.grad(dice_loss(x, y, closed_form_backward=False), x, create_graph=True)
    assert g.sum().requires_grad
    (g,) = torch.autograd.grad(dice_loss(x, y), x, create_graph=True)
    with pytest.raises(RuntimeError):
        torch.autograd.grad(g.sum(), x)


# --- Sudre et al.'s printed two-class GDL gradient -------------------------------------------------

def test_sudre_printed_gdl_gradient_has_the_wrong_sign():
    from dicecore.grad import gdl_two_class_gradient, sudre_gdl_gradient_printed, two_class_gdl

    for seed in range(5):
        g = torch.Generator().manual_seed(seed)
        p = torch.rand(40, generator=g, dtype=torch.float64, requires_grad=True)
        r = (torch.rand(40, generator=g) > 0.7).double()
        w1, w2 = 1 / r.sum() ** 2, 1 / (1 - r).sum() ** 2
        two_class_gdl(p, r, w1, w2).backward()
        torch.testing.assert_close(gdl_two_class_gradient(p.detach(), r, w1, w2), p.grad, rtol=1e-10, atol=1e-14)
        torch.testing.assert_close(sudre_gdl_gradient_printed(p.detach(), r, w1, w2), -p.grad, rtol=1e-10,
                                   atol=1e-14)
        assert not torch.allclose(sudre_gdl_gradient_printed(p.detach(), r, w1, w2), p.grad)
