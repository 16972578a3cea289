"""dicecore.experiments.missing_empty and dicecore.data.labels: partial labelling, the ε table and the 2-D slice study."""

import numpy as np
import pytest

from dicecore.data.brain import BratsLike
from dicecore.data.heart import AcdcLike
from dicecore.data.labels import partial_acdc_label, partial_brats_label


def test_partial_labelling():
    lab = np.array([0, 1, 2, 3, 2])
    np.testing.assert_array_equal(partial_acdc_label(lab, "ES"), [0, 1, 0, 3, 0])
    np.testing.assert_array_equal(partial_acdc_label(lab, "ED"), lab)
    assert partial_brats_label(np.ones(3), "LGG").sum() == 0 and partial_brats_label(np.ones(3), "HGG").sum() == 3
    with pytest.raises(ValueError, match="phase"):
        partial_acdc_label(lab, "MID")
    with pytest.raises(ValueError, match="grade"):
        partial_brats_label(lab, "GBM")


def test_epsilon_table_partial_below_full():
    from dicecore.experiments.missing_empty import epsilon_table
    from dicecore.papers.tilborghs2022 import EPSILON

    t = epsilon_table(BratsLike(n_hgg=2, n_lgg=2, seed=0), AcdcLike(3, (48, 48, 12), (3.12, 3.12, 5.0)))
    e = t.set_index(["structure", "labelling"])["ε ours (voxels)"]
    assert e[("BraTS whole tumour", "partial")] < e[("BraTS whole tumour", "full")]
    assert e[("ACDC myocardium", "partial")] < e[("ACDC myocardium", "full")]
    assert set(zip(t["structure"], t["labelling"])) == set(EPSILON)
    assert t["ε paper (voxels)"].notna().all()


def test_slice_experiment_mechanics():
    """The Chapter 4 slice study runs end to end on a tiny cohort and is judged (its outcome at the chapter's
    size is asserted on the built book, tests/test_book.py)."""
    import pandas as pd

    from dicecore.experiments import missing_empty as me

    profile = dict(me.SLICE_PROFILE, n_hgg=3, n_lgg=2, n_test_hgg=2, n_test_lgg=2, epochs=1)
    data = me.slice_data(seed=0, profile=profile)
    assert data["x"].shape == (5, 4, 40, 48) and data["y_partial"].sum() < data["y_full"].sum()
    rows = pd.concat([me.run_slice_config(me.SliceConfig(n, "partial"), data, profile) for n in ("I", "Iε")])
    summary = me.slice_summary(rows)
    assert list(summary["Φ/ε"]) == ["I", "Iε"] and summary["AUC (HGG vs LGG from V̂)"].between(0, 1).all()
    assert rows.loc[rows.name == "Iε", "epsilon"].iloc[0] > 1.0  # the heuristic ε, not 1e-7
    found = me.slice_findings(rows, "ci", "tiny")
    assert [f.claim for f in found] == ["T10", "T13"] and found[0].verdict.n == 2  # two LGG test slices
    hgg = summary.set_index("Φ/ε").loc["Iε", "Dice HGG"]  # after one epoch Iε may have segmented nothing yet
    assert found[0].verdict.verdict == ("untestable" if hgg < me.COLLAPSED_DICE else "inconclusive")  # 2 slices
    # a configuration that output empty maps for both grades has not learnt anything about LGG alone
    empty = rows.copy()
    iε = empty["name"] == "Iε"
    empty.loc[iε, "dice"] = 0.0
    empty.loc[iε, [c for c in empty.columns if c.startswith("pred_")]] = 0.0
    t10, t13 = me.slice_findings(empty, "ci", "tiny")
    assert t10.verdict.verdict == t13.verdict.verdict == "untestable"
    assert "Iε: empty maps for both grades (HGG Dice 0.00)" in t10.verdict.evidence


def test_the_slice_study_gives_the_same_rows_in_worker_processes():
    """One thread per training (tests/conftest.py sets one here too): the pool changes the speed, not the numbers."""
    import pandas as pd

    from dicecore.experiments import missing_empty as me

    profile = dict(me.SLICE_PROFILE, n_hgg=3, n_lgg=2, n_test_hgg=2, n_test_lgg=2, epochs=1)
    here = me.slice_study(0, profile, configs=("I", "BI"), workers=0).drop(columns="seconds")
    pooled = me.slice_study(0, profile, configs=("I", "BI"), workers=2).drop(columns="seconds")
    pd.testing.assert_frame_equal(here, pooled)


def test_slice_outcomes_name_what_each_configuration_did_with_lgg():
    import pandas as pd

    from dicecore.experiments import missing_empty as me

    summary = pd.DataFrame({"Φ/ε": ["I", "BI", "Iε", "X"], "Dice HGG": [0.9, 0.85, 0.05, 0.5],
                            "Dice LGG": [0.8, 0.1, 0.0, 0.19]})
    assert me.slice_outcomes(summary) == {"I": "kept LGG", "BI": "learned empty LGG maps", "Iε": "emptied both",
                                          "X": "learned empty LGG maps"}
