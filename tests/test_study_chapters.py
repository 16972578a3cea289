"""The contract every chapter's study keeps, the `dicecore study` command, and scale-out on Dask: the same
rows as the local pool."""

import json

import pandas as pd

import pytest

from dicecore.cli import main
from dicecore.experiments import generalised_dice, missing_empty_3d, pm_dice, volume_bias
from dicecore.experiments.study import STUDIES, ResultStore, committed, find_study, run_study, select_cells, superseded
from dicecore.paths import results_dir


@pytest.fixture
def tiny_ci(monkeypatch):
    """Chapter 2's ci profile at a tiny size (10 subjects, 3 epochs): the machinery, not the science."""
    monkeypatch.setitem(volume_bias.PROFILES, "ci", dict(volume_bias.PROFILES["ci"], n_subjects=10, max_epochs=3))


#: Each chapter's ci profile at a tiny size (the machinery, not the science), checkpointing every two
#: iterations, and the cells the contract runs: (module, tiny settings of "ci", --only).
TINY = {
    "02": (volume_bias, {"n_subjects": 10, "max_epochs": 3},
           {"task": ["molars_like"], "fold": ["0"]}),
    "03": (generalised_dice, {"iterations": {2: 6}, "last": 3, "n_train": {2: 3}, "n_test": {2: 2},
                              "checkpoint_every": 2},
           {"patch": ["S"], "lr": ["0.001"], "loss": ["GDL_v", "WCE"]}),
    "04": (missing_empty_3d, {}, {"dataset": ["brats"], "labelling": ["partial"], "config": ["I", "BI"],
                                  "batch_size": ["2"], "fold": ["0"], "iterations": ["4"]}),
    "05": (pm_dice, {"frame": 32, "crop": 16, "n_train": 8, "n_test": 4, "iterations": 6, "batch_size": 2,
                     "checkpoint_every": 2},
           {"task": ["kvasir_like"], "loss": ["Dice", "PM Dice"]}),
}


def test_every_chapter_with_a_study_has_a_tiny_contract():
    assert sorted(TINY) == sorted(STUDIES)


@pytest.mark.parametrize("chapter", sorted(TINY))
def test_every_study_keeps_the_contract(chapter, tmp_path, monkeypatch):
    """Run a piece of each study twice — straight through, and cut inside a cell just after its first
    checkpoint, then resumed: the resumed cell gives the rows of the straight run; a further run skips every
    cell; the chapter's summary renders from the store."""
    import dicecore.train as train

    module, tiny, only = TINY[chapter]
    monkeypatch.setitem(module.PROFILES, "ci", dict(module.PROFILES["ci"], **tiny))
    study = module.STUDY
    cells = select_cells(study.grid("ci"), only)
    assert len(cells) == 2
    straight = run_study(study, "ci", only=only, workers=0, folder=tmp_path / "straight", progress=False)
    assert (straight.ran, straight.left) == (2, 0)

    save = train._save_checkpoint

    def save_then_cut(*args, **kwargs):
        save(*args, **kwargs)
        raise KeyboardInterrupt  # the machine goes down just after the first checkpoint

    monkeypatch.setattr(train, "_save_checkpoint", save_then_cut)
    with pytest.raises(KeyboardInterrupt):
        run_study(study, "ci", only=only, workers=0, folder=tmp_path / "cut", progress=False)
    store = ResultStore(tmp_path / "cut")
    assert not store.done(cells[0]) and store.paths(cells[0]).checkpoint.is_file()
    monkeypatch.setattr(train, "_save_checkpoint", save)
    resumed = run_study(study, "ci", only=only, workers=0, folder=tmp_path / "cut", progress=False)
    assert resumed.ran == 2 and not store.paths(cells[0]).checkpoint.is_file()
    rows = {name: ResultStore(tmp_path / name).read(cells).drop(columns="seconds") for name in ("straight", "cut")}
    pd.testing.assert_frame_equal(rows["cut"], rows["straight"])
    again = run_study(study, "ci", only=only, workers=0, folder=tmp_path / "cut", progress=False)
    assert (again.ran, again.done_before) == (0, 2)
    assert len(study.summarise(ResultStore(tmp_path / "cut").read(cells))) > 0


@pytest.mark.parametrize("chapter", sorted(STUDIES))
def test_keys_are_unique_and_stable(chapter):
    study = find_study(chapter)
    for profile in ("ci", "cpu", "paper"):
        cells = study.grid(profile)
        assert len({c.key for c in cells}) == len(cells) and cells
        assert [c.key for c in study.grid(profile)] == [c.key for c in cells]  # the same on every call


def test_chapter2_keys_name_every_field():
    cell = volume_bias.STUDY.grid("paper")[0]
    assert cell.key == "task-molars_like__model-LR__loss-CE__fold-0__max_epochs-150__phantom-2__profile-paper__seed-0"


def test_chapter2_contract(tmp_path, tiny_ci):
    """A run writes every cell, a second skips them all, and the chapter's report renders from the store."""
    only = {"task": ["molars_like"], "fold": ["0"]}
    first = run_study(volume_bias.STUDY, "ci", only=only, workers=0, folder=tmp_path, progress=False)
    assert (first.ran, first.left) == (2, 0)
    second = run_study(volume_bias.STUDY, "ci", only=only, workers=0, folder=tmp_path, progress=False)
    assert (second.ran, second.done_before) == (0, 2)
    rows = ResultStore(tmp_path).read(volume_bias.STUDY.grid("ci"))
    summary = volume_bias.summarise(rows)
    assert set(summary["loss"]) == {"CE", "SD"}
    table = volume_bias.table1(summary, ("LR",))
    assert (table["status"] == "run").sum() == 2 and (table["status"] == "not run").sum() == 8  # 5 tasks × 2 losses
    found = volume_bias.findings(rows, "ci", "tiny")
    assert {f.claim for f in found} == {"B05", "B06", "B07", "B08", "B09", "B10", "B11"}


@pytest.mark.parametrize("chapter", sorted(STUDIES))
def test_committed_results_are_read_under_their_keys(chapter):
    """Every committed cell file belongs to a cell of the grid (none orphaned by a key change), and the
    chapter's summary renders from them."""
    study = find_study(chapter)
    shown = committed(study)
    assert shown is not None
    store = ResultStore(results_dir(study.chapter))
    grids = {p: study.grid(p) for p in ("ci", "cpu", "paper")}
    generations = [{c.key for g in grids.values() for c in (g if back == 0 else superseded(g, back))}
                   for back in range(3)]  # today's phantoms and the two versions before
    on_disk = {f.stem for f in store.cells_dir.glob("*.csv")}
    assert on_disk <= set().union(*generations), sorted(on_disk - set().union(*generations))[:3]
    shown_grid = {c.key for c in (grids[shown.profile] if not shown.is_superseded else
                                  superseded(grids[shown.profile], shown.back))}
    assert shown.done == len(on_disk & shown_grid) and shown.total == len(shown_grid)
    if not shown.is_superseded and on_disk <= shown_grid:  # (older cells beside them count in the record)
        assert shown.done == shown.record["cells"]
    assert shown.done <= shown.record["cells"]
    assert f"profile {shown.profile}: {shown.done} of {shown.total} cells" in shown.header()
    assert len(study.summarise(shown.rows)) > 0
    found = study.report_module.committed_findings(shown)  # the claims table renders from them
    assert found and all(f.scale == shown.profile for f in found)
    # labelled with their phantom generation: superseded cells give superseded findings, never today's
    assert all(f.superseded == shown.is_superseded for f in found)
    assert all(shown.phantom_label() in f.data for f in found if f.verdict.verdict != "not run")


def test_chapter2_committed_results_render():
    shown = committed(volume_bias.STUDY)
    assert shown.profile == "cpu"  # the chapter judges its cpu grid first (STUDY.shown_profiles)
    summary = volume_bias.summarise(shown.rows)
    table = volume_bias.table1(summary, folds_in_grid=volume_bias.PROFILES["cpu"]["folds"])
    assert (table["status"] != "not run").sum() == shown.done // 5  # five folds per cell of Table 1


def test_dask_gives_the_rows_of_the_local_pool(tmp_path, tiny_ci):
    pytest.importorskip("distributed")
    from dicecore.experiments.study import dask_executor

    only = {"task": ["isles17_like"], "fold": ["1"]}
    run_study(volume_bias.STUDY, "ci", only=only, workers=2, folder=tmp_path / "pool", progress=False)
    executor, close = dask_executor(workers=2)
    try:
        run_study(volume_bias.STUDY, "ci", only=only, workers=2, executor=executor, folder=tmp_path / "dask",
                  progress=False)
    finally:
        close()
    cells = select_cells(volume_bias.STUDY.grid("ci"), only)
    pool, dask = (ResultStore(tmp_path / f).read(cells).drop(columns="seconds") for f in ("pool", "dask"))
    assert len(pool) > 0
    pd.testing.assert_frame_equal(pool, dask)


def test_an_unreachable_scheduler_is_a_clear_error_before_anything_runs(tmp_path, capsys):
    pytest.importorskip("distributed")
    import time

    t0 = time.perf_counter()
    assert main(["study", "02", "--profile", "ci", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9",
                 "--results", str(tmp_path), "-q"]) == 2
    assert time.perf_counter() - t0 < 30
    assert "scheduler: cannot reach 'tcp://127.0.0.1:9'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_study_command_runs_part_of_a_grid_within_a_budget(tmp_path, tiny_ci, capsys):
    args = ["study", "02", "--profile", "ci", "--only", "task=molars_like", "--only", "fold=0", "--workers", "0",
            "--results", str(tmp_path), "-q"]
    assert main(args) == 0
    assert "2 of 2 cells done (2 by this run" in capsys.readouterr().out
    record = json.loads((tmp_path / "provenance.json").read_text())
    assert record["cells"] == 2 and record["cells_in_grid"] == len(volume_bias.STUDY.grid("ci"))
    assert record["runs"][0]["cells"].startswith("task=molars_like, fold=0: 2 ran")
    assert main([*args[:6], "--only", "fold=1", "--budget", "0.01", "--workers", "0", "--results", str(tmp_path), "-q"]) == 0
    out = capsys.readouterr().out
    assert "left (not started: they would not finish within the budget)" in out


def test_your_own_data_goes_only_where_a_loader_reads_it(tmp_path):
    with pytest.raises(ValueError, match=r"data_root: the study of 02_volume_bias trains on phantoms only; "
                                         r"the studies with real-data loaders: \['04'\]"):
        run_study(volume_bias.STUDY, "ci", data_root=tmp_path, folder=tmp_path / "r", progress=False)
    with pytest.raises(FileNotFoundError, match="data_root: '.*nowhere' is not a folder"):
        run_study(missing_empty_3d.STUDY, "ci", data_root=tmp_path / "nowhere", folder=tmp_path / "r",
                  progress=False)
    assert not (tmp_path / "r").exists()  # nothing written


@pytest.mark.parametrize("argv, message", [
    (["study", "42"], "chapter: no study for '42'"),
    (["study", "02", "--only", "model=SVM"], r"only: model=SVM is not in this grid; model takes \['LR', 'ConvNet', 'U-Net'\]"),
    (["study", "02", "--only", "net=LR"], "only: unknown field 'net'; choose from"),
    (["study", "02", "--budget", "soon"], "budget: 'soon' is not a duration"),
    (["study", "02", "--scheduler", "tcp://x:1"], "--scheduler: a scheduler address needs --executor dask"),
])
def test_study_command_errors_name_the_choices(argv, message, capsys):
    import re

    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(message, err[0]), err
