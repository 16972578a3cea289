"""dicecore.data.datasets: the BraTS 2018, ACDC, Kvasir-SEG and MSSEG layouts, on tiny files written here
(errors: test_robustness)."""

import numpy as np
from _layouts import write_acdc_patient as _acdc, write_brats_subject as _brats
from _layouts import write_kvasir, write_msseg2, write_msseg2016

from dicecore.data.datasets import (
    acdc_patients, brats_subjects, kvasir_pairs, load_acdc_patient, load_brats_subject, load_kvasir_pair,
    load_lesion_subject, msseg2_subjects, msseg2016_subjects,
)


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


def test_acdc_layout(tmp_path):
    _acdc(tmp_path, "patient001")
    _acdc(tmp_path, "patient002", ed=2, es=9)
    (tmp_path / "notes").mkdir()
    patients = acdc_patients(tmp_path)
    assert [(p.patient_id, p.ed_frame, p.es_frame) for p in patients] == [("patient001", 1, 5), ("patient002", 2, 9)]
    data = load_acdc_patient(patients[0])
    assert (data["ED"][1] == 3).sum() == 6 and (data["ES"][1] == 3).sum() == 2
    np.testing.assert_allclose(data["spacing"], (1.56, 1.56, 2.5), rtol=1e-6)


def test_kvasir_layout(tmp_path):
    write_kvasir(tmp_path)
    (tmp_path / "images" / "notes.txt").write_text("not an image")
    pairs = kvasir_pairs(tmp_path)
    assert [(i.name, m.name) for i, m in pairs] == [("a.jpg", "a.jpg"), ("b.jpg", "b.jpg")]
    image, mask = load_kvasir_pair(*pairs[0], size=32)
    assert image.shape == (3, 32, 32) and image.dtype == np.float32 and 0 <= image.min() and image.max() <= 1
    assert abs(image[0].mean() - 200 / 255) < 0.02
    assert mask.shape == (32, 32) and set(np.unique(mask)) == {0, 1}
    assert abs(mask.mean() - 0.25) < 0.03  # the top-left quarter survives the JPEG round trip and the resize


def test_msseg2016_layout(tmp_path):
    write_msseg2016(tmp_path, "Center_01/Patient_01")
    write_msseg2016(tmp_path, "Center_07/Patient_02")
    subjects = msseg2016_subjects(tmp_path)
    assert [s.subject_id for s in subjects] == ["Center_01/Patient_01", "Center_07/Patient_02"]
    images, label = load_lesion_subject(subjects[0])
    assert images.shape == (5, 6, 5, 4) and images.min() == 0 and images.max() == 1
    assert label.sum() == 1 and label.dtype == np.uint8


def test_msseg2_layout(tmp_path):
    write_msseg2(tmp_path, "013")
    (tmp_path / "README").mkdir()
    subjects = msseg2_subjects(tmp_path)
    assert [s.subject_id for s in subjects] == ["013"]
    images, label = load_lesion_subject(subjects[0])
    assert images.shape == (2, 6, 5, 4) and (images == 0).all()  # constant images scale to 0
    assert label[2, 2, 2] == 1
