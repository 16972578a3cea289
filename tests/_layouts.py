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


def write_kvasir(root, names=("a", "b"), size=(40, 30)):
    from PIL import Image

    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(names):
        rgb = np.zeros((size[1], size[0], 3), np.uint8)
        rgb[..., 0] = 200
        rgb[5:15, 5:20, 1] = 100 + k
        Image.fromarray(rgb).save(root / "images" / f"{name}.jpg", quality=95)
        mask = np.zeros((size[1], size[0]), np.uint8)
        mask[: size[1] // 2, : size[0] // 2] = 255  # top-left quarter
        Image.fromarray(mask).save(root / "masks" / f"{name}.jpg", quality=95)


def write_msseg2016(root, patient="Center_01/Patient_01", shape=(6, 5, 4), label_shape=None):
    from dicecore.data.datasets import MSSEG2016_MODALITIES

    folder = root / patient
    for k, m in enumerate(MSSEG2016_MODALITIES):
        write_nifti(folder / "Preprocessed_Data" / f"{m}_preprocessed.nii.gz",
                    np.arange(np.prod(shape), dtype=np.float32).reshape(shape) * (k + 1))
    lab = np.zeros(label_shape or shape, np.uint8)
    lab[1, 1, 1] = 1
    write_nifti(folder / "Masks" / "Consensus.nii.gz", lab)


def write_msseg2(root, sid="013", shape=(6, 5, 4)):
    for m in ("flair_time01", "flair_time02"):
        write_nifti(root / sid / f"{m}_on_middle_space.nii.gz", np.ones(shape, np.float32))
    lab = np.zeros(shape, np.uint8)
    lab[2, 2, 2] = 1
    write_nifti(root / sid / "ground_truth.nii.gz", lab)
