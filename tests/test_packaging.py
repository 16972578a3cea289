"""dicecore as an installable, citable package: wheel and sdist metadata (twine check), the licence, the
citation file, the typing marker, and a core that imports without the book stack."""

import email
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
BOOK_STACK = ("monai", "jupyter_book", "jupytext", "papermill", "nibabel", "nilearn", "seaborn", "sympy", "sphinx",
              "IPython", "myst_nb")


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheel, sdist = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheel) == 1 and len(sdist) == 1, list(out.iterdir())
    return wheel[0], sdist[0]


def test_twine_check_passes(dists):
    proc = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dists)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.count("PASSED") == 2, proc.stdout + proc.stderr


def test_wheel_metadata_licence_typing_and_core_requirements(dists):
    wheel, sdist = dists
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta = email.message_from_bytes(zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))))
    assert meta["License-Expression"] == "MIT"
    assert "LICENSE" in meta.get_all("License-File")
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "dicecore/py.typed" in names
    assert meta["Requires-Python"] == PYPROJECT["project"]["requires-python"]
    core = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    assert not [r for r in core if r.split(">")[0].split("=")[0].strip().lower().replace("-", "_") in
                {m.lower() for m in BOOK_STACK} | {"jupyter_book"}], core
    assert any(r.startswith("torch") for r in core)
    with tarfile.open(sdist) as tf:
        members = {Path(m).name for m in tf.getnames()}
    assert {"LICENSE", "pyproject.toml", "py.typed"} <= members


def test_requires_python_is_what_the_tests_run_on():
    assert PYPROJECT["project"]["requires-python"].split(",")[0] == f">={sys.version_info[0]}.{sys.version_info[1]}"
    floor = next(r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools"))
    assert floor == "setuptools>=77"  # the first to take the SPDX `license` string and `license-files`


def test_losses_import_without_the_book_stack():
    """What ``pip install .`` installs (no extras) is enough for the library: importing it with every book
    package hidden works, and pulls none of them in."""
    code = (
        "import importlib.abc, sys\n"
        f"BLOCK = {BOOK_STACK!r}\n"
        "class Hide(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in BLOCK:\n"
        "            raise ImportError(f'{name} is hidden: not a core dependency')\n"
        "sys.meta_path.insert(0, Hide())\n"
        "import torch\n"
        "import dicecore, dicecore.losses, dicecore.grad, dicecore.theory.epsilon, dicecore.theory.volume_bias, "
        "dicecore.metrics, dicecore.paths\n"
        "x = torch.rand(2, 3, 8, 8)\n"
        "y = torch.randint(0, 3, (2, 8, 8))\n"
        "print(float(dicecore.losses.dice_loss(x, y, phi='BI')))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 0 < float(proc.stdout.strip().splitlines()[-1]) < 1


def test_repository_address_is_set_once_and_repeated_in_step():
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert url.startswith("https://") and "<" not in url
    urls = PYPROJECT["project"]["urls"]
    assert urls["Repository"] == urls["Homepage"] == url and urls["Issues"] == f"{url}/issues"
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["repository-code"] == url
    assert f"url     = {{{url}}}" in (ROOT / "book" / "index.md").read_text()  # the BibTeX of "How to cite"
    assert f"git clone {url} " in (ROOT / "book" / "reproduce.md").read_text()


def test_citation_file_cites_the_book_and_the_four_papers():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["license"] == PYPROJECT["project"]["license"]
    assert cff["version"] == PYPROJECT["project"]["version"] and cff["authors"]
    titles = " ".join(r["title"] for r in cff["references"])
    for words in ("Missing or Empty Labels", "Volumetric Bias", "Generalised Dice", "Pixel-wise Modulated"):
        assert words in titles
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
