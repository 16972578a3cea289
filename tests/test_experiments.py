"""dicecore.experiments: the task runner (parallel, resumable) and Chapter 2's study (deterministic)."""

import pandas as pd
import pytest

from dicecore.experiments import volume_bias as study
from dicecore.experiments.runner import collect, run_tasks, throughput


def test_task_lists():
    ci = study.tasks("ci")
    assert len(ci) == 4 * 1 * 2 * 3 and len({t.key for t in ci}) == len(ci)
    assert len(study.tasks("paper")) == 4 * 3 * 2 * 5
    with pytest.raises(ValueError, match="profile"):
        study.tasks("huge")


def test_runner_is_deterministic_and_resumes(tmp_path):
    chosen = [t for t in study.tasks("ci") if t.task == "isles17_like" and t.fold == 0]
    first = run_tasks(chosen, study.run_task, tmp_path / "a", workers=2, progress=False)
    second = run_tasks(chosen, study.run_task, tmp_path / "b", workers=0, progress=False)
    cols = ["CE", "1-SD", "dV", "dice"]
    pd.testing.assert_frame_equal(first[cols], second[cols], rtol=1e-6)
    # a finished task is not run again: corrupting nothing, calling with a failing fn still succeeds
    again = run_tasks(chosen, lambda t: 1 / 0, tmp_path / "a", workers=0, progress=False)
    pd.testing.assert_frame_equal(again, first)
    (tmp_path / "a" / f"{chosen[0].key}.csv").unlink()
    with pytest.raises(FileNotFoundError, match="no results table"):
        collect(chosen, tmp_path / "a")
    partial = collect(chosen, tmp_path / "a", missing="skip")  # a partly run grid: the cells that ran
    pd.testing.assert_frame_equal(partial, collect(chosen[1:], tmp_path / "a"))
    assert 0 < len(partial) < len(first)
    with pytest.raises(FileNotFoundError, match="out_dir: none of the 1 tasks has a result"):
        collect(chosen[:1], tmp_path / "a", missing="skip")
    with pytest.raises(ValueError, match="missing: 'error' or 'skip'"):
        collect(chosen, tmp_path / "a", missing="ignore")


def test_summary_marks_significant_bias():
    rows = []
    for k in range(20):
        rows.append({"task": "t", "model": "LR", "loss": "SD", "CE": 0.1, "1-SD": 0.5, "dV": 10 + k % 3, "dice": 0.5})
        rows.append({"task": "t", "model": "LR", "loss": "CE", "CE": 0.1, "1-SD": 0.5, "dV": (-1) ** k, "dice": 0.5})
    s = study.summarise(pd.DataFrame(rows)).set_index("loss")
    assert s.loc["SD", "bias"] == "over" and s.loc["CE", "bias"] == ""


def test_paper_table_as_printed():
    t = study.PAPER_TABLE1.set_index(["dataset", "model", "loss"])
    assert t.loc[("ISLES 2017 (3D)", "U-Net", "SD"), "dV"] == 13.44
    assert t.loc[("MOLARS (2D)", "LR", "SD"), "dV"] == 302.3
    assert len(t) == 4 * 3 * 2


def test_empirical_claims_verdicts():
    def row(task, model, loss, ce, sd, bias):
        return {"task": task, "model": model, "loss": loss, "CE": ce, "1-SD": sd, "bias": bias}

    rows = []
    for task in ("molars_like", "brats_like", "isles17_like", "isles18_like"):
        rows += [row(task, "LR", "CE", 0.1, 0.5, ""), row(task, "LR", "SD", 0.2, 0.6, "over")]
    claims = study.empirical_claims(pd.DataFrame(rows), "test data")
    verdicts = [c[2] for c in claims]
    assert verdicts == ["reproduced"] * 4 + ["not checked in this build"] and claims[0][3] == "test data"
    rows[1]["bias"] = "under"  # molars SD under-estimates; CE worse than SD on one task
    rows[2]["CE"] = 0.5
    verdicts = [c[2] for c in study.empirical_claims(pd.DataFrame(rows), "x")]
    assert verdicts[0] == "not reproduced" and verdicts[3] == "partly"


def test_throughput_times_a_task_list(tmp_path):
    chosen = [t for t in study.tasks("ci") if t.task == "isles17_like"][:2]
    one = throughput(chosen, study.run_task, workers=0)
    assert one["trainings"] == 2 and one["seconds"] > 0
    assert one["trainings_per_hour"] == pytest.approx(3600 * 2 / one["seconds"])
    with pytest.raises(ValueError, match="tasks: need at least one task"):
        throughput([], study.run_task, workers=0)
