"""Run independent training tasks in a local process pool, skipping those whose results already exist.

A task is any picklable object with a ``key`` (a file-name-safe string). ``run_tasks(tasks, fn, out_dir)``
writes ``fn(task)`` (a tidy DataFrame) to ``out_dir/<key>.csv`` atomically as each task finishes, so an
interrupted run resumes where it stopped. With a cluster, hand the same task list and ``fn`` to an
existing engine (e.g. ``dask.bag.from_sequence(tasks).map(fn)`` or ``submitit``'s ``map_array``) and
collect with :func:`collect`.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd
import torch
from tqdm import tqdm  # text bars: tqdm.auto needs ipywidgets in a notebook, and warns without them

from dicecore.results import read_table, write_table

__all__ = ["run_tasks", "collect", "throughput"]


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)


def _run_and_write(fn, task, path):
    df = fn(task)
    write_table(df, path)
    return task.key


def run_tasks(tasks: Sequence, fn: Callable, out_dir: os.PathLike, workers: int = 2,
              progress: bool = True, desc: str = "trainings") -> pd.DataFrame:
    """Run ``fn`` on every task not yet done (in ``workers`` processes; 0 = in this process)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("tasks: keys must be unique.")
    todo = [t for t in tasks if not (out / f"{t.key}.csv").is_file()]
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc=desc, disable=not progress)
    if workers == 0:
        for t in todo:
            _run_and_write(fn, t, out / f"{t.key}.csv")
            bar.update()
    elif todo:
        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                 initargs=(threads,)) as pool:
            futures = [pool.submit(_run_and_write, fn, t, out / f"{t.key}.csv") for t in todo]
            for f in as_completed(futures):
                f.result()  # re-raise a worker's error here
                bar.update()
    bar.close()
    return collect(tasks, out)


def collect(tasks: Sequence, out_dir: os.PathLike, missing: str = "error") -> pd.DataFrame:
    """Concatenate the results of ``tasks`` from ``out_dir`` (errors name any corrupt file). A missing
    result is an error (``missing="error"``) or left out (``missing="skip"``: a partly run grid, e.g.
    the cells a CPU could run of a grid sized for a GPU; a later run resumes the rest)."""
    if missing not in ("error", "skip"):
        raise ValueError(f"missing: 'error' or 'skip', got {missing!r}.")
    paths = [Path(out_dir) / f"{t.key}.csv" for t in tasks]
    if missing == "skip":
        paths = [p for p in paths if p.is_file()]
        if not paths:
            raise FileNotFoundError(f"out_dir: none of the {len(tasks)} tasks has a result in {str(out_dir)!r}.")
    return pd.concat([read_table(p) for p in paths], ignore_index=True)


def throughput(tasks: Sequence, fn: Callable, workers: int, progress: bool = False) -> dict:
    """Run every task with ``workers`` trainings at once (0 = in this process) into a scratch folder and
    return the wall time and trainings per hour — the runner benchmark of Chapter 4 (on a GPU, several
    trainings share the device; on the CPU, the cores)."""
    if not tasks:
        raise ValueError("tasks: need at least one task to time.")
    with tempfile.TemporaryDirectory() as scratch:
        t0 = time.perf_counter()
        run_tasks(tasks, fn, scratch, workers=workers, progress=progress, desc=f"{workers} at once")
        seconds = time.perf_counter() - t0
    return {"workers": workers, "trainings": len(tasks), "seconds": seconds,
            "trainings_per_hour": 3600 * len(tasks) / seconds}
