"""Benchmark: dicecore's soft Dice against MONAI's ``DiceLoss``, forward + backward, time and peak memory.

Each implementation runs in its own fresh process (spawned), so that its memory reading is its own.
Memory is what one forward + backward allocates beyond its inputs and their gradient buffer: on CUDA
the peak (``max_memory_allocated``); on the CPU, where torch keeps no allocator statistics, the total
bytes allocated during the call as recorded by the torch profiler (deterministic; the peak is at most
this). Times are the median (and minimum) over ``repeats`` calls after two warm-up calls; on a shared or
virtual machine the median moves by tens of percent from run to run, so compare rows of one run.
``dicecore bench`` writes the table as CSV (atomically) with a provenance JSON beside it.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from pathlib import Path
from typing import Optional, Sequence

import pandas as pd
import torch
from tqdm import tqdm  # text bars: tqdm.auto needs ipywidgets in a notebook, and warns without them

from dicecore.results import provenance, write_provenance, write_table

__all__ = ["IMPLEMENTATIONS", "run_benchmark", "time_one", "time_losses"]

EPS = 1e-5  # MONAI's default smoothing, so that both compute the same number


def _make_loss(name: str):
    if name == "monai.DiceLoss":
        from monai.losses import DiceLoss as MonaiDiceLoss

        return MonaiDiceLoss(smooth_nr=EPS, smooth_dr=EPS)
    from dicecore.losses import dice_loss

    validate = name == "dicecore.dice_loss"
    return lambda p, y: dice_loss(p, y, "I", EPS, validate=validate)


#: name → what is timed. ``dicecore.dice_loss`` includes its input checks (NaN/Inf, ranges, 0/0).
IMPLEMENTATIONS = ("dicecore.dice_loss", "dicecore.dice_loss(validate=False)", "monai.DiceLoss")


def _inputs(shape: Sequence[int], device: torch.device, seed: int = 0):
    g = torch.Generator(device="cpu").manual_seed(seed)
    probs = torch.rand(*shape, generator=g).to(device)
    probs /= probs.sum(dim=1, keepdim=True)
    labels = torch.randint(0, shape[1], (shape[0], 1, *shape[2:]), generator=g).to(device)
    target = torch.zeros(*shape, device=device).scatter_(1, labels, 1.0)
    return probs.requires_grad_(True), target


def _allocated_bytes_cpu(loss_fn, probs, target) -> int:
    """Bytes allocated by one forward + backward on the CPU, from the torch profiler's memory records."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        loss_fn(probs, target).backward()
    return sum(max(0, e.self_cpu_memory_usage) for e in prof.key_averages())


def time_one(name: str, shape: Sequence[int], device: str = "cpu", repeats: int = 10) -> dict:
    """Time forward+backward of one implementation in this process; return one benchmark row."""
    dev = torch.device(device)
    loss_fn = _make_loss(name)
    probs, target = _inputs(shape, dev)
    probs.grad = torch.zeros_like(probs)  # the gradient buffer is counted in the inputs, not the call
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
        base = torch.cuda.memory_allocated(dev)
    times = []
    value = None
    for k in range(repeats + 2):
        sync()
        t0 = time.perf_counter()
        loss = loss_fn(probs, target)
        loss.backward()
        sync()
        if k >= 2:
            times.append(time.perf_counter() - t0)
        value = float(loss.detach())
    if dev.type == "cuda":
        extra = torch.cuda.max_memory_allocated(dev) - base
    else:
        extra = _allocated_bytes_cpu(loss_fn, probs, target)
    return {
        "implementation": name,
        "shape": "x".join(map(str, shape)),
        "device": device,
        "median_ms": 1e3 * statistics.median(times),
        "min_ms": 1e3 * min(times),
        "extra_memory_MiB": max(extra, 0) / 2**20,
        "memory_measure": "peak allocated (CUDA)" if dev.type == "cuda" else "allocated in the call (profiler)",
        "input_MiB": probs.numel() * probs.element_size() / 2**20,
        "loss": value,
        "repeats": repeats,
        "threads": torch.get_num_threads(),
    }


def _worker(args, queue):
    queue.put(time_one(*args))


def run_benchmark(
    shape: Sequence[int] = (2, 4, 96, 96, 96),
    device: str = "cpu",
    repeats: int = 10,
    out: Optional[str] = "benchmarks/results/dice_cpu.csv",
    implementations: Sequence[str] = IMPLEMENTATIONS,
    rounds: int = 3,
    progress: bool = True,
) -> pd.DataFrame:
    """Run every implementation in its own process, side by side, and return (and write) the table.

    Each implementation runs ``rounds`` times, interleaved with the others, each time in a fresh process;
    ``median_ms`` is the median of the per-process medians and ``min_ms`` the overall minimum.
    """
    if rounds < 1 or repeats < 1:
        raise ValueError(f"rounds, repeats: need at least 1 each, got rounds={rounds}, repeats={repeats}.")
    if len(shape) < 3:
        raise ValueError(f"shape: expected B,C,*spatial with at least one spatial dim, got {tuple(shape)}.")
    unknown = set(implementations) - set(IMPLEMENTATIONS)
    if unknown:
        raise ValueError(f"implementations: unknown {sorted(unknown)}; choose from {IMPLEMENTATIONS}.")
    t0 = time.perf_counter()
    ctx = mp.get_context("spawn")
    runs: dict[str, list[dict]] = {name: [] for name in implementations}
    for _ in tqdm(range(rounds), desc="benchmark rounds", disable=not progress):
        for name in implementations:  # interleaved, so that slow phases of the machine hit every row
            queue = ctx.Queue()
            proc = ctx.Process(target=_worker, args=((name, tuple(shape), device, repeats), queue))
            proc.start()
            runs[name].append(queue.get())
            proc.join()
    rows = []
    for rs in runs.values():
        row = dict(rs[0])
        row["median_ms"] = statistics.median(r["median_ms"] for r in rs)
        row["min_ms"] = min(r["min_ms"] for r in rs)
        row["rounds"] = rounds
        rows.append(row)
    df = pd.DataFrame(rows)
    ref = df.loc[df.implementation == "monai.DiceLoss", "median_ms"]
    if len(ref):
        df["time_vs_monai"] = df["median_ms"] / float(ref.iloc[0])
    df = df.round({"median_ms": 3, "min_ms": 3, "time_vs_monai": 3, "extra_memory_MiB": 3, "input_MiB": 3})
    first = ["implementation", "median_ms", "time_vs_monai", "extra_memory_MiB", "min_ms", "shape", "device"]
    df = df[[c for c in first if c in df] + [c for c in df if c not in first]]
    if out:
        write_table(df, out)
        write_provenance(Path(out).with_suffix(".provenance.json"),
                         provenance("bench", time.perf_counter() - t0, torch.device(device), shape=list(shape)))
    return df


def time_losses(losses: dict, input: torch.Tensor, target: torch.Tensor, repeats: int = 12, warmup: int = 2,
                **kwargs) -> pd.DataFrame:
    """Median forward + backward time of each ``loss(input, target, **kwargs)`` in this process, the calls
    interleaved so that a busy moment hits every loss alike; ``× first`` is relative to the first loss."""
    runs = {name: [] for name in losses}
    for repeat in range(warmup + repeats):
        for name, fn in losses.items():
            x = input.detach().clone().requires_grad_(True)
            start = time.perf_counter()
            fn(x, target, **kwargs).backward()
            if repeat >= warmup:  # the first calls warm up allocators and caches
                runs[name].append(time.perf_counter() - start)
    table = pd.DataFrame([{"loss": name, "median ms": 1000 * statistics.median(r)} for name, r in runs.items()])
    table["× first"] = table["median ms"] / table["median ms"].iloc[0]
    return table
