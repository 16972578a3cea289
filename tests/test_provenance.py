import json

import pytest

from dicecore.book.params import chapter_parameters
from dicecore.book.provenance import committed_results, page_provenance, source_state


@pytest.fixture
def params():
    return chapter_parameters(profile="ci", device="cpu", seed=3)


def test_page_without_committed_results_says_so_and_gives_the_command(params, tmp_path):
    text = page_provenance("02_volume_bias", params, data="phantoms", results_dir=tmp_path / "none").data
    assert "profile `ci`, device `cpu`, seed 3" in text
    assert "none committed yet" in text and "results/02_volume_bias/" in text
    assert "`dicecore run 02 -p profile=paper -p device=cuda`" in text and "make paper CH=02" in text
    assert "its training grid alone: `dicecore study 02 --profile cpu`" in text
    assert "| **data** | phantoms |" in text and "| **committed results** |" in text


def test_committed_results_are_described_from_their_provenance(params, tmp_path):
    record = {"profile": "paper", "device_name": "NVIDIA H100 80GB HBM3", "git_commit": "0123456789abcdef",
              "created_utc": "2026-11-20T10:11:12+00:00", "wall_time_s": 900.0}
    (tmp_path / "table").mkdir()
    (tmp_path / "table" / "provenance.json").write_text(json.dumps(record))
    text = page_provenance("04_missing_vs_empty", params, data="phantoms", results_dir=tmp_path,
                           rerun_extra="-p data_root=/data/BraTS").data
    assert "`table/provenance.json`: profile `paper` on NVIDIA H100 80GB HBM3, commit `0123456`" in text
    assert "2026-11-20 10:11 UTC, 15.0 min" in text
    assert "-p device=cuda -p data_root=/data/BraTS`" in text
    # a grid filled over several runs: its wall time is a sum, and says so (not one 5-hour sitting)
    record.update(runs=[{}, {}, {}], wall_time_s=19_303.2, cells=33, cells_in_grid=165)
    (tmp_path / "table" / "provenance.json").write_text(json.dumps(record))
    text = page_provenance("04_missing_vs_empty", params, data="phantoms", results_dir=tmp_path).data
    assert "`table/provenance.json`, 33 of the grid's 165 cells: the latest run: profile `paper`" in text
    assert "322 min of computing summed over its 3 runs" in text


def test_corrupt_provenance_is_an_error_naming_the_file(tmp_path):
    (tmp_path / "provenance.json").write_text("{not json")
    with pytest.raises(ValueError, match="provenance.json' is not valid JSON"):
        committed_results(tmp_path)


def test_params_must_be_resolved(tmp_path):
    with pytest.raises(TypeError, match="params: expected the result of chapter_parameters"):
        page_provenance("01_dice_anatomy", {"profile": "ci"}, data="x", results_dir=tmp_path)


def test_source_state_names_the_commit_or_says_unknown(tmp_path):
    assert source_state(tmp_path).startswith("unknown")
    assert len(source_state().split()[0]) >= 7


def test_chapter_without_paper_results_says_nothing_is_needed(params, tmp_path):
    text = page_provenance("01_dice_anatomy", params, data="none", results_dir=tmp_path,
                           writes_results=False).data
    assert "none needed" in text and "none committed yet" not in text and "dicecore study" not in text
