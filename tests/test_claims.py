"""dicecore.claims: each rule must be able to say "reproduced", "not reproduced" and "inconclusive"."""

import numpy as np
import pytest

from dicecore.claims import (
    CEILING_DISTANCE, MIN_FOLDS, VERDICTS, Verdict, ceiling, check_verdict, equivalence, exact, superiority,
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
