"""The claims ledger: from committed results (dicecore.experiments.ledger), on the site
(dicecore.book.claims_tables) and on the command line (dicecore claims)."""

import json

import pandas as pd
import pytest

from dicecore import claims
from dicecore.book.claims_tables import ledger_html, section_anchor, show_claims
from dicecore.cli import main


def _few():
    v = claims.Verdict
    return [claims.finding("T02", v("reproduced", "max error 1e-19", "exact", 96), "exact", "tensors"),
            claims.finding("S04", v("inconclusive", "gap -0.01, n = 1", "t-test", 1), "paper", "BraTS-like slices"),
            claims.finding("H11", v("not reproduced", "CE + PM Dice − PM Dice +4", "TOST", 3), "cpu", "Kvasir-like")]


@pytest.fixture
def few(monkeypatch):
    import dicecore.experiments.ledger as ledger_module

    monkeypatch.setattr(ledger_module, "committed_findings", lambda papers=None: [
        f for f in _few() if papers is None or claims.claim(f.claim).paper in papers])


def test_section_anchors_are_the_sites():
    assert section_anchor("01_dice_anatomy", "1.2") == "01_dice_anatomy.html#the-gradient-eq-4-derived-and-checked"
    assert section_anchor("04_missing_vs_empty", "4.3") == "04_missing_vs_empty.html#the-heuristic-of-mathbb-i-epsilon"
    assert section_anchor("05_pm_dice", "5.10").endswith("#the-cost-of-the-modulating-term")
    assert section_anchor("01_dice_anatomy", "9.9") is None


def test_show_claims_refuses_a_verdict_outside_the_vocabulary():
    table = claims.claims_table(_few()[:1], "01_dice_anatomy")
    html = show_claims(table).data
    assert html.count("<tr data-id=") == 7 and 'data-id="T02" data-verdict="reproduced" data-scale="exact"' in html
    with pytest.raises(ValueError, match=r"table: verdicts \['derived and checked'\] are outside the vocabulary"):
        show_claims(table.assign(verdict="derived and checked"))


def test_ledger_html_links_each_claim_to_its_section():
    html = ledger_html(claims.ledger(_few()))
    assert html.count("<tr data-id=") == len(claims.all_claims())
    assert '<a href="../notebooks/01_dice_anatomy.html#the-gradient-eq-4-derived-and-checked">Ch. 1 §1.2</a>' in html
    assert "not tested" in html and "max error 1e-19" in html and "tilborghs2022, §2, Eq. 4" in html


def test_a_combined_findings_parts_fold_away():
    parts = [claims.Verdict("reproduced", "task a: +0.1", "r", 5), claims.Verdict("inconclusive", "task b: +0.0", "r", 5)]
    found = claims.finding("B05", claims.combine(parts, "per task"), "cpu", "phantoms")
    html = show_claims(claims.claims_table([found], "02_volume_bias")).data
    assert "per task: 1 reproduced, 1 inconclusive of 2<details><summary>the 2 parts</summary>" in html
    assert "<li>task a: +0.1</li><li>task b: +0.0</li>" in html and "data: phantoms" in html


def test_cli_prints_the_ledger_as_csv_json_and_table(few, capsys):
    assert main(["claims", "--format", "csv"]) == 0
    table = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert list(table.columns)[:8] == ["id", "paper", "section", "claim", "verdict", "scale", "data", "n"]
    assert len(table) == len(claims.all_claims())
    assert table.set_index("id").loc["H11", "verdict"] == "not reproduced"
    assert main(["claims", "--paper", "sudre2017", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["paper"] for r in rows} == {"sudre2017"} and rows[3]["verdict"] == "inconclusive"
    assert main(["claims"]) == 0
    out = capsys.readouterr().out
    assert "T02" in out and "reproduced" in out and "all" in out  # the table, then the counts


def test_cli_names_an_unknown_paper(capsys):
    with pytest.raises(SystemExit):
        main(["claims", "--paper", "milletari2016"])
    assert "invalid choice: 'milletari2016'" in capsys.readouterr().err


def test_the_ledger_reads_the_committed_results():
    from dicecore.experiments.ledger import committed_findings

    found = committed_findings({"bertels2019"})
    assert {claims.claim(f.claim).paper for f in found} == {"bertels2019"}
    scales = {f.claim: f.scale for f in found}
    # Chapter 2 judges its cpu grid first (volume_bias.STUDY.shown_profiles): the grid a CPU can complete
    assert scales["B01"] == "exact" and scales["B05"] == "cpu"


def test_every_chapter_prints_its_claims_table_from_the_ledger():
    """No chapter builds a claims table of its own: each ends with the ledger's table for its claims, styled by
    show_claims (which refuses a verdict outside the vocabulary)."""
    from dicecore.book.chapters import notebooks_dir

    for path in sorted(notebooks_dir().glob("[0-9][0-9]_*.py")):
        text = path.read_text(encoding="utf-8")
        assert f'show_claims(claims_table(findings, "{path.stem}"))' in text, path.name
        assert "claims.append((" not in text and "columns=[\"claim" not in text, path.name


def test_prose_numbers_are_glued_formatted():
    from dicecore.book.prose import glue_numbers

    texts = glue_numbers("{:.2f}", dsc=0.9149, missing=float("nan"), dv="-92", ready="+5", none=None)
    assert texts == {"dsc": "0.91", "missing": "—", "dv": "−92", "ready": "+5", "none": "—"}
    assert glue_numbers("{:+.0f}", dv=-91.6)["dv"] == "−92" and glue_numbers("{:.0%}", share=0.5)["share"] == "50%"


def test_level_beside_paper_reads_a_score_against_the_papers():
    from dicecore.book.prose import level_beside_paper

    assert level_beside_paper(0.90, 0.88, "ACDC") == "at the paper's level (within 0.05)"
    assert level_beside_paper(0.80, 0.88, "ACDC") == "below the paper's level, by 0.08"
    above = level_beside_paper(0.95, 0.88, "ACDC")
    assert above.startswith("above the paper's level, by 0.07: ") and "than ACDC was for the paper's" in above
    assert level_beside_paper(0.95, 0.88, "ACDC", margin=0.1).startswith("at the paper's level (within 0.1)")
    assert level_beside_paper(float("nan"), 0.88, "ACDC") == "not scored yet"


def test_committed_evidence_counts_each_profiles_cells_from_the_store(capsys):
    from dicecore.book.claims_tables import evidence_summary
    from dicecore.experiments.ledger import CHAPTER_PAPERS, committed_evidence
    from dicecore.experiments.study import ResultStore, committed, find_study
    from dicecore.paths import results_dir

    table = committed_evidence()
    assert list(table["chapter"].str[:2].unique()) == list(CHAPTER_PAPERS)
    assert set(table["profile"]) == {"cpu", "paper"}
    for row in table.itertuples():
        study = find_study(row.chapter[:2])
        assert (row.cells, row.of) == ResultStore(results_dir(study.chapter)).count(study.grid(row.profile))
        assert row.hours >= 0 and (row.hours > 0 or row.cells == 0)  # committed cells say what ran them
        shown = committed(study, profiles=(row.profile,))
        if row.cells:  # the chapter shows these cells, on today's phantoms
            assert shown.done == row.cells and not shown.is_superseded
    summary = evidence_summary(table).set_index("chapter")
    assert list(summary.columns) == ["cpu", "paper"]
    fake = pd.DataFrame([{"chapter": "9", "profile": "cpu", "cells": 3, "of": 3, "phantoms": "v2",
                          "superseded cells": 0, "hours": 1.25},
                         {"chapter": "9", "profile": "paper", "cells": 0, "of": 8, "phantoms": "v2",
                          "superseded cells": 4, "hours": 0.0}])
    assert evidence_summary(fake).iloc[0].tolist() == ["9", "complete (phantoms v2), 1.2 h",
                                                       "none; 4 on older phantoms, superseded"]
    assert main(["evidence", "--format", "csv"]) == 0
    printed = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert printed["cells"].tolist() == table["cells"].tolist()
