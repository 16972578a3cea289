"""Benchmark Hosseini's claim H05 — "the computational cost of the modulating term is minimal: unlike Focal
Dice [41] and TopK Dice [42] it needs no ranking of the errors" — on this machine's CPU.

Two workloads, each timed for the Dice loss of Eq. 4, PM Dice and the two ranking rows of Tables 1–3
(:data:`dicecore.bench.MODULATION_COST_LOSSES`, built by :func:`dicecore.losses.loss_for_row` as the trainings
build them, softmax on logits):

* **the loss alone**: forward + backward on a batch of the paper's size, 8 × 2 × 256²;
* **a training step**: forward, loss, backward and an Adam step of Chapter 5's ``cpu`` network
  (``small-unet``) on its batch, 8 × 3 × 48².

Each round is a fresh process with one thread (how the book's trainings run, one per core), the losses taking
turns inside it (:func:`dicecore.bench.time_interleaved`); ``× Dice`` divides each loss's median by the Dice
loss's in the same round, so that a slow spell of a shared machine cancels. The chapter reads the rounds with
:func:`dicecore.bench.modulation_cost_summary` and judges H05 with
:func:`dicecore.theory.checks.pm_dice_cost`.

    python benchmarks/modulation_cost.py              # writes benchmarks/results/modulation_cost_cpu.csv
    python benchmarks/modulation_cost.py --rounds 1 --repeats 3 --out /tmp/x.csv   # a quick look
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dicecore.bench import MODULATION_COST_LOSSES, time_losses, training_step_times  # noqa: E402
from dicecore.losses import loss_for_row  # noqa: E402
from dicecore.models import network  # noqa: E402
from dicecore.results import provenance, write_provenance, write_table  # noqa: E402

#: workload → the shape it times.
WORKLOADS = {"loss alone, 8 × 2 × 256²": (8, 2, 256, 256),
             "training step, small-unet, 8 × 3 × 48²": (8, 3, 48, 48)}


def _round(repeats: int, seed: int) -> list[dict]:
    """One round in this process (one thread): every workload, the losses interleaved."""
    torch.set_num_threads(1)
    losses = {name: loss_for_row(name) for name in MODULATION_COST_LOSSES}
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for workload, shape in WORKLOADS.items():
        labels = (torch.rand(shape[0], 1, *shape[2:], generator=gen) > 0.9).long()
        if workload.startswith("loss alone"):
            logits = torch.randn(*shape, generator=gen)
            table = time_losses(losses, logits, labels, repeats=repeats, activation="softmax", to_onehot_y=True)
        else:
            torch.manual_seed(seed)
            model = network("small-unet", shape[1], 2)
            images = torch.randn(*shape, generator=gen)
            table = training_step_times(losses, model, images, labels, repeats=repeats, activation="softmax",
                                        to_onehot_y=True)
        rows += [dict(workload=workload, **r) for r in table.rename(columns={"× first": "× Dice"}).to_dict("records")]
    return rows


def _worker(args, queue):
    queue.put(_round(*args))


def run(rounds: int, repeats: int, seed: int = 0) -> pd.DataFrame:
    """``rounds`` fresh one-thread processes, one after the other; one row per round, workload and loss."""
    if rounds < 1:
        raise ValueError(f"rounds: need ≥ 1, got {rounds}.")
    ctx = mp.get_context("spawn")
    out = []
    for r in range(rounds):
        queue = ctx.Queue()
        proc = ctx.Process(target=_worker, args=((repeats, seed + r), queue))
        proc.start()
        rows = queue.get()
        proc.join()
        for row in rows:
            print(f"round {r + 1}/{rounds} {row['workload']} | {row['loss']}: {row['median ms']:.2f} ms, "
                  f"{row['× Dice']:.2f}× Dice", flush=True)
        out += [dict(round=r + 1, **row) for row in rows]
    return pd.DataFrame(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="fresh processes, one after the other (default 5)")
    ap.add_argument("--repeats", type=int, default=20, help="timed calls of each loss per round (default 20)")
    ap.add_argument("--out", help="CSV path (default benchmarks/results/modulation_cost_cpu.csv)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    table = run(args.rounds, args.repeats)
    out = Path(args.out or "benchmarks/results/modulation_cost_cpu.csv")
    write_table(table, out)
    write_provenance(out.with_suffix(".provenance.json"),
                     provenance("cpu", time.perf_counter() - t0, torch.device("cpu"), benchmark="modulation cost",
                                rounds=args.rounds, repeats=args.repeats, threads=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
