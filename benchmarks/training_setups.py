"""Benchmark the CPU set-ups for the book's trainings: iterations per second of one training step (forward,
Dice loss, backward, Adam) of two of the book's networks, under each candidate set-up, and what that makes in
trainings per hour on the whole machine.

Workloads (the ``cpu`` profiles' sizes): Chapter 5's ``small-unet`` on 8 crops of 48 × 48 (Kvasir-like, three
channels, two classes) and Chapter 4's ``dyn-unet`` on 2 BraTS-like patches of 40 × 40 × 24 (four
contrasts). Set-ups: one process with one thread; one process with all the machine's threads; one process
per core, one thread each, all training at once (the machine's throughput is their sum); channels-last
memory format (one thread); ``torch.compile`` (one thread; the compilation is in the warm-up, timed apart
and left out of the rate). ``iterations_per_s`` is summed over the processes a set-up runs; ``vs 1 process,
1 thread`` divides it by the plain one-thread rate — for the machine's throughput compare the all-threads and
the one-process-per-core rows, for a change to one training the channels-last and compile rows.

    python benchmarks/training_setups.py                 # writes benchmarks/results/training_setups_cpu.csv
    python benchmarks/training_setups.py --steps 5 --repeats 1   # a quick look (too few steps to trust)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dicecore.losses import dice_loss  # noqa: E402
from dicecore.models import network  # noqa: E402
from dicecore.results import provenance, write_provenance, write_table  # noqa: E402

#: workload → (network name, its options, input shape (B, C, …), output classes).
WORKLOADS = {
    "Chapter 5, small-unet, 8 × 3 × 48²": ("small-unet", {}, (8, 3, 48, 48), 2),
    "Chapter 4, dyn-unet, 2 × 4 × 40 × 40 × 24": ("dyn-unet", {"filters": (8, 16, 32, 64)}, (2, 4, 40, 40, 24), 1),
}


def _step_rate(workload: str, steps: int, threads: int, channels_last: bool = False, compiled: bool = False,
               seed: int = 0) -> dict:
    """Iterations per second of ``steps`` training steps after a warm-up (and the warm-up's seconds)."""
    torch.set_num_threads(threads)
    name, options, shape, classes = WORKLOADS[workload]
    torch.manual_seed(seed)
    model = network(name, shape[1], classes, **options)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=gen)
    y = (torch.rand(shape[0], 1, *shape[2:], generator=gen) > 0.8).long()
    if channels_last:
        fmt = torch.channels_last if len(shape) == 4 else torch.channels_last_3d
        model, x = model.to(memory_format=fmt), x.contiguous(memory_format=fmt)
    run = torch.compile(model) if compiled else model
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    activation = "softmax" if classes > 1 else "sigmoid"

    def step():
        opt.zero_grad(set_to_none=True)
        loss = dice_loss(run(x), y, "I", 1e-5, activation=activation, to_onehot_y=classes > 1, validate=False)
        loss.backward()
        opt.step()

    t0 = time.perf_counter()
    for _ in range(3):  # warm-up (and, for torch.compile, the compilation)
        step()
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return {"iterations_per_s": steps / (time.perf_counter() - t0), "warm_up_s": warm}


def _worker(args, queue):
    queue.put(_step_rate(*args))


def _concurrent(workload: str, steps: int, processes: int) -> dict:
    """``processes`` one-thread trainings at once: their rates summed, the slowest warm-up."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=((workload, steps, 1), queue)) for _ in range(processes)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    return {"iterations_per_s": sum(r["iterations_per_s"] for r in results),
            "warm_up_s": max(r["warm_up_s"] for r in results)}


def run(steps: int, cores: int, workloads=None, compiled: bool = True, repeats: int = 1) -> pd.DataFrame:
    """The table of every set-up for each of ``workloads`` (default all of :data:`WORKLOADS`);
    ``compiled=False`` leaves out torch.compile (its compilation takes minutes). Each set-up is timed
    ``repeats`` times, the set-ups taking turns (round 1 of all, then round 2, …) so that a slow spell of a
    shared machine falls on all of them; ``iterations_per_s`` is the median, ``slowest`` and ``fastest``
    its range, ``warm_up_s`` the first round's (for torch.compile, the compilation)."""
    if repeats < 1:
        raise ValueError(f"repeats: need ≥ 1, got {repeats}.")
    setups = [("1 process, 1 thread", 1, 1, {}), (f"1 process, {cores} threads", 1, cores, {}),
              (f"{cores} processes, 1 thread each", cores, 1, None),
              ("1 process, 1 thread, channels-last", 1, 1, {"channels_last": True})]
    if compiled:
        setups.append(("1 process, 1 thread, torch.compile", 1, 1, {"compiled": True}))
    timings: dict = {}
    for round_ in range(repeats):
        for workload in workloads or WORKLOADS:
            for label, processes, threads, options in setups:
                try:
                    r = (_concurrent(workload, steps, processes) if options is None else
                         _step_rate(workload, steps, threads, **options))
                    error = ""
                except Exception as err:  # e.g. torch.compile without a C++ compiler: a row that says so
                    r, error = {"iterations_per_s": float("nan"), "warm_up_s": float("nan")}, \
                        f"{type(err).__name__}: {err}"
                timings.setdefault((workload, label, processes, threads), []).append((r, error))
                print(f"round {round_ + 1}/{repeats} {workload} | {label}: {r['iterations_per_s']:.2f} it/s {error}",
                      flush=True)
    rows = []
    for (workload, label, processes, threads), runs in timings.items():
        rates = pd.Series([r["iterations_per_s"] for r, _ in runs])
        rows.append({"workload": workload, "set-up": label, "processes": processes, "threads each": threads,
                     "iterations_per_s": rates.median(), "slowest": rates.min(), "fastest": rates.max(),
                     "repeats": len(runs), "warm_up_s": runs[0][0]["warm_up_s"],
                     "error": next((e for _, e in runs if e), "")[:200]})
    table = pd.DataFrame(rows)
    plain = table[table["set-up"] == "1 process, 1 thread"].set_index("workload")["iterations_per_s"]
    table["vs 1 process, 1 thread"] = table["iterations_per_s"] / table["workload"].map(plain)
    return table


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=60, help="timed training steps per set-up and round (default 60)")
    ap.add_argument("--repeats", type=int, default=3, help="rounds of every set-up, taking turns (default 3)")
    ap.add_argument("--out", help="CSV path (default benchmarks/results/training_setups_cpu.csv)")
    args = ap.parse_args(argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    t0 = time.perf_counter()
    table = run(args.steps, cores, repeats=args.repeats)
    out = Path(args.out or "benchmarks/results/training_setups_cpu.csv")
    write_table(table, out)
    write_provenance(out.with_suffix(".provenance.json"),
                     provenance("cpu", time.perf_counter() - t0, torch.device("cpu"),
                                benchmark="training set-ups", steps=args.steps, repeats=args.repeats,
                                cores=cores))
    print(table.drop(columns="error").to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
