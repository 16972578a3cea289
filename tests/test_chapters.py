"""dicecore.book.chapters and the CLI: re-running a chapter with papermill, parameter validation."""

import json
from pathlib import Path

import pytest

from dicecore.book.chapters import find_chapter, notebook_parameters, notebooks_dir, parse_assignments, run_chapter
from dicecore.book.params import REQUIRED_PARAMETERS
from dicecore.cli import main

CHAPTERS = sorted(notebooks_dir().glob("[0-9][0-9]_*.py"))


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_parameters_cell_holds_the_documented_names(path):
    params = notebook_parameters(path)
    assert set(REQUIRED_PARAMETERS) <= set(params)
    assert params["profile"] == "ci" and params["device"] == "auto" and params["seed"] == 0
    assert params["data_root"] is None


def test_find_chapter():
    assert find_chapter("01").stem == "01_dice_anatomy"
    assert find_chapter("1").stem == "01_dice_anatomy"
    assert find_chapter("01_dice_anatomy").stem == "01_dice_anatomy"
    with pytest.raises(ValueError, match="chapter: no unique chapter '99'"):
        find_chapter("99")


def test_parse_assignments():
    assert parse_assignments(["profile=paper", "seed=3", "data_root=None", "device=cuda:0"]) == {
        "profile": "paper", "seed": 3, "data_root": None, "device": "cuda:0"}
    with pytest.raises(ValueError, match="name=value"):
        parse_assignments(["profile"])


def test_unknown_parameter_and_profile_are_errors(tmp_path):
    with pytest.raises(ValueError, match=r"parameters: unknown name\(s\) \['profil'\]"):
        run_chapter("01", {"profil": "paper"}, output=tmp_path / "x.ipynb")
    with pytest.raises(ValueError, match="profile: unknown profile 'huge'"):
        run_chapter("01", {"profile": "huge"}, output=tmp_path / "x.ipynb")
    assert not (tmp_path / "x.ipynb").exists()


def test_cli_reports_errors(capsys):
    assert main(["run", "01", "-p", "bogus=1"]) == 2
    assert "unknown name(s) ['bogus']" in capsys.readouterr().err
    assert main(["run", "01", "-p", "profile"]) == 2


def test_run_chapter_executes_with_papermill(tmp_path):
    out = main(["run", "01", "-p", "seed=1", "-o", str(tmp_path / "ch1.ipynb")])
    assert out == 0
    nb = json.loads((tmp_path / "ch1.ipynb").read_text())
    tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
    assert ["injected-parameters"] in tags
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    claims = json.dumps(nb["cells"][-1]["outputs"])
    assert "reproduced" in claims and "not reproduced" not in claims  # every claim of Chapter 1 holds


def test_cli_takes_papermills_name_value_form(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "01_tiny.py").write_text('# %% tags=["parameters"]\nprofile = "ci"\nseed = 0\n\n# %%\nprint(seed)\n')
    monkeypatch.setattr("dicecore.book.chapters.notebooks_dir", lambda: folder)
    assert main(["run", "01", "-q", "-p", "seed", "5", "-p", "profile=ci", "-o", str(tmp_path / "o.ipynb")]) == 0
    assert '"5\\n"' in (tmp_path / "o.ipynb").read_text()
    assert main(["run", "01", "-p", "seed", "5", "6"]) == 2
    assert "not of the form name=value or name value" in capsys.readouterr().err


def test_cli_list_and_debug(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "01_dice_anatomy" in out and "profile='ci'" in out and "profiles: ci, cpu, paper" in out
    with pytest.raises(ValueError, match="unknown name"):
        main(["--debug", "run", "01", "-p", "bogus=1"])


@pytest.mark.parametrize("command", [[], ["list"], ["run"], ["epsilon"], ["bench"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: dicecore") and len(out.splitlines()) >= 4


def test_cli_run_prints_the_executed_notebook(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "01_tiny.py").write_text('# %% tags=["parameters"]\nprofile = "ci"\nseed = 0\n\n# %%\nprint(seed)\n')
    monkeypatch.setattr("dicecore.book.chapters.notebooks_dir", lambda: folder)
    assert main(["run", "01", "-q", "-p", "seed=2", "-o", str(tmp_path / "out.ipynb")]) == 0
    assert f"executed notebook written to {tmp_path / 'out.ipynb'}" in capsys.readouterr().out
    assert '"2\\n"' in (tmp_path / "out.ipynb").read_text()


@pytest.mark.slow
def test_plain_papermill_from_another_folder_reads_the_committed_results(tmp_path):
    """As the Reproduce page says: jupytext → ipynb, then the papermill command, run from a folder outside the
    repository. The chapter must find the committed results from the package, not from its working folder."""
    import subprocess
    import sys
    from pathlib import Path

    from dicecore.paths import results_dir

    bin_dir = Path(sys.executable).parent
    source = notebooks_dir() / "02_volume_bias.py"
    subprocess.run([str(bin_dir / "jupytext"), "--to", "ipynb", str(source), "-o", "ch2.ipynb"], cwd=tmp_path,
                   check=True, capture_output=True, timeout=120)
    proc = subprocess.run([str(bin_dir / "papermill"), "ch2.ipynb", "out.ipynb", "-p", "seed", "0", "--no-progress-bar",
                           "-k", "python3"], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = json.loads((results_dir("02_volume_bias") / "provenance.json").read_text())
    nb = json.loads((tmp_path / "out.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert f"{record['cells']} of {record['cells_in_grid']} cells" in printed
    assert "No paper-profile results are committed yet" not in printed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ch2.ipynb", "out.ipynb"]  # nothing written beside it
    assert not (tmp_path.parent / "results").exists()


def test_the_chapters_are_found_from_any_folder(tmp_path, monkeypatch):
    """The package finds its checkout's notebooks/ wherever the caller stands (plain papermill runs a chapter
    in a folder of its own)."""
    monkeypatch.chdir(tmp_path)
    assert notebooks_dir() == Path(__file__).resolve().parents[1] / "notebooks"
    assert find_chapter("01").name == "01_dice_anatomy.py"
