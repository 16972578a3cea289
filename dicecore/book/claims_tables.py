"""The claims tables as the site shows them: a chapter's (:func:`show_claims`) and the appendix's ledger of
all four papers (:func:`ledger_html`), each claim linked to the chapter section that holds its evidence.

Both are three columns — the claim, the verdict (shaded, with its scale and n), the evidence (a combined
finding's parts folded away, with the data it rests on) — so that they fit the text column; each row carries
its id, verdict and scale as ``data-`` attributes for tests and scripts.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Optional

import pandas as pd

from dicecore.claims import PART, VERDICTS

__all__ = ["VERDICT_COLOURS", "section_anchor", "claims_html", "show_claims", "ledger_html", "evidence_summary"]

#: The background of each verdict in the tables (light tints; the word is always printed too).
VERDICT_COLOURS = {"reproduced": "#d9f0d3", "partly": "#fdf1c7", "not reproduced": "#f8d3d0",
                   "inconclusive": "#e8e8e8", "untestable": "#dfe7f5", "not run": "#ffffff", "not tested": "#ffffff"}


@lru_cache(maxsize=None)
def _headings(chapter: str) -> dict[str, str]:
    from dicecore.book.chapters import notebooks_dir

    text = (notebooks_dir() / f"{chapter}.py").read_text(encoding="utf-8")
    return {number: _docutils_id(f"{number} {title}")
            for number, title in re.findall(r"^# #{2,3} (\d+\.\d+) (.+)$", text, flags=re.M)}


def _docutils_id(title: str) -> str:
    """The HTML id Sphinx gives a heading: docutils' ``make_id`` of its text (non-ASCII dropped, lower case,
    other characters to hyphens, leading digits dropped)."""
    from docutils.nodes import make_id

    return make_id(title)


def section_anchor(chapter: str, where: str) -> Optional[str]:
    """The page-relative address of section ``where`` (e.g. ``"1.3"``) of ``chapter``, or ``None`` when the
    chapter has no such numbered heading."""
    anchor = _headings(chapter).get(where)
    return None if anchor is None else f"{chapter}.html#{anchor}"


def _evidence(text: str) -> str:
    head, *parts = text.split(PART)
    out = html.escape(head)
    if parts:
        items = "".join(f"<li>{html.escape(p)}</li>" for p in parts)
        out += (f'<details><summary>the {len(parts)} part{"s" if len(parts) > 1 else ""}</summary>'
                f'<ul style="margin: 0; padding-left: 1.1em">{items}</ul></details>')
    return out


def claims_html(table: pd.DataFrame, prefix: Optional[str] = None) -> str:
    """A claims table (:func:`~dicecore.claims.claims_table` or :func:`~dicecore.claims.ledger`) as HTML in
    three columns. With ``prefix`` (the ledger), each claim also shows its paper and section and links to
    ``prefix`` + the chapter section holding its evidence. A verdict outside the vocabulary is a
    ``ValueError``: a chapter cannot print one."""
    bad = sorted(set(table["verdict"]) - set(VERDICTS))
    if bad:
        raise ValueError(f"table: verdicts {bad} are outside the vocabulary {VERDICTS}.")
    rows, shown = [], set()
    for r in table.itertuples(index=False):
        repeated = r.id in shown  # a second finding of the same claim (another scale or experiment)
        shown.add(r.id)
        claim = f"<b>{r.id}</b> " + ("<small>(the same claim, another finding)</small>" if repeated
                                     else html.escape(r.claim))
        if prefix is not None:
            link = section_anchor(r.chapter, r.where) if r.chapter else None
            where = f' · <a href="{prefix}{link}">Ch. {int(r.chapter[:2])} §{r.where}</a>' if link else ""
            claim += f"<br><small>{r.paper}, {html.escape(r.section)}{where}</small>"
        scale = "" if r.scale == "—" else f"<br><small>{r.scale}{f', n = {r.n}' if r.n else ''}</small>"
        verdict = (f'<td style="background-color: {VERDICT_COLOURS[r.verdict]}; vertical-align: top; '
                   f'white-space: nowrap">{r.verdict}{scale}</td>')
        data = "" if r.data == "—" else f'<br><small style="color: #555">data: {html.escape(r.data)}</small>'
        evidence = f'<td style="vertical-align: top; font-size: 0.85em">{_evidence(r.evidence)}{data}</td>'
        rows.append(f'<tr data-id="{r.id}" data-verdict="{r.verdict}" data-scale="{r.scale}">'
                    f'<td style="vertical-align: top">{claim}</td>{verdict}{evidence}</tr>')
    head = "".join(f'<th style="text-align: left">{h}</th>' for h in ("claim", "verdict", "evidence"))
    return (f'<table class="claims-table" style="width: 100%; text-align: left"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def show_claims(table: pd.DataFrame):
    """A chapter's :func:`~dicecore.claims.claims_table`, displayed (:func:`claims_html`)."""
    from IPython.display import HTML

    return HTML(claims_html(table))


def ledger_html(ledger: pd.DataFrame, prefix: str = "../notebooks/") -> str:
    """The ledger (:func:`dicecore.claims.ledger`) as HTML (:func:`claims_html`), each claim with its paper,
    section and a link to the chapter section that holds its evidence."""
    return claims_html(ledger, prefix=prefix)


def evidence_summary(evidence: pd.DataFrame) -> pd.DataFrame:
    """The landing page's table of committed evidence: one row per chapter, one column per profile of
    :func:`dicecore.experiments.ledger.committed_evidence`, each cell "k of n cells (phantoms v…), h hours" —
    "none" where nothing is committed on today's phantoms, with the superseded cells counted beside."""
    def cell(row) -> str:
        if row["cells"] == 0:
            text = "none"
        else:
            share = "complete" if row["cells"] == row["of"] else f"{row['cells']} of {row['of']} cells"
            text = f"{share} (phantoms {row['phantoms']}), {row['hours']:.1f} h"
        if row["superseded cells"]:
            text += f"; {row['superseded cells']} on older phantoms, superseded"
        return text

    out = evidence.assign(text=evidence.apply(cell, axis=1)).pivot(index="chapter", columns="profile", values="text")
    return out.reset_index().rename_axis(columns=None)
