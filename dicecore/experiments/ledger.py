"""The claims ledger from what is committed: every exact check computed now (seconds) and every training claim
judged on the committed grid each chapter judges (its study's ``shown_profiles``, see
:func:`dicecore.experiments.study.committed`) — no training. ``dicecore claims`` prints it;
the "Claims ledger" appendix shows it.

The chapters judge the same claims with the same functions (:mod:`dicecore.theory.checks` and each study's
report ``findings``), and also on their live ``ci`` run; the ledger keeps, per claim, the finding at the
largest scale (:func:`dicecore.claims.ledger`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pandas as pd

from dicecore import claims

__all__ = ["committed_findings", "build", "state_key", "committed_evidence", "CHAPTER_PAPERS"]


#: The chapters with a training study, and the paper each re-runs.
CHAPTER_PAPERS = {"02": "bertels2019", "03": "sudre2017", "04": "tilborghs2022", "05": "hosseini2025"}


def committed_evidence(profiles=("cpu", "paper")) -> pd.DataFrame:
    """What each chapter's evidence rests on, read from its results folder (no rows are loaded): per chapter
    with a study and per profile, the cells committed on today's phantoms out of the profile's grid, the
    phantom versions of that grid, the cells committed on older phantoms (superseded, not shown as today's),
    and the hours of computing (wall time) summed over the runs behind today's cells (:meth:`Committed.runs
    <dicecore.experiments.study.Committed.runs>`)."""
    import json

    from dicecore.experiments.study import Committed, ResultStore, find_study, phantom_versions, superseded
    from dicecore.paths import results_dir

    rows = []
    for chapter in CHAPTER_PAPERS:
        study = find_study(chapter)
        store = ResultStore(results_dir(study.chapter))
        record = store.folder / "provenance.json"
        runs = json.loads(record.read_text()).get("runs", []) if record.is_file() else []
        for profile in profiles:
            grid = study.grid(profile)
            done, total = store.count(grid)
            present = [c for c in grid if store.path(c).is_file()]
            older = sum(store.count(superseded(grid, back))[0] for back in (1, 2))
            shown = Committed(profile, pd.DataFrame(), done, total, {"runs": runs}, tuple(phantom_versions(present)),
                              keys=tuple(c.key for c in present))
            seconds = sum(r["wall_time_s"] for r in shown.runs()) if present else 0.0
            rows.append({"chapter": study.chapter, "profile": profile, "cells": done, "of": total,
                         "phantoms": "/".join(f"v{v}" for v in phantom_versions(grid)) or "—",
                         "superseded cells": older, "hours": seconds / 3600})
    return pd.DataFrame(rows)


def committed_findings(papers: Optional[set[str]] = None) -> list[claims.Finding]:
    """The findings the ledger rests on: the exact checks and, per chapter with committed results, its study's
    ``committed_findings`` (``papers``: only those papers' claims, to save time)."""
    from dicecore.experiments import missing_empty
    from dicecore.experiments.study import committed, find_study
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
    for chapter, paper in CHAPTER_PAPERS.items():
        if paper not in wanted:
            continue
        study = find_study(chapter)
        shown = committed(study)
        if shown is not None:
            out += study.report_module.committed_findings(shown)
    return [f for f in out if claims.claim(f.claim).paper in wanted]


def build(paper: Optional[str] = None, cache: bool = False) -> pd.DataFrame:
    """The ledger (:func:`dicecore.claims.ledger`) of the four papers, or of ``paper``, from
    :func:`committed_findings`. With ``cache``, a ledger built before from the same package source and the same
    committed results (:func:`state_key`) is read back from the cache folder instead of recomputed — the
    book's pages that show the ledger build it once."""
    if paper is not None:
        claims.all_claims(paper)  # a named error for an unknown paper, before any work
    path = None
    if cache:
        from dicecore.data.cohorts import cache_dir

        path = cache_dir() / "ledger" / f"{paper or 'all'}-{state_key()}.pkl"
        if path.is_file():
            try:
                return pd.read_pickle(path)
            except Exception:  # a cut write or another pandas: rebuild it
                path.unlink(missing_ok=True)
    table = claims.ledger(committed_findings(None if paper is None else {paper}), paper)
    if path is not None:
        import io

        from dicecore.results import atomic_write_bytes

        buf = io.BytesIO()
        table.to_pickle(buf)
        atomic_write_bytes(path, buf.getvalue())
    return table


def state_key() -> str:
    """A hash of what the ledger is computed from: every source file of the package (contents) and every file
    under the results folder (:func:`dicecore.paths.results_dir`) (names, sizes and modification times)."""
    import hashlib

    from dicecore.paths import results_dir

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for f in sorted(package.rglob("*.py")):
        digest.update(str(f.relative_to(package)).encode() + f.read_bytes())
    results = results_dir()
    for f in sorted(results.rglob("*")) if results.is_dir() else ():
        if f.is_file():
            st = f.stat()
            digest.update(f"{f.relative_to(results)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]
