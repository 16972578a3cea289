"""dicecore.bench: the benchmark runs side by side and writes its table (timings are not asserted)."""

import os

import pandas as pd
import pytest
import torch

from dicecore.bench import IMPLEMENTATIONS, fast_path_equality, nnunet_style_soft_dice, run_benchmark, time_one


def test_time_one_rows_agree_on_the_value_and_report_memory():
    rows = time_one(IMPLEMENTATIONS, (2, 3, 24, 24, 24), repeats=2, warmup=1)
    by_name = {r["implementation"]: r for r in rows}
    assert set(by_name) == set(IMPLEMENTATIONS)
    soft = [r["loss"] for r in rows if r["family"] == "soft Dice"]
    assert max(soft) - min(soft) < 1e-5  # every soft Dice computes the same number
    gdl = [r["loss"] for r in rows if r["family"] == "Generalised Dice"]
    assert max(gdl) - min(gdl) < 1e-5
    assert all(r["median_ms"] > 0 and r["x_roofline"] > 0 and r["copy_GBps"] > 0 for r in rows)
    # allocated beyond the inputs and the returned gradient (CPU: every allocation of the call): the torch
    # fast path builds the one-hot target and one product; so does our autograd reference (its sums of ŷ and y
    # come before Σyŷ, so autograd accumulates the gradient without a further temporary); MONAI's autograd one
    # full-size tensor more
    size = by_name["dicecore fast"]["input_MiB"]
    assert by_name["dicecore fast"]["extra_memory_MiB"] == pytest.approx(2 * size, rel=0.02)
    assert by_name["dicecore reference (autograd)"]["extra_memory_MiB"] == pytest.approx(2 * size, rel=0.02)
    assert by_name["monai.DiceLoss"]["extra_memory_MiB"] == pytest.approx(3 * size, rel=0.02)


def test_single_channel_shapes_skip_pm_dice():
    rows = time_one(("dicecore fast", "monai.DiceLoss", "dicecore PM Dice fast"), (2, 1, 8, 8), repeats=1, warmup=0)
    assert [r["implementation"] for r in rows] == ["dicecore fast", "monai.DiceLoss"]
    assert rows[0]["loss"] == pytest.approx(rows[1]["loss"], abs=1e-6)


def test_nnunet_style_soft_dice_equals_dice_loss():
    import torch

    from dicecore.losses import dice_loss

    p = torch.softmax(torch.randn(2, 3, 5, 6, generator=torch.Generator().manual_seed(0)), 1)
    y = torch.randint(0, 3, (2, 1, 5, 6), generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(nnunet_style_soft_dice(p, y), dice_loss(p, y, "I", 1e-5, to_onehot_y=True))


@pytest.mark.parametrize("backend", ["torch", "triton"])
def test_fast_path_equality_check_passes_and_would_fail(backend, monkeypatch):
    """The GPU check of Issue 7 (benchmarks/gpu_check.py), here on the CPU (Triton interpreted)."""
    from dicecore.losses.sums import triton_available

    if backend == "triton" and not (triton_available() and os.environ.get("TRITON_INTERPRET") == "1"):
        pytest.skip("needs triton and TRITON_INTERPRET=1 (tests/conftest.py)")
    table = fast_path_equality("cpu", shapes=[(2, 3, 5, 4, 3), (2, 1, 6, 6)], backend=backend)
    assert len(table) == 2 * (11 + 2) + 2 * 8 and table["equal"].all(), table[~table["equal"]]
    assert table.loc[table.dtype == "float32", "grad_rel_diff"].max() < 1e-5
    # a wrong closed form is caught: scale the Eq. 4 gradient of one backend
    import dicecore.losses.sums as sums

    original = sums._torch_grad
    monkeypatch.setattr(sums, "_torch_grad", lambda *a: 1.01 * original(*a))
    broken = fast_path_equality("cpu", shapes=[(2, 3, 5, 4, 3)], dtypes=(torch.float32,), backend="torch")
    assert not broken["equal"].any()


def test_run_benchmark_writes_csv_provenance_and_plot(tmp_path):
    out = tmp_path / "bench.csv"
    df = run_benchmark(shapes=[(1, 2, 8, 8), (2, 1, 4, 4, 4)], repeats=2, out=str(out), rounds=1, progress=False,
                       implementations=("dicecore fast", "monai.DiceLoss"))
    assert list(df.implementation) == ["dicecore fast", "monai.DiceLoss"] * 2
    assert (df.loc[df.implementation == "monai.DiceLoss", "time_vs_monai"] == 1.0).all()
    assert len(pd.read_csv(out)) == 4
    assert (tmp_path / "bench.provenance.json").is_file()
    assert (tmp_path / "bench.png").stat().st_size > 10_000


def test_run_benchmark_rejects_bad_arguments():
    with pytest.raises(ValueError, match="shapes"):
        run_benchmark(shapes=[(2, 3)], out=None)
    with pytest.raises(ValueError, match="rounds, repeats"):
        run_benchmark(shapes=[(1, 1, 4)], out=None, rounds=0)
    with pytest.raises(ValueError, match="implementations"):
        run_benchmark(shapes=[(1, 1, 4)], out=None, implementations=("nnunet",))
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device: 'cuda'"):
            run_benchmark(shapes=[(1, 1, 4)], out=None, device="cuda")


def test_time_losses_interleaves_and_compares_to_the_first():
    import torch

    from dicecore.bench import time_losses
    from dicecore.losses import eq4_dice_loss, pm_dice_loss

    x = torch.randn(2, 2, 16, 16)
    t = torch.zeros_like(x).scatter_(1, (torch.rand(2, 1, 16, 16) > 0.5).long(), 1.0)
    table = time_losses({"Dice": eq4_dice_loss, "PM": pm_dice_loss}, x, t, repeats=3, activation="softmax")
    assert list(table["loss"]) == ["Dice", "PM"] and table["× first"].iloc[0] == 1.0
    assert (table["median ms"] > 0).all()


def test_compact_tables_for_the_performance_page():
    from dicecore.bench import compact_table, short_shape

    assert [short_shape(s) for s in ("2x4x64x64x64", "16x4x128x128", "8x1x40x40x24")] == [
        "2×4×64³", "16×4×128²", "8×1×40×40×24"]
    table = pd.DataFrame({"shape": ["2x1x4x4"] * 2, "implementation": ["dicecore fast", "monai.DiceLoss"],
                          "median_ms": [0.5, 1.0], "time_vs_monai": [0.5, 1.0], "extra_memory_MiB": [1.0, 2.0]})
    assert compact_table(table).to_dict("list") == {"implementation": ["dicecore fast", "monai.DiceLoss"],
                                                    "2×1×4²": ["0.5 (0.50×)", "1 (1.00×)"]}
    assert compact_table(table, "memory")["2×1×4²"].tolist() == ["1", "2"]
    with pytest.raises(ValueError, match="value: 'time' or 'memory'"):
        compact_table(table, "speed")


def test_gpu_pending_says_what_is_committed_and_how_to_make_the_rest(tmp_path):
    from dicecore.bench import BENCHMARK_RESULTS, gpu_pending

    (tmp_path / "dice_cpu.csv").write_text("a\n1\n")
    (tmp_path / "dice_cpu.provenance.json").write_text('{"created_utc": "2026-11-29T10:00:00+00:00"}')
    table = gpu_pending(str(tmp_path)).set_index("result")
    assert len(table) == len(BENCHMARK_RESULTS)
    states = dict(zip([r[0] for r in BENCHMARK_RESULTS], table["state"]))
    assert states["dice_cpu.csv"] == "committed (2026-11-29)"
    assert states["dice_cuda.csv"] == states["gpu_equality.csv"] == "awaits a GPU"
    assert states["runner_cpu.csv"] == states["training_setups_cpu.csv"] == "not run yet"
    assert table["command"].str.startswith("`").all()


def test_runner_benchmarks_read_the_committed_tables(tmp_path):
    import json

    import pandas as pd

    from dicecore.bench import runner_benchmarks

    assert runner_benchmarks(str(tmp_path))[0].empty
    pd.DataFrame({"workers": [1, 2], "trainings": [4, 4], "seconds": [300.0, 240.0],
                  "trainings_per_hour": [48.0, 60.0], "profile": ["cpu", "cpu"], "device": ["cpu", "cpu"],
                  "amp": [False, False], "speed-up": [1.0, 1.25]}).to_csv(tmp_path / "runner_cpu.csv", index=False)
    (tmp_path / "runner_cpu.provenance.json").write_text(json.dumps(
        {"device_name": "Some CPU, 2 cores (no GPU used)", "git_commit": "abcdef123", "created_utc": "2026-11-29T1"}))
    table, notes = runner_benchmarks(str(tmp_path))
    assert table["threads each"].tolist() == [2, 1]
    assert notes == ["`runner_cpu.csv`: Some CPU, 2 cores (no GPU used), profile `cpu`, 4 trainings per setting, "
                     "commit `abcdef1`, 2026-11-29: best with 2 at once, 60.0 trainings per hour (1.25× one at a time)."]


def test_the_training_setups_benchmark_times_every_setup(monkeypatch):
    import importlib

    from dicecore.paths import repository_root

    monkeypatch.syspath_prepend(str(repository_root() / "benchmarks"))  # (the worker processes import it too)
    module = importlib.import_module("training_setups")
    workload = next(iter(module.WORKLOADS))
    table = module.run(1, 2, workloads=[workload], compiled=False, repeats=2)
    assert table["set-up"].tolist() == ["1 process, 1 thread", "1 process, 2 threads", "2 processes, 1 thread each",
                                        "1 process, 1 thread, channels-last"]
    assert (table["iterations_per_s"] > 0).all() and (table["error"] == "").all()
    assert (table["repeats"] == 2).all()
    assert ((table["slowest"] <= table["iterations_per_s"]) & (table["iterations_per_s"] <= table["fastest"])).all()
    assert table["vs 1 process, 1 thread"].iloc[0] == 1.0
    with pytest.raises(ValueError, match="repeats"):
        module.run(1, 2, workloads=[workload], compiled=False, repeats=0)


def test_the_training_setups_reading_names_the_fastest_setup():
    from dicecore.bench import training_setups_reading

    table = pd.DataFrame({"workload": ["w"] * 5,
                          "set-up": ["1 process, 1 thread", "1 process, 2 threads", "2 processes, 1 thread each",
                                     "1 process, 1 thread, channels-last", "1 process, 1 thread, torch.compile"],
                          "processes": [1, 1, 2, 1, 1], "threads each": [1, 2, 1, 1, 1],
                          "iterations_per_s": [10.0, 14.0, 19.0, 12.0, 20.0], "slowest": [9.0, 13, 18, 11, 19],
                          "fastest": [11.0, 15, 20, 13, 21], "warm_up_s": [0.1, 0.1, 0.1, 0.1, 40.0]})
    table["vs 1 process, 1 thread"] = table["iterations_per_s"] / 10.0
    (text,) = training_setups_reading(table)
    assert text.startswith("w: for the whole machine, 2 processes, 1 thread each (1.90× one process with one "
                           "thread; 1 process, 2 threads: 1.40×)")
    assert "channels-last 1.20× (12.0 it/s, rounds 11.0–13.0 it/s)" in text
    assert "torch.compile 2.00× (20.0 it/s, rounds 19.0–21.0 it/s, 40 s to compile)" in text
    with pytest.raises(ValueError, match="table: no column 'iterations_per_s'"):
        training_setups_reading(table.drop(columns="iterations_per_s"))


def test_time_interleaved_takes_turns_and_rejects_bad_arguments():
    from dicecore.bench import time_interleaved

    order = []
    table = time_interleaved({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, repeats=2, warmup=1)
    assert order == ["a", "b"] * 3  # one of each per round, the warm-up round untimed
    assert list(table["loss"]) == ["a", "b"] and table["× first"].iloc[0] == 1.0
    with pytest.raises(ValueError, match="repeats, warmup"):
        time_interleaved({"a": lambda: None}, repeats=0)
    with pytest.raises(ValueError, match="calls: give at least one"):
        time_interleaved({})


def test_training_step_times_train_the_model_with_each_loss():
    import torch

    from dicecore.bench import training_step_times
    from dicecore.losses import eq4_dice_loss, pm_dice_loss
    from dicecore.models import network

    torch.manual_seed(0)
    model = network("small-unet", 3, 2)
    before = [p.detach().clone() for p in model.parameters()]
    x, y = torch.randn(2, 3, 16, 16), (torch.rand(2, 1, 16, 16) > 0.8).long()
    table = training_step_times({"Dice": eq4_dice_loss, "PM Dice": pm_dice_loss}, model, x, y, repeats=2,
                                warmup=0, activation="softmax", to_onehot_y=True)
    assert list(table["loss"]) == ["Dice", "PM Dice"] and (table["median ms"] > 0).all()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))  # Adam stepped


def test_the_modulation_cost_benchmark_writes_rounds_that_the_summary_reads(monkeypatch, tmp_path):
    import importlib

    from dicecore.bench import MODULATION_COST_LOSSES, modulation_cost_summary
    from dicecore.paths import repository_root

    monkeypatch.syspath_prepend(str(repository_root() / "benchmarks"))  # (the worker processes import it too)
    module = importlib.import_module("modulation_cost")
    monkeypatch.setattr(module, "WORKLOADS", {"loss alone, tiny": (2, 2, 16, 16),
                                              "training step, tiny": (2, 3, 16, 16)})
    rows = module._round(repeats=1, seed=0)  # in this process: the spawned rounds would not see the patch
    table = pd.DataFrame([dict(round=1, **r) for r in rows])
    assert table["loss"].tolist() == list(MODULATION_COST_LOSSES) * 2
    summary = modulation_cost_summary(table)
    assert (summary["× Dice"][summary["loss"] == "Dice"] == 1.0).all() and (summary["rounds"] == 1).all()
    assert ((summary["lowest × Dice"] <= summary["× Dice"]) & (summary["× Dice"] <= summary["highest × Dice"])).all()
    with pytest.raises(ValueError, match="table: no column 'round'"):
        modulation_cost_summary(table.drop(columns="round"))
    with pytest.raises(ValueError, match="rounds: need ≥ 1"):
        module.run(0, 1)


def test_results_provenance_line_names_the_machine_date_and_note(tmp_path):
    import json

    from dicecore.bench import results_provenance_line

    assert results_provenance_line("modulation_cost_cpu", str(tmp_path)) == "no committed modulation_cost_cpu.csv yet"
    (tmp_path / "modulation_cost_cpu.csv").write_text("a\n1\n")
    (tmp_path / "modulation_cost_cpu.provenance.json").write_text(json.dumps(
        {"device_name": "Some CPU, 2 cores", "created_utc": "2026-11-30T19:30:20+00:00", "git_commit": "f507f08333",
         "note": "The other core was busy."}))
    assert results_provenance_line("modulation_cost_cpu", str(tmp_path)) == (
        "modulation_cost_cpu.csv, measured on Some CPU, 2 cores on 2026-11-30 at commit f507f08 (The other core "
        "was busy)")
