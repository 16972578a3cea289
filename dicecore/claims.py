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

The claims themselves are data: each paper module of :mod:`dicecore.papers` lists its :class:`Claim` s (id,
section, the claim in one sentence, the chapter section that checks it — or why the book does not). A check
yields a :class:`Finding` (a claim id, its :class:`Verdict`, the scale and the data it rests on);
:func:`claims_table` turns a chapter's findings into its claims table, :func:`ledger` all findings into one
row per claim of the four papers (the "Claims ledger" appendix and ``dicecore claims``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "VERDICTS", "ALPHA", "MIN_SEEDS", "MIN_FOLDS", "CEILING_DISTANCE", "Verdict", "superiority", "equivalence",
    "ceiling", "exact", "check_verdict", "combine", "PART", "VOLUME_MARGIN", "DICE_MARGIN", "SCALES", "Claim", "Finding",
    "finding", "not_run", "merge", "all_claims", "claim", "claims_table", "ledger", "verdict_counts",
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
#: "Unbiased in volume" means a mean ΔV within ±5 % of the true volume — the book's choice of margin (the
#: papers state none), small beside the biases the paper calls significant.
VOLUME_MARGIN = 0.05
#: "No difference" in a Dice score (0–1) means within 0.02 — the spread of the configurations Tilborghs et
#: al. call comparable (their Table 1 under full labels: 0.88–0.90).
DICE_MARGIN = 0.02


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
    if se <= 1e-12 * max(1.0, abs(mean)):  # no spread, to round-off
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + level / 2, len(d) - 1)) * se
    return mean, mean - half, mean + half


def superiority(a: Sequence[float], b: Sequence[float], *, min_n: int = MIN_SEEDS, alpha: float = ALPHA,
                higher_is_better: bool = True, what: str = "A − B", min_effect: float = 0.0) -> Verdict:
    """The claim "A beats B" on paired results ``a``, ``b`` (one value per seed, fold or subject, the same
    order in both): a one-sided paired t-test of the mean difference — against ``min_effect`` where the claim
    is "A beats B by more than that" (e.g. a network that learnt empty maps loses most of its Dice there).
    Fewer than ``min_n`` pairs (:data:`MIN_SEEDS`; pass :data:`MIN_FOLDS` for folds) cannot replicate
    anything: inconclusive."""
    from scipy import stats

    d = _pairs(a, b, "superiority")
    d = (d if higher_is_better else -d)
    n = len(d)
    mean, lo, hi = _t_interval(d, 1 - 2 * alpha)
    interval = f" (90 % CI {lo:+.3g} … {hi:+.3g})" if np.isfinite(lo) else ""
    evidence = f"{what}: {mean:+.3g}{interval}" + (f", needs > {min_effect:g}" if min_effect else "") + f", n = {n}"
    rule = f"paired one-sided t-test{f' of the gap against {min_effect:g}' if min_effect else ''}, p < {alpha}, " \
           f"n ≥ {min_n}"
    d = d - min_effect
    if n < min_n:
        return Verdict("inconclusive", f"{evidence}; too few pairs to replicate (n < {min_n})", rule, n)
    if np.ptp(d) <= 1e-12 * max(1.0, float(np.abs(d).max())):  # no spread (to round-off): the sign decides
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
    interval = f" (90 % CI {lo:+.3g} … {hi:+.3g})" if np.isfinite(lo) else ""
    evidence = f"{what}: {mean:+.3g}{interval}, margin ±{margin:.3g}, n = {n}"
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


def combine(verdicts: Sequence[Verdict], what: str = "") -> Verdict:
    """One verdict from a claim's parts (e.g. "under all circumstances": one verdict per task × model):
    reproduced when every part is; not reproduced when none is and one is not; partly when some are and some
    are not (or inconclusive); otherwise inconclusive, or untestable when every part is. No parts: not run.
    The evidence counts the parts' verdicts, then gives each part's evidence after :data:`PART`."""
    if not verdicts:
        return Verdict("not run", f"{what}: no part of it has run" if what else "no part of it has run", "—", 0)
    if len(verdicts) == 1:  # nothing to combine
        v = verdicts[0]
        return Verdict(v.verdict, f"{what + ': ' if what else ''}{v.evidence}", v.rule, v.n)
    kinds = [v.verdict for v in verdicts]
    if all(k == "reproduced" for k in kinds):
        verdict = "reproduced"
    elif all(k == "untestable" for k in kinds):
        verdict = "untestable"
    elif "reproduced" in kinds:
        verdict = "partly"
    elif "not reproduced" in kinds:
        verdict = "not reproduced"
    else:
        verdict = "inconclusive"
    counts = ", ".join(f"{kinds.count(k)} {k}" for k in VERDICTS if k in kinds)
    evidence = f"{what + ': ' if what else ''}{counts} of {len(kinds)}" + "".join(PART + v.evidence for v in verdicts)
    return Verdict(verdict, evidence, "; ".join(dict.fromkeys(v.rule for v in verdicts)), sum(v.n for v in verdicts))


def exact(value: float, expected: float, tolerance: float, what: str = "value") -> Verdict:
    """An identity: ``value`` equals ``expected`` within ``tolerance`` (e.g. a formula against autograd)."""
    if not tolerance >= 0:
        raise ValueError(f"tolerance: need ≥ 0, got {tolerance}.")
    gap = abs(float(value) - float(expected))
    verdict = "reproduced" if gap <= tolerance else "not reproduced"
    return Verdict(verdict, f"{what}: {value:.6g} vs {expected:.6g} (|Δ| = {gap:.2g})",
                   f"exact within {tolerance:g}", 1)


# --- claims as data -----------------------------------------------------------------------------------------

#: Between the parts of a combined finding's evidence (:func:`combine`), so that a table can list them.
PART = " ◦ "
#: How far a finding's evidence reaches, weakest training scale first — an identity checked exactly; the
#: ``ci`` profile run inside the book build; the ``cpu`` grid committed from a 2-core machine; the paper's
#: own scale (``paper`` profile, a GPU).
SCALES = ("exact", "ci", "cpu", "paper")
_PREFERENCE = {"paper": 0, "cpu": 1, "ci": 2, "exact": 3}


def _rank(f: "Finding") -> tuple[bool, int]:
    """Which finding of a claim to show first: today's phantoms before superseded ones, then the largest scale."""
    return f.superseded, _PREFERENCE[f.scale]


@dataclass(frozen=True)
class Claim:
    """One claim of a paper, as the paper states it.

    ``id`` is unique over the four papers (``T04``, ``B07``, …); ``section`` is the paper's (``§2.2, Eq. 4``);
    ``chapter`` and ``where`` name the chapter and its section holding the book's evidence
    (``"01_dice_anatomy"``, ``"1.3"``); ``not_tested`` gives the reason where the book has no check.
    """

    id: str
    paper: str
    section: str
    claim: str
    chapter: Optional[str] = None
    where: Optional[str] = None
    not_tested: Optional[str] = None

    def __post_init__(self) -> None:
        if (self.chapter is None) == (self.not_tested is None):
            raise ValueError(f"Claim {self.id}: give either the chapter that checks it or a not_tested reason.")


@dataclass(frozen=True)
class Finding:
    """The book's verdict on one claim: the claim's id, the :class:`Verdict` (with its evidence and rule),
    the scale of the evidence (one of :data:`SCALES`) and the data it rests on (a phantom or a dataset).
    ``superseded``: the evidence was trained on phantoms older than today's (its ``data`` says which); such a
    finding is never combined with current ones, and the ledger prefers any current finding to it."""

    claim: str
    verdict: Verdict
    scale: str
    data: str
    superseded: bool = False

    def __post_init__(self) -> None:
        claim(self.claim)
        if self.scale not in SCALES:
            raise ValueError(f"scale: {self.scale!r} is not one of {SCALES}.")


def finding(claim_id: str, verdict: Verdict, scale: str, data: str, superseded: bool = False) -> Finding:
    """A :class:`Finding` (validates the id against the papers' claims and the scale against :data:`SCALES`)."""
    return Finding(claim_id, verdict, scale, data, superseded)


def not_run(claim_id: str, scale: str, data: str, needs: str) -> Finding:
    """The finding for a claim whose cells have not run: verdict "not run", ``needs`` saying what would."""
    return Finding(claim_id, Verdict("not run", needs, "—", 0), scale, data)


def merge(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per claim, scale and phantom generation: the findings of a claim judged on several data sets
    (e.g. "on all three datasets") :func:`combine` d, each part's evidence led by its data; findings on
    superseded phantoms are never combined with current ones."""
    groups: dict[tuple[str, str, bool], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.claim, f.scale, f.superseded), []).append(f)
    out = []
    for (claim_id, scale, old), fs in groups.items():
        if len(fs) == 1:
            out.append(fs[0])
            continue
        parts = [Verdict(f.verdict.verdict, f"[{f.data}] " + f.verdict.evidence.replace(PART, "; "),
                         f.verdict.rule, f.verdict.n) for f in fs]
        out.append(Finding(claim_id, combine(parts, f"{len(fs)} data sets"), scale,
                           "; ".join(dict.fromkeys(f.data for f in fs)), old))
    return out


def all_claims(paper: Optional[str] = None) -> list[Claim]:
    """Every claim of the four papers (or of one: ``"tilborghs2022"``, ``"bertels2019"``, ``"sudre2017"``,
    ``"hosseini2025"``), in the papers' order."""
    from dicecore import papers

    modules = papers.modules()
    if paper is not None and paper not in modules:
        raise ValueError(f"paper: {paper!r} is not one of {sorted(modules)}.")
    return [c for name, module in modules.items() if paper in (None, name) for c in module.CLAIMS]


def claim(claim_id: str) -> Claim:
    """The :class:`Claim` with this id; a ``KeyError`` that names the ids of the four papers otherwise."""
    by_id = {c.id: c for c in all_claims()}
    if claim_id not in by_id:
        raise KeyError(f"claim: {claim_id!r} is not a claim id; the ids are {', '.join(by_id)}.")
    return by_id[claim_id]


_COLUMNS = ["id", "claim", "evidence", "verdict", "scale", "data", "n"]


def _row(c: Claim, f: Optional[Finding]) -> dict:
    if f is None:
        missing = (f"no finding: the cells it needs are not in this run nor committed (dicecore study "
                   f"{c.chapter[:2]} --profile cpu)" if c.chapter else "")
        return {"id": c.id, "claim": c.claim, "evidence": c.not_tested or missing, "verdict":
                "not tested" if c.not_tested else "not run", "scale": "—", "data": "—", "n": 0}
    return {"id": c.id, "claim": c.claim, "evidence": f.verdict.evidence, "verdict": f.verdict.verdict,
            "scale": f.scale, "data": f.data, "n": f.verdict.n}


def claims_table(findings: Sequence[Finding], chapter: str) -> pd.DataFrame:
    """A chapter's claims table: every claim the chapter checks (in the papers' order), one row per finding
    (a claim checked live and on committed results has two), a "not run" row where a claim has none;
    columns id, claim, evidence, verdict, scale, data, n."""
    rows = []
    for c in all_claims():
        if c.chapter != chapter:
            continue
        mine = [f for f in findings if f.claim == c.id]
        if any(f.verdict.verdict != "not run" for f in mine):  # a "not run" beside a verdict says nothing
            mine = [f for f in mine if f.verdict.verdict != "not run"]
        rows += [_row(c, f) for f in sorted(mine, key=_rank)] or [_row(c, None)]
    unknown = sorted({f.claim for f in findings} - {c.id for c in all_claims() if c.chapter == chapter})
    if unknown:
        raise ValueError(f"findings: claims {unknown} are not checked in chapter {chapter!r} (see their Claim).")
    return pd.DataFrame(rows, columns=_COLUMNS)


def ledger(findings: Sequence[Finding], paper: Optional[str] = None) -> pd.DataFrame:
    """One row per claim of the four papers (or of ``paper``): the finding at the largest scale (paper, then
    cpu, then ci; exact for identities) on today's phantoms — one on superseded phantoms only where there is no
    other —, "not run" where a checked claim has none, "not tested" with the
    reason where the book has no check. Columns id, paper, section, claim, evidence, verdict, scale, data, n,
    chapter, where."""
    best: dict[str, Finding] = {}
    for f in merge(findings):  # several findings of one claim at one scale (e.g. two experiments): combined
        if f.claim not in best or _rank(f) < _rank(best[f.claim]):
            best[f.claim] = f
    rows = [{**_row(c, best.get(c.id)), "paper": c.paper, "section": c.section, "chapter": c.chapter or "",
             "where": c.where or ""} for c in all_claims(paper)]
    return pd.DataFrame(rows, columns=["id", "paper", "section", "claim", "evidence", "verdict", "scale", "data",
                                       "n", "chapter", "where"])


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Counts per paper (rows) and verdict (columns, in the order of :data:`VERDICTS`) of a :func:`ledger`."""
    counts = pd.crosstab(table["paper"], table["verdict"]).reindex(columns=list(VERDICTS), fill_value=0)
    counts.loc["all"] = counts.sum()
    return counts
