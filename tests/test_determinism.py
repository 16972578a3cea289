"""Determinism: the ci profile gives identical tables on two runs on the same machine.

Chapter 2's empirical study is the fastest chapter experiment that trains networks; two runs of its
experiment functions must agree bit for bit (no tolerance), and so must the phantoms every chapter uses.
"""

import numpy as np
import pandas as pd
import pytest

from dicecore.data.brain import BratsLike
from dicecore.data.heart import AcdcLike
from dicecore.data.uncertainty import uncertainty_task
from dicecore.experiments import volume_bias as study
from dicecore.experiments.study import ResultStore, run_study


def _run(tmp_path, name, chosen):
    run_study(study.STUDY, "ci", cells=chosen, workers=0, folder=tmp_path / name, progress=False)
    per_subject = ResultStore(tmp_path / name).read(chosen)
    return per_subject.drop(columns=["seconds"]), study.summarise(per_subject)


def test_chapter2_study_is_identical_on_a_second_run(tmp_path):
    chosen = [t for t in study.cells("ci") if t.task in ("isles17_like", "brats_like") and t.fold == 0]
    assert {t.loss for t in chosen} == {"CE", "SD"}
    first, summary_first = _run(tmp_path, "first", chosen)
    second, summary_second = _run(tmp_path, "second", chosen)
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    pd.testing.assert_frame_equal(summary_first, summary_second, check_exact=True)


@pytest.mark.parametrize("task", ["molars_like", "isles18_like"])
def test_uncertainty_phantoms_are_identical(task):
    a, b = uncertainty_task(task, 6, 16, seed=3), uncertainty_task(task, 6, 16, seed=3)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.labels, uncertainty_task(task, 6, 16, seed=4).labels)


def test_brain_and_heart_phantoms_are_identical():
    brats_a, brats_b = BratsLike(n_hgg=1, n_lgg=1, seed=5), BratsLike(n_hgg=1, n_lgg=1, seed=5)
    assert brats_a.grades == brats_b.grades
    for i in range(2):
        (img_a, lab_a, grade_a), (img_b, lab_b, grade_b) = brats_a.subject(i), brats_b.subject(i)
        np.testing.assert_array_equal(img_a, img_b)
        np.testing.assert_array_equal(lab_a, lab_b)
        assert grade_a == grade_b
    acdc_a = AcdcLike(n_subjects=1, shape=(48, 48, 8), seed=5).subject(0)
    acdc_b = AcdcLike(n_subjects=1, shape=(48, 48, 8), seed=5).subject(0)
    for phase in ("ED", "ES"):
        np.testing.assert_array_equal(acdc_a[phase][0], acdc_b[phase][0])
        np.testing.assert_array_equal(acdc_a[phase][1], acdc_b[phase][1])
