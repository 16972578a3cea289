"""Command line: ``dicecore list``, ``dicecore run 01 -p profile=paper``, ``dicecore bench``, ``dicecore epsilon DIR``."""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

__all__ = ["main"]


def _run(args: argparse.Namespace) -> int:
    from dicecore.runner import parse_assignments, run_chapter

    out = run_chapter(args.chapter, parse_assignments(args.parameter or []), output=args.output)
    print(f"executed notebook written to {out}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from dicecore.bench import run_benchmark

    shape = tuple(int(s) for s in args.shape.split(","))
    df = run_benchmark(shape=shape, device=args.device, repeats=args.repeats, out=args.out, rounds=args.rounds)
    print(df.to_string(index=False))
    return 0


def _epsilon(args: argparse.Namespace) -> int:
    import numpy as np

    from dicecore.data.files import find_label_files, iter_foreground, parse_classes
    from dicecore.theory.epsilon import heuristic_epsilon

    classes = parse_classes(args.classes)
    files = find_label_files(args.label_dir, args.pattern)
    maps = list(iter_foreground(files, classes, merge=args.merge))
    eps = np.atleast_1d(heuristic_epsilon(maps, args.phi, batch_size=args.batch_size))
    names = ["+".join(map(str, classes))] if args.merge or args.phi in ("CI", "BCI") else [str(c) for c in classes]
    print(f"heuristic ε = E Σ_φ y over {len(files)} label maps (Φ = {args.phi}, B = {args.batch_size}):")
    for name, value in zip(names, eps):
        print(f"  label {name}: {value:,.1f} voxels")
    return 0


def _list(args: argparse.Namespace) -> int:
    from dicecore.params import PROFILES
    from dicecore.runner import notebook_parameters, notebooks_dir

    chapters = sorted(notebooks_dir().glob("[0-9][0-9]_*.py"))
    if not chapters:
        raise FileNotFoundError(f"chapters: no notebooks in {notebooks_dir()}.")
    for path in chapters:
        params = ", ".join(f"{k}={v!r}" for k, v in notebook_parameters(path).items())
        print(f"{path.stem[:2]}  {path.stem}\n    parameters: {params}")
    print(f"profiles: {', '.join(PROFILES)}    re-run: dicecore run 01 -p profile=paper")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dicecore", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show the full traceback on an error")
    sub = parser.add_subparsers(dest="command", required=True)

    listing = sub.add_parser("list", help="the chapters, their parameters and the profiles")
    listing.set_defaults(func=_list)

    run = sub.add_parser("run", help="execute a chapter notebook with papermill")
    run.add_argument("chapter", help="chapter number or name, e.g. 01 or 01_dice_anatomy")
    run.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE",
                     help="a notebook parameter, e.g. -p profile=paper -p device=cuda (repeatable)")
    run.add_argument("-o", "--output", help="executed notebook path (default _build/runs/<chapter>-<profile>.ipynb)")
    run.set_defaults(func=_run)

    bench = sub.add_parser("bench", help="dicecore vs MONAI DiceLoss: forward+backward time and peak memory")
    bench.add_argument("--shape", default="2,4,96,96,96", help="B,C,*spatial (default 2,4,96,96,96)")
    bench.add_argument("--device", default="cpu")
    bench.add_argument("--repeats", type=int, default=20, help="timed calls per process (default 20)")
    bench.add_argument("--rounds", type=int, default=3, help="fresh processes per implementation, interleaved")
    bench.add_argument("--out", default="benchmarks/results/dice_cpu.csv", help="CSV written atomically")
    bench.set_defaults(func=_bench)
    epsilon = sub.add_parser("epsilon", help="the paper's heuristic ε (expected foreground volume per φ) of a label set")
    epsilon.add_argument("label_dir", help="folder searched recursively for label maps (.nii, .nii.gz or .npy)")
    epsilon.add_argument("--pattern", default="*seg.nii.gz", help="file name pattern (default *seg.nii.gz, BraTS)")
    epsilon.add_argument("--classes", default="1", help="label values, comma-separated (default 1)")
    epsilon.add_argument("--merge", action="store_true", help="unite the classes into one map (BraTS whole tumour)")
    epsilon.add_argument("--phi", default="I", choices=("I", "CI", "BI", "BCI"))
    epsilon.add_argument("--batch-size", type=int, default=1)
    epsilon.set_defaults(func=_epsilon)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, TypeError, IndexError) as err:
        if args.debug:
            raise
        print(f"dicecore {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
