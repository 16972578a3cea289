"""dicecore.metrics: hand-worked values and the bootstrap test."""

import numpy as np
import pytest
import torch

from dicecore.metrics import (
    bootstrap_mean_test, dice_score, mean_cross_entropy, soft_dice_score, volume, volume_error,
)


def test_hand_worked():
    y = torch.tensor([[1.0, 1, 0, 0]])
    p = torch.tensor([[0.5, 1, 0.5, 0]])
    assert soft_dice_score(p, y).item() == pytest.approx(3 / 4)
    assert dice_score(p > 0.5, y).item() == pytest.approx(2 / 3)
    assert dice_score(torch.zeros(1, 4), torch.zeros(1, 4)).item() == 1.0
    assert volume(p, voxel_volume=2.0).item() == 4.0
    assert volume_error(p, y).item() == pytest.approx(0.0)
    ce = -(np.log(0.5) + np.log(1 - 1e-7) + np.log(0.5) + np.log(1 - 1e-7)) / 4
    assert mean_cross_entropy(p, y).item() == pytest.approx(ce, rel=1e-6)


def test_bootstrap_detects_a_shift_and_not_noise():
    rng = np.random.default_rng(0)
    assert bootstrap_mean_test(rng.normal(1.0, 1.0, 40))["p_value"] < 0.01
    res = bootstrap_mean_test(rng.normal(0.0, 1.0, 40))
    assert res["p_value"] > 0.05 and res["ci_low"] < 0 < res["ci_high"]
    with pytest.raises(ValueError, match="values"):
        bootstrap_mean_test([1.0])


def test_roc_auc_and_curve():
    from dicecore.metrics import roc_auc, roc_curve

    assert roc_auc([3, 2, 1, 0], [True, True, False, False]) == 1.0
    assert roc_auc([0, 1, 2, 3], [True, True, False, False]) == 0.0
    assert roc_auc([1, 1, 1, 1], [True, False, True, False]) == 0.5
    fp, tp = roc_curve([0.9, 0.8, 0.3, 0.1], [True, False, True, False])
    np.testing.assert_allclose(fp, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tp, [0, 0.5, 0.5, 1, 1])
    with pytest.raises(ValueError, match="both classes"):
        roc_auc([1, 2], [True, True])
