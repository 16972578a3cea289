"""Chapter 5's report: ours beside the paper's tables, the verdict rules (paired over seeds, collapsed and
ceiling arms untestable), the γ-sweep tables and the readings of what collapsed or diverged."""

import numpy as np
import pandas as pd
import pytest

from dicecore.experiments import pm_dice as study, pm_dice_report as report
from dicecore.papers import hosseini2025


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
    return {f.claim: f.verdict.verdict for f in report.findings(per_image, "cpu", "x")}



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
    dead = {f.claim: f for f in report.findings(_per_image({"CE": (7, 4, 16, 100, 4), "Dice": (0, 0, 0, float("nan"), 0),
                                                             "PM Dice": (91, 84, 98, 90, 93)}), "cpu", "x")}
    assert dead["H08"].verdict.verdict == dead["H10"].verdict.verdict == "untestable"
    assert "Dice collapsed to all-background" in dead["H10"].verdict.evidence
    saturated = _verdicts(_per_image({"Dice": (99.6, 99, 99, 99.5, 99.7), "PM Dice": (99.8, 99, 99, 99.9, 99.7)}))
    assert saturated["H10"] == "untestable"  # both within a point of 100 %
    # a partly run grid (a budget stopped it): PM Dice has one seed, the others three — pairs are the seeds both
    # ran, so PM Dice's comparisons are inconclusive (one pair), not an error on the missing seeds
    part = pd.concat([_per_image({k: v for k, v in clear.items() if k != "PM Dice"}),
                      _per_image({"PM Dice": clear["PM Dice"]}, seeds=(0,))])
    v = {f.claim: f.verdict for f in report.findings(part, "cpu", "x")}
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
    both, background = report.sweep_tables(pd.DataFrame(rows))
    assert list(both["gamma"]) == ["0, 0", "2, 2", "5, 5"] and list(background["gamma"]) == ["0, 2", "1, 2", "2, 2"]
    assert report.collapsed(both) == ["0, 0"]
    # with seeds, one collapsed training is named even when its setting's mean hides it
    seeds = pd.DataFrame(rows + [dict(r, seed=1, recall=0.0, precision=float("nan")) for r in rows if r["gamma"] == "2, 2"])
    assert report.collapsed_trainings(seeds) == (["0, 0 (seed 0)", "2, 2 (seed 1)"], 6)
    # a partly run sweep (only Table 3's (γ_BG, γ_FG) = (1, 2) training): nothing to judge yet
    both, background = report.sweep_tables(pd.DataFrame([r for r in rows if r["gamma"] == "1, 2"]))
    assert both.empty and list(background["gamma"]) == ["1, 2"]
    assert report.gamma_findings(pd.DataFrame([r for r in rows if r["gamma"] == "1, 2"]), "cpu", "x") == []



def test_gamma_findings_follow_figs_3_and_4():
    sweep = _per_image({"0, 0": (60, 50, 55, 60, 70), "0.5, 0.5": (64, 54, 58, 65, 72), "1, 1": (66, 56, 60, 70, 66),
                        "2, 2": (69, 59, 63, 75, 64), "5, 5": (62, 52, 56, 80, 50),
                        "0, 2": (63, 53, 57, 65, 70), "1, 2": (70, 60, 64, 72, 68)}, key="gamma")
    v = {f.claim: f.verdict.verdict for f in report.gamma_findings(sweep, "cpu", "x")}
    assert v == {"H16": "reproduced", "H17": "reproduced", "H18": "reproduced"}
    flat = sweep.assign(precision=0.7)  # precision does not move with γ
    v = {f.claim: f.verdict.verdict for f in report.gamma_findings(flat, "cpu", "x")}
    assert v["H16"] == "partly" and v["H17"] == "reproduced"
    dead = sweep.assign(recall=np.where(sweep["gamma"] == "5, 5", 0.0, sweep["recall"]))
    found = {f.claim: f for f in report.gamma_findings(dead, "cpu", "x")}
    assert "collapsed" in found["H16"].verdict.evidence



def test_the_ablation_is_its_own_claim_and_no_rival():
    rows = {"CE": (70, 60, 50, 85, 70), "Dice": (72, 62, 52, 80, 78), "PM Dice": (76, 66, 58, 83, 79),
            "PM Dice, gradient through m": (90, 80, 70, 90, 90)}
    v = _verdicts(_per_image(rows))
    assert v["H07"] == "reproduced" and v["H04"] == "not reproduced"  # the ablation is not a rival in H07
    rows["PM Dice, gradient through m"] = (70, 60, 50, 80, 70)
    assert _verdicts(_per_image(rows))["H04"] == "reproduced"



def test_beside_paper_cells():
    ours = _summary([("PM Dice", 76.24, 66, 58, 83, 79), ("PM Dice, gradient through m", 70, 60, 50, 80, 70)])
    table = report.beside_paper(ours, hosseini2025.TABLE1, ("mDice", "mRec."))
    assert list(table.columns) == ["loss", "mDice", "mRec."]
    assert table.loc[0, "mDice"] == "76.2 / 90.6" and table.loc[1, "mDice"] == "70.0 / —"



def test_committed_grid_is_found_by_part_and_reported_beside_the_paper(pm_dice_tiny, tmp_path):
    from dicecore.experiments.study import ResultStore

    study.PROFILES[pm_dice_tiny]["acdc"] = {"frame": 32, "crop": 16, "n_train": 6, "n_test": 3, "iterations": 3}
    study.PROFILES[pm_dice_tiny]["msseg"] = {"n_train": 6, "n_test": 2, "crop": None, "batch_size": 2,
                                     "model": "small-unet", "lr": 1e-3, "iterations": 3}
    assert report.committed_parts(tmp_path, pm_dice_tiny) == {}  # nothing committed: nothing to show
    grid = {part: study.part_cells(pm_dice_tiny, part) for part in study.PARTS}
    ran = ([c for c in grid["kvasir_like"] if c.loss in ("CE", "Dice", "PM Dice", "PM Dice, gradient through m")]
           + grid["acdc_like"][:2] + grid["gamma_sweep"][:2])
    store = ResultStore(tmp_path)
    for cell in ran:
        store.write(cell, study.run_cell(cell))
    found = report.committed_parts(tmp_path, pm_dice_tiny)
    assert sorted(found) == ["acdc_like", "gamma_sweep", "kvasir_like"]
    rows, done, total = found["kvasir_like"]
    assert (done, total) == (4, 6) and set(rows["loss"]) == {"CE", "Dice", "PM Dice", "PM Dice, gradient through m"}
    shown = report.committed_report(found, "cpu")  # the tiny profile's trainings, judged as the cpu scale's
    captions = [c for c, _ in shown["tables"]]
    assert captions == ["ours (4 of 6 trainings) / the paper's Table 1 (Kvasir-SEG), percent",
                        "ours (2 of 5 trainings) / the paper's Table 2 (ACDC), percent"]
    kvasir = shown["tables"][0][1].set_index("loss")
    assert kvasir.loc["PM Dice", "mDice"].endswith(" / 90.6")  # ours / the paper's
    assert list(shown["tables"][1][1].columns)[-3:] == ["RV", "MYO", "LV"]
    both, background = shown["sweep"]
    assert list(both["gamma"]) == ["0, 0", "1, 1"] and background.empty
    found_claims = {f.claim: f for f in shown["findings"]}  # one per claim, the parts merged
    assert "Kvasir-like phantom (4 of 6 trainings, 1 seed)" in found_claims["H08"].data
    assert "ACDC-like phantom (2 of 5 trainings, 1 seed)" in found_claims["H08"].data
    assert found_claims["H04"].verdict.verdict in ("inconclusive", "untestable")  # one seed, 6 iterations
    assert not {"H16", "H17", "H18"} & set(found_claims)  # γ = 0 and 0.5 only: no trend to judge yet
    assert all(f.scale == "cpu" for f in shown["findings"])
    assert shown["saturated"] == []  # 6-iteration trainings are far from the ceiling
    assert shown["diverged"] == {}
    rows["diverged"] = rows["loss"] == "Dice"  # as if the Dice training had diverged
    assert report.committed_report(found, "cpu")["diverged"] == {"kvasir_like": ["Dice (seed 0)"]}
    assert report.committed_report(found, "cpu", ceiling=-1.0)["saturated"] == ["kvasir_like", "acdc_like"]



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
    sentence = report.table3_reading(pd.DataFrame(rows))
    assert sentence.startswith("1 of 4 trainings collapsed to background, lesion recall under 1 % (1 of them after "
                               "diverging): "
                               "Dice in 1 of 2 seeds; the 1 loss with a CE term learned in every seed, at 80–80 %")
    assert sentence.endswith("compares the losses with each other, not with the paper's level")  # 80 % > 69 %
    lower = report.table3_reading(pd.DataFrame(rows).assign(dice=0.6))
    assert "above the paper's range" not in lower and lower.endswith("for every loss)")



def test_collapse_reading_says_what_the_sweep_shows():
    both = pd.DataFrame({"gamma": ["0.0, 0.0", "1.0, 1.0", "2.0, 2.0"], "mRec.": [0.0, 5.0, 20.0]})
    background = pd.DataFrame({"gamma": ["0.0, 2.0", "2.0, 2.0"], "mRec.": [0.5, 20.0]})
    text = report.collapse_reading(both, background)
    assert text.startswith("2 of 4 settings (γ_BG, γ_FG) collapsed, (0.0, 0.0), (0.0, 2.0)")
    assert text.endswith("the plain Dice loss did, and (1.0, 1.0), (2.0, 2.0) escaped")
    assert report.collapse_reading(both.assign(**{"mRec.": 50.0}), background.assign(**{"mRec.": 50.0})) == \
        "no setting collapsed"
    assert "every setting collapsed" in report.collapse_reading(both.assign(**{"mRec.": 0.0}),
                                                              background.assign(**{"mRec.": 0.0}))
    assert "the plain Dice loss did not" in report.collapse_reading(
        both.assign(**{"mRec.": [9.0, 0.0, 9.0]}), background.assign(**{"mRec.": 9.0}))


def test_the_length_check_is_read_from_the_store_as_learning_curves(tmp_path):
    from dicecore.experiments.study import ResultStore
    from dicecore.plotting import plot_learning_curves

    check = study.length_check_cells("cpu")
    assert study.length_check_cells("ci") == [] and study.length_check_cells("paper") == []
    assert len(check) == 3 * 2 * 4 and {c.loss for c in check} == {"CE", "Dice"} and {c.seed for c in check} == {0}
    reference = study.LENGTH_CHECK["reference"]
    assert sorted({c.iterations // reference[c.task] for c in check}) == [1, 2, 4, 8]
    assert {c.key for c in check} <= {c.key for c in study.STUDY.grid("cpu")}  # in the grid, each once
    grid = {c.task: c.iterations for c in study.STUDY.grid("cpu") if c.loss == "TopK Dice [42]"}
    assert grid["kvasir_like"] in {c.iterations for c in check if c.task == "kvasir_like"}  # a length checked
    assert report.length_check(tmp_path, "cpu").empty and report.length_check(tmp_path, "ci").empty
    store = ResultStore(tmp_path)
    for cell in [c for c in check if c.task == "kvasir_like"]:  # CE rises 10 points per doubling; Dice flattens
        k = cell.iterations // reference["kvasir_like"]
        dice = 0.1 * k if cell.loss == "CE" else min(0.5 + 0.1 * k, 0.9)
        store.write(cell, pd.DataFrame([{"loss": cell.loss, "seed": 0, "class": 1, "image": i, "dice": dice,
                                         "iou": dice, "nsd": dice, "precision": dice, "recall": dice,
                                         "task": cell.task, "iterations": cell.iterations} for i in range(2)]))
    table = report.length_check(tmp_path, "cpu")
    assert list(table.columns) == ["task", "loss", "reference", "grid length", "1", "2", "4", "8", "last doubling",
                                   "flattened"]
    assert table.set_index("loss").loc["CE", "1"] == pytest.approx(10.0)
    assert (table["reference"] == 1200).all() and (table["grid length"] == grid["kvasir_like"]).all()
    assert table.set_index("loss").loc["CE", "last doubling"] == pytest.approx(40.0)
    assert report.length_states(table) == {"kvasir_like": "still rising at 9600"}
    assert report.length_states(table, ceiling=80.0) == {"kvasir_like": "still rising at 9600, at the ceiling (≥ 80 %) "
                                                                          "by 4800"}  # Dice: 90 % at 4 ×
    assert report.unsettled_at_grid_length(table) == {"kvasir_like": pytest.approx(40.0)}  # CE, last doubling
    assert report.unsettled_at_grid_length(table, margin=50.0) == {}
    fig = plot_learning_curves(table, xlabel="times the reference length")
    assert [line.get_label() for line in fig.axes[0].lines] == ["CE", "Dice"]
    assert list(fig.axes[0].lines[0].get_xdata()) == [1, 2, 4, 8]


def test_collapse_onset_is_the_first_iteration_below_the_threshold():
    history = pd.DataFrame({"iteration": [0, 1, 2, 3], "p_foreground": [0.5, 0.2, 0.005, 0.0]})
    assert report.collapse_onset(history) == 2 and report.collapse_onset(history, below=0.3) == 1
    assert report.collapse_onset(history.assign(p_foreground=0.4)) is None
