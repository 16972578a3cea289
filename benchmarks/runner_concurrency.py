"""Benchmark the training runner: trainings per hour with several trainings at once vs one at a time.

Chapter 4's paper grid is many small 3-D trainings; one of them rarely fills an H100, so
:func:`dicecore.experiments.study.run_study` runs ``workers`` of them concurrently (one process each, all
on the same device). This script times the same list of trainings — the first ``--n`` BraTS-like
trainings of a profile of :mod:`dicecore.experiments.missing_empty_3d` — with each ``--workers`` value
and writes ``benchmarks/results/runner_<device>.csv`` (atomically) with a provenance JSON beside it.

    python benchmarks/runner_concurrency.py                                  # CPU: cpu profile, 1 vs 2
    python benchmarks/runner_concurrency.py --device cuda --profile paper --workers 1,2,4,8 --amp

Each training is the real one (its profile's iterations), so a row's ``trainings_per_hour`` is what the
grid will see.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dicecore.experiments import missing_empty_3d as study  # noqa: E402
from dicecore.experiments.study import throughput  # noqa: E402
from dicecore.results import provenance, write_provenance, write_table  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="cpu", choices=tuple(study.PROFILES))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", default="1,2", help="comma-separated counts of trainings at once")
    ap.add_argument("--n", type=int, default=4, help="trainings timed per setting (default 4)")
    ap.add_argument("--amp", action="store_true", help="mixed precision (CUDA only)")
    ap.add_argument("--out", help="CSV path (default benchmarks/results/runner_<device>.csv)")
    args = ap.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",")]
    chosen = study.grid_cells(args.profile, device=args.device, amp=args.amp, datasets=("brats",))[:args.n]
    t0 = time.perf_counter()
    rows = []
    for w in workers:
        r = throughput(study.STUDY, args.profile, chosen, w, device=args.device, amp=args.amp, progress=True)
        rows.append({**r, "profile": args.profile, "device": args.device, "amp": args.amp,
                     "tasks": ";".join(t.key for t in chosen)})
        print(f"{w} at once: {r['trainings_per_hour']:.1f} trainings/hour ({r['seconds']:.0f} s)", flush=True)
    df = pd.DataFrame(rows)
    df["speed-up"] = df["trainings_per_hour"] / df["trainings_per_hour"].iloc[0]
    dev = "cuda" if args.device.startswith("cuda") else "cpu"
    out = Path(args.out or f"benchmarks/results/runner_{dev}.csv")
    write_table(df, out)
    write_provenance(out.with_suffix(".provenance.json"),
                     provenance(args.profile, time.perf_counter() - t0, torch.device(args.device),
                                benchmark="runner concurrency", workers=workers, n=args.n))
    print(df.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
