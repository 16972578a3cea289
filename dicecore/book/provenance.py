"""What each chapter page says about where its numbers come from.

:func:`page_provenance` is called at the top of every chapter. It tells the reader which profile, device
and seed computed what the page shows, on which data, from which commit; the commit, device, date and
wall time of any results committed under ``results/<chapter>/`` (``cpu`` or ``paper`` profile) (read from their
``provenance.json``); and the exact command that re-runs the chapter.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from dicecore import paths
from dicecore.book.params import ChapterParameters

__all__ = ["source_state", "committed_results", "page_provenance"]


def source_state(cwd: Optional[os.PathLike] = None) -> str:
    """``"3f2a1bc"`` (or ``"3f2a1bc + local changes"``) of the checkout, or ``"unknown (not a git checkout)"``."""
    where = Path(cwd) if cwd else Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=5, cwd=where)
        if head.returncode != 0:
            return "unknown (not a git checkout)"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=where)
        return head.stdout.strip() + (" + local changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"


def committed_results(results_dir: os.PathLike) -> list[dict]:
    """The provenance records of committed results: every ``provenance.json`` under ``results_dir``.

    Each record gains ``"path"`` (relative to ``results_dir``). A record that is not valid JSON raises
    ``ValueError`` naming the file, since a page must not present results whose origin it cannot state.
    """
    root = Path(results_dir)
    records = []
    for path in sorted(root.rglob("provenance.json")) if root.is_dir() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"results_dir: {str(path)!r} is not valid JSON ({err}); restore it from git.") from err
        record["path"] = path.relative_to(root).as_posix()
        records.append(record)
    return records


def _describe(record: dict) -> str:
    when = str(record.get("created_utc", "date unknown"))[:16].replace("T", " ")
    device = record.get("device_name") or record.get("device", "device unknown")
    commit = str(record.get("git_commit") or "unknown")[:7]
    wall = record.get("wall_time_s")
    runs = record.get("runs") or []
    if len(runs) > 1:  # a grid filled over several runs: its latest run, and the sum of all (not one sitting)
        wall_text = (f"; {float(wall) / 60:.0f} min of computing summed over its {len(runs)} runs"
                     if isinstance(wall, (int, float)) else f"; {len(runs)} runs")
        latest = "the latest run: "
    else:
        wall_text = f", {float(wall) / 60:.1f} min" if isinstance(wall, (int, float)) else ""
        latest = ""
    cells = (f", {record['cells']} of the grid's {record['cells_in_grid']} cells"
             if isinstance(record.get("cells"), int) and isinstance(record.get("cells_in_grid"), int) else "")
    return (f"`{record['path']}`{cells}: {latest}profile `{record.get('profile', '?')}` on {device}, "
            f"commit `{commit}`, {when} UTC{wall_text}")


def page_provenance(
    chapter: str,
    params: ChapterParameters,
    data: str,
    results_dir: Optional[os.PathLike] = None,
    rerun_extra: str = "",
    writes_results: bool = True,
):
    """A Markdown box for the top of a chapter page (an ``IPython.display.Markdown``).

    Args:
        chapter: the notebook's stem, e.g. ``"02_volume_bias"``.
        params: the page's resolved parameters (:func:`dicecore.book.params.chapter_parameters`).
        data: what the page computes on, e.g. "BraTS-like phantoms on the MNI152 2009 template".
        results_dir: the chapter's committed results (default :func:`dicecore.paths.results_dir` of the
            chapter: found from the package, whatever the working directory).
        rerun_extra: further ``-p`` options of the re-run command, e.g. ``"-p data_root=/data/BraTS"``.
        writes_results: ``False`` for a chapter whose ``paper`` profile only recomputes the page.
    """
    from IPython.display import Markdown

    if not isinstance(params, ChapterParameters):
        raise TypeError(f"params: expected the result of chapter_parameters(...), got {type(params).__name__}.")
    results_dir = Path(results_dir) if results_dir is not None else paths.results_dir(chapter)
    records = committed_results(results_dir)
    number = chapter[:2]
    built = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    data_text = f"your copy at `{params.data_root}`" if params.data_root else data
    if records:
        committed = "; ".join(_describe(r) for r in records)
    elif writes_results:
        committed = f"none committed yet (`results/{chapter}/` fills with a `cpu`- or `paper`-profile run)"
    else:
        committed = "none needed: the `paper` profile only recomputes this page (finer grids, more trials)"
    rerun = f"dicecore run {number} -p profile=paper -p device=cuda {rerun_extra}".strip()
    grid = f"; its training grid alone: `dicecore study {number} --profile cpu`" if writes_results else ""
    rows = [
        ("computed here", f"profile `{params.profile}`, device `{params.device}`, seed {params.seed}, "
                          f"on {built}"),
        ("data", data_text),
        ("source", f"dicecore commit `{source_state()}`"),
        ("committed results", committed),
        ("re-run", f"`{rerun}` (or `make paper CH={number}`){grid}"),
    ]
    table = "\n".join(f"| **{k}** | {v} |" for k, v in rows)
    return Markdown(f"| about this page | |\n|---|---|\n{table}\n")
