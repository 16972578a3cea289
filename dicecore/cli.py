"""dicecore: re-run the book's chapters, benchmark the losses, compute the paper's ε on your labels, print the
claims ledger.

  dicecore list                              chapters, their parameters and the profiles
  dicecore run 04 -p profile=paper           execute a chapter with papermill
  dicecore study 02 --profile cpu --budget 150m   run or resume a chapter's training grid, piece by piece
  dicecore epsilon DIR --classes 1,2,4 --merge   the heuristic ε of a folder of label maps
  dicecore bench --device cuda               Dice losses vs MONAI and nnU-Net-style: time, memory
  dicecore claims --paper sudre2017 --format csv   every claim of the papers and the book's verdict

Errors print one line with the fix; --debug shows the traceback."""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

__all__ = ["main", "stop_on_terminate"]


def _run(args: argparse.Namespace) -> int:
    from dicecore.book.chapters import parse_assignments, run_chapter

    out = run_chapter(args.chapter, parse_assignments(_assignments(args.parameter or [])), output=args.output,
                      progress=not args.quiet)
    print(f"executed notebook written to {out}")
    return 0


def _assignments(items: list[list[str]]) -> list[str]:
    """``-p NAME=VALUE`` and papermill's ``-p NAME VALUE`` → ``["NAME=VALUE", …]``."""
    out = []
    for item in items:
        if len(item) == 1 and "=" in item[0]:
            out.append(item[0])
        elif len(item) == 2 and "=" not in item[0]:
            out.append(f"{item[0]}={item[1]}")
        else:
            raise ValueError(f"parameters: {' '.join(item)!r} is not of the form name=value or name value "
                             "(papermill's), e.g. -p profile=paper or -p profile paper.")
    return out


def stop_on_terminate() -> None:
    """Make SIGTERM (``kill``, a job scheduler's time limit) stop a run as Ctrl-C does: the runner's clean-up
    then runs — the cells already written stay, and the run is recorded in ``provenance.json`` as stopped."""
    import signal

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


def _study(args: argparse.Namespace) -> int:
    from dicecore.experiments.study import dask_executor, find_study, parse_duration, parse_only, run_study
    from dicecore.book.params import resolve_device

    study = find_study(args.chapter)
    only = parse_only(args.only or [])
    budget = parse_duration(args.budget) if args.budget else None
    device = str(resolve_device(args.device))
    if args.scheduler and args.executor != "dask":
        raise ValueError("--scheduler: a scheduler address needs --executor dask.")
    study.grid(args.profile)  # an unknown profile fails here, before any cluster starts
    executor, close = (None, None)
    stop_on_terminate()
    if args.executor == "dask":
        executor, close = dask_executor(args.workers or 1, args.scheduler)
    try:
        summary = run_study(study, args.profile, only=only, budget_s=budget, device=device, amp=args.amp,
                            seed=args.seed, workers=args.workers, executor=executor, folder=args.results,
                            progress=not args.quiet, note=f"executor {args.executor}", data_root=args.data_root)
    finally:
        if close is not None:
            close()
    print(f"dicecore study {study.chapter} --profile {args.profile}: {summary}")
    return 0


def _parse_shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise ValueError(f"--shape: expected B,C,*spatial as integers such as 2,4,96,96,96, got {text!r}.") from None
    if len(shape) < 3 or min(shape) < 1:
        raise ValueError(f"--shape: need B,C and at least one spatial size, all ≥ 1, got {text!r}.")
    return shape


def _bench(args: argparse.Namespace) -> int:
    from dicecore.bench import CPU_SHAPES, GPU_SHAPES, run_benchmark

    cuda = args.device.startswith("cuda")
    shapes = [_parse_shape(s) for s in args.shape] if args.shape else (GPU_SHAPES if cuda else CPU_SHAPES)
    from dicecore.paths import benchmarks_dir

    out = args.out or str(benchmarks_dir() / f"dice_{'cuda' if cuda else 'cpu'}.csv")
    df = run_benchmark(shapes=shapes, device=args.device, repeats=args.repeats, out=out, rounds=args.rounds,
                       progress=not args.quiet)
    print(df.iloc[:, :7].to_string(index=False))
    print(f"table: {out} (with .provenance.json and .png beside it)")
    return 0


def _epsilon(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm  # text bars: tqdm.auto needs ipywidgets in a notebook, and warns without them

    from dicecore.data.files import find_label_files, iter_foreground, label_values, parse_classes
    from dicecore.theory.epsilon import heuristic_epsilon

    if args.batch_size < 1:
        raise ValueError(f"--batch-size: must be a positive integer, got {args.batch_size}.")
    every_class = args.classes.strip().lower() == "all"
    classes = None if every_class else parse_classes(args.classes)
    files = find_label_files(args.label_dir, args.pattern)
    if every_class:
        classes = label_values(tqdm(files, desc="finding label values", unit="file", disable=args.quiet))
    maps = iter_foreground(tqdm(files, desc="reading label maps", unit="file", disable=args.quiet),
                           classes, merge=args.merge)
    eps = np.atleast_1d(heuristic_epsilon(maps, args.phi, batch_size=args.batch_size))
    names = ["+".join(map(str, classes))] if args.merge or args.phi in ("CI", "BCI") else [str(c) for c in classes]
    print(f"heuristic ε = E Σ_φ y over {len(files)} label maps (Φ = {args.phi}, B = {args.batch_size}):")
    for name, value in zip(names, eps):
        print(f"  label {name}: {value:,.1f} voxels")
    return 0


def _list(args: argparse.Namespace) -> int:
    from dicecore.book.params import PROFILES
    from dicecore.book.chapters import notebook_parameters, notebooks_dir

    chapters = sorted(notebooks_dir().glob("[0-9][0-9]_*.py"))
    if not chapters:
        raise FileNotFoundError(f"chapters: no notebooks in {notebooks_dir()}.")
    for path in chapters:
        params = ", ".join(f"{k}={v!r}" for k, v in notebook_parameters(path).items())
        print(f"{path.stem[:2]}  {path.stem}\n    parameters: {params}")
    print(f"profiles: {', '.join(PROFILES)}    re-run: dicecore run 01 -p profile=paper")
    return 0


def _claims(args: argparse.Namespace) -> int:
    from dicecore.claims import verdict_counts
    from dicecore.experiments.ledger import build

    table = build(args.paper)
    columns = ["id", "paper", "section", "claim", "verdict", "scale", "data", "n", "evidence", "chapter", "where"]
    if args.format == "csv":
        table[columns].to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(table[columns].to_json(orient="records", force_ascii=False, indent=1))
    else:
        with _wide_tables():
            print(table[["id", "verdict", "scale", "n", "claim"]].to_string(index=False, max_colwidth=70))
            print()
            print(verdict_counts(table).to_string())
    return 0


def _evidence(args: argparse.Namespace) -> int:
    from dicecore.experiments.ledger import committed_evidence

    table = committed_evidence()
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    else:
        with _wide_tables():
            print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    return 0


def _wide_tables():
    """A context in which pandas prints a table as wide as it is."""
    import pandas as pd

    return pd.option_context("display.width", 200, "display.max_columns", None)


def build_parser() -> argparse.ArgumentParser:
    from dicecore.experiments.study import PROFILES as STUDY_PROFILES

    parser = argparse.ArgumentParser(prog="dicecore", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show the full traceback on an error")
    sub = parser.add_subparsers(dest="command", required=True)

    listing = sub.add_parser("list", help="the chapters, their parameters and the profiles")
    listing.set_defaults(func=_list)

    run = sub.add_parser(
        "run", help="execute a chapter notebook with papermill",
        description="Execute a chapter with papermill (a progress bar per cell) and print the executed "
                    "notebook's path. Parameters are checked against the chapter's parameters cell before "
                    "anything runs; `dicecore list` shows them.",
        epilog="example: dicecore run 04 -p profile=paper -p device=cuda -p seed 1   (NAME=VALUE or NAME VALUE)")
    run.add_argument("chapter", help="chapter number or name, e.g. 01 or 01_dice_anatomy")
    run.add_argument("-p", "--parameter", action="append", nargs="+", metavar="NAME=VALUE",
                     help="a notebook parameter, e.g. -p profile=paper or, as papermill, -p profile paper "
                          "(repeatable)")
    run.add_argument("-o", "--output", help="executed notebook path (default _build/runs/<chapter>-<profile>.ipynb)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=_run)

    study = sub.add_parser(
        "study", help="run or resume a chapter's training grid, or a part of it, within a time budget",
        description="Run the cells of a chapter's grid that have no result yet, in parallel, writing each as "
                    "it finishes (results/NN_*/per_training/). With --budget no cell is started that would "
                    "not finish in the time left (estimated from the cells already run); the next call goes on.",
        epilog="examples: dicecore study 02 --profile cpu --budget 150m\n"
               "          dicecore study 02 --profile paper --device cuda --budget 8m --workers 4\n"
               "          dicecore study 02 --profile cpu --only model=U-Net --only task=brats_like,isles17_like\n"
               "          dicecore study 02 --profile paper --executor dask --scheduler tcp://head:8786\n"
               "          dicecore study 04 --profile paper --device cuda --amp --data-root /data/dice",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    study.add_argument("chapter", help="chapter number, e.g. 02")
    study.add_argument("--profile", default="cpu", choices=STUDY_PROFILES, help="ci, cpu or paper (default cpu)")
    study.add_argument("--only", action="append", metavar="FIELD=VALUE[,VALUE]",
                       help="run only the cells whose field takes one of these values (repeatable)")
    study.add_argument("--budget", help="wall-clock budget, e.g. 150m, 8m, 2h (default: no limit)")
    study.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 … (default cpu)")
    study.add_argument("--amp", action="store_true", help="mixed precision (CUDA only)")
    study.add_argument("--workers", type=int, default=1,
                       help="cells at once (default 1; 0 runs in this process); each gets CPUs ÷ workers threads")
    study.add_argument("--executor", default="local", choices=("local", "dask"),
                       help="local process pool (default) or Dask distributed")
    study.add_argument("--scheduler", help="address of a running Dask scheduler (with --executor dask); "
                                           "default: a LocalCluster of --workers processes")
    study.add_argument("--seed", type=int, default=0)
    study.add_argument("--data-root", metavar="DIR",
                       help="your copy of the data instead of the phantoms (Chapter 4: DIR holds brats/ and/or "
                            "acdc/); results go to results/NN_*/own_data/")
    study.add_argument("--results", help="results folder (default results/NN_*/ of the checkout, or $DICECORE_RESULTS)")
    study.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    study.set_defaults(func=_study)

    bench = sub.add_parser(
        "bench", help="Dice-family losses side by side (dicecore, MONAI, nnU-Net-style): time, roofline, memory",
        description="Forward + backward of each implementation at each shape, in fresh processes, interleaved; "
                    "writes a CSV, its provenance JSON and a PNG plot.",
        epilog="examples: dicecore bench                       (CPU, the four CPU shapes)\n"
               "          dicecore bench --device cuda         (GPU, Issue 7's four shapes)\n"
               "          dicecore bench --shape 2,4,64,64,64 --shape 16,4,128,128 --rounds 1",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_argument("--shape", action="append", metavar="B,C,...",
                       help="a shape B,C,*spatial (repeatable; default: dicecore.bench.CPU_SHAPES or GPU_SHAPES)")
    bench.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    bench.add_argument("--repeats", type=int, default=20, help="timed calls per process (default 20)")
    bench.add_argument("--rounds", type=int, default=3, help="fresh processes per shape (default 3)")
    bench.add_argument("--out", help="CSV written atomically (default benchmarks/results/dice_<device>.csv)")
    bench.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    bench.set_defaults(func=_bench)
    epsilon = sub.add_parser(
        "epsilon", help="the paper's heuristic ε (expected foreground volume per φ) of a label set",
        description="Tilborghs et al. 2022, §2.3: ε = E Σ_φ y, the expected number of foreground voxels per "
                    "φ, estimated from a folder of label maps (NIfTI or .npy, searched recursively).",
        epilog="examples: dicecore epsilon BraTS2018/training --classes 1,2,4 --merge   (whole tumour)\n"
               "          dicecore epsilon ACDC/training --pattern '*_gt.nii.gz' --classes all --phi BI "
               "--batch-size 2", formatter_class=argparse.RawDescriptionHelpFormatter)
    epsilon.add_argument("label_dir", help="folder searched recursively for label maps (.nii, .nii.gz or .npy)")
    epsilon.add_argument("--pattern", default="*seg.nii.gz", help="file name pattern (default *seg.nii.gz, BraTS)")
    epsilon.add_argument("--classes", default="1",
                         help="label values, comma-separated, or 'all' for every non-zero value found (default 1)")
    epsilon.add_argument("--merge", action="store_true", help="unite the classes into one map (BraTS whole tumour)")
    epsilon.add_argument("--phi", default="I", choices=("I", "CI", "BI", "BCI"))
    epsilon.add_argument("--batch-size", type=int, default=1, help="B, for --phi BI or BCI (default 1)")
    epsilon.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    epsilon.set_defaults(func=_epsilon)
    ledger = sub.add_parser(
        "claims", help="the claims ledger: every claim of the four papers and the book's verdict on it",
        description="Every claim of the four papers with the book's verdict (dicecore.claims), from the exact "
                    "checks and the committed results of each chapter's largest profile; nothing is trained.")
    ledger.add_argument("--paper", choices=("tilborghs2022", "bertels2019", "sudre2017", "hosseini2025"),
                        help="one paper's claims only")
    ledger.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="table (default: id, verdict, scale, n, claim and the counts per verdict), csv or json "
                             "(every column: id, paper, section, claim, verdict, scale, data, n, evidence, chapter, "
                             "where)")
    ledger.set_defaults(func=_claims)
    evidence = sub.add_parser(
        "evidence", help="what each chapter's committed results rest on: cells of each profile's grid, phantoms, hours",
        description="Per chapter with a training study and per profile (cpu, paper): the cells committed on "
                    "today's phantoms out of the grid's, the phantom versions, the cells on superseded phantoms and "
                    "the hours of computing behind them — read from results/, nothing is trained or loaded.")
    evidence.add_argument("--format", choices=("table", "csv"), default="table")
    evidence.set_defaults(func=_evidence)
    return parser


# Errors that dicecore raises on purpose, with a message naming the argument and the fix.
_EXPECTED = (ValueError, TypeError, IndexError, OSError, RuntimeError, ImportError)


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    if not isinstance(err, _EXPECTED):
        text += f" (unexpected {type(err).__name__}; re-run with --debug for the traceback)"
    return text


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; returns the exit status (0 ok, 2 error, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"dicecore {args.command}: interrupted; finished trainings are kept and a re-run resumes.",
              file=sys.stderr)
        return 130
    except Exception as err:
        if args.debug:
            raise
        print(f"dicecore {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
