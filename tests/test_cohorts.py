"""dicecore.data.cohorts: one fold convention for every chapter."""

import numpy as np
import pytest

from dicecore.data.cohorts import folds, held_out


def test_every_subject_is_held_out_once_and_folds_are_near_equal():
    parts = folds(np.arange(23), 5, seed=[0, 7])
    assert sorted(np.concatenate(parts).tolist()) == list(range(23))
    assert sorted(len(p) for p in parts) == [4, 4, 5, 5, 5]
    again = folds(np.arange(23), 5, seed=[0, 7])
    assert all(np.array_equal(a, b) for a, b in zip(parts, again))  # a seed, the same folds
    other = folds(np.arange(23), 5, seed=[1, 7])
    assert not all(np.array_equal(a, b) for a, b in zip(parts, other))


def test_stratified_folds_hold_out_each_group_evenly():
    grade = np.array(["HGG"] * 20 + ["LGG"] * 10)
    parts = folds(np.arange(30), 5, stratify_by=grade, seed=3)
    assert [int((grade[p] == "LGG").sum()) for p in parts] == [2] * 5
    assert [int((grade[p] == "HGG").sum()) for p in parts] == [4] * 5


def test_held_out_keeps_a_subjects_frames_together():
    subject_of_frame = np.array([0, 0, 1, 1, 2, 2])
    train, test = held_out(subject_of_frame, [1])
    assert train.tolist() == [0, 1, 4, 5] and test.tolist() == [2, 3]


@pytest.mark.parametrize("args, message", [
    (([0, 1, 2], 1), "k: need 2 ≤ k ≤ 3"),
    (([0, 1, 2], 4), "k: need 2 ≤ k ≤ 3"),
    (([0, 0, 1], 2), "subjects: each subject once"),
    (([], 2), "subjects: need a non-empty 1-D sequence"),
])
def test_bad_folds_are_named(args, message):
    with pytest.raises(ValueError, match=message):
        folds(*args)
    with pytest.raises(ValueError, match="stratify_by: one group per subject"):
        folds([0, 1, 2, 3], 2, stratify_by=["a", "b"])
