"""dicecore.book.reader: the cached book build is keyed on the chapter and on what it imports and renders."""

import shutil
from pathlib import Path

import yaml

from dicecore.book import inputs_digest, read_chapter
from dicecore.book.reader import DIGEST_KEY

ROOT = Path(__file__).resolve().parent.parent


def _tree(tmp_path):
    root = tmp_path / "checkout"
    (root / "dicecore" / "losses").mkdir(parents=True)
    (root / "dicecore" / "losses" / "dice.py").write_text("x = 1\n")
    (root / "results" / "02_volume_bias").mkdir(parents=True)
    (root / "results" / "02_volume_bias" / "a.csv").write_text("a\n1\n")
    return root


def test_digest_follows_sources_and_results_only(tmp_path):
    root = _tree(tmp_path)
    first = inputs_digest(root)
    assert inputs_digest(root) == first  # deterministic
    (root / "notes.txt").write_text("not an input")
    (root / "dicecore" / "losses" / "__pycache__").mkdir()
    (root / "dicecore" / "losses" / "__pycache__" / "dice.cpython-311.pyc").write_bytes(b"\0")
    (root / "results" / "02_volume_bias" / "checkpoints").mkdir()
    (root / "results" / "02_volume_bias" / "checkpoints" / "t.pt").write_bytes(b"\0")
    assert inputs_digest(root) == first
    (root / "dicecore" / "losses" / "dice.py").write_text("x = 2\n")
    second = inputs_digest(root)
    assert second != first
    (root / "results" / "02_volume_bias" / "a.csv").write_text("a\n2\n")
    assert inputs_digest(root) not in (first, second)
    shutil.move(root / "results" / "02_volume_bias" / "a.csv", root / "results" / "02_volume_bias" / "b.csv")
    assert inputs_digest(root) not in (first, second)  # a renamed file changes it too


def test_read_chapter_carries_the_digest_in_the_kernelspec():
    nb = read_chapter((ROOT / "notebooks" / "01_dice_anatomy.py").read_text())
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.kernelspec[DIGEST_KEY] == inputs_digest()
    assert [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]


def test_the_book_executes_through_the_keyed_cache():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["sphinx"]["config"]["nb_custom_formats"][".py"] == "dicecore.book.read_chapter"
