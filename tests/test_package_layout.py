"""The package's layout: the library a user imports for training knows nothing about the site, and no two
modules share a name."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dicecore"
#: What a user imports for their own training.
LIBRARY = ("losses", "grad.py", "theory", "metrics.py", "data", "models.py", "train.py", "experiments", "papers",
           "claims.py")
#: Packages only the book needs (the build, the notebooks, the browser check).
BOOK_ONLY = ("dicecore.book", "dicecore.plotting", "dicecore.cli", "papermill", "jupytext", "jupyter_book",
             "sphinx", "myst_nb", "nbformat", "playwright", "IPython", "matplotlib", "seaborn")


def _modules(entry: str) -> list[Path]:
    path = PACKAGE / entry
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("entry", LIBRARY)
def test_the_library_imports_no_book_tooling(entry):
    for path in _modules(entry):
        found = sorted(n for n in _imports(path) if any(n == b or n.startswith(b + ".") for b in BOOK_ONLY))
        assert not found, f"{path.relative_to(PACKAGE.parent)} imports {found}: book tooling belongs in dicecore/book/"


def test_only_the_command_line_and_the_book_import_the_book_tooling():
    outside = [p for p in PACKAGE.rglob("*.py") if "book" not in p.relative_to(PACKAGE).parts[:1]
               and p.name != "cli.py"]
    for path in outside:
        assert not {n for n in _imports(path) if n.startswith("dicecore.book")}, path


def test_no_two_modules_share_a_name():
    """One name, one module — a reader who meets ``runner`` or ``provenance`` knows which is meant. The one
    pair allowed is the theory of the volume bias and the study that tests it on trained networks."""
    allowed = {"volume_bias": {"theory/volume_bias.py", "experiments/volume_bias.py"}}
    seen: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name != "__init__.py":
            seen.setdefault(path.stem, set()).add(str(path.relative_to(PACKAGE)))
    shared = {name: where for name, where in seen.items() if len(where) > 1 and allowed.get(name) != where}
    assert not shared, shared
