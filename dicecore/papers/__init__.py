"""The four papers the book re-derives, one module each: their printed numbers (the one place the book takes
them from; a chapter shows its own results beside these) and their claims (``CLAIMS``, read by
:mod:`dicecore.claims`).

* :mod:`dicecore.papers.tilborghs2022` — Φ and ε, missing vs empty labels (Chapters 1 and 4);
* :mod:`dicecore.papers.bertels2019` — the volumetric bias of soft Dice (Chapter 2);
* :mod:`dicecore.papers.sudre2017` — the generalised Dice loss (Chapter 3);
* :mod:`dicecore.papers.hosseini2025` — the pixel-wise modulated Dice loss (Chapter 5).
"""

from __future__ import annotations

__all__ = ["PAPERS", "modules"]

#: The papers, in the book's chapter order, by module name.
PAPERS = ("tilborghs2022", "bertels2019", "sudre2017", "hosseini2025")


def modules() -> dict:
    """The paper modules by name (``{"tilborghs2022": module, …}``), in :data:`PAPERS` order."""
    from importlib import import_module

    return {name: import_module(f"dicecore.papers.{name}") for name in PAPERS}
