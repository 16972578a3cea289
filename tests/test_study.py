"""dicecore.experiments.study: derived keys, selection, the result store, budgeted and resumable runs, executors."""

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import _toy_study as toy
from dicecore.experiments.study import (
    PROFILES, Cell, CorruptResultWarning, ResultStore, Study, cell_key, estimate_seconds, find_study, learning_curve,
    longer, parse_duration, parse_only, run_study, select_cells,
)


# --- keys ------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Cell(Cell):
    config: str
    lr: float
    fold: int
    data_root: str = dataclasses.field(default=None, metadata={"key": "hash"})


def test_key_is_derived_from_every_field_but_where_it_runs():
    a = _Cell(config="Iε", lr=1e-3, fold=2, profile="cpu", seed=1, device="cuda", amp=True)
    assert cell_key(a) == a.key == "config-Ieps__lr-0.001__fold-2__profile-cpu__seed-1"
    assert _Cell(config="Iε", lr=1e-3, fold=2, profile="cpu", seed=1).key == a.key  # device, amp: not in the key
    assert len({_Cell(config="I", lr=1e-3, fold=f, profile=p, seed=s).key
                for f in (0, 1) for p in PROFILES for s in (0, 1)}) == 12
    mine = _Cell(config="I", lr=1e-3, fold=0, profile="paper", data_root="/data/brats")
    assert mine.key.startswith("config-I__lr-0.001__fold-0__data_root-") and len(mine.key.split("__")) == 6
    assert mine.key != _Cell(config="I", lr=1e-3, fold=0, profile="paper").key  # your data never mixes with phantoms
    odd = _Cell(config="a/b c", lr=1.0, fold=0, profile="ci")
    assert "/" not in odd.key and " " not in odd.key


@dataclasses.dataclass(frozen=True)
class _LaterCell(Cell):
    config: str
    momentum: float = dataclasses.field(default=None, metadata={"key": "if set"})


def test_a_setting_added_later_enters_the_key_only_when_set():
    """metadata {"key": "if set"}: a cell that leaves the new setting unset keeps its old key (and so its
    committed result); one that sets it gets a key of its own."""
    assert _LaterCell(config="I", profile="cpu").key == "config-I__profile-cpu__seed-0"
    assert _LaterCell(config="I", profile="cpu", momentum=0.9).key == "config-I__momentum-0.9__profile-cpu__seed-0"


def test_select_cells_and_its_errors():
    cells = toy.cells("ci")
    assert [c.key for c in select_cells(cells, parse_only(["n=5", "fold=0,1"]))] == \
        [c.key for c in cells if c.n == 5]
    with pytest.raises(ValueError, match=r"only: unknown field 'model'; choose from \['n', 'fold', 'steps', "
                                         r"'profile', 'seed'\]"):
        select_cells(cells, {"model": ["LR"]})
    with pytest.raises(ValueError, match=r"only: n=7 is not in this grid; n takes \['3', '5'\]"):
        select_cells(cells, {"n": ["7"]})
    with pytest.raises(ValueError, match="not of the form name=value"):
        parse_only(["n"])


def test_parse_duration():
    assert parse_duration("150m") == 9000 and parse_duration("8m") == 480 and parse_duration("1h30m") == 5400
    assert parse_duration("90s") == 90 and parse_duration("45") == 45
    with pytest.raises(ValueError, match="budget: '2 hours' is not a duration"):
        parse_duration("2 hours")


def test_unknown_profile_and_chapter():
    with pytest.raises(ValueError, match=r"profile: unknown profile 'big'; choose one of \('ci', 'cpu', 'paper'\)"):
        toy.STUDY.grid("big")
    with pytest.raises(ValueError, match=r"chapter: no study for '42'; chapters with a study: \["):
        find_study("42")


# --- store and runs --------------------------------------------------------------------------------

def test_run_writes_one_file_per_cell_and_a_second_run_skips_them(tmp_path):
    first = run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False)
    assert (first.ran, first.left, first.done_before) == (4, 0, 0)
    store = ResultStore(tmp_path)
    cells = toy.STUDY.grid("ci")
    assert sorted(p.name for p in store.cells_dir.iterdir()) == sorted(f"{c.key}.csv" for c in cells)
    rows = store.read(cells)
    assert rows.sort_values(["n", "fold"])["total"].tolist() == [6.0, 6.0, 15.0, 15.0]
    assert "seconds" in rows
    assert not any((tmp_path / "checkpoints").iterdir())  # each checkpoint goes once its result is safe
    second = run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False)
    assert (second.ran, second.done_before) == (0, 4)
    record = json.loads((tmp_path / "provenance.json").read_text())
    assert record["cells"] == record["cells_in_grid"] == 4 and len(record["runs"]) == 1  # a run with nothing to do adds no record


def test_a_run_cut_inside_a_cell_resumes_it_from_its_checkpoint(tmp_path, monkeypatch):
    cells = toy.STUDY.grid("ci")
    monkeypatch.setenv(toy.CUT_ENV, cells[1].key)
    with pytest.raises(KeyboardInterrupt):
        run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False)
    store = ResultStore(tmp_path)
    assert store.done(cells[0]) and not store.done(cells[1])  # the finished cell is kept, nothing half-written
    assert store.paths(cells[1]).checkpoint.is_file()
    (cut,) = json.loads((tmp_path / "provenance.json").read_text())["runs"]  # the cut run is on record
    assert cut["cells"] == "all cells: 1 ran, then stopped" and cut["written"] == [cells[0].key]
    summary = run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False)
    assert summary.ran == 3
    rows = store.read_cell(cells[1])
    assert rows["resumed_from"].item() == 1 and rows["total"].item() == pytest.approx(sum(range(cells[1].n + 1)))
    assert not store.paths(cells[1]).checkpoint.is_file()


def test_a_cell_finished_meanwhile_by_another_run_is_not_trained_again(tmp_path, monkeypatch):
    cells = toy.STUDY.grid("ci")
    store = ResultStore(tmp_path)
    write = ResultStore.write

    def write_and_another_run_finishes_the_third(self, cell, rows):  # two runs sharing one results folder
        if cell.key == cells[0].key:
            write(self, cells[2], pd.DataFrame({"total": [-1.0], "seconds": [0.0]}))
        return write(self, cell, rows)

    monkeypatch.setattr(ResultStore, "write", write_and_another_run_finishes_the_third)
    summary = run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False)
    assert (summary.ran, summary.done_before, summary.left) == (3, 1, 0)
    assert store.read_cell(cells[2])["total"].item() == -1.0  # the other run's result, kept


def test_a_corrupt_cell_file_is_named_and_run_again(tmp_path):
    run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False)
    store = ResultStore(tmp_path)
    bad = toy.STUDY.grid("ci")[2]
    store.path(bad).write_bytes(b"\x00\xff\x00 not a table\n\"")
    with pytest.warns(CorruptResultWarning, match=rf"{bad.key}.csv: not a readable result"):
        summary = run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False)
    assert summary.ran == 1 and store.done(bad)
    assert store.path(bad).with_name(store.path(bad).name + ".corrupt").is_file()


def test_examples_are_read_from_the_store_and_a_corrupt_one_is_named(tmp_path):
    store = ResultStore(tmp_path)
    cell = toy.STUDY.grid("ci")[0]
    assert store.read_example(cell) is None  # none saved
    path = store.paths(cell).example
    path.parent.mkdir(parents=True)
    np.savez(path, pred=np.eye(3))
    assert np.array_equal(store.read_example(cell)["pred"], np.eye(3))
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.warns(CorruptResultWarning, match=rf"{cell.key}.npz: not a readable example"):
        assert store.read_example(cell) is None


def test_budget_starts_no_cell_that_cannot_finish(tmp_path):
    store = ResultStore(tmp_path)
    cells = toy.STUDY.grid("ci")
    for c in cells[:2]:  # two cells ran before, at 100 s each
        store.write(c, pd.DataFrame([{"n": c.n, "seconds": 100.0}]))
    assert estimate_seconds(cells[2], {cells[0].key: 100.0, cells[1].key: 300.0}) == 200.0  # no same group: all
    assert estimate_seconds(cells[1], {cells[0].key: 100.0}) == 100.0  # the same cell but its fold
    short = run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False, budget_s=60)
    assert (short.ran, short.left, short.stopped_by_budget) == (0, 2, True)
    assert "not started: they would not finish within the budget" in str(short)
    long = run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False, budget_s=3600)
    assert (long.ran, long.left) == (2, 0)


def test_any_executor_gives_the_same_rows(tmp_path):
    run_study(toy.STUDY, "ci", workers=0, folder=tmp_path / "here", progress=False)
    with ThreadPoolExecutor(2) as pool:
        run_study(toy.STUDY, "ci", workers=2, executor=pool, folder=tmp_path / "pool", progress=False)
    cells = toy.STUDY.grid("ci")
    here, pool = (ResultStore(tmp_path / f).read(cells).drop(columns="seconds") for f in ("here", "pool"))
    pd.testing.assert_frame_equal(here, pool)


def test_a_run_in_this_process_leaves_its_thread_count(tmp_path):
    import torch

    before = torch.get_num_threads()
    run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False)
    run_study(toy.STUDY, "ci", workers=0, folder=tmp_path / "b", threads=max(1, before + 1), progress=False)
    assert torch.get_num_threads() == before


@dataclasses.dataclass(frozen=True)
class _PhantomCell(toy.ToyCell):
    phantom: int = 2


def _phantom_study(version):
    def cells(profile, seed=0, device="cpu", amp=False):
        return [_PhantomCell(n=n, fold=0, phantom=version, profile=profile, seed=seed) for n in (3, 5)]
    return Study("99_toy", "_toy_study", cells, toy.run_cell)


def test_committed_shows_one_phantom_generation_and_labels_a_superseded_one(tmp_path):
    from dicecore.experiments.study import committed

    old = _phantom_study(1)
    run_study(old, "paper", workers=0, folder=tmp_path, progress=False)
    record = json.loads((tmp_path / "provenance.json").read_text())
    assert record["runs"][-1]["phantoms"] == [1]
    # the phantoms move to v2: the v1 cells are still shown, labelled superseded, with their own runs
    new = _phantom_study(2)
    shown = committed(new, folder=tmp_path)
    assert shown.is_superseded and shown.phantoms == (1,) and shown.current == (2,)
    assert "phantom v1 (superseded: the phantoms are now v2)" in shown.header()
    assert len(shown.rows) == 2
    # one v2 cell runs: only the v2 generation is shown (never mixed with v1), and only its run is listed
    run_study(new, "paper", workers=0, folder=tmp_path, progress=False, only={"n": ["3"]})
    shown = committed(new, folder=tmp_path)
    assert not shown.is_superseded and (shown.done, shown.total) == (1, 2) and len(shown.rows) == 1
    assert "phantom v2," in shown.header() and "n=3: 1 ran" in shown.header()
    assert "all cells: 2 ran" not in shown.header()
    # cells on no phantom at all: nothing committed
    assert committed(_phantom_study(3), folder=tmp_path / "empty") is None


def _two_family_study(version_of_n5):
    """Cells n=3 on one phantom family (v1), n=5 on another that moves on its own (Chapter 3's BraTS-like
    slices and WMH-like volumes)."""
    def cells(profile, seed=0, device="cpu", amp=False):
        return [_PhantomCell(n=3, fold=0, phantom=1, profile=profile, seed=seed),
                _PhantomCell(n=5, fold=0, phantom=version_of_n5, profile=profile, seed=seed)]
    return Study("99_toy", "_toy_study", cells, toy.run_cell)


def test_a_family_moving_on_its_own_hides_its_old_cells_and_their_run(tmp_path):
    from dicecore.experiments.study import committed

    run_study(_two_family_study(1), "paper", workers=0, folder=tmp_path, progress=False, only={"n": ["3"]})
    run_study(_two_family_study(1), "paper", workers=0, folder=tmp_path, progress=False, only={"n": ["5"]})
    record = json.loads((tmp_path / "provenance.json").read_text())
    assert [len(r["written"]) for r in record["runs"]] == [1, 1]  # each run lists the keys it wrote
    # n=5's family moves to v2: today's generation is n=3 (v1) alone; the old n=5 cell and its run are not shown
    moved = _two_family_study(2)
    shown = committed(moved, folder=tmp_path)
    assert not shown.is_superseded and (shown.done, shown.total) == (1, 2) and list(shown.rows["n"]) == [3]
    assert "n=3: 1 ran" in shown.header() and "n=5: 1 ran" not in shown.header()
    run_study(moved, "paper", workers=0, folder=tmp_path, progress=False, only={"n": ["5"]})
    shown = committed(moved, folder=tmp_path)
    assert (shown.done, shown.total) == (2, 2) and shown.phantoms == (1, 2)
    assert shown.header().count("n=5: 1 ran") == 1  # the v2 run, not the v1 one


# --- the training-length check ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Training(Cell):
    loss: str
    iterations: int


def test_longer_cells_are_new_cells_of_each_length():
    base = [_Training(loss=loss, iterations=100, profile="cpu") for loss in ("CE", "Dice")]
    out = longer(base, (2, 4))
    assert [(c.loss, c.iterations) for c in out] == [("CE", 200), ("Dice", 200), ("CE", 400), ("Dice", 400)]
    assert len({c.key for c in out + base}) == 6
    with pytest.raises(ValueError, match="factors: whole numbers ≥ 2"):
        longer(base, (1,))
    with pytest.raises(ValueError, match="factors: whole numbers ≥ 2"):
        longer(base, (2.5,))


def test_learning_curve_reads_the_last_doubling_against_a_margin():
    rows = pd.DataFrame({"task": ["a"] * 4 + ["b"] * 3 + ["c"],
                         "loss": ["CE"] * 4 + ["CE"] * 3 + ["CE"],
                         "iterations": [100, 200, 400, 800, 100, 200, 800, 100],
                         "mDice": [40, 60, 70, 71, 40, 50, 60, 30]})
    table = learning_curve(rows, ["task", "loss"], "mDice", margin=2.0).set_index("task")
    assert list(table.columns) == ["loss", "100", "200", "400", "800", "last doubling", "flattened"]
    assert table.loc["a", "last doubling"] == 1.0 and table.loc["a", "flattened"]  # 70 → 71 over one doubling
    assert table.loc["b", "last doubling"] == 5.0 and not table.loc["b", "flattened"]  # 50 → 60 over two doublings
    assert np.isnan(table.loc["c", "last doubling"]) and np.isnan(table.loc["c", "flattened"])  # one length: unchecked
    assert np.isnan(table.loc["b", "400"])
    with pytest.raises(ValueError, match="per_training: no column 'mIoU'"):
        learning_curve(rows, ["task", "loss"], "mIoU")


def test_runs_that_recorded_no_keys_are_left_out_when_the_others_wrote_every_cell():
    from dicecore.experiments.study import Committed

    old = {"cells": "v1 Table 3, before keys were recorded", "wall_time_s": 3000.0, "git_commit": "a", "device": "cpu"}
    new = {"cells": "n=3", "wall_time_s": 60.0, "git_commit": "b", "device": "cpu", "phantoms": [1], "written": ["k3"]}
    shown = Committed("cpu", pd.DataFrame(), 2, 2, {"runs": [old, new]}, phantoms=(1, 2), keys=("k3", "k5"))
    assert shown.runs() == [old, new]  # k5's run is not known: the unrecorded v1 run may be it
    shown = Committed("cpu", pd.DataFrame(), 1, 2, {"runs": [old, new]}, phantoms=(1,), keys=("k3",))
    assert shown.runs() == [new] and "50 min" not in shown.header()  # k3's run is known: the old one is not it


def test_a_terminated_study_command_stops_as_ctrl_c_does():
    """``kill`` (SIGTERM) on ``dicecore study`` raises KeyboardInterrupt, so the run above is recorded as stopped."""
    import os
    import signal

    from dicecore.cli import stop_on_terminate

    before = signal.getsignal(signal.SIGTERM)
    try:
        stop_on_terminate()
        with pytest.raises(KeyboardInterrupt, match="signal 15"):
            os.kill(os.getpid(), signal.SIGTERM)
            signal.sigtimedwait([], 1)  # (the handler runs at the next bytecode; give it one)
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_stopped_run_does_not_wait_for_the_cells_still_training(tmp_path, monkeypatch):
    """Stopped (Ctrl-C, ``kill``) with trainings in worker processes, the run ends at once: it terminates its
    workers (a cell in training keeps its checkpoint) instead of waiting for them, and records what it wrote."""
    import time

    cells = toy.STUDY.grid("ci")
    monkeypatch.setenv(toy.CUT_ENV, cells[0].key)  # the first cell stops the run …
    monkeypatch.setenv(toy.HANG_ENV, cells[1].key)  # … while the second trains on (for minutes)
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run_study(toy.STUDY, "ci", workers=2, folder=tmp_path, progress=False)
    assert time.perf_counter() - t0 < 200  # not the hanging cell's 300 s (the cut waits for it to start)
    store = ResultStore(tmp_path)
    assert not store.done(cells[1]) and store.paths(cells[1]).checkpoint.is_file()
