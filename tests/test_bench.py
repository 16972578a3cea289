"""dicecore.bench: the benchmark runs side by side and writes its table (timings are not asserted)."""

import pandas as pd
import pytest

from dicecore.bench import run_benchmark, time_one


def test_time_one_row_and_equal_values():
    rows = [time_one(name, (2, 3, 32, 32, 32), repeats=2) for name in ("dicecore.dice_loss", "monai.DiceLoss")]
    assert rows[0]["loss"] == pytest.approx(rows[1]["loss"], rel=1e-6)
    assert all(r["median_ms"] > 0 for r in rows)
    # memory: dicecore's closed-form backward allocates one full-size tensor less than MONAI's autograd graph
    size = rows[0]["input_MiB"]
    assert rows[0]["extra_memory_MiB"] == pytest.approx(2 * size, rel=0.01)
    assert rows[1]["extra_memory_MiB"] == pytest.approx(3 * size, rel=0.01)


def test_run_benchmark_writes_csv_and_provenance(tmp_path):
    out = tmp_path / "bench.csv"
    df = run_benchmark(shape=(1, 2, 8, 8), repeats=2, out=str(out), rounds=1, progress=False,
                       implementations=("dicecore.dice_loss", "monai.DiceLoss"))
    assert list(df.implementation) == ["dicecore.dice_loss", "monai.DiceLoss"]
    assert df.loc[1, "time_vs_monai"] == pytest.approx(1.0)
    assert len(pd.read_csv(out)) == 2
    assert (tmp_path / "bench.provenance.json").is_file()


def test_run_benchmark_rejects_bad_arguments():
    with pytest.raises(ValueError, match="shape"):
        run_benchmark(shape=(2, 3), out=None)
    with pytest.raises(ValueError, match="rounds, repeats"):
        run_benchmark(shape=(1, 1, 4), out=None, rounds=0)
    with pytest.raises(ValueError, match="implementations"):
        run_benchmark(shape=(1, 1, 4), out=None, implementations=("nnunet",))


def test_time_losses_interleaves_and_compares_to_the_first():
    import torch

    from dicecore.bench import time_losses
    from dicecore.losses import eq4_dice_loss, pm_dice_loss

    x = torch.randn(2, 2, 16, 16)
    t = torch.zeros_like(x).scatter_(1, (torch.rand(2, 1, 16, 16) > 0.5).long(), 1.0)
    table = time_losses({"Dice": eq4_dice_loss, "PM": pm_dice_loss}, x, t, repeats=3, activation="softmax")
    assert list(table["loss"]) == ["Dice", "PM"] and table["× first"].iloc[0] == 1.0
    assert (table["median ms"] > 0).all()
