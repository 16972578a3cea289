"""dicecore.theory.checks: each exact check reproduces the claim it names, and says "not reproduced" when the
quantity it measures is wrong."""

import numpy as np
import pandas as pd
import pytest
import torch

from dicecore.claims import SCALES, VERDICTS
from dicecore.theory import checks


def test_every_quick_finding_is_computed_and_in_the_vocabulary():
    found = checks.exact_findings()
    ids = [f.claim for f in found]
    assert ids == ["T01", "T02", "T03", "T04", "T05", "T07", "T06", "B01", "B02", "B03", "B04", "S01", "S02", "H01",
                   "H03", "H05"]
    assert all(f.verdict.verdict in VERDICTS and f.scale in SCALES for f in found)
    by_id = {f.claim: f.verdict.verdict for f in found}
    assert by_id["S01"] == "not reproduced"  # the printed GDL gradient has the wrong sign (Chapter 3)
    assert all(v == "reproduced" for k, v in by_id.items() if k not in ("S01", "H05"))


def test_eq4_check_fails_on_a_wrong_gradient(monkeypatch):
    import dicecore.grad

    real = dicecore.grad.dice_loss_grad
    monkeypatch.setattr(dicecore.grad, "dice_loss_grad", lambda *a, **k: 1.01 * real(*a, **k))
    finding, errors = checks.eq4_against_autograd(n_trials=1)
    assert finding.verdict.verdict == "not reproduced" and errors["error"].max() > 1e-6


def test_empty_map_findings_follow_the_gradients():
    table = checks.empty_map_gradients((1, 2, 4))
    assert {f.claim: f.verdict.verdict for f in checks.empty_map_findings(table)} == {
        "T04": "reproduced", "T05": "reproduced", "T07": "reproduced"}
    blind = table.assign(**{"B·grad": np.where(table["Φ"] == "BI", 1e-12, table["B·grad"])})
    assert {f.claim: f.verdict.verdict for f in checks.empty_map_findings(blind)}["T05"] == "not reproduced"
    pushed = table.assign(**{"B·grad": 1e-2})  # DL_I at ε = 1e-7 pushing an empty map: not negligible
    assert {f.claim: f.verdict.verdict for f in checks.empty_map_findings(pushed)}["T04"] == "not reproduced"


def test_switch_findings_fail_when_the_switch_moves():
    table = checks.switch_table(resolution=401, p_resolution=101)
    assert [f.verdict.verdict for f in checks.switch_findings(table, p_resolution=101)] == ["reproduced"] * 3
    moved = table.assign(**{"switch p_β": np.where(table["N"] == 1, 0.3, table["switch p_β"])})
    assert [f.verdict.verdict for f in checks.switch_findings(moved, p_resolution=101)][0] == "not reproduced"


def test_gradient_share_and_pm_dice_checks():
    share = pd.DataFrame({"CE": [0.001, 0.4], "DL₂": [0.02, 0.5], "GDL_v": [0.08, 0.5]}, index=[2e-4, 0.5])
    assert checks.gdl_gradient_share(share).verdict.verdict == "reproduced"
    assert checks.gdl_gradient_share(share.assign(GDL_v=0.01)).verdict.verdict == "not reproduced"
    focus = checks.pm_dice_gradient_focus(n_maps=5, size=24)
    assert focus.verdict.verdict == "reproduced" and focus.verdict.n == 5


def test_gdl_check_returns_the_three_gradients():
    finding, grads = checks.printed_gdl_gradient(n_voxels=50)
    assert set(grads) == {"autograd", "as printed", "sign corrected"}
    assert torch.allclose(grads["as printed"], -grads["autograd"], atol=1e-12)
    assert finding.verdict.verdict == "not reproduced" and "sign flipped" in finding.verdict.evidence


def test_monai_check_on_given_inputs():
    pred = torch.softmax(torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(1)), 1)
    labels = torch.randint(0, 3, (2, 1, 8, 8), generator=torch.Generator().manual_seed(2))
    assert checks.matches_monai(pred, labels).verdict.verdict == "reproduced"


def _cost_rounds(step_pm, alone_pm, alone_topk=12.0):
    """Rounds of ``benchmarks/modulation_cost.py``: PM Dice's × Dice per round for the step and the loss alone."""
    rows = []
    for r, (step, alone) in enumerate(zip(step_pm, alone_pm), 1):
        for loss, s, a in (("Dice", 1.0, 1.0), ("PM Dice", step, alone), ("TopK Dice [42]", 1.05, alone_topk),
                           ("Focal Dice [41]", 1.05, alone_topk)):
            rows += [{"round": r, "workload": "loss alone, 8 × 2 × 256²", "loss": loss, "median ms": 10 * a,
                      "× Dice": a},
                     {"round": r, "workload": "training step, small-unet, 8 × 3 × 48²", "loss": loss,
                      "median ms": 40 * s, "× Dice": s}]
    return pd.DataFrame(rows)


def test_h05_is_judged_round_by_round_from_the_benchmark(tmp_path):
    found, summary = checks.pm_dice_cost(_cost_rounds([1.02, 1.03, 1.02], [2.5, 2.6, 2.4]))
    assert found.claim == "H05" and found.scale == "cpu" and found.verdict.verdict == "reproduced"
    assert found.verdict.n == 3 and "PM Dice 1.02× (1.02–1.03)" in found.verdict.evidence
    assert set(summary["loss"]) == {"Dice", "PM Dice", "TopK Dice [42]", "Focal Dice [41]"}
    # a step 20 % dearer in every round: not minimal
    assert checks.pm_dice_cost(_cost_rounds([1.2, 1.2, 1.3], [2.5, 2.6, 2.4]))[0].verdict.verdict == "not reproduced"
    # PM Dice alone dearer than the ranking losses in every round
    assert checks.pm_dice_cost(_cost_rounds([1.02] * 3, [13.0] * 3))[0].verdict.verdict == "not reproduced"
    # one round over the margin: the rounds disagree
    assert checks.pm_dice_cost(_cost_rounds([1.02, 1.15, 1.02], [2.5] * 3))[0].verdict.verdict == "inconclusive"
    # nothing committed: not run, and the command that runs it
    empty, table = checks.pm_dice_cost(folder=str(tmp_path))
    assert empty.verdict.verdict == "not run" and "modulation_cost.py" in empty.verdict.evidence and table.empty
    with pytest.raises(ValueError, match="margin"):
        checks.pm_dice_cost(_cost_rounds([1.0], [2.0]), margin=2)
    rounds = _cost_rounds([1.0], [2.0])
    with pytest.raises(ValueError, match="table: rounds without"):
        checks.pm_dice_cost(rounds[rounds["loss"] != "PM Dice"])
