"""The closing page's recommendations (dicecore.book.recommendations) and the ledger they read, built once
per state of the package and the results (dicecore.experiments.ledger.build with cache)."""

import pandas as pd
import pytest

from dicecore import claims
from dicecore.book.chapters import find_chapter
from dicecore.book.recommendations import RECOMMENDATIONS, evidence_strength, recommendation, recommendation_html


def _ledger(**verdicts):
    """A ledger of every claim, 'not run', with ``verdicts[id] = (verdict, scale)`` set."""
    table = claims.ledger([])
    for cid, (verdict, scale) in verdicts.items():
        table.loc[table["id"] == cid, ["verdict", "scale"]] = (verdict, scale)
    return table


def test_every_recommendation_rests_on_claims_of_the_ledger_and_names_its_chapter():
    ids = set(claims.ledger([])["id"])
    for rec in RECOMMENDATIONS:
        assert rec.claims and set(rec.claims) <= ids, rec.topic
        assert find_chapter(rec.chapter).stem == rec.chapter
        assert {claims.claim(c).paper for c in rec.claims} <= {c.paper for c in claims.all_claims()}
    assert len({rec.topic for rec in RECOMMENDATIONS}) == len(RECOMMENDATIONS)


def test_evidence_strength_groups_the_verdicts_by_scale():
    table = _ledger(T04=("reproduced", "exact"), T05=("reproduced", "exact"), T10=("inconclusive", "cpu"),
                    T11=("partly", "cpu"), T12=("not run", "cpu"))
    assert evidence_strength(table, ("T04", "T05", "T10", "T11", "T12")) == (
        "exact: T04, T05 reproduced · cpu scale (phantoms): T10 inconclusive; T11 partly · no check yet: T12")
    with pytest.raises(ValueError, match=r"ids: \['X99'\] are not claims of the ledger"):
        evidence_strength(table, ("T04", "X99"))


def test_the_page_shows_each_recommendation_with_its_claims_linked():
    table = _ledger(T04=("reproduced", "exact"))
    text = "".join(recommendation_html(rec, table) for rec in RECOMMENDATIONS)  # the page shows each under its heading
    assert text.count('<div class="recommendation"') == len(RECOMMENDATIONS)
    for rec in RECOMMENDATIONS:
        assert f'data-topic="{rec.topic}"' in text and f'href="../notebooks/{rec.chapter}.html"' in text
        assert recommendation(rec.topic) is rec
    assert 'data-id="T04" data-verdict="reproduced"' in text
    one = recommendation_html(recommendation("Fully labelled data"), table)
    assert "the 1 claim and its evidence" in one and "no check yet: T12" in one
    with pytest.raises(ValueError, match="topic: no recommendation on 'Focal loss'; the topics are"):
        recommendation("Focal loss")


def test_the_ledger_is_built_once_per_state_of_the_results(monkeypatch, tmp_path):
    import dicecore.experiments.ledger as ledger

    monkeypatch.setenv("DICECORE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DICECORE_RESULTS", str(tmp_path / "results"))
    (tmp_path / "results").mkdir()
    calls = []

    def fake(papers=None):
        calls.append(papers)
        return [claims.finding("T02", claims.Verdict("reproduced", "max error 1e-19", "exact", 96), "exact", "x")]

    monkeypatch.setattr(ledger, "committed_findings", fake)
    first = ledger.build(cache=True)
    again = ledger.build(cache=True)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(first, again)
    (tmp_path / "results" / "new.csv").write_text("a\n1\n")  # a new committed result: the ledger is rebuilt
    ledger.build(cache=True)
    assert len(calls) == 2
    ledger.build()  # without the cache: always built
    assert len(calls) == 3
    cached = tmp_path / "cache" / "ledger" / f"all-{ledger.state_key()}.pkl"
    cached.write_bytes(b"not a pickle")  # a corrupt cache file is rebuilt, not an error
    ledger.build(cache=True)
    assert len(calls) == 4


def test_the_closing_page_has_a_section_per_recommendation():
    from dicecore.paths import repository_root

    page = (repository_root() / "book" / "recommendations.md").read_text()
    for rec in RECOMMENDATIONS:
        assert f"## {rec.topic}\n" in page and f'recommendation("{rec.topic}")' in page
