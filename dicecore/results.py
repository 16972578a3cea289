"""Write results atomically (temp file in the same folder, then rename) with a provenance record."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import pandas as pd
import torch

__all__ = ["atomic_write_text", "atomic_write_bytes", "write_table", "read_table", "provenance", "write_provenance",
           "record_run"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import: setting it to read it is not thread-safe


def atomic_write_text(path: os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` so that a reader sees either the old file or the whole new one."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, then rename), with the
    permissions a plain ``open(path, "w")`` would give (the temporary file is private to its owner)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_table(df: pd.DataFrame, path: os.PathLike) -> Path:
    """Write a tidy table as CSV atomically."""
    return atomic_write_text(path, df.to_csv(index=False))


def read_table(path: os.PathLike) -> pd.DataFrame:
    """Read a table written by :func:`write_table`, with a clear error when it is missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no results table at {str(path)!r}; run the chapter's paper profile first.")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(f"path: {str(path)!r} is not a readable CSV table ({err}); delete it and re-run.") from err


def _git_commit() -> Optional[str]:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _cpu_name() -> str:
    """E.g. "AMD EPYC, 2 cores (no GPU used)": the model from /proc/cpuinfo where there is one."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores (no GPU used)"


def provenance(profile: str, wall_time_s: float, device: Optional[torch.device] = None, **extra: Any) -> dict:
    """Commit, device, library versions, profile and wall time of a run."""
    import monai  # noqa: F401  (only for the version)

    dev = device or torch.device("cpu")
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else _cpu_name()
    record = {
        "git_commit": _git_commit(),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "profile": profile,
        "wall_time_s": round(float(wall_time_s), 3),
        "device": str(dev),
        "device_name": name,
        "cpu_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "monai": monai.__version__,
        "platform": platform.platform(),
    }
    record.update(extra)
    return record


def write_provenance(path: os.PathLike, record: dict) -> Path:
    """Write a provenance record as indented JSON, atomically."""
    return atomic_write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")


def usable_cpus() -> int:
    """The CPUs this process may run on (``taskset``/cgroup affinity where the OS tells it, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def record_run(out_dir: os.PathLike, grid_keys, profile: str, wall_s: float, device: str, workers: int,
               cells: str, phantoms=(), written=(), **extra: Any) -> dict:
    """Add one run to ``out_dir/provenance.json`` (atomically) and return the record.

    A grid sized for a GPU may be run a part at a time (e.g. the cells a CPU can afford): every run that
    wrote cells is listed under ``runs`` with its commit, device, ``cells`` (what it ran, in words), the
    ``phantoms`` versions its cells trained on, ``written`` (the keys of the cells it wrote, so that a page
    lists only the runs behind the cells it shows) and wall time, and the record counts how many of ``grid_keys``
    have a result in ``out_dir/per_training``."""
    path = Path(out_dir) / "provenance.json"
    before = json.loads(path.read_text()) if path.is_file() else {}
    runs = before.get("runs", [])
    record = provenance(profile, wall_s, torch.device(device), **extra)
    if "note" in before and "note" not in extra:  # a note written by hand about the earlier runs stays
        record["note"] = before["note"]
    threads = max(1, usable_cpus() // workers) if workers else torch.get_num_threads()  # as run_study
    at_once = max(workers, 1)
    where = (f"{device} ({at_once} training{'s' if at_once > 1 else ''} at once, "
             f"{threads} CPU thread{'s' if threads > 1 else ''} each)")
    run = {"git_commit": record["git_commit"], "device": where, "cells": cells,
           "wall_time_s": round(wall_s, 1), "finished_utc": record["created_utc"]}
    if phantoms:
        run["phantoms"] = [int(v) for v in phantoms]
    if written:
        run["written"] = sorted(written)
    runs.append(run)
    done = {p.stem for p in (Path(out_dir) / "per_training").glob("*.csv")}
    keys = list(dict.fromkeys(grid_keys))  # a training listed in two parts of a grid counts once
    record.update(runs=runs, cells=sum(k in done for k in keys), cells_in_grid=len(keys),
                  wall_time_s=round(sum(r["wall_time_s"] for r in runs), 1))
    write_provenance(path, record)
    return record
