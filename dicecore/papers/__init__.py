"""The four papers the book re-derives, one module each: their printed numbers (the one place the book takes
them from; a chapter shows its own results beside these).

* :mod:`dicecore.papers.tilborghs2022` — Φ and ε, missing vs empty labels (Chapters 1 and 4);
* :mod:`dicecore.papers.bertels2019` — the volumetric bias of soft Dice (Chapter 2);
* :mod:`dicecore.papers.sudre2017` — the generalised Dice loss (Chapter 3);
* :mod:`dicecore.papers.hosseini2025` — the pixel-wise modulated Dice loss (Chapter 5).
"""
