"""dicecore.paths: the results and benchmark folders come from the package, not the working directory."""

from pathlib import Path

from dicecore import paths

ROOT = Path(__file__).resolve().parent.parent


def test_checkout_folders_whatever_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("DICECORE_RESULTS", raising=False)
    monkeypatch.delenv("DICECORE_BENCHMARKS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert paths.repository_root() == ROOT
    assert paths.results_dir() == ROOT / "results"
    assert paths.results_dir("02_volume_bias") == ROOT / "results" / "02_volume_bias"
    assert (paths.results_dir("02_volume_bias") / "provenance.json").is_file()
    assert paths.benchmarks_dir() == ROOT / "benchmarks" / "results"


def test_environment_variables_take_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("DICECORE_RESULTS", str(tmp_path / "mine"))
    monkeypatch.setenv("DICECORE_BENCHMARKS", str(tmp_path / "bench"))
    assert paths.results_dir("04_missing_vs_empty") == tmp_path / "mine" / "04_missing_vs_empty"
    assert paths.benchmarks_dir() == tmp_path / "bench"


def test_without_a_checkout_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("DICECORE_RESULTS", raising=False)
    monkeypatch.setattr(paths, "repository_root", lambda: None)
    monkeypatch.chdir(tmp_path)
    assert paths.results_dir() == tmp_path / "results"
