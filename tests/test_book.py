"""The book builds (Jupyter Book 1.x, warnings as errors) with every chapter executed under the ci profile."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


def test_every_chapter_notebook_is_in_the_toc():
    files = _toc_files()
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        assert f"notebooks/{nb.stem}" in files


@pytest.mark.book
def test_book_builds_with_chapters_executed(tmp_path):
    jb = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run(
        [str(jb), "build", str(ROOT), "--path-output", str(tmp_path), "--all", "--warningiserror", "--keep-going"],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    html = tmp_path / "_build" / "html"
    assert (html / "index.html").is_file()
    for f in _toc_files():
        page = (html / f).with_suffix(".html")
        assert page.is_file(), page
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        text = (html / "notebooks" / f"{nb.stem}.html").read_text()
        assert "Traceback" not in text and "output_error" not in text
        figures = re.findall(r'<img[^>]+src="([^"]+\.png)"', text)
        assert figures, f"{nb.stem}: no figure rendered"
        for src in figures:
            assert (html / "notebooks" / src).resolve().is_file(), src
