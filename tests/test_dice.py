"""dicecore.losses.dice: Eq. 3 of Tilborghs et al. 2022 — hand-worked values, MONAI equality, errors, properties."""

import itertools
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dicecore.losses import PHIS, DiceLoss, dice_loss, phi_count, reduction_dims
from _monai_cases import cases, monai_value

monai_losses = pytest.importorskip("monai.losses")


def _probs(shape, gen, dtype=torch.float64):
    return torch.softmax(torch.randn(*shape, generator=gen, dtype=dtype), dim=1)


# --- hand-worked values -----------------------------------------------------------------------------

def test_hand_worked_image_wise():
    # one image, one class, 4 voxels: y = [1, 1, 0, 0], ŷ = [0.5, 1, 0.5, 0]
    y = torch.tensor([1.0, 1, 0, 0]).reshape(1, 1, 4)
    p = torch.tensor([0.5, 1, 0.5, 0]).reshape(1, 1, 4)
    # 2Σyŷ = 3, Σy + Σŷ = 4 → sDSC = (3 + ε)/(4 + ε)
    assert dice_loss(p, y, "I", eps=0.0).item() == pytest.approx(1 - 3 / 4)
    assert dice_loss(p, y, "I", eps=1.0).item() == pytest.approx(1 - 4 / 5)
    # squared: Σy² + Σŷ² = 2 + 1.5 = 3.5
    assert dice_loss(p, y, "I", eps=0.0, squared=True).item() == pytest.approx(1 - 3 / 3.5)
    assert dice_loss(p, y, smooth_nr=0.0, smooth_dr=2.0).item() == pytest.approx(1 - 3 / 6)


def test_hand_worked_partitions():
    # B=2, C=2, I=2.  image 0: class 0 perfect, class 1 empty & predicted 0; image 1: half overlap
    y = torch.tensor([[[1.0, 1.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]])
    p = torch.tensor([[[1.0, 1.0], [0.0, 0.0]], [[0.5, 0.5], [0.5, 0.5]]])
    e = 1e-7
    # I: four subsets: (b0,c0)=1, (b0,c1)=ε/ε=1, (b1,c0)=(1+ε)/(2+ε), (b1,c1)=(1+ε)/(2+ε)
    s_i = [1.0, 1.0, (1 + e) / (2 + e), (1 + e) / (2 + e)]
    assert dice_loss(p, y, "I", e).item() == pytest.approx(1 - sum(s_i) / 4)
    # CI: per image over classes: b0 → (4+ε)/(4+ε)=1, b1 → (2+ε)/(4+ε)
    assert dice_loss(p, y, "CI", e).item() == pytest.approx(1 - (1 + (2 + e) / (4 + e)) / 2)
    # BI: per class over batch: c0 → (2·2.5+ε)/(3+3+ε)... Σyŷ = 2 + 0.5 = 2.5, Σy = 3, Σŷ = 3
    #     c1 → Σyŷ = 0.5, Σy = 1, Σŷ = 1
    s_bi = [(5 + e) / (6 + e), (1 + e) / (2 + e)]
    assert dice_loss(p, y, "BI", e).item() == pytest.approx(1 - sum(s_bi) / 2)
    # BCI: Σyŷ = 3, Σy = 4, Σŷ = 4
    assert dice_loss(p, y, "BCI", e).item() == pytest.approx(1 - (6 + e) / (8 + e))


@pytest.mark.parametrize("phi,shape", [("I", (3, 4)), ("CI", (3,)), ("BI", (4,)), ("BCI", ())])
def test_reduction_none_shapes_and_phi_count(phi, shape, rng):
    p = _probs((3, 4, 5, 5), rng)
    y = torch.randint(0, 4, (3, 5, 5), generator=rng)
    per_phi = dice_loss(p, y, phi, reduction="none")
    assert per_phi.shape == shape
    assert per_phi.numel() == phi_count(phi, 3, 4)
    assert dice_loss(p, y, phi).item() == pytest.approx(per_phi.mean().item())
    assert dice_loss(p, y, phi, reduction="sum").item() == pytest.approx(per_phi.sum().item())


def test_reduction_dims():
    assert reduction_dims("I", 5) == (2, 3, 4)
    assert reduction_dims("CI", 4) == (1, 2, 3)
    assert reduction_dims("BI", 4) == (0, 2, 3)
    assert reduction_dims("BCI", 3) == (0, 1, 2)


def test_label_map_equals_one_hot(rng):
    x = torch.randn(2, 3, 6, 6, generator=rng, dtype=torch.float64)
    lab = torch.randint(0, 3, (2, 1, 6, 6), generator=rng)
    one_hot = torch.zeros(2, 3, 6, 6, dtype=torch.float64).scatter_(1, lab, 1.0)
    a = dice_loss(x, lab, activation="softmax", to_onehot_y=True)
    b = dice_loss(x, lab[:, 0], activation="softmax")  # (B, *spatial) integer map: detected
    c = dice_loss(x, one_hot, activation="softmax")
    assert a.item() == pytest.approx(c.item()) and b.item() == pytest.approx(c.item())


def test_weights_scale_each_phi(rng):
    p = _probs((2, 3, 4, 4), rng)
    y = torch.randint(0, 3, (2, 4, 4), generator=rng)
    per_phi = dice_loss(p, y, "I", reduction="none")
    w = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    assert dice_loss(p, y, "I", weight=w).item() == pytest.approx((per_phi * w).mean().item())
    per_c = dice_loss(p, y, "BI", reduction="none")
    assert dice_loss(p, y, "BI", weight=w).item() == pytest.approx((per_c * w).mean().item())


def test_half_precision_accumulates_in_float32(rng):
    p = _probs((2, 2, 64, 64), rng, dtype=torch.float32)
    y = torch.randint(0, 2, (2, 64, 64), generator=rng)
    ref = dice_loss(p, y).item()
    low = dice_loss(p.to(torch.bfloat16), y)
    assert low.dtype == torch.bfloat16
    assert low.item() == pytest.approx(ref, abs=2e-2)


# --- MONAI equality over a grid of matching settings ------------------------------------------------

GRID = list(itertools.product(
    [False, True],  # include_background
    [None, "sigmoid", "softmax"],  # activation
    [False, True],  # batch
    [False, True],  # squared_pred
    [(1e-5, 1e-5), (0.0, 1e-6), (1.0, 1.0)],  # smooth_nr, smooth_dr
    ["mean", "sum"],
))


@pytest.mark.parametrize("include_background,activation,batch,squared,smooth,reduction", GRID)
def test_matches_monai(include_background, activation, batch, squared, smooth, reduction):
    gen = torch.Generator().manual_seed(hash((include_background, activation, batch, squared, smooth)) % 2**31)
    x = torch.randn(3, 4, 7, 6, 5, generator=gen, dtype=torch.float64)
    if activation is None:
        x = torch.softmax(x, dim=1)
    lab = torch.randint(0, 4, (3, 1, 7, 6, 5), generator=gen)
    lab[1][lab[1] == 3] = 0  # an empty map
    kw = dict(include_background=include_background, to_onehot_y=True, sigmoid=activation == "sigmoid",
              softmax=activation == "softmax", batch=batch, squared_pred=squared, smooth_nr=smooth[0],
              smooth_dr=smooth[1], reduction=reduction)
    ours = DiceLoss(**kw)(x, lab)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = monai_losses.DiceLoss(**kw)(x, lab)
    # under squared_pred MONAI computes Σyŷ as (‖ŷ‖² + ‖y‖² − ‖ŷ − y‖²)/2, which loses digits to cancellation
    tol = dict(rtol=1e-7, atol=1e-9) if squared else dict(rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(ours, theirs, **tol)


@pytest.mark.parametrize("batch", [False, True])
def test_matches_monai_with_weights_and_none_reduction(batch, rng):
    x = torch.randn(2, 3, 5, 5, generator=rng, dtype=torch.float64)
    y = torch.randint(0, 3, (2, 1, 5, 5), generator=rng)
    kw = dict(softmax=True, to_onehot_y=True, batch=batch, weight=[0.2, 1.0, 3.0], smooth_nr=1e-5, smooth_dr=1e-5)
    ours = DiceLoss(**kw)(x, y)
    theirs = monai_losses.DiceLoss(**kw)(x, y)
    torch.testing.assert_close(ours, theirs)
    ours_none = DiceLoss(reduction="none", **kw)(x, y)
    theirs_none = monai_losses.DiceLoss(reduction="none", **kw)(x, y)
    torch.testing.assert_close(ours_none.flatten(), theirs_none.flatten())


def test_binary_sigmoid_matches_monai(rng):
    x = torch.randn(4, 1, 9, 9, generator=rng, dtype=torch.float64)
    y = (torch.rand(4, 1, 9, 9, generator=rng) > 0.7).double()
    for batch in (False, True):
        ours = DiceLoss(sigmoid=True, batch=batch, smooth_nr=1e-5, smooth_dr=1e-5)(x, y)
        theirs = monai_losses.DiceLoss(sigmoid=True, batch=batch)(x, y)
        torch.testing.assert_close(ours, theirs)


@settings(max_examples=150, deadline=None)
@given(cases("dice"))
def test_module_is_a_monai_drop_in(case):
    """Every MONAI 1.6 keyword (other_act, jaccard, soft_label, weight, ignore_index …), random shapes: the same
    values and the same shapes for every reduction."""
    kw, x, target = case
    theirs = monai_value(monai_losses.DiceLoss, kw, x, target)
    ours = DiceLoss(**kw)(x, target)
    assert ours.shape == theirs.shape, (kw, ours.shape, theirs.shape)
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-9)


def test_module_takes_monai_arguments_in_monai_order():
    import inspect

    ours = list(inspect.signature(DiceLoss).parameters)
    theirs = list(inspect.signature(monai_losses.DiceLoss).parameters)
    assert ours[:len(theirs)] == theirs
    for name, param in inspect.signature(monai_losses.DiceLoss).parameters.items():
        if name not in ("smooth_nr", "smooth_dr"):  # ε: the paper's 1e-7 by default (documented)
            assert inspect.signature(DiceLoss).parameters[name].default == param.default, name


def test_reduction_none_has_monai_shape():
    x, y = torch.rand(2, 3, 4, 5), torch.randint(0, 3, (2, 1, 4, 5))
    assert DiceLoss(to_onehot_y=True, reduction="none")(x, y).shape == (2, 3, 1, 1)
    assert DiceLoss(to_onehot_y=True, reduction="none", batch=True)(x, y).shape == (3, 1, 1)
    assert dice_loss(x, y, "I", to_onehot_y=True, reduction="none").shape == (2, 3)  # the functional: one per φ


def test_other_act_errors():
    with pytest.raises(TypeError, match="other_act"):
        DiceLoss(other_act="tanh")
    with pytest.raises(ValueError, match="other_act"):
        DiceLoss(sigmoid=True, other_act=torch.sigmoid)
    x, y = torch.randn(2, 2, 4, 4), torch.randint(0, 2, (2, 1, 4, 4))
    with pytest.raises(ValueError, match="activation: the callable returned values"):
        DiceLoss(other_act=torch.tanh, to_onehot_y=True)(x, y)
    # validate=False computes what MONAI computes, out-of-range values included
    ours = DiceLoss(other_act=torch.tanh, to_onehot_y=True, validate=False, smooth_nr=1e-5, smooth_dr=1e-5)(x, y)
    torch.testing.assert_close(ours, monai_losses.DiceLoss(other_act=torch.tanh, to_onehot_y=True)(x, y))


def test_ignore_index_hand_worked():
    # one image, 2 classes, 4 voxels; label 255 at the last voxel is left out of every sum
    p = torch.tensor([[[0.9, 0.2, 0.6, 0.5], [0.1, 0.8, 0.4, 0.5]]])
    y = torch.tensor([[[0, 1, 0, 255]]])
    loss = dice_loss(p, y, "I", eps=0.0, to_onehot_y=True, ignore_index=255, reduction="none")
    # class 0: 2Σyŷ = 2(0.9 + 0.6) = 3, Σy + Σŷ = 2 + 1.7 = 3.7; class 1: 2·0.8 = 1.6, 1 + 1.3 = 2.3
    torch.testing.assert_close(loss, torch.tensor([[1 - 3 / 3.7, 1 - 1.6 / 2.3]]))
    with pytest.raises(TypeError, match="ignore_index"):
        dice_loss(p, y, to_onehot_y=True, ignore_index=2.5)


def test_jaccard_and_soft_label_hand_worked():
    y = torch.tensor([1.0, 1, 0, 0]).reshape(1, 1, 4)
    p = torch.tensor([0.5, 1, 0.5, 0]).reshape(1, 1, 4)
    # I = 1.5, Σ = 4: Jaccard 1 − 2I / 2(Σ − I) = 1 − 3/5
    assert dice_loss(p, y, eps=0.0, jaccard=True).item() == pytest.approx(1 - 3 / 5)
    # hard labels: the soft-label intersection is Σyŷ
    assert dice_loss(p, y, eps=0.0, soft_label=True).item() == pytest.approx(dice_loss(p, y, eps=0.0).item())
    # soft labels y = [0.5, 1, 0, 0]: Σyŷ = 1.25, but I = (Σŷ + Σy − Σ|ŷ − y|)/2 = (2 + 1.5 − 0.5)/2 = 1.5
    ys = torch.tensor([0.5, 1, 0, 0]).reshape(1, 1, 4)
    assert dice_loss(p, ys, eps=0.0, soft_label=True).item() == pytest.approx(1 - 3 / 3.5)
    assert dice_loss(p, ys, eps=0.0).item() == pytest.approx(1 - 2.5 / 3.5)
    ys2 = torch.tensor([0.2, 1, 0, 0]).reshape(1, 1, 4)  # Σyŷ = 1.1; I = (2 + 1.2 − 0.8)/2 = 1.2
    assert dice_loss(p, ys2, eps=0.0, soft_label=True).item() == pytest.approx(1 - 2.4 / 3.2)
    assert dice_loss(p, ys2, eps=0.0).item() == pytest.approx(1 - 2.2 / 3.2)


def test_module_phi_and_batch_keywords():
    assert DiceLoss().phi == "I" and DiceLoss(batch=True).phi == "BI" and DiceLoss(phi="BCI", batch=True).phi == "BCI"
    assert "phi='CI'" in repr(DiceLoss(phi="CI"))
    with pytest.raises(ValueError, match="batch"):
        DiceLoss(phi="I", batch=True)
    with pytest.raises(ValueError, match="sigmoid, softmax"):
        DiceLoss(sigmoid=True, softmax=True)
    with pytest.raises(ValueError, match="phi"):
        DiceLoss(phi="B")


# --- bad input: one test per case -------------------------------------------------------------------

def _ok():
    return torch.full((2, 2, 4, 4), 0.5), torch.randint(0, 2, (2, 4, 4))


def test_error_shape_mismatch():
    p, _ = _ok()
    with pytest.raises(ValueError, match="target: shape"):
        dice_loss(p, torch.zeros(2, 2, 4, 5))


def test_error_label_map_shape_mismatch():
    p, _ = _ok()
    with pytest.raises(ValueError, match="target: label map shape"):
        dice_loss(p, torch.zeros(2, 1, 4, 5, dtype=torch.long), to_onehot_y=True)


def test_error_one_channel_target_hints_to_onehot():
    p, _ = _ok()
    with pytest.raises(ValueError, match="to_onehot_y=True"):
        dice_loss(p, torch.zeros(2, 1, 4, 4))


def test_error_wrong_number_of_dimensions():
    with pytest.raises(ValueError, match="input: expected \\(B, C, \\*spatial\\)"):
        dice_loss(torch.rand(4, 4), torch.rand(4, 4))
    p, _ = _ok()
    with pytest.raises(ValueError, match="target: expected 4 dims"):
        dice_loss(p, torch.rand(2, 4, 4))


def test_error_nan_and_inf():
    p, y = _ok()
    p[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="input: contains NaN or Inf"):
        dice_loss(p, y)
    p[0, 0, 0, 0] = float("inf")
    with pytest.raises(ValueError, match="input: contains NaN or Inf"):
        dice_loss(p, y, activation="sigmoid")
    t = torch.zeros(2, 2, 4, 4)
    t[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="target"):
        dice_loss(torch.full((2, 2, 4, 4), 0.5), t)


def test_error_probabilities_out_of_range():
    _, y = _ok()
    with pytest.raises(ValueError, match="input: values in .* are not probabilities.*activation="):
        dice_loss(torch.full((2, 2, 4, 4), 1.5), y)
    with pytest.raises(ValueError, match="target: one-hot"):
        dice_loss(torch.full((2, 2, 4, 4), 0.5), torch.full((2, 2, 4, 4), 2.0))


def test_error_unknown_phi():
    p, y = _ok()
    with pytest.raises(ValueError, match="phi: unknown partition 'B'"):
        dice_loss(p, y, "B")


def test_error_negative_eps():
    p, y = _ok()
    with pytest.raises(ValueError, match="eps"):
        dice_loss(p, y, eps=-1e-7)
    with pytest.raises(ValueError, match="smooth_dr"):
        dice_loss(p, y, smooth_dr=-1.0)
    with pytest.raises(ValueError, match="smooth_nr"):
        dice_loss(p, y, smooth_nr=float("nan"))


def test_error_zero_over_zero_with_eps_zero_on_empty_map():
    p = torch.zeros(2, 1, 4, 4)
    y = torch.zeros(2, 1, 4, 4)
    with pytest.raises(ValueError, match="eps: with ε = 0.*0/0"):
        dice_loss(p, y, eps=0.0)
    # not an error when the φ is not empty
    y[:, :, 0, 0] = 1
    assert torch.isfinite(dice_loss(p, y, eps=0.0))


def test_error_label_values_too_large_or_negative():
    p, _ = _ok()
    with pytest.raises(ValueError, match="target: label values must lie in \\[0, 1\\]"):
        dice_loss(p, torch.full((2, 4, 4), 2, dtype=torch.long))
    with pytest.raises(ValueError, match="target: label values"):
        dice_loss(p, torch.full((2, 1, 4, 4), -1.0), to_onehot_y=True)
    with pytest.raises(ValueError, match="fractional"):
        dice_loss(p, torch.full((2, 1, 4, 4), 0.5), to_onehot_y=True)


def test_error_bad_arguments_misc():
    p, y = _ok()
    with pytest.raises(ValueError, match="activation"):
        dice_loss(p, y, activation="relu")
    with pytest.raises(ValueError, match="reduction"):
        dice_loss(p, y, reduction="max")
    with pytest.raises(ValueError, match="weight: expected 2"):
        dice_loss(p, y, weight=[1, 2, 3])
    with pytest.raises(ValueError, match="weight: per-class weights need"):
        dice_loss(p, y, "CI", weight=[1, 2])
    with pytest.raises(ValueError, match="weight: per-class weights must be"):
        dice_loss(p, y, weight=[1, -2])
    with pytest.raises(ValueError, match="include_background"):
        dice_loss(p[:, :1], y.clamp(max=0), include_background=False)
    with pytest.raises(ValueError, match="softmax over a single channel"):
        dice_loss(p[:, :1], y.clamp(max=0), activation="softmax")
    with pytest.raises(TypeError, match="input: expected a floating-point"):
        dice_loss(torch.ones(2, 2, 4, 4, dtype=torch.long), y)
    with pytest.raises(TypeError, match="target"):
        dice_loss(p, [0, 1])


# --- properties (hypothesis) ------------------------------------------------------------------------

dims = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 5), st.integers(1, 5))


@st.composite
def batches(draw):
    b, c, h, w = draw(dims)
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    p = torch.rand(b, c, h, w, generator=gen, dtype=torch.float64)
    y = (torch.rand(b, c, h, w, generator=gen, dtype=torch.float64) > 0.5).double()
    return p, y


@settings(max_examples=60, deadline=None)
@given(batches(), st.sampled_from(PHIS), st.booleans(), st.sampled_from([1e-7, 1e-3, 1.0, 100.0]))
def test_loss_in_unit_interval(batch, phi, squared, eps):
    p, y = batch
    loss = dice_loss(p, y, phi, eps, squared=squared).item()
    assert -1e-12 <= loss <= 1 + 1e-12


@settings(max_examples=60, deadline=None)
@given(batches(), st.sampled_from(PHIS), st.booleans())
def test_perfect_non_empty_prediction_has_zero_loss(batch, phi, squared):
    _, y = batch
    y = y.clone()
    y[..., 0, 0] = 1.0  # every map non-empty
    assert dice_loss(y.clone(), y, phi, 1e-7, squared=squared).item() == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(batches(), st.sampled_from(["I", "BI"]), st.integers(0, 2**31 - 1))
def test_invariant_to_permuting_batch(batch, phi, seed):
    p, y = batch
    perm = torch.randperm(p.shape[0], generator=torch.Generator().manual_seed(seed))
    a = dice_loss(p, y, phi).item()
    b = dice_loss(p[perm], y[perm], phi).item()
    assert a == pytest.approx(b, rel=1e-12, abs=1e-14)


@settings(max_examples=60, deadline=None)
@given(batches(), st.booleans(), st.sampled_from([1e-7, 1.0, 1e3]))
def test_batch_wise_with_one_image_equals_image_wise(batch, squared, eps):
    p, y = batch
    p, y = p[:1], y[:1]
    assert dice_loss(p, y, "BI", eps, squared=squared).item() == pytest.approx(
        dice_loss(p, y, "I", eps, squared=squared).item(), rel=1e-12)
    assert dice_loss(p, y, "BCI", eps).item() == pytest.approx(dice_loss(p, y, "CI", eps).item(), rel=1e-12)


def test_binary_targets_in_every_form(rng):
    p = torch.rand(2, 1, 6, 6, generator=rng)
    mask = torch.rand(2, 1, 6, 6, generator=rng) > 0.5
    ref = dice_loss(p, mask.float()).item()
    for target in (mask, mask.long(), mask[:, 0], mask[:, 0].long()):
        assert dice_loss(p, target).item() == pytest.approx(ref)
    with pytest.raises(ValueError, match=r"target: label values must lie in \[0, 1\] for C=1"):
        dice_loss(p, torch.full((2, 6, 6), 2))
