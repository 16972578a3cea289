"""The plot style of the book's figures (the library's plotting functions, :mod:`dicecore.plotting`, draw on
whatever style is set)."""

from __future__ import annotations

__all__ = ["book_style"]


def book_style() -> None:
    """Matplotlib settings shared by every chapter: sharper figures, readable fonts, light grid."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.dpi": 110,
        "savefig.dpi": 150,
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.framealpha": 0.9,
        "figure.constrained_layout.use": True,
    })
