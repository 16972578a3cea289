"""Verdicts on the papers' claims: one vocabulary and named decision rules that can fail.

Every verdict the book prints is one of :data:`VERDICTS`, and every verdict on a trained result comes from one
of the rules below, each threshold a named constant with its reason:

* :func:`superiority` — "A beats B": a paired test over at least :data:`MIN_SEEDS` seeds or :data:`MIN_FOLDS`
  folds or subjects, with the effect size and its confidence interval. Significant in the claimed direction:
  reproduced; significant in the other: not reproduced; neither: inconclusive. Too few pairs: inconclusive.
* :func:`equivalence` — "unbiased", "no significant difference", "needs no CE term": two one-sided tests
  (TOST) against a stated margin — never the mere absence of significance. Equivalent within the margin:
  reproduced; the whole confidence interval beyond the margin: not reproduced; otherwise inconclusive.
* :func:`ceiling` — where every arm is within :data:`CEILING_DISTANCE` of the metric's maximum, or a
  training-free baseline already reaches the paper network's level, the comparison is "untestable".
* :func:`exact` — an identity, with its tolerance.

Each returns a :class:`Verdict` (verdict, the evidence in numbers, the rule that decided, n).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np

__all__ = [
    "VERDICTS", "ALPHA", "MIN_SEEDS", "MIN_FOLDS", "CEILING_DISTANCE", "Verdict", "superiority", "equivalence",
    "ceiling", "exact", "check_verdict",
]

#: The verdicts a chapter may print, and nothing else.
VERDICTS = ("reproduced", "partly", "not reproduced", "inconclusive", "untestable", "not run", "not tested")
#: The significance level of every test, the papers' own p < 0.05.
ALPHA = 0.05
#: At least three seeds of each arm for a superiority verdict (replication) …
MIN_SEEDS = 3
#: … or five cross-validation folds (or held-out subjects) paired between the arms.
MIN_FOLDS = 5
#: Within this distance of a metric's maximum (1 for Dice) every arm is at the ceiling — 0.01, below the
#: spread between seeds of the papers' own networks (their tables differ by 0.001–0.02 between losses).
CEILING_DISTANCE = 0.01


@dataclass(frozen=True)
class Verdict:
    """A verdict with the numbers behind it and the rule that decided it."""

    verdict: str
    evidence: str
    rule: str
    n: int = 0

    def __post_init__(self) -> None:
        check_verdict(self.verdict)


def check_verdict(verdict: str) -> str:
    """``verdict`` if it is one of :data:`VERDICTS`, else a ``ValueError`` naming the vocabulary."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict: {verdict!r} is not in the vocabulary {VERDICTS}.")
    return verdict


def _pairs(a: Sequence[float], b: Optional[Sequence[float]], name: str) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if a.ndim != 1 or (b is not None and np.shape(b) != a.shape):
        raise ValueError(f"{name}: need two equal-length 1-D sequences of paired values (the same seeds, folds "
                         f"or subjects in both arms), got shapes {a.shape} and {np.shape(b)}.")
    d = a if b is None else a - np.asarray(b, dtype=float)
    if not np.isfinite(d).all():
        raise ValueError(f"{name}: the values hold NaN or inf; drop or fix those pairs first.")
    return d


def _t_interval(d: np.ndarray, level: float) -> tuple[float, float, float]:
    """(mean, low, high) of the two-sided ``level`` t-interval of the mean of ``d``."""
    from scipy import stats

    mean = float(d.mean())
    if len(d) < 2:
        return mean, -np.inf, np.inf
    se = float(d.std(ddof=1) / np.sqrt(len(d)))
    if se == 0.0:
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + level / 2, len(d) - 1)) * se
    return mean, mean - half, mean + half


def superiority(a: Sequence[float], b: Sequence[float], *, min_n: int = MIN_SEEDS, alpha: float = ALPHA,
                higher_is_better: bool = True, what: str = "A − B") -> Verdict:
    """The claim "A beats B" on paired results ``a``, ``b`` (one value per seed, fold or subject, the same
    order in both): a one-sided paired t-test of the mean difference. Fewer than ``min_n`` pairs
    (:data:`MIN_SEEDS`; pass :data:`MIN_FOLDS` for folds) cannot replicate anything: inconclusive."""
    from scipy import stats

    d = _pairs(a, b, "superiority")
    d = d if higher_is_better else -d
    n = len(d)
    mean, lo, hi = _t_interval(d, 1 - 2 * alpha)
    evidence = f"{what}: {mean:+.3g} (90 % CI {lo:+.3g} … {hi:+.3g}), n = {n}"
    rule = f"paired one-sided t-test, p < {alpha}, n ≥ {min_n}"
    if n < min_n:
        return Verdict("inconclusive", f"{evidence}; too few pairs to replicate (n < {min_n})", rule, n)
    if np.all(d == d[0]):  # no spread: the sign decides
        verdict = "reproduced" if d[0] > 0 else "not reproduced" if d[0] < 0 else "inconclusive"
        return Verdict(verdict, evidence, rule, n)
    p_better = float(stats.ttest_1samp(d, 0.0, alternative="greater").pvalue)
    p_worse = float(stats.ttest_1samp(d, 0.0, alternative="less").pvalue)
    if p_better < alpha:
        return Verdict("reproduced", f"{evidence}, p = {p_better:.2g}", rule, n)
    if p_worse < alpha:
        return Verdict("not reproduced", f"{evidence}; the other way round, p = {p_worse:.2g}", rule, n)
    return Verdict("inconclusive", f"{evidence}; neither way at p < {alpha}", rule, n)


def equivalence(a: Sequence[float], b: Optional[Sequence[float]] = None, *, margin: float, alpha: float = ALPHA,
                what: str = "difference") -> Verdict:
    """The claim "no difference" (or, with ``b`` omitted, "``a`` is zero", e.g. an unbiased ΔV): two
    one-sided t-tests of the mean (paired difference) against ``−margin`` and ``+margin``. The margin is the
    claim's own — what difference would matter (e.g. 5 % of the volume) — and is printed with the verdict."""
    from scipy import stats

    if not margin > 0:
        raise ValueError(f"margin: need a positive margin (the difference that would matter), got {margin}.")
    d = _pairs(a, b, "equivalence")
    n = len(d)
    mean, lo, hi = _t_interval(d, 1 - 2 * alpha)
    evidence = f"{what}: {mean:+.3g} (90 % CI {lo:+.3g} … {hi:+.3g}), margin ±{margin:.3g}, n = {n}"
    rule = f"two one-sided t-tests against ±{margin:.3g}, p < {alpha}"
    if n < 2:
        return Verdict("inconclusive", f"{evidence}; one value cannot bound a difference", rule, n)
    if lo >= margin or hi <= -margin:
        return Verdict("not reproduced", f"{evidence}; the difference exceeds the margin", rule, n)
    if lo == hi:  # no spread
        return Verdict("reproduced" if abs(mean) < margin else "not reproduced", evidence, rule, n)
    p = max(float(stats.ttest_1samp(d, -margin, alternative="greater").pvalue),
            float(stats.ttest_1samp(d, margin, alternative="less").pvalue))
    if p < alpha:
        return Verdict("reproduced", f"{evidence}, equivalent at p = {p:.2g}", rule, n)
    return Verdict("inconclusive", f"{evidence}; not shown within the margin (p = {p:.2g})", rule, n)


def ceiling(arms: Mapping[str, float], maximum: float = 1.0, distance: float = CEILING_DISTANCE,
            baseline: Optional[float] = None, paper_level: Optional[float] = None) -> Optional[Verdict]:
    """``untestable`` when the comparison cannot show anything: every arm of ``arms`` (name → metric) within
    ``distance`` of ``maximum``, or a training-free ``baseline`` at or above the paper network's
    ``paper_level``. ``None`` when neither holds (go on to the claim's own rule)."""
    if not arms:
        raise ValueError("arms: need at least one arm's metric.")
    if all(maximum - v <= distance for v in arms.values()):
        shown = ", ".join(f"{k} {v:.3f}" for k, v in arms.items())
        return Verdict("untestable", f"every arm at the ceiling ({shown}; within {distance} of {maximum})",
                       f"ceiling: all arms within {distance} of the maximum", len(arms))
    if baseline is not None and paper_level is not None and baseline >= paper_level:
        return Verdict("untestable", f"a training-free baseline reaches {baseline:.3f}, the paper's networks "
                       f"{paper_level:.3f}: the data is easier than the paper's", "ceiling: baseline ≥ paper level",
                       len(arms))
    return None


def exact(value: float, expected: float, tolerance: float, what: str = "value") -> Verdict:
    """An identity: ``value`` equals ``expected`` within ``tolerance`` (e.g. a formula against autograd)."""
    if not tolerance >= 0:
        raise ValueError(f"tolerance: need ≥ 0, got {tolerance}.")
    gap = abs(float(value) - float(expected))
    verdict = "reproduced" if gap <= tolerance else "not reproduced"
    return Verdict(verdict, f"{what}: {value:.6g} vs {expected:.6g} (|Δ| = {gap:.2g})",
                   f"exact within {tolerance:g}", 1)
