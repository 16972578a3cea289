"""Chapter 4's report (dicecore.experiments.missing_empty_3d_report): Table 1 beside the paper's, the detection
AUC of Fig. 2, the partial-label losses and the verdict rules, on hand-made grids."""

import numpy as np
import pandas as pd
import pytest

from dicecore.experiments import missing_empty_3d as study, missing_empty_3d_report as report
from dicecore.papers import tilborghs2022


def test_the_papers_table1_as_printed():
    t = tilborghs2022.TABLE1.set_index(["dataset", "labelling", "B", "config", "group"])
    assert len(t) == 10 * 3 * 2
    assert tuple(t.loc[("brats", "partial", 2, "Iε", "LGG")]) == (0.16, -96)
    assert tuple(t.loc[("brats", "full", 4, "BI", "LGG")]) == (0.90, -7)
    assert tuple(t.loc[("acdc", "partial", 2, "BI", "ES")]) == (0.08, -129)
    assert tuple(t.loc[("acdc", "partial", 2, "I", "ED")]) == (0.88, 0)



def _fake(rows):
    return pd.DataFrame(rows, columns=["dataset", "labelling", "config", "batch_size", "fold", "entry", "group",
                                       "structure", "dice", "pred_ml", "dV_ml"]).assign(profile="ci")



def _hand_made_grid(empty_maps_learnt: bool) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for labelling in ("full", "partial"):
        for config, b in (("I", 1), ("I", 2), ("BI", 2), ("Iε", 2)):
            learns_empty = empty_maps_learnt and labelling == "partial" and config != "I"
            for e in range(16):
                group = "HGG" if e < 8 else "LGG"
                lgg_gone = learns_empty and group == "LGG"
                dice = (0.05 if lgg_gone else 0.9) + 0.005 * rng.standard_normal()
                pred = (5 if lgg_gone else 100) + rng.standard_normal()
                rows.append(("brats", labelling, config, b, 0, e, group, "WT", dice, pred, pred - 100))
    return _fake(rows)



def _verdicts(per):
    return {f.claim: f.verdict.verdict for f in report.findings(per, "cpu", "hand-made")}



def test_findings_fail_when_no_empty_maps_are_learnt():
    v = _verdicts(_hand_made_grid(empty_maps_learnt=False))
    assert v["T09"] == "reproduced"  # I: partial within 0.02 of full (two one-sided tests, 8 LGG entries)
    assert v["T10"] == "not reproduced" and v["T13"] == "not reproduced"



def test_summary_table_auc_and_claims_on_a_hand_made_grid():
    per = _hand_made_grid(empty_maps_learnt=True)
    summary = study.summarise(per)
    s = summary.set_index(["dataset", "labelling", "B", "config", "group"])
    assert s.loc[("brats", "partial", 1, "BI", "LGG"), "dice"] == s.loc[("brats", "partial", 1, "I", "LGG"), "dice"]
    assert s.loc[("brats", "partial", 2, "BI", "LGG"), "dice_worse"]
    assert s.loc[("brats", "partial", 2, "BI", "LGG"), "dV_worse"]
    assert not s.loc[("brats", "partial", 2, "I", "LGG"), "dice_worse"]
    table = report.table1(summary, "brats")
    assert table.loc[("partial", 2), ("DSC", "LGG", "BI")].startswith("*0.0")
    assert table.loc[("full", 8), ("DSC", "HGG", "I")] == "not run / 0.89"
    aucs = report.detection_auc(per).set_index(["config", "B"])
    assert aucs.loc[("BI", 2), "AUC"] == 1.0 and aucs.loc[("I", 2), "AUC"] < 0.8
    v = _verdicts(per)
    assert v["T09"] == v["T10"] == v["T12"] == v["T13"] == "reproduced"
    assert v["T14"] == "not run"  # no ACDC-like cells
    few = per[per["entry"] < 11]  # three LGG entries: nothing replicated
    assert _verdicts(few)["T10"] == "inconclusive"



def test_fig2_draws_one_roc_curve_per_configuration_and_b():
    import matplotlib.pyplot as plt

    from dicecore.plotting import plot_detection_roc

    per = _hand_made_grid(empty_maps_learnt=True)
    entries = report.detection_entries(per)
    assert set(entries["labelling"]) == {"partial"} and entries["positive"].any() and not entries["positive"].all()
    assert (entries["positive"] == (entries["group"] == "HGG")).all()
    aucs = report.detection_auc(per)
    fig = plot_detection_roc(entries, aucs, [("brats", "BraTS-like"), ("acdc", "ACDC-like")])
    brats, acdc = fig.axes
    drawn = [line.get_label() for line in brats.lines[:-1]]  # the last line is the chance diagonal
    expected = [(c, b) for c, b in (("BI", 2), ("BI", 4), ("BI", 8), ("I", 2), ("Iε", 1), ("Iε", 2), ("Iε", 4),
                                     ("Iε", 8)) if ((aucs.config == c) & (aucs.B == b)).any()]
    assert [label.split(":")[0] for label in drawn] == [f"{c}, B = {b}" for c, b in expected]
    assert "BI, B = 2: AUC 1.00" in drawn
    assert [t.get_text() for t in acdc.texts] == ["not run yet"]  # no ACDC rows in the hand-made grid
    plt.close(fig)



def test_the_partial_losses_table_flags_a_real_difference():
    rows = []
    for config, shift in (("I", 0.0), ("marginal", 0.0), ("leaf", -0.3)):
        for e in range(10):
            for structure in ("MYO", "LV", "RV"):
                for phase in ("ED", "ES"):
                    rows.append(("acdc", "partial", config, 2, 0, e, phase, structure,
                                 0.85 + shift + 0.01 * np.sin(e + len(structure)), 10.0, 0.0))
    t = report.partial_losses_table(_fake(rows))
    assert list(zip(t.structure, t.phase))[:2] == [("MYO", "ED"), ("MYO", "ES")]
    assert set(t["differs from I (p < 0.05)"]) == {"leaf"}
    assert t.set_index(["structure", "phase"]).loc[("LV", "ED"), "paper (all three)"] == 0.96


def test_the_length_check_reads_each_configuration_and_group():
    rows = _fake([("brats", "partial", config, 2, 0, e, group, "WT", dice, 0, 0)
                  for config, curve in (("Iε", (0.6, 0.7)), ("I", (0.6, 0.88)), ("BI", (0.6, 0.88)))
                  for e in range(4) for group, dice in (("HGG", curve[0]), ("LGG", curve[1]))]
                 ).assign(iterations=400)
    longer = [rows.assign(iterations=1600, dice=rows["dice"] + 0.2), rows.assign(iterations=3200,
              dice=rows["dice"] + np.where(rows["config"] == "I", 0.21, -0.1))]
    full = rows.assign(labelling="full", dice=0.0)  # left out: the check is the partially labelled cells
    table = report.length_check(pd.concat([rows, *longer, full], ignore_index=True)).set_index(["config", "group"])
    assert list(table.columns[:3]) == ["400", "1600", "3200"]
    assert list(table.index.get_level_values("config")) == ["I", "I", "BI", "BI", "Iε", "Iε"]  # Table 1's order
    assert table.loc[("I", "HGG"), "400"] == pytest.approx(0.6)
    assert table.loc[("I", "HGG"), "last doubling"] == pytest.approx(0.01)
    assert table.loc[("I", "HGG"), "flattened"] and not table.loc[("Iε", "LGG"), "flattened"]  # −0.3 per doubling
    from dicecore.plotting import plot_learning_curves

    fig = plot_learning_curves(table.reset_index(), ylabel="DSC", panel="group", line="config")
    assert [ax.get_title() for ax in fig.axes] == ["HGG", "LGG"]
    assert [line.get_label() for line in fig.axes[1].lines] == ["I", "BI", "Iε"]
    assert list(fig.axes[1].lines[2].get_ydata()) == pytest.approx([0.7, 0.9, 0.6])
    with pytest.raises(ValueError, match="table: no column 'task'"):
        plot_learning_curves(table.reset_index())
    # the ACDC-like check reads its own rows (ED, ES), and only those
    phases = {"HGG": "ED", "LGG": "ES"}
    acdc = pd.concat([rows, *longer], ignore_index=True).assign(
        dataset="acdc", structure="MYO", group=lambda d: d["group"].map(phases))
    both = pd.concat([rows, *longer, acdc.assign(dice=acdc["dice"] / 2)], ignore_index=True)
    read = report.length_check(both, "acdc").set_index(["config", "group"])
    assert read.loc[("I", "ED"), "400"] == pytest.approx(0.3) and len(read) == 6
    assert report.length_check(both).set_index(["config", "group"]).loc[("I", "HGG"), "400"] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="dataset: 'brats' or 'acdc'"):
        report.length_check(both, "kvasir")


def test_learnt_empty_maps_reads_table1_by_t10s_rule():
    summary = pd.DataFrame([("brats", lab, 2, config, "LGG", dice) for lab, config, dice in
                            (("full", "BI", 0.9), ("partial", "BI", 0.3), ("full", "Iε", 0.9), ("partial", "Iε", 0.5))],
                           columns=["dataset", "labelling", "B", "config", "group", "dice"])
    assert report.learnt_empty_maps(summary, "brats", 2) == {"BI": "has learnt to leave LGG out",
                                                             "Iε": "still segments LGG"}  # a drop of 0.4 < 0.5
    assert report.learnt_empty_maps(summary, "brats", 4) == {"BI": "not judged", "Iε": "not judged"}


def test_t10_is_inconclusive_where_the_length_check_shows_the_grid_too_short():
    grid = _hand_made_grid(empty_maps_learnt=False).assign(iterations=study.grid_length("ci", "brats"))
    assert report.too_short_for_t10(grid) == {}  # no check beyond the grid's length
    longer = _hand_made_grid(empty_maps_learnt=True).assign(iterations=2 * study.grid_length("ci", "brats"))
    longer = longer[(longer["labelling"] == "partial") & (longer["batch_size"] == 2)]  # the check's cells
    both = pd.concat([grid, longer], ignore_index=True)
    short = report.too_short_for_t10(both)
    assert set(short) == {("brats", "BI"), ("brats", "Iε")} and "falls from 0.90 to 0.05 at 8" in short[("brats", "BI")]
    found = {f.claim: f.verdict for f in report.findings(both, "cpu", "hand-made")}
    assert found["T10"].verdict == "inconclusive" and "too short to judge it" in found["T10"].evidence
    assert _verdicts(grid)["T10"] == "not reproduced"  # the grid alone: the claim fails
    flat = both.assign(dice=np.where(both["iterations"] > 4, 0.9, both["dice"]))  # longer training changes nothing
    assert report.too_short_for_t10(flat) == {} and _verdicts(flat)["T10"] == "not reproduced"


def _acdc_grid(loss_of_wall) -> pd.DataFrame:
    """Ten ACDC-like subjects in five folds, DL_I at B = 2 with full and partial labels: the partially labelled
    ES myocardium loses ``loss_of_wall(wall_es_mm)`` of DSC; the ED myocardium and the full labels lose nothing."""
    rows = []
    walls = _walls(1.45)
    for labelling in ("full", "partial"):
        for s, w in zip(walls["subject"], walls["wall_es_mm"]):
            for k, group in enumerate(("ED", "ES")):
                lost = loss_of_wall(w) if (labelling, group) == ("partial", "ES") else 0.0
                rows.append(("acdc", labelling, "I", 2, s // 2, 2 * s + k, group, "MYO", 0.93 - lost, 100.0, 0.0))
    return _fake(rows).assign(subject=lambda d: d["entry"] // 2, iterations=study.grid_length("ci", "acdc"))


def _walls(thickening: float) -> pd.DataFrame:
    ed = np.linspace(8.0, 12.0, 10)
    return pd.DataFrame({"subject": range(10), "wall_ed_mm": ed, "wall_es_mm": thickening * ed})


def test_an_es_dsc_lost_by_walls_beyond_the_ed_ones_is_read_as_the_phantoms():
    """T09's ACDC-like part: an ES DSC lost that grows with the ES wall, where most ES walls are thicker than every
    ED wall outside their fold, is inconclusive with that reason; a loss that does not grow with the wall, or
    ES walls the ED ones cover, leaves the failure as it is."""
    grid = _acdc_grid(lambda w: 0.02 * (w - 11.0))
    r = report.es_wall_extrapolation(grid, _walls(1.45))
    assert r["n"] == 10 and r["rho"] == pytest.approx(1.0)
    # fold f holds subjects 2f, 2f + 1 out; the thickest ED wall outside it is 12 mm, but 11.56 mm for fold 4
    e = r["entries"].set_index("subject")
    assert e.loc[9, "thickest_ed_mm"] == pytest.approx(8 + 4 * 7 / 9) and e.loc[0, "thickest_ed_mm"] == 12.0
    assert r["share_beyond"] == pytest.approx(np.mean(1.45 * np.linspace(8, 12, 10) > e["thickest_ed_mm"]))
    assert report.extrapolates(r)
    assert r["n_within"] == round((1 - r["share_beyond"]) * 10) and r["loss_within"] < r["loss_beyond"]
    assert f"the {r['n_within']} within {r['loss_within']:.2f})" in report.extrapolation_sentence(r)
    found = {f.claim: f.verdict for f in report.findings(grid, "cpu", "hand-made", walls=_walls(1.45))}
    assert found["T09"].verdict == "inconclusive" and "grows with the held-out ES wall" in found["T09"].evidence
    assert _verdicts(grid)["T09"] == "not reproduced"  # without the walls: the rule's failure
    covered = report.es_wall_extrapolation(grid, _walls(1.45).assign(wall_ed_mm=lambda d: d["wall_es_mm"] + 1))
    assert covered["share_beyond"] <= 0.1 and not report.extrapolates(covered)  # only the thickest, in fold 4
    flat = _acdc_grid(lambda w: 0.1 + 0.01 * np.sin(7 * w))  # lost everywhere, not with the wall
    assert not report.extrapolates(report.es_wall_extrapolation(flat, _walls(1.45)))
    assert {f.claim: f.verdict.verdict for f in report.findings(flat, "cpu", "-", walls=_walls(1.45))}["T09"] == \
        "not reproduced"
    assert report.es_wall_extrapolation(grid[grid.labelling == "full"], _walls(1.45)) is None
    with pytest.raises(ValueError, match="walls: no wall thickness for subjects"):
        report.es_wall_extrapolation(grid, _walls(1.45).head(5))


def test_the_committed_acdc_walls_are_the_cohorts():
    walls = report.acdc_walls("ci")
    assert len(walls) == study.PROFILES["ci"]["acdc"]["n_subjects"]
    assert (walls["wall_es_mm"] > walls["wall_ed_mm"]).all()
    rows = _acdc_grid(lambda w: 0.0).assign(seed=0, data_root=None)
    pd.testing.assert_frame_equal(report.walls_of(rows, "ci"), walls)
    assert report.walls_of(rows.assign(data_root="/my/acdc"), "ci") is None  # your own data: no drawn walls
    assert report.walls_of(rows.assign(dataset="brats"), "ci") is None


def test_the_es_wall_figure_marks_the_walls_beyond_the_ed_ones():
    import matplotlib

    matplotlib.use("Agg")
    from dicecore.plotting import plot_es_wall_extrapolation

    r = report.es_wall_extrapolation(_acdc_grid(lambda w: 0.02 * (w - 11.0)), _walls(1.45))
    ax = plot_es_wall_extrapolation(r).axes[0]
    within, beyond = (len(c.get_offsets()) for c in ax.collections)
    assert beyond == round(r["share_beyond"] * r["n"]) and within + beyond == r["n"]
    assert "ρ = 1.00" in ax.get_title()
