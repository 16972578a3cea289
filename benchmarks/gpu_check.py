"""Issue 7's GPU record, in one command on a machine with a CUDA GPU:

    python benchmarks/gpu_check.py                  # from the repository root (PYTHONPATH=. if not installed)

1. the equality check: every Dice-family loss by the fast path (Triton) against the autograd reference in
   float64, float32 and bfloat16 inputs, written to ``benchmarks/results/gpu_equality.csv``;
2. the benchmark at Issue 7's four shapes (``dicecore bench --device cuda``), written to
   ``benchmarks/results/dice_cuda.csv`` with its ``.png`` plot;
each with a ``.provenance.json`` (commit, GPU, torch/MONAI/Triton versions, wall time). The book's appendix
"Performance" renders whatever of these is committed. Exits with status 1 if any equality check fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="benchmarks/results", help="folder for the CSV, PNG and JSON files")
    parser.add_argument("--repeats", type=int, default=50, help="timed calls per process (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per shape (default 3)")
    parser.add_argument("--skip-bench", action="store_true", help="only the equality check")
    args = parser.parse_args(argv)

    import torch

    if not torch.cuda.is_available():
        print("gpu_check: torch sees no CUDA device; this script records GPU results only.", file=sys.stderr)
        return 2
    import triton

    from dicecore.bench import GPU_SHAPES, fast_path_equality, run_benchmark
    from dicecore.results import provenance, write_provenance, write_table

    out = Path(args.out)
    t0 = time.perf_counter()
    table = fast_path_equality("cuda", backend="triton")
    write_table(table, out / "gpu_equality.csv")
    write_provenance(out / "gpu_equality.provenance.json",
                     provenance("gpu-equality", time.perf_counter() - t0, torch.device("cuda"),
                                triton=triton.__version__))
    worst = table.groupby("dtype")[["value_abs_diff", "grad_rel_diff"]].max()
    print(f"equality: {int(table.equal.sum())}/{len(table)} within tolerance; worst per dtype:\n{worst}")
    if not args.skip_bench:
        bench = run_benchmark(shapes=GPU_SHAPES, device="cuda", repeats=args.repeats, rounds=args.rounds,
                              out=str(out / "dice_cuda.csv"))
        print(bench.iloc[:, :7].to_string(index=False))
    return 0 if bool(table.equal.all()) else 1


if __name__ == "__main__":
    sys.exit(main())
