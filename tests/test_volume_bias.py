"""dicecore.theory.volume_bias: exact E[SD] and E[CE] of Bertels et al. §2 — hand-worked cases, Monte Carlo, optima."""

import numpy as np
import pandas as pd
import pytest

from dicecore.theory.volume_bias import (
    expected_cross_entropy, expected_soft_dice, optimal_prediction, switching_point, volume_bias,
)


def test_hand_worked_single_region():
    # N = 1, µ = 1. Certain cases: perfect prediction gives SD = 0
    assert expected_soft_dice(1.0, 1.0, 1.0) == pytest.approx(0.0)
    assert expected_soft_dice(0.0, 0.0, 1.0) == pytest.approx(0.0)
    # p_β = ½, p̂ = 0: K = 1 → 1 − 2·1/(0 + 1 + 1 + 1) = ⅓; K = 0 → 0; expectation ⅙
    assert expected_soft_dice(0.0, 0.5, 1.0) == pytest.approx(1 / 6)
    # closed forms for N = 1: E[SD](0) = p µ/(µ+2), E[SD](1) = (1 − p) µ/(µ+2)
    for p, mu in [(0.3, 4.0), (0.8, 0.25)]:
        assert expected_soft_dice(0.0, p, mu) == pytest.approx(p * mu / (mu + 2))
        assert expected_soft_dice(1.0, p, mu) == pytest.approx((1 - p) * mu / (mu + 2))


@pytest.mark.parametrize("n,mu,p,q", [(4, 1.0, 0.3, 0.6), (16, 4.0, 0.45, 0.2), (3, 0.25, 0.9, 1.0)])
def test_exact_expectation_matches_monte_carlo(n, mu, p, q):
    rng = np.random.default_rng(0)
    k = rng.binomial(n, p, size=400_000)
    on = mu * k / n
    sd = 1 - 2 * (q * on + 1) / (q * mu + 1 + on + 1)
    assert expected_soft_dice(q, p, mu, n) == pytest.approx(sd.mean(), abs=4 * sd.std() / np.sqrt(len(sd)))


def test_cross_entropy_optimum_is_the_true_probability():
    p = np.linspace(0, 1, 21)
    np.testing.assert_allclose(optimal_prediction(p, 2.0, loss="cross_entropy"), p, atol=5e-4)
    vb = volume_bias(p, 2.0, loss="cross_entropy")
    np.testing.assert_allclose(vb.volume_bias, 0.0, atol=1e-3)
    # E[CE] at the optimum is µ × the binary entropy of p
    assert expected_cross_entropy(0.3, 0.3, 2.0) == pytest.approx(2 * -(0.3 * np.log(0.3) + 0.7 * np.log(0.7)))


def test_soft_dice_optimum_certain_and_single_region_switch():
    assert optimal_prediction(0.0, 1.0, 4) == 0.0 and optimal_prediction(1.0, 1.0, 4) == 1.0
    for mu in (0.25, 1.0, 4.0):
        assert switching_point(mu, 1) == pytest.approx(0.5, abs=0.005)
    vb = volume_bias(np.array([0.3, 0.7]), 4.0, 1)
    np.testing.assert_allclose(vb.p_hat, [0.0, 1.0])
    np.testing.assert_allclose(vb.volume_bias, [-1.2, 1.2])
    np.testing.assert_allclose(vb.uncertainty_error, [-0.3, 0.3])


def test_more_regions_and_larger_mu_switch_earlier():
    s = {(n, mu): switching_point(mu, n) for n in (1, 4, 16) for mu in (0.25, 4.0)}
    assert s[4, 4.0] < s[4, 0.25] < s[1, 0.25] + 1e-9
    assert s[16, 4.0] < s[4, 4.0]


def test_vectorised_shapes():
    q = np.linspace(0, 1, 5)[:, None, None]
    p = np.array([0.25, 0.75])[None, :, None]
    mu = np.array([0.25, 1.0, 4.0])[None, None, :]
    assert expected_soft_dice(q, p, mu, 4).shape == (5, 2, 3)
    assert optimal_prediction(p[0], mu[0], 4).shape == (2, 3)


def test_errors():
    with pytest.raises(ValueError, match="p_beta"):
        expected_soft_dice(0.5, 1.5, 1.0)
    with pytest.raises(ValueError, match="mu"):
        expected_soft_dice(0.5, 0.5, 0.0)
    with pytest.raises(ValueError, match="n_regions"):
        expected_soft_dice(0.5, 0.5, 1.0, n_regions=0)
    with pytest.raises(ValueError, match="p_hat"):
        expected_soft_dice(1.2, 0.5, 1.0)
    with pytest.raises(ValueError, match="loss"):
        optimal_prediction(0.5, 1.0, loss="dice")
    with pytest.raises(ValueError, match="resolution"):
        optimal_prediction(0.5, 1.0, resolution=2)


def _correlation_rows(dv_independent, dv_one_draw, n=6):
    from dicecore.experiments.volume_bias import CORRELATED_TASK

    rng = np.random.default_rng(0)
    rows = []
    for task, dv in (("isles17_like", dv_independent), (CORRELATED_TASK, dv_one_draw)):
        for loss, shift in (("CE", 0.0), ("SD", dv)):
            for k in range(n):
                rows.append({"task": task, "model": "LR", "loss": loss, "subject": k, "fold": 0,
                             "dV": shift + rng.normal(0, 1), "true_volume": 100.0})
    return pd.DataFrame(rows)


def test_correlation_comparison_and_its_reading_can_go_either_way():
    from dicecore.experiments.volume_bias import correlation_comparison, correlation_reading

    table = correlation_comparison(_correlation_rows(30.0, 5.0))
    sd = table.set_index(["model", "loss"]).loc[("LR", "SD")]
    assert sd["ΔV, independent pieces"] == pytest.approx(30, abs=1.5) and sd["p, independent pieces"] < 0.05
    assert "as §2.3 predicts" in correlation_reading(table)
    assert "not the pattern" in correlation_reading(correlation_comparison(_correlation_rows(5.0, 30.0)))
    assert "not the pattern" in correlation_reading(correlation_comparison(_correlation_rows(0.0, 0.0)))
    assert "has not run" in correlation_reading(correlation_comparison(_correlation_rows(1, 1)[lambda d: d.loss == "CE"]))


def test_correlation_summary_names_the_models_each_way():
    from dicecore.experiments.volume_bias import correlation_comparison, correlation_summary

    rows = pd.concat([_correlation_rows(30.0, 5.0), _correlation_rows(5.0, 30.0).assign(model="ConvNet")])
    said = correlation_summary(correlation_comparison(rows))
    assert said == ("the SD-trained LR over-estimates more when the uncertain voxels are independent, as §2.3 "
                    "predicts; ConvNet: not the pattern §2.3 predicts; U-Net: not run on both tasks")


def test_scale_check_compares_the_two_sizes_where_both_ran():
    from dicecore.experiments.volume_bias import scale_check

    def rows(dv, one_minus_sd, tasks=("isles17_like", "molars_like")):
        out = []
        for task in tasks:
            for loss, shift in (("CE", 0.0), ("SD", dv)):
                for k in range(12):
                    out.append({"task": task, "model": "LR", "loss": loss, "fold": k % 5, "CE": 0.1,
                                "1-SD": one_minus_sd, "dV": shift + (-1) ** k, "dice": 0.5, "true_volume": 100.0})
        return pd.DataFrame(out)

    table, reading = scale_check(rows(40.0, 0.45), rows(38.0, 0.47))
    assert set(table["task"]) == {"isles17_like"}  # the shared 2-D task is the same training: left out
    assert table.set_index("loss").loc["SD", ["bias 24³", "bias 48³"]].tolist() == ["over", "over"]
    assert table.set_index("loss").loc["CE", "bias 24³"] == "none"
    assert table["ΔV % 24³"].iloc[1] == pytest.approx(40.0)
    assert reading.startswith("the volume bias is the same at 24³ as at 48³ in 2 of 2 rows")
    assert "at most 0.02 (isles17_like, LR, CE)" in reading
    _, changed = scale_check(rows(0.0, 0.45), rows(38.0, 0.45))
    assert "in 1 of 2 rows" in changed  # the over-estimation gone at the small size: a check that can fail
    empty, none = scale_check(rows(1.0, 0.4, ("brats_like",)), rows(1.0, 0.4, ("isles17_like",)))
    assert empty.empty and none.startswith("no task")
