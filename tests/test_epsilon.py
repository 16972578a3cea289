"""dicecore.theory.epsilon: Eq. 5 and the ε heuristic (Tilborghs et al. 2022, §2.3)."""

import numpy as np
import pytest
import torch

from dicecore.grad import dice_loss_grad
from dicecore.theory.epsilon import background_gradient, empty_map_gradient, eq5_epsilon, heuristic_epsilon, toy_batch


def test_eq5_paper_case_gives_v_hat():
    lo, hi = eq5_epsilon(np.array([1.0, 8789.0, 12412.0]), 0.5, 2.0)
    np.testing.assert_allclose(lo, [1.0, 8789.0, 12412.0])
    np.testing.assert_allclose(hi, [1.0, 8789.0, 12412.0])


@pytest.mark.parametrize("v,a,b", [(10.0, 0.3, 2.0), (500.0, 0.2, 1.5), (3.0, 0.5, 2.5), (1e4, 0.05, 1.1)])
def test_eq5_roots_satisfy_the_equation(v, a, b):
    lo, hi = eq5_epsilon(v, a, b)
    lhs = 2 * a * v / (b * v) ** 2
    for e in (lo, hi):
        assert e > 0
        assert e / (v + e) ** 2 == pytest.approx(lhs, rel=1e-9)
    assert lo * hi == pytest.approx(v**2, rel=1e-9)
    assert lo <= v <= hi


def test_eq5_no_real_root_when_8a_exceeds_b_squared():
    lo, hi = eq5_epsilon(100.0, 0.6, 2.0)  # 8a = 4.8 > b² = 4
    assert np.isnan(lo) and np.isnan(hi)
    # the empty-map gradient peaks at ε = v̂ with value 1/(4 v̂), below 2a/(b² v̂) here
    eps = np.logspace(-3, 3, 10001) * 100.0
    g = empty_map_gradient(100.0, eps)
    assert eps[np.argmax(g)] == pytest.approx(100.0, rel=1e-3)
    assert g.max() == pytest.approx(1 / 400.0, rel=1e-6)
    assert g.max() < 2 * 0.6 / (2.0**2 * 100.0)


def test_eq5_errors():
    with pytest.raises(ValueError, match="v_hat"):
        eq5_epsilon(0.0)
    with pytest.raises(ValueError, match="a, b"):
        eq5_epsilon(1.0, a=-0.5)
    with pytest.raises(ValueError, match="v_hat"):
        eq5_epsilon(float("nan"))


def test_gradient_helpers_agree_with_eq4():
    # empty map: B=1, C=1; Eq. 4 at y=0 with Σy=0 is ε/(Σŷ+ε)²
    pred, lab = toy_batch(1, n_voxels=50, label_volume=10, pred_volume=7.0, empty=(0,))
    g = dice_loss_grad(pred, lab, "I", 3.0)
    assert g[0, 0, 0].item() == pytest.approx(float(empty_map_gradient(7.0, 3.0)))
    # labelled map: background voxel
    pred, lab = toy_batch(1, n_voxels=50, label_volume=10, pred_volume=8.0, overlap=0.5, empty=())
    g = dice_loss_grad(pred, lab, "I", 2.0)
    assert g[0, 0, -1].item() == pytest.approx(float(background_gradient(4.0, 18.0, 2.0)))
    with pytest.raises(ValueError, match="union"):
        background_gradient(0.0, 0.0)
    with pytest.raises(ValueError, match="pred_volume, eps"):
        empty_map_gradient(-1.0, 1.0)


def test_toy_batch_volumes_and_errors():
    pred, lab = toy_batch(3, n_voxels=100, label_volume=20, pred_volume=30, overlap=0.4, empty=(1,))
    assert lab[0].sum() == 20 and lab[1].sum() == 0
    assert pred[0].sum().item() == pytest.approx(30.0) and (pred[0] * lab[0]).sum().item() == pytest.approx(12.0)
    assert pred[1].sum().item() == pytest.approx(30.0)
    with pytest.raises(ValueError, match="label_volume"):
        toy_batch(2, n_voxels=10, label_volume=20)
    with pytest.raises(ValueError, match="pred_volume"):
        toy_batch(2, n_voxels=10, label_volume=5, pred_volume=9, overlap=1.0)


def test_heuristic_epsilon_hand_worked():
    labels = np.zeros((4, 2, 5, 5), dtype=np.float32)
    labels[0, 0, :2] = 1  # 10 voxels
    labels[1, 0, :4] = 1  # 20
    labels[2, 0, :1] = 1  # 5
    # sample 3 empty (partial labelling): class 0 volumes 10, 20, 5, 0 → mean 8.75
    labels[:, 1, 0, 0] = 1  # class 1: one voxel everywhere
    np.testing.assert_allclose(heuristic_epsilon(labels, "I"), [8.75, 1.0])
    np.testing.assert_allclose(heuristic_epsilon(labels, "BI", batch_size=4), [35.0, 4.0])
    assert heuristic_epsilon(labels, "CI") == pytest.approx(9.75)
    assert heuristic_epsilon(labels, "BCI", batch_size=2) == pytest.approx(19.5)
    # ED:ES sampled 3:1 → weights
    np.testing.assert_allclose(heuristic_epsilon(labels, "I", weights=[3, 1, 1, 1])[0], (30 + 20 + 5) / 6)
    # a list of differently sized volumes and torch tensors work too
    ragged = [torch.ones(1, 3, 3), torch.zeros(1, 5, 5)]
    np.testing.assert_allclose(heuristic_epsilon(ragged), [4.5])


def test_heuristic_epsilon_errors():
    with pytest.raises(ValueError, match="phi"):
        heuristic_epsilon(np.ones((2, 1, 3, 3)), "X")
    with pytest.raises(ValueError, match="batch_size"):
        heuristic_epsilon(np.ones((2, 1, 3, 3)), "BI", batch_size=0)
    with pytest.raises(ValueError, match="labels: empty"):
        heuristic_epsilon([])
    with pytest.raises(ValueError, match="binary"):
        heuristic_epsilon(np.full((2, 1, 3, 3), 2.0))
    with pytest.raises(ValueError, match="classes"):
        heuristic_epsilon([np.ones((1, 3, 3)), np.ones((2, 3, 3))])
    with pytest.raises(ValueError, match="weights"):
        heuristic_epsilon(np.ones((2, 1, 3, 3)), weights=[1.0])
    with pytest.raises(ValueError, match="labels: expected"):
        heuristic_epsilon(np.ones((2, 3)))
