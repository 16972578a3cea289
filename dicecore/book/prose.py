"""Numbers for a chapter's prose, glued from the run (myst-nb ``glue``) so that the text follows the results:
a cell computes them, the markdown shows them with ``{glue:text}`name```."""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["glue_numbers"]


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
