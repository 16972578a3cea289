"""Tiny files in the public datasets' layouts, written by the tests (shared by the loader tests)."""

import nibabel as nib
import numpy as np

from dicecore.data.datasets import BRATS_MODALITIES


def write_nifti(path, data, zooms=(1.0, 1.0, 1.0)):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = nib.Nifti1Image(np.asarray(data), np.diag([*zooms, 1.0]))
    img.header.set_zooms(zooms)
    nib.save(img, str(path))


def write_brats_subject(root, grade, sid, shape=(4, 4, 3), seg=None):
    for m in BRATS_MODALITIES:
        write_nifti(root / grade / sid / f"{sid}_{m}.nii.gz", np.full(shape, BRATS_MODALITIES.index(m), np.float32))
    lab = np.zeros(shape, np.int16) if seg is None else seg
    write_nifti(root / grade / sid / f"{sid}_seg.nii.gz", lab)


def write_acdc_patient(root, pid, ed=1, es=5, info=None):
    folder = root / pid
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Info.cfg").write_text(info if info is not None else f"ED: {ed}\nES: {es}\nGroup: NOR\n")
    for frame, cavity in ((ed, 6), (es, 2)):
        lab = np.zeros((6, 6, 2), np.int16)
        lab[:cavity, 0, 0] = 3
        lab[5, 5, 1] = 2
        write_nifti(folder / f"{pid}_frame{frame:02d}.nii.gz", np.ones((6, 6, 2), np.float32), (1.56, 1.56, 2.5))
        write_nifti(folder / f"{pid}_frame{frame:02d}_gt.nii.gz", lab, (1.56, 1.56, 2.5))
