"""Numbers for a chapter's prose, glued from the run (myst-nb ``glue``) so that the text follows the results:
a cell computes them, the markdown shows them with ``{glue:text}`name```."""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["glue_numbers", "level_beside_paper"]


def glue_numbers(fmt: str = "{:.2f}", **values: Any) -> dict[str, str]:
    """Glue each value as text under its name, formatted with ``fmt`` (strings as they are); "—" where a value
    is missing (None or NaN: the cells it needs are not committed), "−" for a negative number's sign. Returns
    the texts, for a check in the notebook."""
    from myst_nb import glue

    texts = {}
    for name, value in values.items():
        if isinstance(value, str):
            text = value
        elif value is None or (isinstance(value, float) and math.isnan(value)):
            text = "—"
        else:
            text = fmt.format(value)
        if re.fullmatch(r"-\d[\d.,]*%?", text):
            text = "−" + text[1:]  # a negative number takes the minus sign, not a hyphen
        if text in ("nan", "+nan", "−nan"):
            text = "—"
        glue(name, text, display=False)
        texts[name] = text
    return texts


def level_beside_paper(ours: float, paper: float, data: str, margin: float = 0.05) -> str:
    """How a score of ours reads beside the paper's on the same metric (higher is better): "at the paper's
    level" within ± ``margin``, else below or above it by how much — and, above it, that the phantom is then
    easier for a network than the paper's ``data`` was, so that the page compares configurations with each
    other only. "not scored yet" where either is missing (NaN)."""
    if ours != ours or paper != paper:
        return "not scored yet"
    gap = ours - paper
    if abs(gap) <= margin:
        return f"at the paper's level (within {margin:g})"
    if gap < 0:
        return f"below the paper's level, by {-gap:.2f}"
    return (f"above the paper's level, by {gap:.2f}: at this scale the phantom is easier for a network than "
            f"{data} was for the paper's, so the configurations are compared with each other, not with the paper")
