"""dicecore.data.datasets: the BraTS 2018 and ACDC layouts, on tiny files written here."""

import numpy as np
from _layouts import write_acdc_patient as _acdc, write_brats_subject as _brats

from dicecore.data.datasets import acdc_patients, brats_subjects, load_acdc_patient, load_brats_subject


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
