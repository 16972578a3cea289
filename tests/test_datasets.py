"""dicecore.data.datasets: the BraTS 2018 and ACDC layouts, on tiny files written here."""

import nibabel as nib
import numpy as np
import pytest

from dicecore.data.datasets import (
    BRATS_MODALITIES, acdc_patients, brats_subjects, load_acdc_patient, load_brats_subject,
)


def _nii(path, data, zooms=(1.0, 1.0, 1.0)):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = nib.Nifti1Image(np.asarray(data), np.diag([*zooms, 1.0]))
    img.header.set_zooms(zooms)
    nib.save(img, str(path))


def _brats(root, grade, sid, shape=(4, 4, 3), seg=None):
    for m in BRATS_MODALITIES:
        _nii(root / grade / sid / f"{sid}_{m}.nii.gz", np.full(shape, BRATS_MODALITIES.index(m), np.float32))
    lab = np.zeros(shape, np.int16) if seg is None else seg
    _nii(root / grade / sid / f"{sid}_seg.nii.gz", lab)


def test_brats_layout(tmp_path):
    seg = np.zeros((4, 4, 3), np.int16)
    seg[0, 0, 0], seg[1, 1, 1], seg[2, 2, 2] = 1, 2, 4
    _brats(tmp_path, "HGG", "Brats18_A_1", seg=seg)
    _brats(tmp_path, "LGG", "Brats18_B_1")
    subjects = brats_subjects(tmp_path)
    assert [(s.subject_id, s.grade) for s in subjects] == [("Brats18_A_1", "HGG"), ("Brats18_B_1", "LGG")]
    image, label = load_brats_subject(subjects[0])
    assert image.shape == (4, 4, 4, 3) and image[2].max() == 2.0  # t1ce is the third channel
    assert (label > 0).sum() == 3


def test_brats_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither HGG/ nor LGG/"):
        brats_subjects(tmp_path)
    _brats(tmp_path, "HGG", "S1")
    (tmp_path / "HGG" / "S1" / "S1_t2.nii.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"lacks \*_t2.nii.gz"):
        brats_subjects(tmp_path)
    _brats(tmp_path, "HGG", "S1")
    _nii(tmp_path / "HGG" / "S1" / "S1_seg.nii.gz", np.zeros((5, 4, 3), np.int16))
    with pytest.raises(ValueError, match="differ in shape"):
        load_brats_subject(brats_subjects(tmp_path)[0])
    _nii(tmp_path / "HGG" / "S1" / "S1_seg.nii.gz", np.full((4, 4, 3), 3, np.int16))
    with pytest.raises(ValueError, match="unexpected label values"):
        load_brats_subject(brats_subjects(tmp_path)[0])
    (tmp_path / "HGG" / "S1" / "S1_flair.nii.gz").write_bytes(b"corrupt")
    with pytest.raises(ValueError, match="S1_flair.nii.gz' could not be read"):
        load_brats_subject(brats_subjects(tmp_path)[0])


def _acdc(root, pid, ed=1, es=5, info=None):
    folder = root / pid
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Info.cfg").write_text(info if info is not None else f"ED: {ed}\nES: {es}\nGroup: NOR\n")
    for frame, cavity in ((ed, 6), (es, 2)):
        lab = np.zeros((6, 6, 2), np.int16)
        lab[:cavity, 0, 0] = 3
        lab[5, 5, 1] = 2
        _nii(folder / f"{pid}_frame{frame:02d}.nii.gz", np.ones((6, 6, 2), np.float32), (1.56, 1.56, 2.5))
        _nii(folder / f"{pid}_frame{frame:02d}_gt.nii.gz", lab, (1.56, 1.56, 2.5))


def test_acdc_layout(tmp_path):
    _acdc(tmp_path, "patient001")
    _acdc(tmp_path, "patient002", ed=2, es=9)
    (tmp_path / "notes").mkdir()
    patients = acdc_patients(tmp_path)
    assert [(p.patient_id, p.ed_frame, p.es_frame) for p in patients] == [("patient001", 1, 5), ("patient002", 2, 9)]
    data = load_acdc_patient(patients[0])
    assert (data["ED"][1] == 3).sum() == 6 and (data["ES"][1] == 3).sum() == 2
    np.testing.assert_allclose(data["spacing"], (1.56, 1.56, 2.5), rtol=1e-6)


def test_acdc_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no patientNNN"):
        acdc_patients(tmp_path)
    _acdc(tmp_path, "patient001", info="Group: NOR\n")
    with pytest.raises(ValueError, match="needs integer 'ED:' and 'ES:'"):
        acdc_patients(tmp_path)
    _acdc(tmp_path, "patient001")
    (tmp_path / "patient001" / "patient001_frame05_gt.nii.gz").unlink()
    with pytest.raises(FileNotFoundError, match="lacks patient001_frame05_gt.nii.gz"):
        acdc_patients(tmp_path)
    (tmp_path / "patient001" / "Info.cfg").unlink()
    with pytest.raises(FileNotFoundError, match="no Info.cfg"):
        acdc_patients(tmp_path)
