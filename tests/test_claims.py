"""dicecore.claims: each rule must be able to say "reproduced", "not reproduced" and "inconclusive"."""

import numpy as np
import pytest

from dicecore.claims import (
    CEILING_DISTANCE, MIN_FOLDS, VERDICTS, Claim, Verdict, all_claims, ceiling, check_verdict, claim, claims_table,
    combine, equivalence, exact, finding, ledger, merge, not_run, superiority, verdict_counts,
)


# --- superiority ------------------------------------------------------------------------------------------

def test_superiority_reproduced_when_a_beats_b_on_every_seed():
    v = superiority([0.81, 0.83, 0.82], [0.70, 0.71, 0.73])
    assert v.verdict == "reproduced" and v.n == 3 and "+0.107" in v.evidence


def test_superiority_not_reproduced_when_b_beats_a():
    v = superiority([0.70, 0.71, 0.73], [0.81, 0.83, 0.82])
    assert v.verdict == "not reproduced" and "the other way round" in v.evidence


def test_superiority_inconclusive_on_noise_or_too_few_pairs():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.8, 0.05, 5), rng.normal(0.8, 0.05, 5)
    assert superiority(a, b, min_n=MIN_FOLDS).verdict == "inconclusive"
    one_seed = superiority([0.9], [0.1])  # a huge gap, one seed: nothing replicated
    assert one_seed.verdict == "inconclusive" and "too few pairs" in one_seed.evidence


def test_superiority_for_a_metric_where_lower_is_better():
    assert superiority([1.0, 1.1, 0.9], [2.0, 2.2, 2.1], higher_is_better=False).verdict == "reproduced"


# --- equivalence ------------------------------------------------------------------------------------------

def test_equivalence_reproduced_within_the_margin():
    v = equivalence([0.001, -0.002, 0.0015, 0.0, -0.001], margin=0.05, what="ΔV / V")
    assert v.verdict == "reproduced" and "margin ±0.05" in v.evidence


def test_equivalence_not_reproduced_beyond_the_margin():
    v = equivalence([0.20, 0.22, 0.19, 0.21, 0.20], margin=0.05)
    assert v.verdict == "not reproduced" and "exceeds the margin" in v.evidence


def test_equivalence_is_never_the_absence_of_significance():
    """Wide noise around zero: a t-test would find no difference; TOST cannot show equivalence either."""
    v = equivalence([0.3, -0.4, 0.2, -0.1], margin=0.05)
    assert v.verdict == "inconclusive"
    paired = equivalence([0.80, 0.81, 0.79], [0.80, 0.80, 0.80], margin=0.05)  # two arms
    assert paired.verdict == "reproduced"


# --- ceiling and exact ------------------------------------------------------------------------------------

def test_ceiling_makes_a_saturated_comparison_untestable():
    v = ceiling({"Dice": 0.999, "PM Dice": 1.0})
    assert v.verdict == "untestable" and f"within {CEILING_DISTANCE}" in v.evidence
    easy = ceiling({"Dice": 0.95, "CE": 0.93}, baseline=0.97, paper_level=0.89)
    assert easy.verdict == "untestable" and "training-free baseline" in easy.evidence
    assert ceiling({"Dice": 0.75, "CE": 0.70}, baseline=0.5, paper_level=0.89) is None  # go on to the rule


def test_exact_identity_and_its_failure():
    assert exact(0.5 + 1e-12, 0.5, 1e-9).verdict == "reproduced"
    assert exact(0.51, 0.5, 1e-3).verdict == "not reproduced"


# --- the vocabulary and bad input -------------------------------------------------------------------------

def test_only_the_vocabulary_is_a_verdict():
    assert check_verdict("untestable") == "untestable" and len(VERDICTS) == 7
    with pytest.raises(ValueError, match="verdict: 'not run yet' is not in the vocabulary"):
        Verdict("not run yet", "", "")


@pytest.mark.parametrize("call, message", [
    (lambda: superiority([1, 2, 3], [1, 2]), "superiority: need two equal-length 1-D sequences"),
    (lambda: superiority([1, np.nan, 3], [1, 2, 3]), "superiority: the values hold NaN"),
    (lambda: equivalence([0.1, 0.2], margin=0), "margin: need a positive margin"),
    (lambda: ceiling({}), "arms: need at least one"),
    (lambda: exact(1, 1, -1), "tolerance: need ≥ 0"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- a gap larger than an effect, and one verdict from several parts -----------------------------------------

def test_superiority_against_a_minimum_effect():
    """"Learns empty maps" is a drop of more than half the Dice: a smaller, significant drop is not that."""
    full, emptied = [0.90, 0.91, 0.89, 0.90, 0.92], [0.05, 0.04, 0.06, 0.05, 0.03]
    assert superiority(full, emptied, min_n=MIN_FOLDS, min_effect=0.5).verdict == "reproduced"
    slight = [0.80, 0.81, 0.79, 0.80, 0.82]
    v = superiority(full, slight, min_n=MIN_FOLDS, min_effect=0.5)
    assert v.verdict == "not reproduced" and "needs > 0.5" in v.evidence
    assert superiority(full, slight, min_n=MIN_FOLDS).verdict == "reproduced"  # the direction alone holds


@pytest.mark.parametrize("parts, expected", [
    (["reproduced", "reproduced"], "reproduced"),
    (["reproduced", "inconclusive"], "partly"),
    (["reproduced", "not reproduced"], "partly"),
    (["not reproduced", "inconclusive"], "not reproduced"),
    (["inconclusive", "untestable"], "inconclusive"),
    (["untestable", "untestable"], "untestable"),
    ([], "not run"),
])
def test_combine_parts_into_one_verdict(parts, expected):
    v = combine([Verdict(p, f"part {k}", "rule", 2) for k, p in enumerate(parts)], "all tasks")
    assert v.verdict == expected and v.n == 2 * len(parts)
    if parts:
        assert v.evidence.startswith("all tasks: ") and "part 0" in v.evidence


# --- the claims as data ---------------------------------------------------------------------------------------

def test_every_paper_has_its_claims_with_unique_ids():
    found = all_claims()
    ids = [c.id for c in found]
    assert len(ids) == len(set(ids)) and 45 <= len(found) <= 70
    assert {c.paper for c in found} == {"tilborghs2022", "bertels2019", "sudre2017", "hosseini2025"}
    assert [c.id for c in all_claims("sudre2017")][:2] == ["S01", "S02"]
    assert claim("T02").section == "§2, Eq. 4"
    with pytest.raises(KeyError, match="claim: 'X99' is not a claim id; the ids are T01"):
        claim("X99")
    with pytest.raises(ValueError, match="paper: 'milletari2016' is not one of"):
        all_claims("milletari2016")


def test_every_claim_has_a_check_or_a_reason():
    """A claim the book checks names a chapter section that exists and its id appears in the code that judges it
    (an exact check, a study module or the chapter); any other claim says why it is not tested."""
    import re
    from pathlib import Path

    from dicecore.book.claims_tables import section_anchor

    root = Path(__file__).resolve().parents[1]
    code = "".join(p.read_text(encoding="utf-8") for p in [root / "dicecore/theory/checks.py",
                                                          *sorted((root / "dicecore/experiments").glob("*.py"))])
    for c in all_claims():
        if c.not_tested is not None:
            assert len(c.not_tested) > 20, c.id  # a reason, not a placeholder
            continue
        assert section_anchor(c.chapter, c.where), f"{c.id}: no section {c.where} in {c.chapter}"
        chapter = (root / "notebooks" / f"{c.chapter}.py").read_text(encoding="utf-8")
        assert re.search(rf'"{c.id}"', code) or re.search(rf"\b{c.id}\b", chapter), f"{c.id}: no check found"


def test_a_claim_is_checked_or_explained_never_both():
    with pytest.raises(ValueError, match="Claim Z01: give either the chapter"):
        Claim("Z01", "p", "§1", "x")
    with pytest.raises(ValueError, match="Claim Z02: give either the chapter"):
        Claim("Z02", "p", "§1", "x", chapter="01_dice_anatomy", where="1.1", not_tested="because")


def test_findings_validate_the_claim_and_the_scale():
    v = Verdict("reproduced", "e", "r", 1)
    assert finding("T02", v, "exact", "d").claim == "T02"
    with pytest.raises(KeyError, match="claim: 'T99'"):
        finding("T99", v, "exact", "d")
    with pytest.raises(ValueError, match="scale: 'gpu' is not one of"):
        finding("T02", v, "gpu", "d")


def test_a_chapter_table_lists_every_claim_it_checks():
    found = [finding("T02", Verdict("reproduced", "exact", "r", 1), "exact", "tensors")]
    table = claims_table(found, "01_dice_anatomy")
    assert list(table.columns) == ["id", "claim", "evidence", "verdict", "scale", "data", "n"]
    assert list(table["id"]) == ["T01", "T02", "T03", "T04", "T05", "T06", "T07"]
    assert table.set_index("id").loc["T01", "verdict"] == "not run"  # no finding: not run
    with pytest.raises(ValueError, match=r"findings: claims \['T09'\] are not checked in chapter"):
        claims_table([finding("T09", Verdict("partly", "e", "r", 1), "cpu", "d")], "01_dice_anatomy")
    # a claim judged live and on committed results has a row each; a "not run" beside a verdict is dropped
    two = [finding("T09", Verdict("partly", "e", "r", 1), "cpu", "d"),
           finding("T09", Verdict("inconclusive", "e", "r", 1), "ci", "d"),
           not_run("T09", "paper", "d", "needs a GPU")]
    rows = claims_table(two, "04_missing_vs_empty").set_index("id").loc["T09"]
    assert list(rows["scale"]) == ["cpu", "ci"]


def test_the_ledger_keeps_the_largest_scale_and_counts_verdicts():
    found = [finding("T09", Verdict("inconclusive", "one seed", "r", 1), "ci", "slices"),
             finding("T09", Verdict("partly", "fold 0", "r", 3), "cpu", "3-D"),
             finding("T10", Verdict("reproduced", "grid", "r", 3), "cpu", "3-D"),
             finding("T10", Verdict("not reproduced", "budget", "r", 3), "cpu", "budget cells")]
    table = ledger(found).set_index("id")
    assert len(table) == len(all_claims())
    assert table.loc["T09", "verdict"] == "partly" and table.loc["T09", "scale"] == "cpu"
    assert table.loc["T10", "verdict"] == "partly" and "[budget cells] budget" in table.loc["T10", "evidence"]
    assert table.loc["T15", "verdict"] == "not tested" and "Table 1" in table.loc["T15", "evidence"]
    assert table.loc["B05", "verdict"] == "not run"
    counts = verdict_counts(table.reset_index())
    assert list(counts.columns) == list(VERDICTS) and counts.loc["all"].sum() == len(all_claims())
    assert counts.loc["tilborghs2022", "partly"] == 2


def test_merge_combines_the_parts_of_one_claim_at_one_scale():
    found = merge([finding("H08", Verdict("reproduced", "a", "r", 3), "cpu", "Kvasir-like"),
                   finding("H08", Verdict("inconclusive", "b", "r", 3), "cpu", "ACDC-like"),
                   finding("H08", Verdict("inconclusive", "c", "r", 1), "ci", "Kvasir-like")])
    assert [(f.scale, f.verdict.verdict) for f in found] == [("cpu", "partly"), ("ci", "inconclusive")]
    assert found[0].data == "Kvasir-like; ACDC-like"


def test_findings_on_superseded_phantoms_are_never_merged_and_rank_below_todays():
    old = finding("B08", Verdict("not reproduced", "v1 grid", "r", 5), "paper", "phantom v1 (superseded)",
                  superseded=True)
    new = finding("B08", Verdict("reproduced", "v2 run", "r", 5), "ci", "phantom v2")
    same_scale = finding("B08", Verdict("reproduced", "v2 grid", "r", 5), "paper", "phantom v2")
    assert len(merge([old, same_scale])) == 2  # one generation each, not one "partly" of both
    row = ledger([old, new]).set_index("id").loc["B08"]
    assert (row["verdict"], row["scale"]) == ("reproduced", "ci")  # today's small run before yesterday's grid
    row = ledger([old]).set_index("id").loc["B08"]
    assert row["verdict"] == "not reproduced" and "superseded" in row["data"]  # shown, labelled, if alone
    table = claims_table([old, new], "02_volume_bias").set_index("id").loc[["B08"]]
    assert list(table["scale"]) == ["ci", "paper"]
