"""Where the committed results and benchmarks live, found from the package, never from the working directory.

A chapter executed by Jupyter Book runs in ``notebooks/``; the same chapter executed by plain papermill runs
wherever the user started it. Both must read (and, under the ``paper`` profile, write) the same
``results/`` folder, so no chapter spells a relative path: it asks :func:`results_dir`.

The folders are, in order of precedence:

1. ``$DICECORE_RESULTS`` (results) and ``$DICECORE_BENCHMARKS`` (benchmark results), when set: your own
   folders, e.g. for results computed on your copy of BraTS;
2. the checkout this package was imported from (an editable install, ``pip install -e .``, or a run from
   the repository): ``<repository>/results`` and ``<repository>/benchmarks/results``;
3. otherwise ``./results`` and ``./benchmarks/results`` in the working directory (a plain ``pip install``
   has no committed results; set the variables to point at a checkout's folders).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

__all__ = ["repository_root", "results_dir", "benchmarks_dir"]


def repository_root() -> Optional[Path]:
    """The checkout holding this package (the folder with ``_toc.yml`` and ``dicecore/``), or ``None``."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "_toc.yml").is_file() and (root / "notebooks").is_dir() else None


def _folder(variable: str, *parts: str) -> Path:
    if os.environ.get(variable):
        return Path(os.environ[variable]).expanduser().resolve()
    root = repository_root()
    return (root if root is not None else Path.cwd()).joinpath(*parts)


def results_dir(chapter: Optional[str] = None) -> Path:
    """The committed results: ``<root>/results`` or, for ``chapter`` (e.g. ``"02_volume_bias"``), its folder.

    ``$DICECORE_RESULTS`` replaces ``<root>/results`` (see the module docstring).
    """
    base = _folder("DICECORE_RESULTS", "results")
    return base / chapter if chapter else base


def benchmarks_dir() -> Path:
    """The committed benchmark results: ``<root>/benchmarks/results`` (or ``$DICECORE_BENCHMARKS``)."""
    return _folder("DICECORE_BENCHMARKS", "benchmarks", "results")
