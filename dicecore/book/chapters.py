"""Re-run a chapter: execute its jupytext notebook with papermill under validated parameters."""

from __future__ import annotations

import ast
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from dicecore.book.params import PROFILES

__all__ = [
    "notebooks_dir", "find_chapter", "notebook_parameters", "parse_assignments", "check_parameter_types",
    "run_chapter", "ChapterFailed",
]


class ChapterFailed(RuntimeError):
    """A chapter's code raised while papermill executed it; the message names the cell and the error."""


def notebooks_dir() -> Path:
    """The ``notebooks/`` folder of the checkout this package lives in, else ``./notebooks``."""
    here = Path(__file__).resolve().parents[2] / "notebooks"  # dicecore/book/chapters.py → the checkout
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


def _type_name(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def check_parameter_types(params: Mapping[str, Any], defaults: Mapping[str, Any], chapter: str = "") -> None:
    """Each value must have its default's type: an ``int`` for ``seed``, a string for ``device``, ….

    A default of ``None`` (``data_root``) accepts ``None`` or a string; a ``float`` default accepts an
    ``int``. Raises ``TypeError`` naming the parameter, the value given and the type expected.
    """
    for name, value in params.items():
        default = defaults[name]
        if default is None:
            ok = value is None or isinstance(value, str)
            expected = "None or a string (a path)"
        elif isinstance(default, bool):
            ok, expected = isinstance(value, bool), "True or False"
        elif isinstance(default, int):
            ok, expected = isinstance(value, int) and not isinstance(value, bool), "an integer"
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            expected = "a number"
        else:
            ok, expected = isinstance(value, type(default)), f"a {type(default).__name__}"
        if not ok:
            where = f" of {chapter}" if chapter else ""
            raise TypeError(f"{name}: parameter{where} expects {expected} (default {default!r}), got {value!r} "
                            f"({_type_name(value)}); e.g. -p {name}={default!r}.")


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".dicecore-write-test-"):
            pass
    except OSError as err:
        raise PermissionError(f"output: cannot write to {str(folder)!r} ({err.strerror or err}); "
                              "choose a writable path with -o PATH.") from err


def run_chapter(
    chapter: str,
    parameters: Optional[Mapping[str, Any]] = None,
    output: Optional[os.PathLike] = None,
    directory: Optional[os.PathLike] = None,
    progress: bool = True,
) -> Path:
    """Execute a chapter with papermill and return the path of the executed ``.ipynb``.

    Before anything runs: ``ValueError`` for an unknown chapter, parameter name (listing the valid ones) or
    profile; ``TypeError`` for a value of the wrong type (:func:`check_parameter_types`);
    ``PermissionError`` when the output folder is not writable. The default output is
    ``_build/runs/<chapter>-<profile>.ipynb`` next to the ``notebooks/`` folder. The notebook executes in a
    temporary folder and appears at ``output`` only once it finished (written atomically), so a run that is
    cut part-way leaves no partial notebook; re-running it resumes wherever the chapter's own experiments
    keep per-training results (:mod:`dicecore.experiments.study`). When a cell raises, ``ChapterFailed``
    names the cell and the error, and the notebook executed up to that cell is kept beside ``output`` as
    ``<name>.failed.ipynb`` for inspection (removed by the next successful run).
    """
    import jupytext
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from dicecore.results import atomic_write_text

    path = find_chapter(chapter, directory)
    defaults = notebook_parameters(path)
    params = dict(parameters or {})
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(
            f"parameters: unknown name(s) {unknown} for {path.stem}; its parameters are {sorted(defaults)}."
        )
    check_parameter_types(params, defaults, path.stem)
    profile = params.get("profile", defaults.get("profile"))
    if profile not in PROFILES:
        raise ValueError(f"profile: unknown profile {profile!r}; choose one of {PROFILES}.")
    if output is None:
        output = path.parent.parent / "_build" / "runs" / f"{path.stem}-{profile}.ipynb"
    output = Path(output)
    if output.suffix != ".ipynb":
        raise ValueError(f"output: {str(output)!r} must end in .ipynb (it is an executed notebook).")
    _check_writable(output.parent)
    failed = output.with_name(f"{output.stem}.failed.ipynb")
    with tempfile.TemporaryDirectory(prefix="dicecore-run-") as tmp:
        source = Path(tmp) / f"{path.stem}.ipynb"
        nb = jupytext.read(path, fmt="py:percent")
        nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
        jupytext.write(nb, source, fmt="ipynb")
        executed = Path(tmp) / "executed.ipynb"
        try:
            papermill.execute_notebook(
                str(source), str(executed), parameters=params, cwd=str(path.parent), progress_bar=progress,
                kernel_name="python3",
            )
        except PapermillExecutionError as err:
            if executed.is_file():
                atomic_write_text(failed, executed.read_text(encoding="utf-8"))
            raise ChapterFailed(
                f"chapter: {path.stem} failed in cell {err.exec_count}: {err.ename}: {' '.join(str(err.evalue).split())} "
                f"(notebook up to the error: {failed}; add --debug for the traceback)."
            ) from err
        atomic_write_text(output, executed.read_text(encoding="utf-8"))
    failed.unlink(missing_ok=True)
    return output
