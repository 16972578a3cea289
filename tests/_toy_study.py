"""A tiny study for the framework's tests: each cell sums the integers up to ``n`` in ``steps`` steps, with a
checkpoint after each step, so that a run cut inside a cell can be seen to resume there."""

import json
import os
import time
from dataclasses import dataclass

import pandas as pd

from dicecore.experiments.study import Cell, Study

#: Set to a cell key to cut the run (KeyboardInterrupt) inside that cell, after its first step.
CUT_ENV = "DICECORE_TOY_CUT"
#: Set to a cell key to make that cell hang (sleep for minutes) after its first step.
HANG_ENV = "DICECORE_TOY_HANG"


@dataclass(frozen=True)
class ToyCell(Cell):
    n: int
    fold: int
    steps: int = 4


def cells(profile, seed=0, device="cpu", amp=False):
    return [ToyCell(n=n, fold=f, profile=profile, seed=seed, device=device, amp=amp) for n in (3, 5) for f in (0, 1)]


def run_cell(cell, paths):
    state = {"step": 0, "total": 0, "resumed_from": 0}
    if paths.checkpoint.is_file():
        state = json.loads(paths.checkpoint.read_text())
        state["resumed_from"] = state["step"]
    while state["step"] < cell.steps:
        state["total"] += sum(range(cell.n + 1)) / cell.steps
        state["step"] += 1
        paths.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        paths.checkpoint.write_text(json.dumps(state))
        if os.environ.get(CUT_ENV) == cell.key and state["step"] == 1 and not state["resumed_from"]:
            if os.environ.get(HANG_ENV):  # stop only once the hanging cell is training (its checkpoint is there)
                deadline = time.time() + 120
                while len(list(paths.checkpoint.parent.iterdir())) < 2 and time.time() < deadline:
                    time.sleep(0.1)
            raise KeyboardInterrupt
        if os.environ.get(HANG_ENV) == cell.key:
            time.sleep(300)
    return pd.DataFrame([{"n": cell.n, "fold": cell.fold, "seed": cell.seed, "total": state["total"],
                          "resumed_from": state["resumed_from"]}])


STUDY = Study("99_toy", "_toy_study", cells, run_cell)
