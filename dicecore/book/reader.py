"""Read a chapter for the book build, so that its cached execution is keyed on everything it depends on.

``make book`` executes the chapters through MyST-NB's cache (``execute_notebooks: cache``): a chapter is
re-executed only when its cached run no longer matches. The cache compares the code cells and the
notebook's ``kernelspec`` — not the ``dicecore`` package the chapter imports, nor the committed results it
renders. :func:`read_chapter` therefore records a digest of those inputs in the ``kernelspec``
(:data:`DIGEST_KEY`): a change in ``dicecore/`` or ``results/`` re-executes every chapter, and a second build
with nothing changed takes every chapter from the cache. The test suite builds into a fresh folder, so CI
always executes every chapter.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Optional

__all__ = ["DIGEST_KEY", "inputs_digest", "read_chapter"]

#: The ``kernelspec`` field holding :func:`inputs_digest` (removed from the notebooks readers download).
DIGEST_KEY = "dicecore_inputs"

_PACKAGE = Path(__file__).resolve().parent.parent


def inputs_digest(root: Optional[Path] = None) -> str:
    """SHA-256 of every ``dicecore/**/*.py`` source and every committed file under ``results/`` and
    ``benchmarks/results/`` of the checkout ``root`` (default: the one this package lives in)."""
    root = Path(root) if root is not None else _PACKAGE.parent
    files = sorted(p for p in (root / "dicecore").rglob("*.py") if "__pycache__" not in p.parts)
    for folder in ("results", "benchmarks/results"):
        if (root / folder).is_dir():
            files += sorted(p for p in (root / folder).rglob("*") if p.is_file() and "checkpoints" not in p.parts)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def read_chapter(text: str, **_: Any):
    """A jupytext ``py:percent`` chapter as a notebook whose ``kernelspec`` carries :func:`inputs_digest`."""
    import jupytext

    nb = jupytext.reads(text, fmt="py:percent")
    spec = nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3",
                                                 "language": "python"})
    spec[DIGEST_KEY] = inputs_digest()
    return nb
