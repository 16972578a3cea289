"""Chapter 5's training study: its cells by part, one tiny training end to end, the summary and the verdict
rules."""

import numpy as np
import pandas as pd
import pytest

from dicecore.experiments import pm_dice as study
from dicecore.losses import TABLE_LOSSES
from dicecore.papers import hosseini2025


@pytest.fixture
def tiny(monkeypatch):
    cfg = dict(study.PROFILES["ci"], frame=32, crop=16, n_train=8, n_test=4, iterations=6, batch_size=2)
    monkeypatch.setitem(study.PROFILES, "tiny", cfg)
    return "tiny"


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
    cpu = study.STUDY.grid("cpu")
    assert {c.iterations for c in cpu if c.task != "msseg_like"} == {1200} and {c.seed for c in cpu} == {0, 1, 2}
    assert {c.iterations for c in cpu if c.task == "msseg_like"} == {1800}  # 3 × the ci length, as the others
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


def test_one_training_end_to_end_is_deterministic(tiny):
    cell = _cell("kvasir_like", "PM Dice", tiny)
    first, second = study.run_cell(cell), study.run_cell(cell)
    cols = ["dice", "iou", "precision", "recall", "nsd", "final_train_loss"]
    assert len(first) == 4 and set(cols) <= set(first.columns)
    pd.testing.assert_frame_equal(first[cols], second[cols], check_exact=True)
    summary = study.summarise(first)
    assert summary.loc[0, "loss"] == "PM Dice" and summary.loc[0, "seeds"] == 1 and summary.loc[0, "mDice spread"] == 0


def _summary(rows, spread=0.0, seeds=1):
    s = pd.DataFrame(rows, columns=["loss", *study.METRICS])
    for m in study.METRICS:
        s[f"{m} spread"] = spread
    s["seeds"] = seeds
    return s


def _per_image(losses, seeds=(0, 1, 2), key="loss", jitter=0.5):
    """Per-image rows whose per-seed means are ``losses[name] = (Dice, IoU, NSD, precision, recall)`` in percent,
    each seed shifted by ``jitter`` × (seed − 1) points."""
    rows = []
    for name, metrics in losses.items():
        for seed in seeds:
            shift = jitter * (seed - 1) + 0.1 * seed * seed
            for image in range(2):
                rows.append({key: name, "seed": seed, "class": 1, "image": image,
                             **{m: (v + shift) / 100 if v == v else float("nan")
                                for m, v in zip(("dice", "iou", "nsd", "precision", "recall"), metrics)}})
    return pd.DataFrame(rows)


def _verdicts(per_image):
    return {f.claim: f.verdict.verdict for f in study.findings(per_image, "cpu", "x")}


def test_findings_are_paired_over_seeds():
    clear = {"CE": (70, 60, 50, 85, 70), "Dice": (72, 62, 52, 80, 78), "PM Dice": (76, 66, 58, 83, 79),
             "CE + PM Dice": (76.2, 66, 57, 84, 77), "CE + Dice": (73, 63, 53, 82, 76),
             "TopK Dice [42]": (73, 63, 55, 79, 80)}
    v = _verdicts(_per_image(clear))
    assert v["H06"] == v["H07"] == v["H08"] == v["H09"] == v["H10"] == v["H11"] == v["H12"] == "reproduced"
    assert v["H14"] == "reproduced" and "H13" not in v and "H04" not in v  # losses not trained: no finding
    one_seed = _verdicts(_per_image(clear, seeds=(0,)))
    assert one_seed["H06"] == one_seed["H10"] == "inconclusive" and one_seed["H11"] == "inconclusive"
    helped = _verdicts(_per_image({"PM Dice": (70, 60, 50, 80, 70), "CE + PM Dice": (74, 64, 54, 82, 72)}))
    assert helped["H11"] == "not reproduced"  # the CE term adds 4 points: beyond the 2-point margin
    against = _verdicts(_per_image({"CE": (70, 60, 50, 78, 80), "Dice": (75, 65, 55, 84, 72)}))
    assert against["H08"] == "not reproduced"
    # a loss that collapsed to all-background (recall < 1 %, precision undefined) cannot be compared
    dead = {f.claim: f for f in study.findings(_per_image({"CE": (7, 4, 16, 100, 4), "Dice": (0, 0, 0, float("nan"), 0),
                                                             "PM Dice": (91, 84, 98, 90, 93)}), "cpu", "x")}
    assert dead["H08"].verdict.verdict == dead["H10"].verdict.verdict == "untestable"
    assert "Dice collapsed to all-background" in dead["H10"].verdict.evidence
    saturated = _verdicts(_per_image({"Dice": (99.6, 99, 99, 99.5, 99.7), "PM Dice": (99.8, 99, 99, 99.9, 99.7)}))
    assert saturated["H10"] == "untestable"  # both within a point of 100 %
    # a partly run grid (a budget stopped it): PM Dice has one seed, the others three — pairs are the seeds both
    # ran, so PM Dice's comparisons are inconclusive (one pair), not an error on the missing seeds
    part = pd.concat([_per_image({k: v for k, v in clear.items() if k != "PM Dice"}),
                      _per_image({"PM Dice": clear["PM Dice"]}, seeds=(0,))])
    v = {f.claim: f.verdict for f in study.findings(part, "cpu", "x")}
    assert v["H06"].verdict == v["H10"].verdict == v["H11"].verdict == "inconclusive" and v["H06"].n == 1
    assert v["H09"].verdict == "reproduced"  # CE + Dice against Dice: three seeds each


def test_gamma_cells_and_sweep_tables():
    cells = [c for c in study.part_cells("cpu", "gamma_sweep") if c.seed == 0]
    assert [c.gamma for c in cells] == [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0), (2.0, 2.0), (5.0, 5.0),
                                        (0.0, 2.0), (0.5, 2.0), (1.0, 2.0)]
    assert len({c.key for c in cells}) == 8 and "__gamma-0.5x2__" in cells[-2].key
    rows = []
    for gamma, dice in (("2, 2", 80), ("0, 0", 0), ("1, 2", 78), ("0, 2", 75), ("5, 5", 85)):
        rows.append({"gamma": gamma, "seed": 0, "class": 1, "image": 0, "dice": dice / 100, "iou": dice / 100,
                     "nsd": dice / 100, "precision": dice / 100 if dice else float("nan"), "recall": dice / 100})
    both, background = study.sweep_tables(pd.DataFrame(rows))
    assert list(both["gamma"]) == ["0, 0", "2, 2", "5, 5"] and list(background["gamma"]) == ["0, 2", "1, 2", "2, 2"]
    assert study.collapsed(both) == ["0, 0"]
    # with seeds, one collapsed training is named even when its setting's mean hides it
    seeds = pd.DataFrame(rows + [dict(r, seed=1, recall=0.0, precision=float("nan")) for r in rows if r["gamma"] == "2, 2"])
    assert study.collapsed_trainings(seeds) == (["0, 0 (seed 0)", "2, 2 (seed 1)"], 6)
    # a partly run sweep (only Table 3's (γ_BG, γ_FG) = (1, 2) training): nothing to judge yet
    both, background = study.sweep_tables(pd.DataFrame([r for r in rows if r["gamma"] == "1, 2"]))
    assert both.empty and list(background["gamma"]) == ["1, 2"]
    assert study.gamma_findings(pd.DataFrame([r for r in rows if r["gamma"] == "1, 2"]), "cpu", "x") == []


def test_gamma_findings_follow_figs_3_and_4():
    sweep = _per_image({"0, 0": (60, 50, 55, 60, 70), "0.5, 0.5": (64, 54, 58, 65, 72), "1, 1": (66, 56, 60, 70, 66),
                        "2, 2": (69, 59, 63, 75, 64), "5, 5": (62, 52, 56, 80, 50),
                        "0, 2": (63, 53, 57, 65, 70), "1, 2": (70, 60, 64, 72, 68)}, key="gamma")
    v = {f.claim: f.verdict.verdict for f in study.gamma_findings(sweep, "cpu", "x")}
    assert v == {"H16": "reproduced", "H17": "reproduced", "H18": "reproduced"}
    flat = sweep.assign(precision=0.7)  # precision does not move with γ
    v = {f.claim: f.verdict.verdict for f in study.gamma_findings(flat, "cpu", "x")}
    assert v["H16"] == "partly" and v["H17"] == "reproduced"
    dead = sweep.assign(recall=np.where(sweep["gamma"] == "5, 5", 0.0, sweep["recall"]))
    found = {f.claim: f for f in study.gamma_findings(dead, "cpu", "x")}
    assert "collapsed" in found["H16"].verdict.evidence


def test_msseg_like_task_trains(tiny):
    study.PROFILES[tiny]["msseg"] = {"n_train": 6, "n_test": 2, "crop": None, "batch_size": 2,
                                     "model": "small-unet", "lr": 1e-3, "iterations": 3}
    out = study.run_cell(_cell("msseg_like", "PM Dice", tiny, gamma=(1.0, 2.0)))
    assert len(out) == 2 and out["gamma"].iloc[0] == "1, 2"
    # as the ci/cpu profiles: crops, half of each batch over a lesion; scored on whole slices
    study.PROFILES[tiny]["msseg"].update(crop=32, foreground_share=0.5)
    out = study.run_cell(_cell("msseg_like", "CE", tiny))
    assert len(out) == 2 and set(out["class"]) == {1}


def test_a_diverged_training_is_kept_as_a_result_predicting_background(tiny, monkeypatch):
    def diverges(*args, **kwargs):
        raise FloatingPointError("model: its output became non-finite at iteration 3")

    trains = study.fit
    monkeypatch.setattr(study, "fit", diverges)
    out = study.run_cell(_cell("kvasir_like", "Dice", tiny))
    assert out["diverged"].all() and (out["dice"] == 0).all() and out["final_train_loss"].isna().all()
    assert study.diverged_trainings(out) == ["Dice (seed 0)"]
    monkeypatch.setattr(study, "fit", trains)
    assert not study.run_cell(_cell("kvasir_like", "Dice", tiny))["diverged"].any()


def test_acdc_like_task_trains_four_classes_and_saves_examples(tiny, tmp_path):
    study.PROFILES[tiny]["acdc"] = {"frame": 32, "crop": 16, "n_train": 6, "n_test": 3, "iterations": 3}
    from dicecore.experiments.study import ResultStore

    trainings = [_cell("acdc_like", loss, tiny) for loss in ("Dice", "PM Dice, gradient through m")]
    store = ResultStore(tmp_path)
    out = pd.concat([study.run_cell(c, store.paths(c), n_examples=2) for c in trainings])
    assert sorted(out["class"].unique()) == [1, 2, 3] and len(out) == 2 * 3 * 3
    organs = study.organ_dice(out)
    assert list(organs.columns) == ["loss", "RV", "MYO", "LV"] and len(organs) == 2
    examples = study.example_predictions(trainings, store)
    assert set(examples) == {"Dice", "PM Dice, gradient through m"} and examples["Dice"].shape == (2, 32, 32)
    renamed = study.example_predictions(trainings, store, label=lambda t: "D" if t.loss == "Dice" else None)
    assert list(renamed) == ["D"]
    images, labels = study.test_frames("acdc_like", tiny)
    assert images.shape == (3, 1, 32, 32) and labels.shape == (3, 32, 32)
    image, label, k = study.example_frame("acdc_like", tiny, n_examples=2)
    assert k in (0, 1) and (label > 0).sum() == max((labels[j] > 0).sum() for j in (0, 1))
    assert np.array_equal(image, images[k])


def test_the_ablation_is_its_own_claim_and_no_rival():
    rows = {"CE": (70, 60, 50, 85, 70), "Dice": (72, 62, 52, 80, 78), "PM Dice": (76, 66, 58, 83, 79),
            "PM Dice, gradient through m": (90, 80, 70, 90, 90)}
    v = _verdicts(_per_image(rows))
    assert v["H07"] == "reproduced" and v["H04"] == "not reproduced"  # the ablation is not a rival in H07
    rows["PM Dice, gradient through m"] = (70, 60, 50, 80, 70)
    assert _verdicts(_per_image(rows))["H04"] == "reproduced"


def test_beside_paper_cells():
    ours = _summary([("PM Dice", 76.24, 66, 58, 83, 79), ("PM Dice, gradient through m", 70, 60, 50, 80, 70)])
    table = study.beside_paper(ours, hosseini2025.TABLE1, ("mDice", "mRec."))
    assert list(table.columns) == ["loss", "mDice", "mRec."]
    assert table.loc[0, "mDice"] == "76.2 / 90.6" and table.loc[1, "mDice"] == "70.0 / —"


def test_committed_grid_is_found_by_part_and_reported_beside_the_paper(tiny, tmp_path):
    from dicecore.experiments.study import ResultStore

    study.PROFILES[tiny]["acdc"] = {"frame": 32, "crop": 16, "n_train": 6, "n_test": 3, "iterations": 3}
    study.PROFILES[tiny]["msseg"] = {"n_train": 6, "n_test": 2, "crop": None, "batch_size": 2,
                                     "model": "small-unet", "lr": 1e-3, "iterations": 3}
    assert study.committed_parts(tmp_path, tiny) == {}  # nothing committed: nothing to show
    grid = {part: study.part_cells(tiny, part) for part in study.PARTS}
    ran = ([c for c in grid["kvasir_like"] if c.loss in ("CE", "Dice", "PM Dice", "PM Dice, gradient through m")]
           + grid["acdc_like"][:2] + grid["gamma_sweep"][:2])
    store = ResultStore(tmp_path)
    for cell in ran:
        store.write(cell, study.run_cell(cell))
    found = study.committed_parts(tmp_path, tiny)
    assert sorted(found) == ["acdc_like", "gamma_sweep", "kvasir_like"]
    rows, done, total = found["kvasir_like"]
    assert (done, total) == (4, 6) and set(rows["loss"]) == {"CE", "Dice", "PM Dice", "PM Dice, gradient through m"}
    report = study.committed_report(found, "cpu")  # the tiny profile's trainings, judged as the cpu scale's
    captions = [c for c, _ in report["tables"]]
    assert captions == ["ours (4 of 6 trainings) / the paper's Table 1 (Kvasir-SEG), percent",
                        "ours (2 of 5 trainings) / the paper's Table 2 (ACDC), percent"]
    kvasir = report["tables"][0][1].set_index("loss")
    assert kvasir.loc["PM Dice", "mDice"].endswith(" / 90.6")  # ours / the paper's
    assert list(report["tables"][1][1].columns)[-3:] == ["RV", "MYO", "LV"]
    both, background = report["sweep"]
    assert list(both["gamma"]) == ["0, 0", "1, 1"] and background.empty
    found_claims = {f.claim: f for f in report["findings"]}  # one per claim, the parts merged
    assert "Kvasir-like phantom (4 of 6 trainings, 1 seed)" in found_claims["H08"].data
    assert "ACDC-like phantom (2 of 5 trainings, 1 seed)" in found_claims["H08"].data
    assert found_claims["H04"].verdict.verdict in ("inconclusive", "untestable")  # one seed, 6 iterations
    assert not {"H16", "H17", "H18"} & set(found_claims)  # γ = 0 and 0.5 only: no trend to judge yet
    assert all(f.scale == "cpu" for f in report["findings"])
    assert report["saturated"] == []  # 6-iteration trainings are far from the ceiling
    assert report["diverged"] == {}
    rows["diverged"] = rows["loss"] == "Dice"  # as if the Dice training had diverged
    assert study.committed_report(found, "cpu")["diverged"] == {"kvasir_like": ["Dice (seed 0)"]}
    assert study.committed_report(found, "cpu", ceiling=-1.0)["saturated"] == ["kvasir_like", "acdc_like"]


def test_table3_reading_counts_collapses_and_the_ce_compounds():
    rows = []
    for loss in ("Dice", "CE + Dice"):
        for seed in (0, 1):
            dead = loss == "Dice" and seed == 1
            for image in (0, 1):
                rows.append({"image": image, "class": 1, "dice": 0.0 if dead else 0.8, "iou": 0.0 if dead else 0.7,
                             "precision": float("nan") if dead else 0.8, "recall": 0.0 if dead else 0.8,
                             "nsd": 0.0 if dead else 0.9, "loss": loss, "seed": seed, "gamma": "default",
                             "diverged": dead})
    sentence = study.table3_reading(pd.DataFrame(rows))
    assert sentence.startswith("1 of 4 trainings collapsed to background, lesion recall under 1 % (1 of them after "
                               "diverging): "
                               "Dice in 1 of 2 seeds; the 1 loss with a CE term learned in every seed, at 80–80 %")


def test_collapse_reading_says_what_the_sweep_shows():
    both = pd.DataFrame({"gamma": ["0.0, 0.0", "1.0, 1.0", "2.0, 2.0"], "mRec.": [0.0, 5.0, 20.0]})
    background = pd.DataFrame({"gamma": ["0.0, 2.0", "2.0, 2.0"], "mRec.": [0.5, 20.0]})
    text = study.collapse_reading(both, background)
    assert text.startswith("2 of 4 settings (γ_BG, γ_FG) collapsed, (0.0, 0.0), (0.0, 2.0)")
    assert text.endswith("the plain Dice loss did, and (1.0, 1.0), (2.0, 2.0) escaped")
    assert study.collapse_reading(both.assign(**{"mRec.": 50.0}), background.assign(**{"mRec.": 50.0})) == \
        "no setting collapsed"
    assert "every setting collapsed" in study.collapse_reading(both.assign(**{"mRec.": 0.0}),
                                                              background.assign(**{"mRec.": 0.0}))
    assert "the plain Dice loss did not" in study.collapse_reading(
        both.assign(**{"mRec.": [9.0, 0.0, 9.0]}), background.assign(**{"mRec.": 9.0}))
