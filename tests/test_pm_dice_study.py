"""Chapter 5's training study: its cells by part, one tiny training end to end per task, the summary (its
report's tables and verdicts: tests/test_pm_dice_report.py)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from dicecore.experiments import pm_dice as study, pm_dice_report as report
from dicecore.losses import TABLE_LOSSES
from dicecore.papers import hosseini2025


def test_cells_by_part_and_paper_tables():
    ci, paper = study.part_cells("ci", "kvasir_like"), study.part_cells("paper", "kvasir_like")
    assert [c.loss for c in ci] == ["CE", "Dice", "CE + Dice", "PM Dice", "CE + PM Dice", "PM Dice, gradient through m"]
    assert len(paper) == 15 * 3 and len({c.key for c in paper}) == 45
    assert [c.loss for c in study.part_cells("ci", "acdc_like")] == [c.loss for c in ci[:5]]
    assert all(c.task == "acdc_like" for c in study.part_cells("paper", "acdc_like"))
    for table in (hosseini2025.TABLE1, hosseini2025.TABLE2, hosseini2025.TABLE3):
        assert list(table["loss"]) == list(TABLE_LOSSES)
    assert hosseini2025.TABLE3.set_index("loss").loc["CE + PM Dice", ["mDice", "mPrec."]].tolist() == [68.71, 76.46]
    msseg = {c.loss: c.gamma for c in study.part_cells("paper", "msseg_like")}
    assert msseg["PM Dice"] == msseg["Focal CE + PM Dice"] == hosseini2025.MSSEG_GAMMA == (1.0, 2.0)
    assert msseg["Dice"] is None and msseg["TopK CE + Dice"] is None  # γ only where a PM Dice term is
    # the Table 3 PM Dice training is the γ sweep's (γ_BG, γ_FG) = (1, 2) training: one run serves both
    table3_pm = next(c for c in study.part_cells("ci", "msseg_like") if c.loss == "PM Dice")
    assert table3_pm.key in {c.key for c in study.part_cells("ci", "gamma_sweep")}
    # the ci sweep is the cpu sweep without γ = 0.5 (fewer trainings in the build)
    sweep = {profile: {c.gamma for c in study.part_cells(profile, "gamma_sweep")} for profile in ("ci", "cpu")}
    assert sweep["ci"] == sweep["cpu"] - {(0.5, 0.5), (0.5, 2.0)} and len(sweep["ci"]) == 6
    assert table3_pm.key == "task-msseg_like__loss-PM-Dice__gamma-1x2__iterations-600__phantom-2__profile-ci__seed-0"
    assert len(study.STUDY.grid("ci")) == sum(len(study.part_cells("ci", p)) for p in study.PARTS) - 1
    # the cpu grid: every loss, three seeds, longer trainings; a profile's keys never stand in for another's
    cpu = [c for part in study.PARTS for c in study.part_cells("cpu", part)]
    assert {c.iterations for c in cpu if c.task == "kvasir_like"} == {9600}  # chosen from the length check
    assert {c.iterations for c in cpu if c.task == "acdc_like"} == {9600} and {c.seed for c in cpu} == {0, 1, 2}
    assert {c.iterations for c in cpu if c.task == "msseg_like"} == {7200}  # from the check at the paper's rate
    # the cpu MSSEG-like cells train at the paper's rate and name it; the other tasks' keys hold no rate
    assert {c.lr for c in cpu if c.task == "msseg_like"} == {1e-4} == {study.PROFILES["paper"]["msseg"]["lr"]}
    assert all("__lr-0.0001__" in c.key for c in cpu if c.task == "msseg_like")
    assert not any("__lr-" in c.key for c in cpu if c.task != "msseg_like")
    assert cpu[0].key == "task-kvasir_like__loss-CE__gamma-none__iterations-9600__phantom-2__profile-cpu__seed-0"
    assert not {c.key for c in cpu} & {c.key for c in study.STUDY.grid("ci")}
    assert hosseini2025.TABLE1.set_index("loss").loc["PM Dice", "mDice"] == 90.61
    assert hosseini2025.TABLE2.set_index("loss").loc["PM Dice", ["mDice", "RV", "MYO", "LV"]].tolist() == [
        91.88, 90.54, 89.43, 95.67]
    with pytest.raises(ValueError, match="profile: unknown profile 'big'"):
        study.part_cells("big")
    with pytest.raises(ValueError, match="part: unknown part 'brats'"):
        study.part_cells("ci", "brats")


def _cell(task, loss, profile, gamma=None):
    cfg = study.PROFILES[profile]
    iterations = {"msseg_like": cfg["msseg"], "acdc_like": cfg["acdc"]}.get(task, cfg).get("iterations",
                                                                                              cfg["iterations"])
    return study.PMDiceCell(task=task, loss=loss, gamma=gamma, iterations=iterations, phantom=1, profile=profile)


def test_one_training_end_to_end_is_deterministic(pm_dice_tiny):
    cell = _cell("kvasir_like", "PM Dice", pm_dice_tiny)
    first, second = study.run_cell(cell), study.run_cell(cell)
    cols = ["dice", "iou", "precision", "recall", "nsd", "final_train_loss"]
    assert len(first) == 4 and set(cols) <= set(first.columns)
    pd.testing.assert_frame_equal(first[cols], second[cols], check_exact=True)
    summary = study.summarise(first)
    assert summary.loc[0, "loss"] == "PM Dice" and summary.loc[0, "seeds"] == 1 and summary.loc[0, "mDice spread"] == 0


def test_msseg_like_task_trains(pm_dice_tiny):
    study.PROFILES[pm_dice_tiny]["msseg"] = {"n_train": 6, "n_test": 2, "crop": None, "batch_size": 2,
                                     "model": "small-unet", "lr": 1e-3, "iterations": 3}
    out = study.run_cell(_cell("msseg_like", "PM Dice", pm_dice_tiny, gamma=(1.0, 2.0)))
    assert len(out) == 2 and out["gamma"].iloc[0] == "1, 2"
    # as the ci/cpu profiles: crops, half of each batch over a lesion; scored on whole slices
    study.PROFILES[pm_dice_tiny]["msseg"].update(crop=32, foreground_share=0.5)
    out = study.run_cell(_cell("msseg_like", "CE", pm_dice_tiny))
    assert len(out) == 2 and set(out["class"]) == {1}


def test_early_foreground_records_the_first_iterations_of_a_training(pm_dice_tiny):
    """early_foreground: the run_cell set-up at a constant rate, one row per iteration with the mean foreground
    probability on foreground and background pixels — deterministic, and its arguments checked."""
    study.PROFILES[pm_dice_tiny]["msseg"] = {"n_train": 6, "n_test": 2, "crop": 32, "batch_size": 2,
                                             "foreground_share": 1.0, "model": "small-unet", "lr": 1e-3}
    first = study.early_foreground("msseg_like", "PM Dice", (0.5, 0.5), iterations=4, profile=pm_dice_tiny)
    again = study.early_foreground("msseg_like", "PM Dice", (0.5, 0.5), iterations=4, profile=pm_dice_tiny)
    assert list(first["iteration"]) == [0, 1, 2, 3] and (first["lr"] == 1e-3).all()  # held constant
    probs = first[["p_foreground", "p_background_pixels"]].to_numpy()
    assert np.isfinite(probs).all() and ((probs > 0) & (probs < 1)).all()  # every batch holds a lesion
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert (study.early_foreground("msseg_like", "Dice", iterations=2, profile=pm_dice_tiny, lr=5e-4)["lr"]
            == 5e-4).all()
    for bad, match in (({"task": "brats"}, "task"), ({"iterations": 0}, "iterations"), ({"lr": 0.0}, "lr")):
        with pytest.raises(ValueError, match=match):
            study.early_foreground(**{"task": "msseg_like", "loss": "Dice", "profile": pm_dice_tiny, **bad})


def test_a_cell_that_names_its_rate_trains_at_it(pm_dice_tiny, monkeypatch):
    rates = []

    def records_the_rate(model, loss, batches, schedule, length, **kwargs):
        rates.append(schedule.lr)
        raise FloatingPointError("stop here")  # run_cell keeps it as a diverged training

    monkeypatch.setattr(study, "fit", records_the_rate)
    cell = _cell("kvasir_like", "Dice", pm_dice_tiny)
    study.run_cell(cell)
    study.run_cell(dataclasses.replace(cell, lr=3e-4))
    assert rates == [study.PROFILES[pm_dice_tiny]["lr"], 3e-4]


def test_a_diverged_training_is_kept_as_a_result_predicting_background(pm_dice_tiny, monkeypatch):
    def diverges(*args, **kwargs):
        raise FloatingPointError("model: its output became non-finite at iteration 3")

    trains = study.fit
    monkeypatch.setattr(study, "fit", diverges)
    out = study.run_cell(_cell("kvasir_like", "Dice", pm_dice_tiny))
    assert out["diverged"].all() and (out["dice"] == 0).all() and out["final_train_loss"].isna().all()
    assert report.diverged_trainings(out) == ["Dice (seed 0)"]
    monkeypatch.setattr(study, "fit", trains)
    assert not study.run_cell(_cell("kvasir_like", "Dice", pm_dice_tiny))["diverged"].any()


def test_acdc_like_task_trains_four_classes_and_saves_examples(pm_dice_tiny, tmp_path):
    study.PROFILES[pm_dice_tiny]["acdc"] = {"frame": 32, "crop": 16, "n_train": 6, "n_test": 3, "iterations": 3}
    from dicecore.experiments.study import ResultStore

    trainings = [_cell("acdc_like", loss, pm_dice_tiny) for loss in ("Dice", "PM Dice, gradient through m")]
    store = ResultStore(tmp_path)
    out = pd.concat([study.run_cell(c, store.paths(c), n_examples=2) for c in trainings])
    assert sorted(out["class"].unique()) == [1, 2, 3] and len(out) == 2 * 3 * 3
    organs = report.organ_dice(out)
    assert list(organs.columns) == ["loss", "RV", "MYO", "LV"] and len(organs) == 2
    examples = report.example_predictions(trainings, store)
    assert set(examples) == {"Dice", "PM Dice, gradient through m"} and examples["Dice"].shape == (2, 32, 32)
    renamed = report.example_predictions(trainings, store, label=lambda t: "D" if t.loss == "Dice" else None)
    assert list(renamed) == ["D"]
    images, labels = study.test_frames("acdc_like", pm_dice_tiny)
    assert images.shape == (3, 1, 32, 32) and labels.shape == (3, 32, 32)
    image, label, k = study.example_frame("acdc_like", pm_dice_tiny, n_examples=2)
    assert k in (0, 1) and (label > 0).sum() == max((labels[j] > 0).sum() for j in (0, 1))
    assert np.array_equal(image, images[k])


