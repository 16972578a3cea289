"""Re-run a chapter: execute its jupytext notebook with papermill under validated parameters."""

from __future__ import annotations

import ast
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from dicecore.params import PROFILES

__all__ = ["notebooks_dir", "find_chapter", "notebook_parameters", "parse_assignments", "run_chapter"]


def notebooks_dir() -> Path:
    """The ``notebooks/`` folder of the checkout this package lives in, else ``./notebooks``."""
    here = Path(__file__).resolve().parent.parent / "notebooks"
    return here if here.is_dir() else Path.cwd() / "notebooks"


def find_chapter(chapter: str, directory: Optional[os.PathLike] = None) -> Path:
    """``"01"``, ``"1"`` or ``"01_dice_anatomy"`` → the chapter's ``.py`` notebook."""
    directory = Path(directory) if directory else notebooks_dir()
    key = str(chapter)
    if key.isdigit():
        key = f"{int(key):02d}_"
    matches = sorted(p for p in directory.glob("[0-9][0-9]_*.py") if p.stem.startswith(key) or p.stem == chapter)
    if len(matches) != 1:
        available = ", ".join(p.stem for p in sorted(directory.glob("[0-9][0-9]_*.py"))) or "none"
        raise ValueError(f"chapter: no unique chapter {chapter!r} in {directory}; available: {available}.")
    return matches[0]


def _read_notebook(path: Path):
    import jupytext

    return jupytext.read(path, fmt="py:percent")


def notebook_parameters(path: os.PathLike) -> dict[str, Any]:
    """Names and default values of the single cell tagged ``parameters`` in a notebook."""
    nb = _read_notebook(Path(path))
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{path}: expected exactly one cell tagged 'parameters', found {len(cells)}.")
    out: dict[str, Any] = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    try:
                        out[t.id] = ast.literal_eval(node.value)
                    except ValueError:
                        out[t.id] = ast.unparse(node.value)
    return out


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """``["profile=paper", "seed=3", "data_root=None"]`` → ``{"profile": "paper", "seed": 3, "data_root": None}``."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ValueError(f"parameters: {item!r} is not of the form name=value (e.g. profile=paper).")
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        out[name.strip()] = value
    return out


def run_chapter(
    chapter: str,
    parameters: Optional[Mapping[str, Any]] = None,
    output: Optional[os.PathLike] = None,
    directory: Optional[os.PathLike] = None,
    progress: bool = True,
) -> Path:
    """Execute a chapter with papermill and return the path of the executed ``.ipynb``.

    Raises ``ValueError`` for an unknown parameter name (listing the valid ones) or an unknown profile,
    before anything runs. The default output is ``_build/runs/<chapter>-<profile>.ipynb`` next to the
    ``notebooks/`` folder; the file appears only once execution finished (written to a temporary file,
    then renamed), so an interrupted run never leaves a half-executed notebook behind.
    """
    import jupytext
    import papermill

    path = find_chapter(chapter, directory)
    defaults = notebook_parameters(path)
    params = dict(parameters or {})
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(
            f"parameters: unknown name(s) {unknown} for {path.stem}; its parameters are {sorted(defaults)}."
        )
    profile = params.get("profile", defaults.get("profile"))
    if profile not in PROFILES:
        raise ValueError(f"profile: unknown profile {profile!r}; choose one of {PROFILES}.")
    if output is None:
        output = path.parent.parent / "_build" / "runs" / f"{path.stem}-{profile}.ipynb"
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"{path.stem}.ipynb"
        jupytext.write(jupytext.read(path, fmt="py:percent"), source, fmt="ipynb")
        partial = output.with_name(f".{output.stem}.partial{output.suffix}")
        papermill.execute_notebook(
            str(source), str(partial), parameters=params, cwd=str(path.parent), progress_bar=progress,
            kernel_name="python3",
        )
        os.replace(partial, output)
    return output
