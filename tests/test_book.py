"""The book builds (Jupyter Book 1.x, warnings as errors) with every chapter executed under the ci profile."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dicecore.book.sitecheck import check_site, find_browser, find_mathjax

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "_build" / "screenshots"
# One build serves every test of this module: make test runs pytest with --dist loadfile, which keeps a
# module's tests on one xdist worker (this xdist's loadgroup did not group module-marked tests).


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


@pytest.fixture(scope="module")
def built_book(tmp_path_factory):
    """Build the whole book once (all chapters executed, ci profile, warnings as errors)."""
    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).parent / "jupyter-book"
    # One torch thread per chapter kernel: the other xdist worker keeps one core busy for the first minutes, and
    # a two-thread kernel beside it trained Chapter 4's slice U-Net 3× slower than one thread (23.8 vs 8.0 s for
    # 15 epochs on this 2-core machine; alone, two threads took 5.6 s). Chapter 5 trains in two processes anyway.
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [str(jb), "build", str(ROOT), "--path-output", str(out), "--all", "--warningiserror", "--keep-going"],
        capture_output=True, text=True, timeout=2400, env=env,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    (out / "_build" / "build.log").write_text(proc.stdout + proc.stderr)
    return out / "_build" / "html"


@pytest.mark.book
def test_a_fresh_build_executes_every_chapter(built_book):
    """The execution cache lives in the build folder, so a build into a new folder (CI) runs every chapter."""
    log = (built_book.parent / "build.log").read_text()
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        assert re.search(rf"{re.escape(nb.name)}: Executed notebook in", log), nb.name
    assert "Using cached notebook" not in log


@pytest.mark.book
def test_chapters_offer_their_executed_notebook_for_papermill(built_book):
    import json

    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        page = (built_book / "notebooks" / f"{nb.stem}.html").read_text()
        assert f"_sources/notebooks/{nb.stem}.ipynb" in page, nb.stem  # the download menu's ".ipynb" entry
        notebook = json.loads((built_book / "_sources" / "notebooks" / f"{nb.stem}.ipynb").read_text())
        tags = [c["metadata"].get("tags", []) for c in notebook["cells"] if c["cell_type"] == "code"]
        assert tags[0] == ["parameters"], nb.stem  # papermill injects after it
        assert "dicecore_inputs" not in notebook["metadata"]["kernelspec"]  # the build's cache key stays behind
        outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
        assert any("image/png" in o.get("data", {}) for o in outputs), nb.stem  # executed, with its figures


@pytest.mark.book
def test_pages_point_at_the_repository(built_book):
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    page = (built_book / "notebooks" / "01_dice_anatomy.html").read_text()
    assert f'href="{url}"' in page and f"{url}/issues" in page
    for md in (ROOT / "book").glob("*.md"):
        text = md.read_text()
        assert not re.search(r"<this repository>|placeholder|\bTODO\b|\bTBD\b", text, flags=re.I), md.name


@pytest.mark.book
def test_book_builds_with_chapters_executed(built_book):
    html = built_book
    assert (html / "index.html").is_file()
    for f in _toc_files():
        page = (html / f).with_suffix(".html")
        assert page.is_file(), page
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        text = (html / "notebooks" / f"{nb.stem}.html").read_text()
        assert "Traceback" not in text and "output_error" not in text
        stderr = re.findall(r'<div class="output stderr[^"]*">(.*?)</div>', text, flags=re.S)
        assert not [s for s in stderr if "Warning" in s], (nb.stem, stderr)  # no stray warnings for readers
        figures = re.findall(r'<img[^>]+src="([^"]+\.png)"', text)
        assert figures, f"{nb.stem}: no figure rendered"
        for src in figures:
            assert (html / "notebooks" / src).resolve().is_file(), src


def _table_rows(page: str, marker: str) -> list[list[str]]:
    """The rows (cell texts) of the first table of ``page`` whose HTML contains ``marker``."""
    table = next(t for t in re.findall(r"<table.*?</table>", page, flags=re.S) if marker in t)
    rows = []
    for tr in re.findall(r"<tr.*?</tr>", table, flags=re.S):
        cells = [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<t[dh].*?</t[dh]>", tr, flags=re.S)]
        rows.append(cells)
    return rows


def _claims(page: str) -> list[dict]:
    """The rows of a page's claims table (dicecore.book.claims_tables): id, verdict, scale and the row's text."""
    return [{"id": i, "verdict": v, "scale": s, "text": " ".join(re.sub(r"<[^>]+>", " ", body).split())}
            for i, v, s, body in re.findall(r'<tr data-id="([^"]+)" data-verdict="([^"]+)" data-scale="([^"]+)">'
                                            r"(.*?)</tr>", page, flags=re.S)]


@pytest.mark.book
def test_chapter_claims_in_the_built_book(built_book):
    """Every chapter's closing table comes from the ledger (only the vocabulary's verdicts), and so does the
    appendix's. Chapter 1's claims are exact identities: every one holds."""
    from dicecore.claims import VERDICTS, all_claims

    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        rows = _claims((built_book / "notebooks" / f"{nb.stem}.html").read_text())
        assert rows and {r["verdict"] for r in rows} <= set(VERDICTS), nb.stem
    ch1 = _claims((built_book / "notebooks" / "01_dice_anatomy.html").read_text())
    assert [r["id"] for r in ch1] == ["T01", "T02", "T03", "T04", "T05", "T06", "T07"]
    assert {r["verdict"] for r in ch1} == {"reproduced"}, ch1
    ledger = _claims((built_book / "book" / "claims.html").read_text())
    assert [r["id"] for r in ledger] == [c.id for c in all_claims()]


@pytest.mark.book
def test_the_slice_study_verdicts_follow_its_numbers(built_book):
    """Chapter 4's CPU slice study, as executed in the build (partial labels, one training per configuration):
    DL_I keeps segmenting LGG; for DL_BI (B = 4) and DL_Iε, whatever this build's trainings did — learnt empty
    LGG maps, kept segmenting LGG, or output empty maps for both grades — T10's evidence says so and its
    verdict follows. (Which of them crosses over in one seed depends on the phantom and even on the machine's
    floating-point path, so the outcome itself is not asserted.)"""
    from dicecore.experiments.missing_empty import COLLAPSED_DICE

    page = (built_book / "notebooks" / "04_missing_vs_empty.html").read_text()
    summary = {r[0]: r for r in _table_rows(page, "Φ/ε")[1:]}
    header = _table_rows(page, "Φ/ε")[0]
    col = {name: header.index(name) for name in ("Dice HGG", "Dice LGG", "AUC (HGG vs LGG from V̂)")}
    value = lambda config, name: float(summary[config][col[name]])  # noqa: E731
    assert value("I", "Dice HGG") > 0.8 and value("I", "Dice LGG") > 0.8
    t10 = next(r for r in _claims(page) if r["id"] == "T10" and r["scale"] == "ci")
    gaps = dict(re.findall(r"(BI|Iε): LGG Dice of I − (?:BI|Iε): ([+-][\d.]+)", t10["text"]))
    kinds = []
    for config in ("BI", "Iε"):
        if value(config, "Dice HGG") < COLLAPSED_DICE:
            assert f"{config}: empty maps for both grades" in t10["text"], t10
            kinds.append("untestable")
        else:
            gap = float(gaps[config])
            assert gap == pytest.approx(value("I", "Dice LGG") - value(config, "Dice LGG"), abs=0.01)
            kinds.append("reproduced" if gap > 0.6 else "not reproduced" if gap < 0.4 else "unclear")
    if "unclear" not in kinds:  # clear either way: the verdict follows (near the 0.5 threshold it may go either)
        expected = ("reproduced" if set(kinds) == {"reproduced"} else "untestable" if set(kinds) == {"untestable"}
                    else "partly" if "reproduced" in kinds else "not reproduced")
        assert t10["verdict"] == expected, (kinds, t10)


@pytest.mark.book
@pytest.mark.skipif(find_browser() is None or find_mathjax(ROOT) is None,
                    reason="needs Chromium and the local mathjax@3 (make test installs both where it can)")
def test_every_page_renders_in_a_browser(built_book):
    """Every page loads without a JavaScript error, every image renders, MathJax typesets every formula,
    every internal link and anchor resolves, no page scrolls sideways; screenshots for a human look."""
    shots = {"book/index.html": SCREENSHOTS / "landing.png",
             "notebooks/01_dice_anatomy.html": SCREENSHOTS / "chapter-01.png"}
    reports = check_site(built_book, screenshots=shots, mathjax_dir=find_mathjax(ROOT))
    bad = {r.path: r.problems for r in reports if r.problems}
    assert not bad, bad
    pages = {r.path: r for r in reports}
    assert len(reports) >= len(_toc_files()) + 3  # the toc's pages + genindex, search, the root redirect
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        report = pages[f"notebooks/{nb.stem}.html"]
        assert report.images >= 1 and report.formulas >= 1, (nb.stem, report)
    assert all(p.stat().st_size > 10_000 for p in shots.values())
