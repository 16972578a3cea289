"""dicecore.results: atomic writes, readable errors, provenance."""

import json

import pandas as pd
import pytest
import torch

from dicecore.results import atomic_write_text, provenance, read_table, write_provenance, write_table


def test_table_round_trip_and_no_temp_left(tmp_path):
    df = pd.DataFrame({"phi": ["I", "BI"], "dsc": [0.8, 0.7]})
    path = write_table(df, tmp_path / "sub" / "t.csv")
    pd.testing.assert_frame_equal(read_table(path), df)
    assert [p.name for p in path.parent.iterdir()] == ["t.csv"]


def test_failed_write_keeps_old_file(tmp_path, monkeypatch):
    path = atomic_write_text(tmp_path / "a.txt", "old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_read_table_missing_and_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError, match="path: no results table"):
        read_table(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    with pytest.raises(ValueError, match="not a readable CSV"):
        read_table(bad)


def test_provenance_record(tmp_path):
    rec = provenance("ci", 1.23456, torch.device("cpu"), note="x")
    for key in ("git_commit", "device", "torch", "monai", "profile", "wall_time_s", "created_utc"):
        assert key in rec
    assert rec["wall_time_s"] == 1.235 and rec["note"] == "x"
    path = write_provenance(tmp_path / "provenance.json", rec)
    assert json.loads(path.read_text())["profile"] == "ci"


def test_record_run_lists_every_run_and_counts_the_grid_cells_present(tmp_path):
    from dicecore.results import record_run

    (tmp_path / "per_training").mkdir()
    (tmp_path / "per_training" / "a.csv").write_text("x\n1\n")
    first = record_run(tmp_path, ["a", "b", "a", "c"], "paper", 60.0, "cpu", 2, "part one")
    assert (first["cells"], first["cells_in_grid"]) == (1, 3)  # "a" listed twice (two parts) counts once
    (tmp_path / "per_training" / "b.csv").write_text("x\n1\n")
    second = record_run(tmp_path, ["a", "b", "c"], "paper", 30.0, "cpu", 0, "part two")
    on_disk = json.loads((tmp_path / "provenance.json").read_text())
    assert on_disk == second and second["cells"] == 2 and second["wall_time_s"] == 90.0
    assert [r["cells"] for r in second["runs"]] == ["part one", "part two"]
    assert second["runs"][0]["device"].startswith("cpu (2 trainings at once")
    assert "note" not in second
    hand = json.loads((tmp_path / "provenance.json").read_text())
    hand["note"] = "the first runs shared the CPU"  # a note written by hand about the runs so far
    (tmp_path / "provenance.json").write_text(json.dumps(hand))
    third = record_run(tmp_path, ["a", "b", "c"], "paper", 10.0, "cpu", 1, "part three")
    assert third["note"] == "the first runs shared the CPU" and len(third["runs"]) == 3


def test_an_atomic_write_has_the_permissions_of_a_plain_one(tmp_path):
    import os
    import stat

    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    path = atomic_write_text(tmp_path / "a.txt", "x")
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
