"""Benchmark: the Dice-family losses side by side — dicecore (autograd reference and the fast path), MONAI
``DiceLoss`` and ``GeneralizedDiceLoss``, and a memory-efficient soft Dice in the style of nnU-Net — forward
+ backward time, distance from the memory roofline and extra memory, at several shapes in one run.

The task timed is one training step's loss: float32 probabilities ``(B, C, *spatial)`` that require grad and
an integer label map ``(B, 1, *spatial)``; each implementation takes the label map the way it can (MONAI
and the nnU-Net-style loss build a one-hot tensor; dicecore's fast path reads the labels directly).

* **time**: the median over ``repeats`` calls after warm-up calls (CUDA events on a GPU), and over
  ``rounds`` fresh processes, the implementations interleaved so that a slow phase of the machine hits all.
* **roofline**: the least memory traffic of the call as Issue 7 defines it — read the prediction and a
  float32 one-hot target forward, read the target and write the gradient backward, 4 × the prediction's
  bytes — divided by the copy bandwidth measured in the same process (``dst.copy_(src)``, read + write).
  ``x_roofline`` = time / roofline time (1 is the limit; the target on the H100 is ≤ 3).
* **extra memory**: what the call allocates beyond its inputs and the gradient it returns: on CUDA the peak
  (``max_memory_allocated``), on the CPU the bytes allocated during the call by the torch profiler
  (deterministic; the peak is at most this).

``dicecore bench`` writes the table as CSV (atomically) with a provenance JSON and a PNG plot beside it.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import pandas as pd
import torch
from tqdm import tqdm  # text bars: tqdm.auto needs ipywidgets in a notebook, and warns without them

from dicecore.results import provenance, write_provenance, write_table

__all__ = [
    "IMPLEMENTATIONS", "GPU_SHAPES", "CPU_SHAPES", "nnunet_style_soft_dice", "copy_bandwidth", "time_one",
    "run_benchmark", "time_losses", "fast_path_equality", "read_results", "performance_targets",
    "results_provenance", "compact_table", "short_shape", "BENCHMARK_RESULTS", "gpu_pending", "runner_benchmarks",
    "training_setups_reading", "time_interleaved", "training_step_times", "MODULATION_COST_LOSSES",
    "modulation_cost_summary", "results_provenance_line",
]

EPS = 1e-5  # MONAI's default smoothing, so that every implementation computes the same number

#: The shapes of Issue 7 (H100) and the same at half the spatial size for the CPU.
GPU_SHAPES = ((2, 4, 128, 128, 128), (8, 1, 80, 80, 48), (2, 4, 192, 192, 48), (16, 4, 256, 256))
#: The CPU shapes — Issue 7's at half the spatial size.
CPU_SHAPES = ((2, 4, 64, 64, 64), (8, 1, 40, 40, 24), (2, 4, 96, 96, 24), (16, 4, 128, 128))


def nnunet_style_soft_dice(probs: torch.Tensor, labels: torch.Tensor, smooth: float = EPS) -> torch.Tensor:
    """Soft Dice written for the benchmark in the style of nnU-Net's ``MemoryEfficientSoftDiceLoss``.

    The one-hot target is built under ``no_grad`` as a bool tensor (1 byte per element) and its volume summed
    there, so autograd keeps only the product's graph; image-wise Dice, mean over (b, c); ``1 − mean`` so that
    the value equals the other implementations' (nnU-Net returns ``−mean``).
    """
    axes = tuple(range(2, probs.ndim))
    with torch.no_grad():
        if probs.shape[1] == 1:
            onehot = labels.to(torch.bool)
        else:
            onehot = torch.zeros(probs.shape, device=probs.device, dtype=torch.bool)
            onehot.scatter_(1, labels.long(), 1)
        volume = onehot.sum(axes)
    intersection = (probs * onehot).sum(axes)
    prediction = probs.sum(axes)
    dice = (2 * intersection + smooth) / torch.clip(volume + prediction + smooth, 1e-8)
    return 1 - dice.mean()


def _builders() -> dict[str, tuple[str, Callable]]:
    """name → (family, loss(probs, labels)). Families share a MONAI counterpart for ``time_vs_monai``."""
    from monai.losses import DiceLoss as MonaiDiceLoss
    from monai.losses import GeneralizedDiceLoss as MonaiGDL

    from dicecore.losses import dice_loss, generalized_dice_loss, pm_dice_loss

    def monai_dice(p, y):
        return MonaiDiceLoss(to_onehot_y=p.shape[1] > 1, smooth_nr=EPS, smooth_dr=EPS)(p, y)

    def monai_gdl(p, y):
        return MonaiGDL(to_onehot_y=p.shape[1] > 1)(p, y)

    def ours(loss, *args, **kw):  # a label map (B, 1, *spatial); a single channel takes it as a binary mask
        return lambda p, y: loss(p, y if p.shape[1] > 1 else y.to(p.dtype), *args, to_onehot_y=p.shape[1] > 1, **kw)

    return {
        "dicecore reference (autograd)": (
            "soft Dice", ours(dice_loss, "I", EPS, validate=False, closed_form_backward=False)),
        "dicecore fast": ("soft Dice", ours(dice_loss, "I", EPS, validate=False)),
        "dicecore fast, validated": ("soft Dice", ours(dice_loss, "I", EPS)),
        "nnU-Net-style": ("soft Dice", nnunet_style_soft_dice),
        "monai.DiceLoss": ("soft Dice", monai_dice),
        "dicecore GDL fast": ("Generalised Dice", ours(generalized_dice_loss, "CI", validate=False)),
        "monai.GeneralizedDiceLoss": ("Generalised Dice", monai_gdl),
        "dicecore PM Dice fast": ("PM Dice", ours(pm_dice_loss, 2.0, validate=False)),
    }


#: Every implementation ``run_benchmark`` can time (PM Dice needs C ≥ 2 and is skipped at C = 1).
IMPLEMENTATIONS = (
    "dicecore reference (autograd)", "dicecore fast", "dicecore fast, validated", "nnU-Net-style",
    "monai.DiceLoss", "dicecore GDL fast", "monai.GeneralizedDiceLoss", "dicecore PM Dice fast",
)
MONAI_OF_FAMILY = {"soft Dice": "monai.DiceLoss", "Generalised Dice": "monai.GeneralizedDiceLoss"}


def _inputs(shape: Sequence[int], device: torch.device, seed: int = 0):
    g = torch.Generator(device="cpu").manual_seed(seed)
    probs = torch.softmax(torch.randn(*shape, generator=g), 1) if shape[1] > 1 else torch.rand(*shape, generator=g)
    labels = torch.randint(0, max(shape[1], 2), (shape[0], 1, *shape[2:]), generator=g)
    return probs.to(device).requires_grad_(True), labels.to(device)


def copy_bandwidth(device: torch.device, mib: int = 256, repeats: int = 10) -> float:
    """Bytes per second of ``dst.copy_(src)`` (read + write), the median over ``repeats`` copies."""
    src = torch.empty(mib * 2**20 // 4, dtype=torch.float32, device=device).uniform_()
    dst = torch.empty_like(src)
    times = [_timed(lambda: dst.copy_(src), device) for _ in range(repeats + 2)][2:]
    return 2 * src.numel() * 4 / statistics.median(times)


def _timed(fn: Callable, device: torch.device) -> float:
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


@contextlib.contextmanager
def _stderr_silenced():
    """The torch profiler prints a start/stop line per use to file descriptor 2 (C++): keep the table readable."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _extra_bytes(loss_fn, probs, labels, device) -> int:
    """Bytes allocated by one forward + backward beyond the inputs and the returned gradient."""
    probs.grad = None
    grad_bytes = probs.numel() * probs.element_size()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        loss_fn(probs, labels).backward()
        torch.cuda.synchronize(device)
        used = torch.cuda.max_memory_allocated(device) - base
    else:
        from torch.profiler import ProfilerActivity, profile

        with _stderr_silenced(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            loss_fn(probs, labels).backward()
        used = sum(max(0, e.self_cpu_memory_usage) for e in prof.key_averages())
    probs.grad = None
    return max(used - grad_bytes, 0)


def time_one(names: Sequence[str], shape: Sequence[int], device: str = "cpu", repeats: int = 10,
             warmup: int = 3) -> list[dict]:
    """Time forward + backward of each implementation at one shape in this process, calls interleaved."""
    dev = torch.device(device)
    builders = _builders()
    names = [n for n in names if not (n == "dicecore PM Dice fast" and shape[1] < 2)]
    probs, labels = _inputs(shape, dev)
    bandwidth = copy_bandwidth(dev, mib=256 if dev.type == "cuda" else 64)
    roofline_s = 4 * probs.numel() * 4 / bandwidth
    times = {n: [] for n in names}
    values = {}

    for k in range(warmup + repeats):
        for name in names:
            fn = builders[name][1]

            def step():
                probs.grad = None
                loss = fn(probs, labels)
                loss.backward()
                values[name] = loss

            t = _timed(step, dev)
            if k >= warmup:
                times[name].append(t)
    rows = []
    for name in names:
        median = statistics.median(times[name])
        rows.append({
            "implementation": name, "family": builders[name][0], "shape": "x".join(map(str, shape)),
            "device": device, "median_ms": 1e3 * median, "min_ms": 1e3 * min(times[name]),
            "roofline_ms": 1e3 * roofline_s, "x_roofline": median / roofline_s,
            "extra_memory_MiB": _extra_bytes(builders[name][1], probs, labels, dev) / 2**20,
            "input_MiB": probs.numel() * probs.element_size() / 2**20,
            "copy_GBps": bandwidth / 1e9, "loss": float(values[name].detach()), "repeats": repeats,
            "threads": torch.get_num_threads(),
        })
    return rows


def _worker(args, queue):
    try:
        queue.put(time_one(*args))
    except BaseException as err:  # report, so that the parent does not wait forever
        queue.put(err)


def run_benchmark(
    shapes: Sequence[Sequence[int]] = CPU_SHAPES,
    device: str = "cpu",
    repeats: int = 10,
    out: Optional[str] = "default",
    implementations: Sequence[str] = IMPLEMENTATIONS,
    rounds: int = 3,
    progress: bool = True,
    plot: bool = True,
) -> pd.DataFrame:
    """Every implementation at every shape, side by side; return (and write) the table.

    Each (shape, round) runs in a fresh spawned process that times all implementations interleaved;
    ``median_ms`` is the median of the per-process medians and ``min_ms`` the overall minimum. With ``out``,
    writes the CSV, ``<out>.provenance.json`` and (``plot``) ``<out>.png``; ``"default"`` is
    ``dice_cpu.csv`` in :func:`dicecore.paths.benchmarks_dir`, ``None`` writes nothing.
    """
    if out == "default":
        from dicecore.paths import benchmarks_dir

        out = str(benchmarks_dir() / "dice_cpu.csv")
    if rounds < 1 or repeats < 1:
        raise ValueError(f"rounds, repeats: need at least 1 each, got rounds={rounds}, repeats={repeats}.")
    shapes = [tuple(int(v) for v in s) for s in shapes]
    for shape in shapes:
        if len(shape) < 3 or min(shape) < 1:
            raise ValueError(f"shapes: expected B,C,*spatial with at least one spatial dim, all ≥ 1, got {shape}.")
    unknown = set(implementations) - set(IMPLEMENTATIONS)
    if unknown:
        raise ValueError(f"implementations: unknown {sorted(unknown)}; choose from {IMPLEMENTATIONS}.")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device: {device!r} asked for, but torch sees no CUDA device; use --device cpu.")
    t0 = time.perf_counter()
    ctx = mp.get_context("spawn")
    runs: list[list[dict]] = []
    jobs = [(shape, r) for r in range(rounds) for shape in shapes]
    for shape, _ in tqdm(jobs, desc="benchmark (shape, round)", disable=not progress):
        queue = ctx.Queue()
        proc = ctx.Process(target=_worker, args=((tuple(implementations), shape, device, repeats), queue))
        proc.start()
        result = queue.get()
        proc.join()
        if isinstance(result, BaseException):
            raise RuntimeError(f"benchmark at shape {shape} failed in its worker process: {result!r}") from result
        runs.append(result)
    df = _summarise(runs, rounds)
    if out:
        write_table(df, out)
        from dicecore.losses.sums import resolve_backend, triton_available

        backend = resolve_backend("auto", torch.empty(0, device=device))
        triton_version = None
        if triton_available():
            import triton

            triton_version = triton.__version__
        write_provenance(Path(out).with_suffix(".provenance.json"), provenance(
            "bench", time.perf_counter() - t0, torch.device(device), shapes=[list(s) for s in shapes],
            repeats=repeats, rounds=rounds, fast_path_backend=backend, triton=triton_version))
        if plot:
            from dicecore.plotting import plot_benchmark

            plot_benchmark(df, Path(out).with_suffix(".png"))
    return df


def _summarise(runs: list[list[dict]], rounds: int) -> pd.DataFrame:
    rows: dict[tuple, list[dict]] = {}
    for run in runs:
        for r in run:
            rows.setdefault((r["shape"], r["implementation"]), []).append(r)
    table = []
    for rs in rows.values():
        row = dict(rs[0])
        row["median_ms"] = statistics.median(r["median_ms"] for r in rs)
        row["min_ms"] = min(r["min_ms"] for r in rs)
        row["roofline_ms"] = statistics.median(r["roofline_ms"] for r in rs)
        row["copy_GBps"] = statistics.median(r["copy_GBps"] for r in rs)
        row["x_roofline"] = row["median_ms"] / row["roofline_ms"]
        row["rounds"] = rounds
        table.append(row)
    df = pd.DataFrame(table)
    monai = df[df.implementation.isin(MONAI_OF_FAMILY.values())].set_index(["shape", "family"])["median_ms"]
    df["time_vs_monai"] = [
        row.median_ms / monai.get((row.shape, row.family), float("nan")) for row in df.itertuples()
    ]
    df = df.round({"median_ms": 3, "min_ms": 3, "roofline_ms": 6, "x_roofline": 2, "time_vs_monai": 3,
                   "extra_memory_MiB": 2, "input_MiB": 2, "copy_GBps": 1})
    first = ["shape", "implementation", "family", "median_ms", "x_roofline", "time_vs_monai", "extra_memory_MiB",
             "min_ms", "roofline_ms", "device"]
    return df[first + [c for c in df if c not in first]]


def time_interleaved(calls: dict[str, Callable[[], object]], repeats: int = 12, warmup: int = 2) -> pd.DataFrame:
    """Median wall time (ms) of each ``call()`` in this process, the calls taking turns (one of each, then the
    next round) so that a busy moment of the machine hits every call alike; ``× first`` is relative to the
    first call. The first ``warmup`` rounds (allocators, caches) are not timed."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats, warmup: need repeats ≥ 1 and warmup ≥ 0, got {repeats} and {warmup}.")
    if not calls:
        raise ValueError("calls: give at least one name → callable.")
    runs: dict[str, list[float]] = {name: [] for name in calls}
    for repeat in range(warmup + repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            if repeat >= warmup:
                runs[name].append(time.perf_counter() - start)
    table = pd.DataFrame([{"loss": name, "median ms": 1000 * statistics.median(r)} for name, r in runs.items()])
    table["× first"] = table["median ms"] / table["median ms"].iloc[0]
    return table


def time_losses(losses: dict, input: torch.Tensor, target: torch.Tensor, repeats: int = 12, warmup: int = 2,
                **kwargs) -> pd.DataFrame:
    """Median forward + backward time of each ``loss(input, target, **kwargs)`` in this process, interleaved
    (:func:`time_interleaved`); ``× first`` is relative to the first loss."""
    def call(fn):
        x = input.detach().clone().requires_grad_(True)

        def run():
            x.grad = None
            fn(x, target, **kwargs).backward()
        return run

    return time_interleaved({name: call(fn) for name, fn in losses.items()}, repeats, warmup)


def training_step_times(losses: dict, model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
                        repeats: int = 12, warmup: int = 2, **kwargs) -> pd.DataFrame:
    """Median time of one training step — forward, ``loss(logits, labels, **kwargs)``, backward, an Adam step —
    of ``model`` with each loss, interleaved (:func:`time_interleaved`); ``× first`` relative to the first loss.
    The model's weights change as the steps run (as in a training); the cost of a step does not depend on them."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def call(fn):
        def run():
            opt.zero_grad(set_to_none=True)
            fn(model(images), labels, **kwargs).backward()
            opt.step()
        return run

    return time_interleaved({name: call(fn) for name, fn in losses.items()}, repeats, warmup)


#: The losses ``benchmarks/modulation_cost.py`` times for Hosseini's claim H05 — the Dice loss of Eq. 4 first
#: (the reference of ``× Dice``), PM Dice, and the two rows of Tables 1–3 that rank the errors, [41] and [42].
MODULATION_COST_LOSSES = ("Dice", "PM Dice", "TopK Dice [42]", "Focal Dice [41]")


def modulation_cost_summary(table: pd.DataFrame) -> pd.DataFrame:
    """``benchmarks/modulation_cost.py``'s rounds summarised per workload and loss: the median of the rounds'
    ``× Dice`` (each round's time over the Dice loss's time in the same round), its slowest and fastest round,
    the median time (ms) and the number of rounds."""
    need = {"round", "workload", "loss", "median ms", "× Dice"}
    if need - set(table.columns):
        raise ValueError(f"table: no column {sorted(need - set(table.columns))[0]!r}; pass the CSV that "
                         "benchmarks/modulation_cost.py writes.")
    groups = table.groupby(["workload", "loss"], sort=False)
    return pd.DataFrame({"median ms": groups["median ms"].median(), "× Dice": groups["× Dice"].median(),
                         "lowest × Dice": groups["× Dice"].min(), "highest × Dice": groups["× Dice"].max(),
                         "rounds": groups.size()}).reset_index()


def fast_path_equality(device: str = "cuda", shapes: Sequence[Sequence[int]] = ((2, 4, 32, 32, 32), (4, 3, 64, 64),
                                                                                 (2, 1, 16, 16, 16)),
                       dtypes: Sequence[torch.dtype] = (torch.float32, torch.bfloat16),
                       backend: str = "auto", seed: int = 0) -> pd.DataFrame:
    """Values and gradients of every Dice-family loss by the fast path (``backend``) against the autograd
    reference in float64 on the same device: one row per (loss, Φ, shape, dtype) with the largest absolute
    differences, the gradient's scale and whether the difference is within float32 / bfloat16 tolerance.

    This is the GPU equality check of Issue 7 (``benchmarks/gpu_check.py`` runs it on the device and records
    it); on the CPU it runs the Triton kernels in the interpreter when ``TRITON_INTERPRET=1``.
    """
    from dicecore.losses import dice_loss, eq4_dice_loss, generalized_dice_loss, pm_dice_loss
    from dicecore.losses.modulated import _class_mean, _volume, modulating_term, weighted_dice_scores

    dev = torch.device(device)
    tolerance = {torch.float32: 1e-4, torch.bfloat16: 3e-2, torch.float16: 3e-3}
    rows = []
    for shape, dtype in [(s, d) for s in shapes for d in dtypes]:
        g = torch.Generator().manual_seed(seed)
        b, c = shape[:2]
        logits = torch.randn(*shape, generator=g)
        labels = torch.randint(0, max(c, 2), (b, *shape[2:]), generator=g)
        probs = (torch.softmax(logits, 1) if c > 1 else torch.sigmoid(logits)).to(dev)
        target = labels.to(dev) if c > 1 else labels.unsqueeze(1).float().to(dev)
        cases = [(f"dice_loss Φ={phi}{' squared' if sq else ''}",
                  lambda x, t, kw, phi=phi, sq=sq: dice_loss(x, t, phi, 1e-5, squared=sq, **kw))
                 for phi in ("I", "CI", "BI", "BCI") for sq in (False, True)]
        if c > 1:
            cases += [
                ("dice_loss Φ=I, no background", lambda x, t, kw: dice_loss(x, t, "I", include_background=False, **kw)),
                ("generalized_dice_loss Φ=CI", lambda x, t, kw: generalized_dice_loss(x, t, "CI", **kw)),
                ("generalized_dice_loss Φ=BCI", lambda x, t, kw: generalized_dice_loss(x, t, "BCI", **kw)),
            ]
            pm_cases = [("pm_dice_loss γ=2", 2.0), ("eq4_dice_loss (γ=0)", None)]
        else:
            pm_cases = []
        for name, fn in cases:
            rows.append(_compare(name, shape, dtype, probs, target,
                                 lambda x, fn=fn: fn(x, target, {"backend": backend}),
                                 lambda x, fn=fn: fn(x, target, {"closed_form_backward": False}), tolerance))
        for name, gamma in pm_cases:
            onehot = torch.zeros_like(probs, dtype=torch.float64).scatter_(1, target.unsqueeze(1).long(), 1)

            def fast(x, gamma=gamma):
                return (pm_dice_loss(x, target, gamma, backend=backend) if gamma is not None
                        else eq4_dice_loss(x, target, backend=backend))

            def reference(x, gamma=gamma):  # Eq. 4/5 through autograd, m detached by modulating_term
                m = None if gamma is None else modulating_term(x, onehot, gamma)
                return _class_mean(1 - weighted_dice_scores(x, onehot, m, 1e-6), _volume(onehot), "present")

            rows.append(_compare(name, shape, dtype, probs, target, fast, reference, tolerance))
    return pd.DataFrame(rows)


def _compare(name, shape, dtype, probs, target, fast, reference, tolerance) -> dict:
    x = probs.detach().to(dtype).clone().requires_grad_(True)
    value = fast(x)
    value.backward()
    r = probs.detach().to(dtype).double().requires_grad_(True)  # the same rounded inputs, float64 arithmetic
    want = reference(r)
    want.backward()
    scale = float(r.grad.abs().max())
    grad_diff = float((x.grad.double() - r.grad).abs().max())
    value_diff = abs(float(value.detach()) - float(want.detach()))
    tol = tolerance[dtype]
    return {"loss": name, "shape": "x".join(map(str, shape)), "dtype": str(dtype).replace("torch.", ""),
            "device": str(probs.device), "value": float(value.detach()), "value_abs_diff": value_diff,
            "grad_max_abs": scale, "grad_max_abs_diff": grad_diff, "grad_rel_diff": grad_diff / max(scale, 1e-30),
            "tolerance": tol, "equal": bool(value_diff <= tol and grad_diff <= tol * max(scale, 1e-12))}


def read_results(name: str, folder: Optional[str] = None) -> Optional[pd.DataFrame]:
    """A committed benchmark table (``dice_cpu``, ``dice_cuda``, ``gpu_equality``), or ``None`` if not run yet.

    ``folder``: default :func:`dicecore.paths.benchmarks_dir`."""
    from dicecore.paths import benchmarks_dir

    path = Path(folder or benchmarks_dir()) / f"{name}.csv"
    if not path.is_file():
        return None
    from dicecore.results import read_table

    return read_table(path)


def performance_targets(cpu: Optional[pd.DataFrame], gpu: Optional[pd.DataFrame],
                        equality: Optional[pd.DataFrame]) -> pd.DataFrame:
    """Issue 7's targets beside what the committed tables measured (``None``: not measured yet)."""

    def ratios(table, name):
        r = table[table.implementation == name].set_index("shape")["time_vs_monai"]
        return ", ".join(f"{v:.2f}" for v in r), int((r <= 1.0).sum()), len(r)

    rows = []
    for device, table in (("CPU", cpu), ("GPU", gpu)):
        for fast, monai in (("dicecore fast", "monai.DiceLoss"), ("dicecore GDL fast", "monai.GeneralizedDiceLoss")):
            target = f"{device}: {fast} {'no slower than' if device == 'CPU' else 'faster than'} {monai} at every shape"
            if table is None:
                rows.append((target, "not measured yet (no GPU in the sessions so far)", "pending"))
                continue
            text, met, n = ratios(table, fast)
            rows.append((target, f"time ÷ MONAI per shape: {text}", "met" if met == n else f"met at {met} of {n}"))
    big = "2x4x128x128x128"
    if gpu is None:
        rows += [(f"GPU: ≤ 3× the memory roofline at {big}", "not measured yet", "pending"),
                 (f"GPU: no extra activation memory at {big}", "not measured yet", "pending")]
    else:
        row = gpu[(gpu.implementation == "dicecore fast") & (gpu["shape"] == big)].iloc[0]
        rows += [(f"GPU: ≤ 3× the memory roofline at {big}", f"{row.x_roofline:.2f}× ({row.median_ms:.3f} ms)",
                  "met" if row.x_roofline <= 3 else "not met"),
                 (f"GPU: no extra activation memory at {big}", f"{row.extra_memory_MiB:.1f} MiB beyond the gradient",
                  "met" if row.extra_memory_MiB < 0.01 * row.input_MiB else "not met")]
    if equality is None:
        rows.append(("GPU: values and gradients equal the reference", "not measured yet", "pending"))
    else:
        worst = equality.groupby("dtype")["grad_rel_diff"].max()
        rows.append(("GPU: values and gradients equal the reference",
                     f"{int(equality.equal.sum())}/{len(equality)} cases within tolerance; worst relative gradient "
                     "difference " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()),
                     "met" if bool(equality.equal.all()) else "not met"))
    return pd.DataFrame(rows, columns=["target (Issue 7)", "measured", "verdict"])


#: Every committed benchmark result the book shows — file, what it measures, where it is shown, the hardware it
#: needs and the command that writes it.
BENCHMARK_RESULTS = (
    ("dice_cpu.csv", "time and memory of every loss at the four CPU shapes", "Performance: CPU results", "CPU",
     "make bench"),
    ("dice_cuda.csv", "time and memory of every loss at Issue 7's four shapes", "Performance: GPU results, targets",
     "GPU", "python benchmarks/gpu_check.py"),
    ("gpu_equality.csv", "the Triton kernels on CUDA against the float64 reference", "Performance: targets", "GPU",
     "python benchmarks/gpu_check.py"),
    ("runner_cpu.csv", "trainings per hour, one or several at once, on the CPU", "Chapter 4, appendix", "CPU",
     "python benchmarks/runner_concurrency.py"),
    ("runner_cuda.csv", "trainings per hour, one or several at once, on one GPU", "Chapter 4, appendix", "GPU",
     "python benchmarks/runner_concurrency.py --device cuda --profile paper --workers 1,2,4,8 --amp"),
    ("training_setups_cpu.csv", "training steps per second: threads, processes, channels-last, torch.compile",
     "Chapter 4, appendix", "CPU", "python benchmarks/training_setups.py"),
    ("modulation_cost_cpu.csv", "PM Dice's cost against Dice and the ranking losses, alone and in a training step",
     "Chapter 5, §5.10", "CPU", "python benchmarks/modulation_cost.py"),
)


def gpu_pending(folder: Optional[str] = None) -> pd.DataFrame:
    """One row per :data:`BENCHMARK_RESULTS` entry: whether it is committed in ``folder`` (default
    :func:`dicecore.paths.benchmarks_dir`, with the date of its provenance record), else "awaits a GPU" or
    "not run yet", and the command that writes it."""
    import json

    from dicecore.paths import benchmarks_dir

    folder = Path(folder or benchmarks_dir())
    rows = []
    for name, what, shown, needs, command in BENCHMARK_RESULTS:
        path = folder / name
        if path.is_file():
            record = path.with_suffix(".provenance.json")
            when = json.loads(record.read_text())["created_utc"][:10] if record.is_file() else "date unknown"
            state = f"committed ({when})"
        else:
            state = "awaits a GPU" if needs == "GPU" else "not run yet"
        rows.append({"result": f"{what} (`{name}`)", "shown in": shown, "state": state, "command": f"`{command}`"})
    return pd.DataFrame(rows)


def runner_benchmarks(folder: Optional[str] = None) -> tuple[pd.DataFrame, list[str]]:
    """The committed runner benchmarks (``runner_<device>.csv`` of ``benchmarks/runner_concurrency.py``) as one
    table — trainings at once, CPU threads per training, wall time, trainings per hour, speed-up over one at
    a time — and one sentence per file saying where and when it ran and what it found. Empty when none is
    committed."""
    import json

    from dicecore.paths import benchmarks_dir

    rows, notes = [], []
    for path in sorted(Path(folder or benchmarks_dir()).glob("runner_*.csv")):
        table = pd.read_csv(path)
        record = path.with_suffix(".provenance.json")
        prov = json.loads(record.read_text()) if record.is_file() else {}
        cores = int(str(prov.get("device_name", "")).split(" cores")[0].rsplit(" ", 1)[-1]) \
            if " cores" in str(prov.get("device_name", "")) else None
        table["threads each"] = [max(1, cores // w) if cores and w else None for w in table["workers"]]
        rows.append(table)
        best = table.loc[table["trainings_per_hour"].idxmax()]
        notes.append(f"`{path.name}`: {prov.get('device_name') or prov.get('device', 'device unknown')}, profile "
                     f"`{best['profile']}`, {int(best['trainings'])} trainings per setting, commit "
                     f"`{str(prov.get('git_commit') or 'unknown')[:7]}`, {str(prov.get('created_utc', ''))[:10]}: "
                     f"best with {int(best['workers'])} at once, {best['trainings_per_hour']:.1f} trainings per hour "
                     f"({best['speed-up']:.2f}× one at a time).")
    if not rows:
        return pd.DataFrame(), notes
    cols = ["device", "profile", "amp", "workers", "threads each", "trainings", "seconds", "trainings_per_hour",
            "speed-up"]
    return pd.concat(rows, ignore_index=True)[cols], notes


def training_setups_reading(table: pd.DataFrame) -> list[str]:
    """What ``benchmarks/training_setups.py``'s table says, one sentence per workload: which way of using the
    whole machine trains more (one process with every thread, or one one-thread process per core) and by how
    much over one process with one thread, and what channels-last and torch.compile do to one training (median
    of the rounds, with the range of the rounds, and compile's warm-up)."""
    need = {"workload", "set-up", "processes", "threads each", "iterations_per_s", "vs 1 process, 1 thread"}
    if need - set(table.columns):
        raise ValueError(f"table: no column {sorted(need - set(table.columns))[0]!r}; pass the CSV that "
                         "benchmarks/training_setups.py writes.")
    out = []
    for workload, g in table.groupby("workload", sort=False):
        whole = g[(g["processes"] > 1) | (g["threads each"] > 1)]
        if whole.empty:
            continue
        best = whole.loc[whole["iterations_per_s"].idxmax()]
        other = whole.drop(best.name)
        text = (f"{workload}: for the whole machine, {best['set-up']} ({best['vs 1 process, 1 thread']:.2f}× one "
                "process with one thread" + "".join(f"; {r['set-up']}: {r['vs 1 process, 1 thread']:.2f}×"
                                                     for _, r in other.iterrows()) + ")")
        per_training = []
        for name in ("channels-last", "torch.compile"):
            row = g[g["set-up"].str.endswith(name)]
            if len(row) and row["iterations_per_s"].notna().all():
                r = row.iloc[0]
                spread = (f", rounds {r['slowest']:.1f}–{r['fastest']:.1f} it/s" if "slowest" in r else "")
                warm = f", {r['warm_up_s']:.0f} s to compile" if name == "torch.compile" else ""
                per_training.append(f"{name} {r['vs 1 process, 1 thread']:.2f}× ({r['iterations_per_s']:.1f} it/s"
                                    f"{spread}{warm})")
        plain = g[g["set-up"] == "1 process, 1 thread"]
        if per_training and len(plain):
            r = plain.iloc[0]
            spread = f", rounds {r['slowest']:.1f}–{r['fastest']:.1f}" if "slowest" in r else ""
            text += (f"; for one training on one thread ({r['iterations_per_s']:.1f} it/s plain{spread}): "
                     + ", ".join(per_training))
        out.append(text + ".")
    return out


def results_provenance_line(name: str, folder: Optional[str] = None) -> str:
    """One plain-text sentence on where and when the committed benchmark ``name`` (e.g. ``"modulation_cost_cpu"``)
    ran — file, machine, date, commit, and the note of its provenance record if it has one — for a chapter
    that quotes it; says so when it is not committed."""
    import json

    from dicecore.paths import benchmarks_dir

    path = Path(folder or benchmarks_dir()) / f"{name}.provenance.json"
    if not (path.with_name(f"{name}.csv")).is_file():
        return f"no committed {name}.csv yet"
    r = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    text = (f"{name}.csv, measured on {r.get('device_name') or r.get('device', 'an unrecorded machine')} on "
            f"{str(r.get('created_utc', 'an unrecorded date'))[:10]} at commit "
            f"{str(r.get('git_commit') or 'unknown')[:7]}")
    return text + (f" ({r['note'].rstrip('.')})" if r.get("note") else "")


def results_provenance(folder: Optional[str] = None) -> str:
    """Markdown list of the committed benchmark files' provenance (device, commit, date, library versions);
    ``folder``: default :func:`dicecore.paths.benchmarks_dir`."""
    import json

    from dicecore.paths import benchmarks_dir

    lines = []
    for path in sorted(Path(folder or benchmarks_dir()).glob("*.provenance.json")):
        r = json.loads(path.read_text(encoding="utf-8"))
        versions = ", ".join(f"{k} {r[k]}" for k in ("torch", "monai", "triton") if r.get(k))
        lines.append(f"- `{path.name}`: {r.get('device_name') or r.get('device')}, {r.get('cpu_threads', '?')} CPU "
                     f"threads, commit `{str(r.get('git_commit') or 'unknown')[:7]}`, "
                     f"{str(r.get('created_utc', ''))[:16].replace('T', ' ')} UTC, {versions}; fast path backend "
                     f"`{r.get('fast_path_backend', 'n/a')}`")
    return "\n".join(lines) if lines else "No benchmark results committed."


def compact_table(table: pd.DataFrame, value: str = "time") -> pd.DataFrame:
    """One row per implementation, one column per shape, in a width a page can show: ``value="time"`` gives
    ``median ms (× MONAI)``, ``"memory"`` the extra MiB of the call."""
    if value not in ("time", "memory"):
        raise ValueError(f"value: 'time' or 'memory', got {value!r}.")

    def cell(row):
        if value == "memory":
            return f"{row.extra_memory_MiB:.3g}"
        return f"{row.median_ms:.3g}" + ("" if pd.isna(row.time_vs_monai) else f" ({row.time_vs_monai:.2f}×)")

    cells = table.assign(cell=table.apply(cell, axis=1))
    out = cells.pivot(index="implementation", columns="shape", values="cell")
    out = out.reindex(index=list(dict.fromkeys(table.implementation)), columns=list(dict.fromkeys(table["shape"])))
    out.columns = [short_shape(c) for c in out.columns]
    return out.fillna("—").reset_index()


def short_shape(shape: str) -> str:
    """``"2x4x64x64x64"`` → ``"2×4×64³"``: equal spatial sizes as a power, so a table's header stays narrow."""
    b, c, *spatial = shape.split("x")
    if len(set(spatial)) == 1 and len(spatial) in (2, 3):
        return f"{b}×{c}×{spatial[0]}{'²' if len(spatial) == 2 else '³'}"
    return "×".join([b, c, *spatial])
