"""The closing page, "Which Dice loss, and how exactly?": the book's practical recommendations, each resting on
named claims of the ledger (:mod:`dicecore.papers`), with the strength of that evidence *here* read from the
ledger when the page is built — never written by hand.

A recommendation is the book's advice (its words, drawn from the papers and the exact checks); whether the
evidence behind it holds is the ledger's verdict on each claim, at its scale: ``exact`` (arithmetic, true on
any data), ``ci`` / ``cpu`` / ``paper`` (trainings on the book's phantoms at that scale). No claim here rests
on the papers' own datasets: none can be downloaded where the book is built.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

__all__ = ["Recommendation", "RECOMMENDATIONS", "recommendation", "evidence_strength", "recommendation_html"]


@dataclass(frozen=True)
class Recommendation:
    """One piece of advice: a ``topic``, the ``advice`` (Markdown-free text), the ``claims`` (ledger ids) it
    rests on, and the ``chapter`` where it is worked out."""

    topic: str
    advice: str
    claims: tuple[str, ...]
    chapter: str


#: The book's recommendations, in the order a reader choosing a loss meets the questions.
RECOMMENDATIONS = (
    Recommendation(
        "Batches with empty maps",
        "With Φ = I (the sums taken per image and class) and a negligible ε, a map that is empty in the "
        "reference gets almost no gradient: false positives on it cost nothing. When some images of a batch "
        "have empty maps and the network should learn to leave them empty, either reduce over the batch too "
        "(Φ = BI with B > 1) or set ε to the expected label volume (Iε, ε = E Σ_φ y — "
        "dicecore.theory.epsilon.heuristic_epsilon), which gives DL_I at any batch size the push on empty maps "
        "that DL_BI has with a large batch.",
        ("T04", "T05", "T06", "T07"), "01_dice_anatomy"),
    Recommendation(
        "Missing labels are not empty labels",
        "When a structure is sometimes left unannotated (missing) rather than absent, the remedy above turns "
        "against you: BI with B > 1 and Iε teach the network that the structure is absent wherever it was not "
        "annotated. On such data use Φ = I with a negligible ε, or — with several classes — the marginal or "
        "leaf Dice loss, which leave unannotated classes out of the loss.",
        ("T04", "T09", "T10", "T11", "T14"), "04_missing_vs_empty"),
    Recommendation(
        "Fully labelled data",
        "With every map annotated, the paper finds I, BI and Iε alike at every batch size: Φ and ε matter "
        "where maps are empty or missing. Report both either way — they are part of the loss.",
        ("T12",), "04_missing_vs_empty"),
    Recommendation(
        "Volumes under uncertain labels",
        "The soft Dice loss is minimised by pushing uncertain regions to all or nothing, so where the labels "
        "are uncertain a Dice-trained network's volumes are biased; cross-entropy's optimum is the probability "
        "itself and its volumes are right on average. Where volume is the output — lesion load, tumour "
        "growth — train with cross-entropy or measure the volume bias on held-out data.",
        ("B01", "B02", "B03", "B04", "B07", "B08", "B10", "B13"), "02_volume_bias"),
    Recommendation(
        "Strong class imbalance",
        "Under strong imbalance (small lesions in large patches), the Generalised Dice loss with weights "
        "1/(Σ r)² (GDL_v) balances the labels' contributions to the gradient; the paper found it the most "
        "robust of four losses to learning rate and patch size, and weighted cross-entropy unable to train on "
        "its most imbalanced 3-D task.",
        ("S02", "S08", "S10", "S11"), "03_generalised_dice"),
    Recommendation(
        "Difficult pixels",
        "To focus a Dice loss on the pixels it gets wrong, the pixel-wise modulated Dice loss (PM Dice, γ ≈ 2) "
        "re-weights each pixel's term at almost no cost (γ = 0 is the Dice loss); the paper reports it ahead "
        "of the other difficulty-aware losses and needing no cross-entropy term. Compounding the Dice loss "
        "with cross-entropy is the established alternative.",
        ("H01", "H03", "H05", "H06", "H09", "H11", "H12"), "05_pm_dice"),
)


def evidence_strength(ledger: pd.DataFrame, ids) -> str:
    """One line on the claims ``ids`` as the ``ledger`` (:func:`dicecore.claims.ledger`) judges them, grouped
    by scale: "exact: T04, T05 reproduced · cpu (phantoms): T10 inconclusive" — and "no check yet" for claims
    not run or not tested. An id the ledger does not hold is a ``ValueError``."""
    rows = ledger.set_index("id")
    missing = [i for i in ids if i not in rows.index]
    if missing:
        raise ValueError(f"ids: {missing} are not claims of the ledger; see dicecore claims.")
    parts = []
    for scale, label in (("exact", "exact"), ("paper", "paper scale (phantoms)"), ("cpu", "cpu scale (phantoms)"),
                         ("ci", "ci scale (phantoms)")):
        here = rows.loc[[i for i in ids if rows.loc[i, "scale"] == scale
                         and rows.loc[i, "verdict"] not in ("not run", "not tested")]]
        if len(here):
            by_verdict = here.groupby("verdict", sort=False).groups
            parts.append(f"{label}: " + "; ".join(f"{', '.join(v)} {verdict}" for verdict, v in by_verdict.items()))
    unchecked = [i for i in ids if rows.loc[i, "verdict"] in ("not run", "not tested")]
    if unchecked:
        parts.append(f"no check yet: {', '.join(unchecked)}")
    return " · ".join(parts)


def recommendation(topic: str) -> Recommendation:
    """The recommendation of :data:`RECOMMENDATIONS` on ``topic``; an unknown topic is a ``ValueError`` that
    lists the topics."""
    for rec in RECOMMENDATIONS:
        if rec.topic == topic:
            return rec
    raise ValueError(f"topic: no recommendation on {topic!r}; the topics are {[r.topic for r in RECOMMENDATIONS]}.")


def recommendation_html(rec: Recommendation, ledger: pd.DataFrame, prefix: str = "../notebooks/") -> str:
    """One recommendation as HTML: the advice, the strength of its evidence here (:func:`evidence_strength`)
    and, folded, the ledger's rows for its claims (:func:`~dicecore.book.claims_tables.claims_html`, each
    linked to the chapter section holding its evidence)."""
    from dicecore.book.claims_tables import claims_html

    rows = ledger[ledger["id"].isin(rec.claims)]
    n = len(rows)
    return (f'<div class="recommendation" data-topic="{html.escape(rec.topic)}"><p>{html.escape(rec.advice)}</p>'
            f"<p><b>Evidence here</b> — {html.escape(evidence_strength(ledger, rec.claims))}. "
            f'<small>(worked out in <a href="{prefix}{rec.chapter}.html">Chapter {int(rec.chapter[:2])}</a>)</small></p>'
            f"<details><summary>the {n} claim{'s' if n != 1 else ''} and {'their' if n != 1 else 'its'} evidence"
            f"</summary>{claims_html(rows, prefix)}</details></div>")
