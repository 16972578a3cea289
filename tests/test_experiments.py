"""Chapter 2's study run through the framework (parallel, resumable, deterministic), and the runner benchmark."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from dicecore.experiments import volume_bias as study
from dicecore.experiments.study import ResultStore, run_study, throughput
from dicecore.papers import bertels2019


def test_cell_lists():
    ci = study.cells("ci")
    assert len(ci) == 5 * 1 * 2 * 3 and len({t.key for t in ci}) == len(ci)  # the paper's four tasks + the variant
    assert len(study.cells("paper")) == len(study.cells("cpu")) == 5 * 3 * 2 * 5
    # the cpu grid shares the 2-D task's trainings with the paper grid (same sizes and schedule) …
    cpu, paper = study.cells("cpu"), {c.key for c in study.cells("paper")}
    shared = [c for c in cpu if c.key in paper]
    assert {c.task for c in shared} == set(study.SHARED_WITH_PAPER) and len(shared) == 3 * 2 * 5
    assert all(c.profile == "cpu" for c in cpu if c.task not in study.SHARED_WITH_PAPER)
    # … which is so only because those sizes are the same: a profile change must end the sharing
    sizes = ("n_subjects", "size_2d", "folds", "max_epochs", "batch_size", "plateau_patience", "stop_patience")
    assert all(study.PROFILES["cpu"][k] == study.PROFILES["paper"][k] for k in sizes)
    assert study.PROFILES["cpu"]["size_3d"] < study.PROFILES["paper"]["size_3d"]
    with pytest.raises(ValueError, match="profile"):
        study.cells("huge")


def test_runner_is_deterministic_and_resumes(tmp_path, monkeypatch):
    chosen = [t for t in study.cells("ci") if t.task == "isles17_like" and t.fold == 0]
    for folder, workers in (("a", 2), ("b", 0)):
        run_study(study.STUDY, "ci", cells=chosen, workers=workers, folder=tmp_path / folder, progress=False)
    first, second = (ResultStore(tmp_path / f).read(chosen) for f in ("a", "b"))
    cols = ["CE", "1-SD", "dV", "dice"]
    pd.testing.assert_frame_equal(first[cols], second[cols], rtol=1e-6)
    # a finished cell is not run again: with a run_cell that fails, the call still succeeds
    failing = dataclasses.replace(study.STUDY, run_cell=lambda cell, paths: 1 / 0)
    monkeypatch.setattr(study, "STUDY", failing)  # what a worker finds
    again = run_study(failing, "ci", cells=chosen, workers=0, folder=tmp_path / "a", progress=False)
    assert (again.ran, again.done_before) == (0, len(chosen))
    pd.testing.assert_frame_equal(ResultStore(tmp_path / "a").read(chosen), first)
    with pytest.raises(ValueError, match="cells: .* is not a cell of the ci grid of 02_volume_bias"):
        run_study(failing, "ci", cells=[dataclasses.replace(chosen[0], max_epochs=1)],
                  workers=0, folder=tmp_path / "c", progress=False)


def test_summary_marks_significant_bias():
    rows = []
    for k in range(20):
        rows.append({"task": "t", "model": "LR", "loss": "SD", "CE": 0.1, "1-SD": 0.5, "dV": 10 + k % 3, "dice": 0.5})
        rows.append({"task": "t", "model": "LR", "loss": "CE", "CE": 0.1, "1-SD": 0.5, "dV": (-1) ** k, "dice": 0.5})
    s = study.summarise(pd.DataFrame(rows)).set_index("loss")
    assert s.loc["SD", "bias"] == "over" and s.loc["CE", "bias"] == ""


def test_paper_table_as_printed():
    t = bertels2019.TABLE1.set_index(["dataset", "model", "loss"])
    assert t.loc[("ISLES 2017 (3D)", "U-Net", "SD"), "dV"] == 13.44
    assert t.loc[("MOLARS (2D)", "LR", "SD"), "dV"] == 302.3
    assert len(t) == 4 * 3 * 2


def test_part_of_a_grid_is_chosen_by_field_values():
    from dicecore.experiments.study import select_cells

    part = select_cells(study.cells("paper"), {"model": ["ConvNet"], "task": ["molars_like"], "fold": [0, 2]})
    assert [(t.model, t.task, t.loss, t.fold) for t in part] == [
        ("ConvNet", "molars_like", "CE", 0), ("ConvNet", "molars_like", "CE", 2),
        ("ConvNet", "molars_like", "SD", 0), ("ConvNet", "molars_like", "SD", 2)]
    with pytest.raises(ValueError, match=r"only: model=U-Net is not in this grid; model takes \['LR'\]"):
        select_cells(study.cells("ci"), {"model": ["U-Net"]})
    with pytest.raises(ValueError, match="only: task=kvasir"):
        select_cells(study.cells("paper"), {"task": ["kvasir"]})
    with pytest.raises(ValueError, match=r"only: fold=5"):
        select_cells(study.cells("paper"), {"fold": [5]})


def _per_subject(task="t", model="LR", n=20, ce=(0.1, 0.3), soft=(0.5, 0.7), dice=(0.6, 0.6)):
    """Paired rows: the same subjects under a CE- and an SD-trained model (values per loss + small noise)."""
    rng = np.random.default_rng(1)
    rows = []
    for subject in range(n):
        for k, loss in enumerate(("CE", "SD")):
            rows.append({"task": task, "model": model, "loss": loss, "fold": subject % 5, "subject": subject,
                         "CE": ce[k] + 0.01 * rng.standard_normal(), "1-SD": soft[k] + 0.01 * rng.standard_normal(),
                         "dice": dice[k] + 0.01 * rng.standard_normal(), "dV": 0.0})
    return pd.DataFrame(rows)


def test_loss_comparison_is_paired_and_names_the_better_loss():
    c = study.loss_comparison(_per_subject()).set_index("metric")
    assert c.loc["CE", "better"] == "CE" and c.loc["1-SD", "better"] == "SD"  # lower CE, higher 1-SD
    assert c.loc["dice", "better"] == "no difference" and c.loc["dice", "p"] > 0.05
    assert c.loc["CE", "CE-trained"] == pytest.approx(0.1, abs=0.01) and (c["n"] == 20).all()
    # paired: a large between-subject spread shared by both losses does not hide a small consistent difference
    d = _per_subject(dice=(0.60, 0.61))
    d["dice"] += np.repeat(np.linspace(-0.3, 0.3, 20), 2)
    assert study.loss_comparison(d).set_index("metric").loc["dice", "better"] == "SD"
    # a (task, model) with one loss only is not compared
    assert study.loss_comparison(_per_subject().query("loss == 'CE'")).empty


def test_table1_lists_every_cell_and_marks_those_not_run():
    s = study.summarise(_per_subject(task="molars_like").assign(dV=lambda d: np.where(d["loss"] == "SD", 5.0, 0.0)
                                                                + 0.1 * (d["subject"] % 3)))
    t = study.table1(s, folds_in_grid=5).set_index(["task", "model", "loss"])
    assert len(t) == 5 * 3 * 2
    assert np.isnan(t.loc[("isles17_rater_like", "LR", "SD"), "1-SD paper"])  # the book's variant: no paper column
    assert t.loc[("molars_like", "LR", "SD"), "status"] == "run"
    assert t.loc[("molars_like", "LR", "SD"), "bias"] == "over"
    assert t.loc[("molars_like", "LR", "SD"), "dV paper"] == 302.3  # the paper's number beside ours
    assert t.loc[("brats_like", "U-Net", "SD"), "status"] == "not run"
    assert np.isnan(t.loc[("brats_like", "U-Net", "SD"), "CE"])
    assert t.loc[("brats_like", "U-Net", "SD"), "dice paper"] == 0.826  # from the paper's text
    assert np.isnan(t.loc[("brats_like", "LR", "SD"), "dice paper"])  # not printed for LR
    part = study.summarise(_per_subject(task="molars_like").query("fold < 2").assign(dV=0.1))
    assert study.table1(part, ("LR",), folds_in_grid=5).loc[0, "status"] == "2 of 5 folds"


def test_style_table1_marks_the_bias_as_the_paper_and_dashes_cells_not_run():
    s = study.summarise(_per_subject(task="molars_like").assign(dV=lambda d: np.where(d["loss"] == "SD", 5.0, -5.0)
                                                                + 0.1 * (d["subject"] % 3)))
    html = study.style_table1(study.table1(s, folds_in_grid=5)).to_html()
    assert "font-weight: bold" in html and "font-style: italic" in html  # SD over, CE under
    assert "+5.1" in html and "—" in html and "folds" not in html


def _verdicts(found):
    return {f.claim: f.verdict.verdict for f in found}


def test_findings_judge_table1_by_the_claims_rules():
    """B05/B06: a paired test over the held-out subjects per task × model; B07: ΔV / V within 5 % (TOST);
    B08: ΔV / V > 0. Each can come out reproduced, not reproduced or inconclusive."""
    rows = pd.concat([_per_subject(task, "LR") for task in ("molars_like", "isles17_like")]).assign(true_volume=100.0)
    rng = np.random.default_rng(2)
    rows["dV"] = np.where(rows["loss"] == "SD", 20.0, 0.0) + rng.normal(0, 1, len(rows))  # CE unbiased, SD over
    v = _verdicts(study.findings(rows, "cpu", "hand-made"))
    assert v["B05"] == v["B06"] == v["B07"] == v["B08"] == "reproduced"
    assert v["B09"] == v["B10"] == v["B11"] == "not run"  # no U-Net cells
    worse = rows.assign(CE=np.where(rows["loss"] == "CE", rows["CE"] + 0.5, rows["CE"]))  # CE-trained worse at CE
    assert _verdicts(study.findings(worse, "cpu", "x"))["B05"] == "not reproduced"
    biased = rows.assign(dV=rows["dV"] - 20.0)  # CE under-estimates by 20 %, SD unbiased
    v = _verdicts(study.findings(biased, "cpu", "x"))
    assert v["B07"] == "not reproduced" and v["B08"] == "inconclusive"
    few = rows[rows["subject"] < 3]  # three subjects: nothing replicated
    assert _verdicts(study.findings(few, "cpu", "x"))["B05"] == "inconclusive"


def test_findings_of_the_unet_on_a_saturated_task_are_untestable():
    rows = pd.concat([_per_subject("molars_like", "U-Net", dice=(0.995, 0.996)),
                      _per_subject("isles17_like", "U-Net", dice=(0.3, 0.5))]).assign(true_volume=100.0)
    rows["dV"] = np.where((rows["loss"] == "SD") & (rows["task"] == "isles17_like"), 10.0, 0.0) \
        + 0.1 * (rows["subject"] % 3 - 1)
    found = {f.claim: f for f in study.findings(rows, "paper", "x")}
    assert found["B11"].verdict.verdict == "partly" and "ceiling" in found["B11"].verdict.evidence
    assert found["B09"].verdict.verdict == "reproduced" and found["B10"].verdict.verdict == "reproduced"


def test_throughput_times_a_list_of_cells():
    chosen = [t for t in study.cells("ci") if t.task == "isles17_like"][:2]
    one = throughput(study.STUDY, "ci", chosen, workers=0)
    assert one["trainings"] == 2 and one["seconds"] > 0
    assert one["trainings_per_hour"] == pytest.approx(3600 * 2 / one["seconds"])
    with pytest.raises(ValueError, match="cells: need at least one cell"):
        throughput(study.STUDY, "ci", [], workers=0)


def test_stalled_trainings_are_left_out_of_the_findings_and_counted():
    """A U-Net whose validation loss never improved on its first epoch (early stopping after exactly
    stop_patience + 1 epochs) was never trained: its huge over-estimation must not decide B10."""
    rows = pd.concat([_per_subject("isles17_like", "U-Net", dice=(0.6, 0.6))]).assign(
        true_volume=100.0, profile="cpu", epochs=90)
    rows["dV"] = 0.5 * (rows["subject"] % 3 - 1)  # trained: no volume bias with either loss
    stuck = (rows["loss"] == "SD") & rows["fold"].isin([2, 4])
    rows.loc[stuck, "dV"] = 5000.0  # … but two SD trainings stalled, predicting foreground everywhere
    rows.loc[stuck, "epochs"] = study.PROFILES["cpu"]["stop_patience"] + 1
    assert study.stalled(rows).tolist() == stuck.tolist()
    assert not study.stalled(rows.assign(model="LR")).any()  # LR may be done after one epoch
    found = {f.claim: f for f in study.findings(rows, "cpu", "phantoms")}
    assert found["B10"].verdict.verdict != "reproduced"  # on the trained networks there is no over-estimation
    assert found["B10"].data.endswith("2 of 10 trainings stalled (no validation improvement after the first "
                                      "epoch) and are left out (isles17_like/U-Net/SD: 2)")
    with_them = {f.claim: f for f in study.findings(rows.assign(epochs=90), "cpu", "phantoms")}
    assert with_them["B10"].verdict.verdict == "reproduced"  # counted as trained, they would decide it
    with pytest.raises(ValueError, match="per_subject: no column 'epochs'"):
        study.stalled(rows.drop(columns="epochs"))
