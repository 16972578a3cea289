"""The experiment framework every chapter shares: declared cells → a runner with a time budget and any
executor → one result store → the chapter's report.

A chapter *declares* its study and learns nothing else:

* a **cell** is one training (or one evaluation): a frozen dataclass deriving from :class:`Cell`. Its
  result key is derived from every field (:func:`cell_key`) — profile, seed, fold, training length and
  phantom version included — so no key is ever written by hand and two cells that differ in anything that
  changes the result never share a file. Fields that only say *where* a cell runs (``device``, ``amp``) are
  declared with ``field(metadata={"key": False})`` and stay out of the key.
* a :class:`Study` names the chapter, lists its cells per profile (``cells(profile, **where)``) and runs one
  (``run_cell(cell, paths) → tidy rows``, a :class:`pandas.DataFrame`).
* a :class:`ResultStore` owns the chapter's folder ``results/NN_*/``: ``per_training/<key>.csv`` for each
  finished cell (written atomically), ``checkpoints/<key>.pt`` while a cell trains, ``examples/<key>.npz``
  for figures, and ``provenance.json`` with one record per run (commit, device, CPU threads, versions,
  phantom versions, wall time, cells).
* :func:`run_study` runs the cells not yet done on any :class:`concurrent.futures.Executor` — a local
  process pool by default, Dask distributed for a cluster (:func:`dask_executor`) — with a progress bar,
  and with ``budget`` starts no cell that cannot finish in the time left (estimated from the cells already
  run), so a laptop's evening or a GPU's fifteen minutes fill a grid piece by piece. A cut run loses at most
  the cells in flight, and those resume from their checkpoints.

The profiles are named the same in every chapter (:data:`PROFILES`): ``ci`` runs inside the book build,
``cpu`` is a grid one 2-core machine runs in a few hours, ``paper`` is the paper's scale, for a GPU.

This module imports no chapter: the studies are found by name (:data:`STUDIES`, resolved on use).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import multiprocessing as mp
import os
import statistics
import time
import warnings
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "PROFILES", "STUDIES", "Cell", "CellPaths", "Study", "ResultStore", "CorruptResultWarning", "RunSummary",
    "cell_key", "select_cells", "process_pool", "parse_only", "parse_duration", "find_study", "run_study", "dask_executor",
    "estimate_seconds", "Committed", "committed", "throughput", "phantom_versions", "superseded",
    "longer", "learning_curve",
]

#: The profiles of every chapter — ``ci`` (inside the book build), ``cpu`` (one 2-core machine, a few hours),
#: ``paper`` (the paper's scale, for a GPU).
PROFILES = ("ci", "cpu", "paper")

#: Chapter number → the module declaring its ``STUDY`` (imported only when asked for).
STUDIES = {
    "02": "dicecore.experiments.volume_bias",
    "03": "dicecore.experiments.generalised_dice",
    "04": "dicecore.experiments.missing_empty_3d",
    "05": "dicecore.experiments.pm_dice",
}


# --- cells and their keys ---------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Cell:
    """The fields every cell has; a chapter's cell class adds its own (task, model, loss, fold, …).

    ``profile`` and ``seed`` are part of the key; ``device`` and ``amp`` say where and how a cell runs and
    are not. A chapter's cell adds its training length and the version of the phantom it trains on
    (e.g. ``phantom: int = 1``), both part of the key.
    """

    profile: str
    seed: int = 0
    device: str = field(default="cpu", metadata={"key": False})
    amp: bool = field(default=False, metadata={"key": False})

    @property
    def key(self) -> str:
        """The result key, derived from every key field (:func:`cell_key`)."""
        return cell_key(self)


_ASCII = {"ε": "eps", "Φ": "Phi", "φ": "phi", "γ": "gamma", "µ": "mu", "μ": "mu", "²": "2", "³": "3"}


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return "x".join(_text(v) for v in value)
    text = "".join(_ASCII.get(ch, ch) for ch in str(value)).replace(" ", "-")
    text = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-+") else "~" for ch in text)
    while "__" in text:  # "__" separates the fields of a key
        text = text.replace("__", "_")
    return text


def cell_key(cell: Cell) -> str:
    """``field-value__field-value__…`` over every key field, the chapter's fields first, then profile and
    seed: file-name safe ASCII (ε → eps, a space → ``-``, anything else outside ``[A-Za-z0-9._+-]`` → ``~``;
    no ``__`` inside a value; a tuple's values joined by ``x``; ``None`` → ``none``). A field declared
    with ``metadata={"key": "hash"}`` (e.g. the folder of your own data) enters as an 8-character hash, so
    results on your data never mix with results on the phantoms; one with ``metadata={"key": "if set"}``
    enters only when it is not ``None`` (a setting added to a chapter's cells later: the keys of the cells
    that leave it unset, and so their committed results, stay as they were)."""
    parts = []
    for f in _key_fields(type(cell)):
        mode = f.metadata.get("key", True)
        value = getattr(cell, f.name)
        if mode == "if set" and value is None:
            continue
        if mode == "hash":
            if value is None:
                continue  # the default (phantoms) adds nothing to the key
            value = hashlib.sha256(str(value).encode()).hexdigest()[:8]
        parts.append(f"{f.name}-{_text(value)}")
    return "__".join(parts)


def _key_fields(cell_type: type) -> list[dataclasses.Field]:
    """The fields in the key, in key order: the chapter's, then the base ``profile`` and ``seed``."""
    base = {f.name for f in dataclasses.fields(Cell)}
    fields = sorted(dataclasses.fields(cell_type), key=lambda f: f.name in base)  # a stable sort
    return [f for f in fields if f.metadata.get("key", True) is not False]


def parse_only(items: Iterable[str]) -> dict[str, list[str]]:
    """``["model=LR,U-Net", "fold=0"]`` → ``{"model": ["LR", "U-Net"], "fold": ["0"]}``."""
    out: dict[str, list[str]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        if not sep or not name.strip() or not values:
            raise ValueError(f"only: {item!r} is not of the form name=value[,value…] (e.g. --only model=U-Net).")
        out.setdefault(name.strip(), []).extend(v.strip() for v in values.split(","))
    return out


def select_cells(cells: Sequence[Cell], only: Optional[Mapping[str, Sequence[Any]]] = None) -> list[Cell]:
    """The cells whose fields take the values ``only`` asks for (values compared as text, so ``fold=0``
    works from the command line). An unknown field or a value no cell has is an error listing the choices."""
    if not only:
        return list(cells)
    if not cells:
        return []
    names = [f.name for f in _key_fields(type(cells[0]))]
    chosen = list(cells)
    for name, values in only.items():
        if name not in names:
            raise ValueError(f"only: unknown field {name!r}; choose from {names}.")
        present = list(dict.fromkeys(_text(getattr(c, name)) for c in cells))
        wanted = [_text(v) for v in values]
        unknown = [v for v in wanted if v not in present]
        if unknown:
            raise ValueError(f"only: {name}={','.join(unknown)} is not in this grid; {name} takes {present}.")
        chosen = [c for c in chosen if _text(getattr(c, name)) in wanted]
    return chosen


def parse_duration(text: str) -> float:
    """``"150m"``, ``"8m"``, ``"2h"``, ``"90s"``, ``"1h30m"`` or plain seconds → seconds."""
    import re

    text = str(text).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"budget: {text!r} is not a duration such as 150m, 8m, 2h, 1h30m or 90s.")
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


# --- the study declaration ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CellPaths:
    """Where a running cell keeps its checkpoint and writes its examples (both may be unused)."""

    checkpoint: Path
    example: Path


@dataclass(frozen=True)
class Study:
    """One chapter's experiment, declared.

    Args:
        chapter: the chapter's notebook stem, e.g. ``"02_volume_bias"``; its results live in
            ``results/<chapter>/`` (:func:`dicecore.paths.results_dir`).
        module: the module that defines this study as ``STUDY`` (how worker processes find it).
        cells: ``cells(profile, seed=0, device="cpu", amp=False) → [Cell, …]``, the profile's whole grid.
        run_cell: ``run_cell(cell, paths: CellPaths) → pandas.DataFrame``, tidy rows of one finished cell.
        summarise: optional ``summarise(rows) → table`` (the chapter's report starts from it).
        report: the module of the chapter's tables and verdicts, with ``committed_findings(shown)`` (default:
            ``module``; a chapter whose study module would otherwise grow past a few hundred lines keeps its
            report apart, e.g. :mod:`dicecore.experiments.pm_dice_report`).
        shown_profiles: the committed grids the chapter and the ledger judge, in order of preference
            (:func:`committed`): by default the ``paper`` grid where it has cells, else the ``cpu`` grid.
    """

    chapter: str
    module: str
    cells: Callable[..., list]
    run_cell: Callable[[Cell, CellPaths], pd.DataFrame]
    summarise: Optional[Callable[[pd.DataFrame], Any]] = None
    report: Optional[str] = None
    #: The committed grids the chapter and the ledger judge, in order of preference (:func:`committed`).
    shown_profiles: tuple[str, ...] = ("paper", "cpu")

    @property
    def report_module(self) -> Any:
        """The imported ``report`` module (or ``module``, where the study has no separate report)."""
        return importlib.import_module(self.report or self.module)

    def grid(self, profile: str, **where: Any) -> list[Cell]:
        """The profile's cells, checked: a known profile, unique keys."""
        if profile not in PROFILES:
            raise ValueError(f"profile: unknown profile {profile!r}; choose one of {PROFILES}.")
        cells = self.cells(profile, **where)
        keys = [c.key for c in cells]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.chapter}: two cells of the {profile} grid share a key; add the field that "
                             "tells them apart.")
        return cells


def find_study(chapter: str) -> Study:
    """``"02"``, ``"2"`` or ``"02_volume_bias"`` → that chapter's :class:`Study`."""
    number = str(chapter)[:2] if not str(chapter).isdigit() else f"{int(chapter):02d}"
    if number not in STUDIES:
        raise ValueError(f"chapter: no study for {chapter!r}; chapters with a study: {sorted(STUDIES)}.")
    return importlib.import_module(STUDIES[number]).STUDY


# --- the result store ------------------------------------------------------------------------------------

class CorruptResultWarning(UserWarning):
    """A per-cell result file could not be read; the cell is run again and the others are kept."""


class ResultStore:
    """The files of one chapter's results folder (see the module docstring).

    ``per_training/`` holds one CSV per finished cell; a file that cannot be read is reported with a
    :class:`CorruptResultWarning`, moved aside as ``<key>.csv.corrupt`` and counts as not done.
    """

    def __init__(self, folder: os.PathLike) -> None:
        self.folder = Path(folder)
        self.cells_dir = self.folder / "per_training"

    def path(self, cell: Cell) -> Path:
        return self.cells_dir / f"{cell.key}.csv"

    def paths(self, cell: Cell) -> CellPaths:
        return CellPaths(self.folder / "checkpoints" / f"{cell.key}.pt", self.folder / "examples" / f"{cell.key}.npz")

    def read_cell(self, cell: Cell) -> Optional[pd.DataFrame]:
        """The cell's rows, or ``None`` when it has not run (or its file was corrupt: warned and moved aside)."""
        path = self.path(cell)
        if not path.is_file():
            return None
        try:
            rows = pd.read_csv(path)
            if rows.empty:
                raise ValueError("no rows")
            return rows
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as err:
            aside = path.with_name(path.name + ".corrupt")
            os.replace(path, aside)
            warnings.warn(f"{path}: not a readable result ({err}); moved to {aside.name}, and the cell runs again.",
                          CorruptResultWarning, stacklevel=2)
            return None

    def done(self, cell: Cell) -> bool:
        return self.read_cell(cell) is not None

    def read_example(self, cell: Cell) -> Optional[dict[str, np.ndarray]]:
        """The arrays a cell saved for the chapter's figures (``examples/<key>.npz``), or ``None`` when it saved
        none (or the file cannot be read: warned with :class:`CorruptResultWarning`; the figure leaves it out)."""
        import zipfile

        path = self.paths(cell).example
        if not path.is_file():
            return None
        try:
            with np.load(path) as data:
                return {name: data[name] for name in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            warnings.warn(f"{path}: not a readable example ({err}); restore it from git or re-run the cell.",
                          CorruptResultWarning, stacklevel=2)
            return None

    def write(self, cell: Cell, rows: pd.DataFrame) -> Path:
        from dicecore.results import write_table

        if not isinstance(rows, pd.DataFrame) or rows.empty:
            raise ValueError(f"run_cell: {cell.key} returned {type(rows).__name__} without rows; a cell must "
                             "return a non-empty DataFrame.")
        return write_table(rows, self.path(cell))

    def read(self, cells: Sequence[Cell]) -> pd.DataFrame:
        """The rows of every finished cell of ``cells`` (an empty frame if none)."""
        frames = [rows for rows in map(self.read_cell, cells) if rows is not None]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def count(self, cells: Sequence[Cell]) -> tuple[int, int]:
        """(finished, in the grid)."""
        keys = list(dict.fromkeys(c.key for c in cells))
        return sum((self.cells_dir / f"{k}.csv").is_file() for k in keys), len(keys)

    def remove_checkpoint(self, cell: Cell) -> None:
        self.paths(cell).checkpoint.unlink(missing_ok=True)

    def record_run(self, grid: Sequence[Cell], profile: str, wall_s: float, device: str, workers: int,
                   cells: str, phantoms: Sequence[int] = (), written: Sequence[str] = (), **extra: Any) -> dict:
        """Add one run to ``provenance.json`` (:func:`dicecore.results.record_run`: commit, device, workers ×
        threads, what ran, on which phantom versions and the keys it wrote, "k of n" cells of ``grid``)."""
        from dicecore.results import record_run

        return record_run(self.folder, [c.key for c in grid], profile, wall_s, device, workers, cells,
                          phantoms=phantoms, written=written, **extra)


# --- running ---------------------------------------------------------------------------------------------

def estimate_seconds(cell: Cell, finished: Mapping[str, float]) -> Optional[float]:
    """Seconds ``cell`` is expected to take: the median of the finished cells of its cost group (the same
    but for fold and seed), else of every finished cell, else ``None`` (no estimate yet)."""
    group = _cost_group_of_key(cell.key)
    same = [s for k, s in finished.items() if _cost_group_of_key(k) == group]
    pool = same or list(finished.values())
    return statistics.median(pool) if pool else None


def phantom_versions(cells: Iterable[Cell]) -> list[int]:
    """The phantom versions the cells train on (their ``phantom`` field), sorted; ``[]`` for cells without one."""
    return sorted({int(c.phantom) for c in cells if getattr(c, "phantom", None) is not None})


def superseded(cells: Sequence[Cell], back: int) -> list[Cell]:
    """The same cells on the phantoms ``back`` versions older (``phantom`` lowered by ``back``; cells without a
    ``phantom`` field, or whose phantom would fall below version 1, are left out) — to find results committed
    before the phantoms last changed."""
    return [dataclasses.replace(c, phantom=c.phantom - back) for c in cells
            if getattr(c, "phantom", None) is not None and c.phantom - back >= 1]


def _cost_group_of_key(key: str) -> str:
    """Cells that differ only in fold or seed cost the same."""
    return "__".join(p for p in key.split("__") if not p.startswith(("fold-", "seed-")))


def _execute(module: str, cell: Cell, paths: CellPaths, threads: int) -> pd.DataFrame:
    """Run one cell in a worker (a pool process, a Dask worker or this process) and time it."""
    import torch

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        study = importlib.import_module(module).STUDY
        t0 = time.perf_counter()
        rows = study.run_cell(cell, paths)
    finally:
        torch.set_num_threads(before)  # a cell run in the caller's process leaves its threads as they were
    if isinstance(rows, pd.DataFrame) and "seconds" not in rows:
        rows = rows.assign(seconds=time.perf_counter() - t0)
    return rows


class _InProcess(Executor):
    """An executor that runs each call at once in this process (``workers=0``)."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # noqa: BLE001 — handed to the caller through the future
            if isinstance(err, KeyboardInterrupt):
                raise
            future.set_exception(err)
        return future


def dask_executor(workers: int = 2, scheduler: Optional[str] = None, timeout_s: float = 20.0
                  ) -> tuple[Executor, Callable[[], None]]:
    """A :class:`concurrent.futures.Executor` on Dask distributed, and the function that closes it: a
    ``LocalCluster`` of ``workers`` single-threaded worker processes, or the cluster at ``scheduler``
    (``tcp://host:8786``; on SLURM, dask-jobqueue starts one, see the Reproduce page). A scheduler that
    cannot be reached is a ``ConnectionError`` within ``timeout_s``, before anything runs."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:
        raise ImportError("executor: 'dask' needs Dask distributed (pip install 'dask[distributed]').") from err
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError) as err:
            raise ConnectionError(f"scheduler: cannot reach {scheduler!r} within {timeout_s:.0f} s ({err}); check "
                                  "the address and that the cluster is running.") from err
        return client.get_executor(pure=False), client.close
    cluster = LocalCluster(n_workers=max(workers, 1), threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)

    def close() -> None:
        client.close()
        cluster.close()

    return client.get_executor(pure=False), close


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def process_pool(workers: int, threads: int = 1) -> Executor:
    """The default executor: ``workers`` fresh processes (spawned, so nothing of the caller's state leaks in),
    each with ``threads`` torch threads. Small networks train faster as several one-thread processes than as one
    process with several threads, and their numbers do not depend on how many cores the machine has."""
    return ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                               initargs=(threads,))


@dataclass
class RunSummary:
    """What one :func:`run_study` call did."""

    cells: int  # in the selection
    done_before: int  # finished before this call
    ran: int  # finished by this call
    left: int  # not finished (over budget, or never started)
    seconds: float
    stopped_by_budget: bool
    keys_left: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = (f"{self.done_before + self.ran} of {self.cells} cells done ({self.ran} by this run, "
                f"{self.seconds / 60:.1f} min)")
        if self.left:
            text += (f"; {self.left} left" + (" (not started: they would not finish within the budget)"
                                             if self.stopped_by_budget else ""))
        return text


def run_study(study: Study, profile: str, *, only: Optional[Mapping[str, Sequence[Any]]] = None,
              cells: Optional[Sequence[Cell]] = None, budget_s: Optional[float] = None, device: str = "cpu",
              amp: bool = False, seed: int = 0, workers: int = 1, executor: Optional[Executor] = None, threads: Optional[int] = None,
              folder: Optional[os.PathLike] = None, progress: bool = True, record: bool = True,
              note: str = "", data_root: Optional[os.PathLike] = None) -> RunSummary:
    """Run (or resume) ``study``'s ``profile`` grid, or the part ``only`` selects, into its result store.
    ``cells`` narrows the grid to those cells first (a part a chapter names, e.g. one table's trainings);
    each must be a cell of the grid.

    Cells already finished are skipped. With ``budget_s``, a cell is started only if the time elapsed plus
    its estimate (:func:`estimate_seconds`, from the cells already run) fits in the budget; the call then
    returns cleanly, and the next call goes on. ``executor`` may be any :class:`concurrent.futures.Executor`
    (e.g. :func:`dask_executor`) running ``workers`` cells at once; by default ``workers`` local processes
    (``workers=0``: in this process). Each cell sets ``threads`` torch threads (default: the CPUs divided
    among the workers; in this process, the caller's setting). Each finished cell is written at once, so a
    cut run loses only the cells in flight, which resume from their checkpoints. The run is added to the store's provenance (``record``).

    ``data_root``: your copy of the data instead of the phantoms, for a study whose cells take one (its
    ``cells`` has a ``data_root`` argument); its results go to ``results/NN_*/own_data/`` unless ``folder``
    says otherwise, and their keys carry a hash of the folder.
    """
    from tqdm import tqdm  # text bars: tqdm.auto needs ipywidgets in a notebook, and warns without them

    from dicecore.paths import results_dir

    if budget_s is not None and not budget_s > 0:
        raise ValueError(f"budget: need a positive time, got {budget_s}.")
    if workers < 0:
        raise ValueError(f"workers: need ≥ 0 (0 runs in this process), got {workers}.")
    where: dict[str, Any] = {}
    if data_root is not None:
        import inspect

        if "data_root" not in inspect.signature(study.cells).parameters:
            with_loaders = [n for n, m in STUDIES.items() if "data_root" in inspect.signature(
                importlib.import_module(m).STUDY.cells).parameters]
            raise ValueError(f"data_root: the study of {study.chapter} trains on phantoms only; the studies with "
                             f"real-data loaders: {with_loaders}.")
        if not Path(data_root).expanduser().is_dir():
            raise FileNotFoundError(f"data_root: {str(data_root)!r} is not a folder; pass the folder holding your "
                                    "copies of the datasets (see the Reproduce page).")
        where["data_root"] = str(data_root)
        if folder is None:
            folder = results_dir(study.chapter) / "own_data"
    grid = study.grid(profile, seed=seed, device=device, amp=amp, **where)
    if cells is not None:
        known = {c.key for c in grid}
        stray = [c.key for c in cells if c.key not in known]
        if stray:
            raise ValueError(f"cells: {stray[0]} is not a cell of the {profile} grid of {study.chapter}; pass "
                             "cells of study.grid(profile).")
        wanted = {c.key for c in cells}
        cells = select_cells([c for c in grid if c.key in wanted], only)
    else:
        cells = select_cells(grid, only)
    store = ResultStore(folder if folder is not None else results_dir(study.chapter))
    finished: dict[str, float] = {}  # seconds of every finished cell of the grid: the budget's estimates
    for c in grid:
        rows = store.read_cell(c)
        if rows is not None and "seconds" in rows:
            finished[c.key] = float(rows["seconds"].iloc[0])
    queue = [c for c in cells if not store.path(c).is_file()]
    done_before = len(cells) - len(queue)
    if threads is None:  # in this process (workers=0) the caller's setting stands
        from dicecore.results import usable_cpus

        threads = 0 if workers == 0 and executor is None else max(1, usable_cpus() // max(workers, 1))
    own_executor = executor is None
    if own_executor:
        executor = _InProcess() if workers == 0 else process_pool(workers, threads)
    slots = max(workers, 1)
    t0 = time.perf_counter()
    bar = tqdm(total=len(cells), initial=done_before, desc=f"{study.chapter} {profile}", unit="cell",
               disable=not progress)
    pending: dict[Future, Cell] = {}
    over_budget = False
    ran, written = 0, []
    clean = False
    try:
        while queue or pending:
            while queue and len(pending) < slots:
                cell = queue.pop(0)
                if store.path(cell).is_file():  # finished meanwhile by another run on the same folder
                    done_before += 1
                    bar.update()
                    continue
                estimate = estimate_seconds(cell, finished)
                if budget_s is not None and estimate is not None and time.perf_counter() - t0 + estimate > budget_s:
                    over_budget = True
                    continue
                pending[executor.submit(_execute, study.module, cell, store.paths(cell), threads)] = cell
            if not pending:
                break
            future = next(as_completed(list(pending)))
            cell = pending.pop(future)
            rows = future.result()  # a cell's error stops the run; the finished cells are kept
            store.write(cell, rows)
            written.append(cell.key)
            store.remove_checkpoint(cell)
            finished[cell.key] = float(rows["seconds"].iloc[0]) if "seconds" in rows else 0.0
            ran += 1
            bar.update()
        clean = True
    finally:
        bar.close()
        if own_executor:
            if not clean:  # stopped: the cells in training are abandoned (their checkpoints stay, to resume)
                for process in list((getattr(executor, "_processes", None) or {}).values()):
                    process.terminate()
            executor.shutdown(wait=clean, cancel_futures=True)
        seconds = time.perf_counter() - t0
        if record and ran:  # an interrupted run (Ctrl-C, a failing cell) records the cells it wrote too
            what = ", ".join(f"{k}={','.join(map(str, v))}" for k, v in (only or {}).items()) or "all cells"
            store.record_run(grid, profile, seconds, device, workers,
                             f"{what}: {ran} ran{'' if clean else ', then stopped'}{'; ' + note if note else ''}",
                             phantoms=phantom_versions(cells), written=written)
    left = [c.key for c in cells if not store.path(c).is_file()]
    return RunSummary(len(cells), done_before, ran, len(left), seconds, over_budget, left)


def throughput(study: Study, profile: str, cells: Sequence[Cell], workers: int, device: str = "cpu",
               amp: bool = False, progress: bool = False) -> dict:
    """Run ``cells`` (of ``study``'s ``profile`` grid) with ``workers`` at once (0: in this process) into a
    scratch folder and return the wall time and trainings per hour — the runner benchmark (on a GPU,
    several trainings share the device; on the CPU, the cores). Nothing is written to the results."""
    import tempfile

    if not cells:
        raise ValueError("cells: need at least one cell to time.")
    with tempfile.TemporaryDirectory() as scratch:
        run = run_study(study, profile, cells=cells, workers=workers, device=device, amp=amp, folder=scratch,
                        progress=progress, record=False)
    return {"workers": workers, "trainings": len(cells), "seconds": run.seconds,
            "trainings_per_hour": 3600 * len(cells) / run.seconds}


def longer(cells: Sequence[Cell], factors: Sequence[int], length: str = "iterations") -> list[Cell]:
    """The training-length check of a grid: each of ``cells`` trained ``factor`` times as long (its ``length``
    field multiplied), for each factor — new cells, with keys of their own."""
    if any(int(f) != f or f < 2 for f in factors):
        raise ValueError(f"factors: whole numbers ≥ 2, got {tuple(factors)}.")
    return [dataclasses.replace(c, **{length: getattr(c, length) * int(f)}) for f in factors for c in cells]


def learning_curve(per_training: pd.DataFrame, by: Sequence[str], metric: str, length: str = "iterations",
                   margin: float = 2.0) -> pd.DataFrame:
    """The training-length check read from trainings of several lengths (:func:`longer`): one row per ``by``
    group, ``metric`` at each training ``length`` (one column each, ascending), ``last doubling`` — the change of
    ``metric`` between the two longest trainings per doubling of the length — and ``flattened``: that change
    within ± ``margin``. A group trained at one length only has ``flattened`` NaN (not checked)."""
    by = list(by)
    missing = [c for c in (*by, metric, length) if c not in per_training]
    if missing:
        raise ValueError(f"per_training: no column {missing[0]!r}; it has {list(per_training.columns)}.")
    wide = per_training.pivot_table(index=by, columns=length, values=metric, aggfunc="mean").sort_index(axis=1)
    rows = []
    for group, values in wide.iterrows():
        ran = values.dropna()
        row = dict(zip(by, group if isinstance(group, tuple) else (group,)))
        row.update({f"{int(n)}": v for n, v in values.items()})
        if len(ran) >= 2:
            (n0, v0), (n1, v1) = list(ran.items())[-2:]
            change = (v1 - v0) / np.log2(n1 / n0)
            row.update({"last doubling": change, "flattened": bool(abs(change) <= margin)})
        else:
            row.update({"last doubling": np.nan, "flattened": np.nan})
        rows.append(row)
    return pd.DataFrame(rows)


# --- what a chapter shows ---------------------------------------------------------------------------------

@dataclass
class Committed:
    """The committed results of a study's largest profile that has any: its rows, "k of n cells", the
    provenance record of its folder, and the phantom versions the rows were trained on (``phantoms``) beside
    today's (``current``). Rows on superseded phantoms are never mixed with rows on today's: :func:`committed`
    returns one phantom generation."""

    profile: str
    rows: pd.DataFrame
    done: int
    total: int
    record: dict
    phantoms: tuple = ()
    current: tuple = ()
    back: int = 0  # how many phantom versions older than today's (superseded(grid, back) gives these cells)
    keys: tuple = ()  # the keys of the cells shown

    @property
    def is_superseded(self) -> bool:
        """True when these cells were trained on phantoms older than today's."""
        return self.back > 0

    def phantom_label(self) -> str:
        """``"phantom v2"`` or, for superseded cells, ``"phantom v1 (superseded: the phantoms are now v2)"``."""
        versions = "/".join(f"v{v}" for v in self.phantoms)
        if not self.is_superseded:
            return f"phantom {versions}" if versions else ""
        return f"phantom {versions} (superseded: the phantoms are now {'/'.join(f'v{v}' for v in self.current)})"

    def tag(self, findings: Sequence[Any]) -> list:
        """``findings`` (:class:`dicecore.claims.Finding`) judged on these rows, marked superseded when the rows
        are (:attr:`is_superseded`), so that the ledger prefers any finding on today's phantoms."""
        return [dataclasses.replace(f, superseded=self.is_superseded) for f in findings]

    def runs(self) -> list[dict]:
        """The provenance's runs behind these cells: those that wrote one of them (``written``); a run that
        did not record its keys counts when it trained one of these cells' phantom versions (a run recorded
        before versions were recorded counts as version 1) — unless the runs that did record their keys wrote
        every one of these cells."""
        mine, shown = set(self.phantoms), set(self.keys)
        runs = self.record.get("runs", [])
        recorded = set().union(*(r["written"] for r in runs if "written" in r)) if runs else set()
        every_cell_recorded = bool(shown) and shown <= recorded
        return [r for r in runs
                if (shown & set(r["written"]) if "written" in r and shown else
                    not every_cell_recorded and (not mine or mine & set(r.get("phantoms", [1]))))]

    def header(self) -> str:
        """``"profile cpu: 60 of 120 cells, 225 min in all"`` (with the phantom version) and one line per run."""
        runs = self.runs()
        label = self.phantom_label()
        lines = [f"profile {self.profile}: {self.done} of {self.total} cells{', ' + label if label else ''}, "
                 f"{sum(r['wall_time_s'] for r in runs) / 60:.0f} min in all"]
        for run in runs:
            finished = f", finished {run['finished_utc'][:16].replace('T', ' ')} UTC" if "finished_utc" in run else ""
            lines.append(f"  {run['cells']}: commit {str(run['git_commit'])[:9]}, {run['device']}{finished}, "
                         f"{run['wall_time_s'] / 60:.0f} min")
        return "\n".join(lines)


def committed(study: Study, profiles: Optional[Sequence[str]] = None, folder: Optional[os.PathLike] = None,
              **where: Any) -> Optional[Committed]:
    """The first of ``profiles`` (default the study's :attr:`~Study.shown_profiles`, ``("paper", "cpu")`` unless
    the chapter says otherwise) with committed cells on today's phantoms in the study's results
    folder; failing that, the first with cells on the phantoms one version older, and so on (labelled as
    superseded: :attr:`Committed.is_superseded`); ``None`` when there are none. One phantom generation is
    returned, never a mix. A folder with cells but no ``provenance.json`` is an error: committed cells must say
    where they ran. ``where`` goes to the study's ``cells`` (e.g. ``data_root=`` for results on your own data)."""
    import json

    from dicecore.paths import results_dir

    store = ResultStore(folder if folder is not None else results_dir(study.chapter))
    grids = {profile: study.grid(profile, **where) for profile in (profiles or study.shown_profiles)}
    back = 0
    while True:
        generation = {p: (g if back == 0 else superseded(g, back)) for p, g in grids.items()}
        if back and not any(generation.values()):
            return None
        for profile, grid in generation.items():
            rows = store.read(grid)
            if rows.empty:
                continue
            path = store.folder / "provenance.json"
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing: committed cells must say where they ran; restore it "
                                        "from git.")
            done, total = store.count(grid)
            today = [c for c in grids[profile] if getattr(c, "phantom", None) is None or c.phantom - back >= 1]
            present = [c for c in grid if store.path(c).is_file()]
            return Committed(profile, rows, done, total, json.loads(path.read_text()),
                             tuple(phantom_versions(present)), tuple(phantom_versions(today)), back,
                             tuple(c.key for c in present))
        back += 1
