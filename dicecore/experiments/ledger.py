"""The claims ledger from what is committed: every exact check computed now (seconds) and every training claim
judged on the committed results of each chapter's largest profile — no training. ``dicecore claims`` prints it;
the "Claims ledger" appendix shows it.

The chapters judge the same claims with the same functions (:mod:`dicecore.theory.checks` and each study
module's ``findings``), and also on their live ``ci`` run; the ledger keeps, per claim, the finding at the
largest scale (:func:`dicecore.claims.ledger`).
"""

from __future__ import annotations

from typing import Optional

import pandas as pd

from dicecore import claims

__all__ = ["committed_findings", "build"]


def committed_findings(papers: Optional[set[str]] = None) -> list[claims.Finding]:
    """The findings the ledger rests on: the exact checks and, per chapter with committed results, its study's
    ``committed_findings`` (``papers``: only those papers' claims, to save time)."""
    from dicecore.experiments import generalised_dice, missing_empty, missing_empty_3d, pm_dice, volume_bias
    from dicecore.experiments.study import committed
    from dicecore.theory.checks import exact_findings

    wanted = papers or {c.paper for c in claims.all_claims()}
    out = exact_findings()
    if "tilborghs2022" in wanted:
        from dicecore.data.brain import BRATS_PHANTOM_VERSION, BratsLike
        from dicecore.data.heart import AcdcLike

        n_brats = 40  # the ci profile's sample of Chapter 4 §4.3
        table = missing_empty.epsilon_table(BratsLike(210, 75, 0), AcdcLike(100, seed=0), n_brats, 2)
        out.append(missing_empty.epsilon_finding(table, f"BraTS-like phantom v{BRATS_PHANTOM_VERSION} "
                                                 f"({n_brats} subjects)"))
    for paper, module in (("bertels2019", volume_bias), ("sudre2017", generalised_dice),
                          ("tilborghs2022", missing_empty_3d), ("hosseini2025", pm_dice)):
        if paper not in wanted:
            continue
        shown = committed(module.STUDY)
        if shown is not None:
            out += module.committed_findings(shown)
    return [f for f in out if claims.claim(f.claim).paper in wanted]


def build(paper: Optional[str] = None) -> pd.DataFrame:
    """The ledger (:func:`dicecore.claims.ledger`) of the four papers, or of ``paper``, from
    :func:`committed_findings`."""
    if paper is not None:
        claims.all_claims(paper)  # a named error for an unknown paper, before any work
    return claims.ledger(committed_findings(None if paper is None else {paper}), paper)
