"""dicecore.data.files and ``dicecore epsilon``: reading label folders written here as tiny NIfTI files."""

import nibabel as nib
import numpy as np
import pytest

from dicecore.cli import main
from dicecore.data.files import find_label_files, iter_foreground, load_label_map


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data.astype(np.int16), np.eye(4)), str(path))


@pytest.fixture
def brats_like(tmp_path):
    """Two 'subjects' in the BraTS layout: labels 1, 2, 4; subject B has an empty map (partial labelling)."""
    a = np.zeros((6, 6, 4), np.int16)
    a[:2, :2, :2] = 1  # 8 voxels
    a[3:5, 3:5, 0] = 2  # 4
    a[5, 5, 3] = 4  # 1
    _write(tmp_path / "HGG" / "A" / "A_seg.nii.gz", a)
    _write(tmp_path / "LGG" / "B" / "B_seg.nii.gz", np.zeros((6, 6, 4)))
    _write(tmp_path / "HGG" / "A" / "A_flair.nii.gz", np.ones((6, 6, 4)))  # not a label map
    return tmp_path


def test_find_and_load(brats_like):
    files = find_label_files(brats_like)
    assert [f.name for f in files] == ["A_seg.nii.gz", "B_seg.nii.gz"]
    assert load_label_map(files[0]).sum() == 8 + 8 + 4
    maps = list(iter_foreground(files, [1, 2, 4], merge=True))
    assert maps[0].shape == (1, 6, 6, 4) and maps[0].sum() == 13 and maps[1].sum() == 0


def test_cli_epsilon(brats_like, capsys):
    assert main(["epsilon", str(brats_like), "--classes", "1,2,4", "--merge"]) == 0
    assert "label 1+2+4: 6.5 voxels" in capsys.readouterr().out  # (13 + 0) / 2
    assert main(["epsilon", str(brats_like), "--classes", "1,2", "--phi", "BI", "--batch-size", "2"]) == 0
    out = capsys.readouterr().out
    assert "label 1: 8.0 voxels" in out and "label 2: 4.0 voxels" in out


def test_cli_epsilon_every_class(brats_like, capsys):
    assert main(["epsilon", str(brats_like), "--classes", "all", "-q"]) == 0
    out = capsys.readouterr().out
    assert "label 1: 4.0 voxels" in out and "label 2: 2.0 voxels" in out and "label 4: 0.5 voxels" in out
