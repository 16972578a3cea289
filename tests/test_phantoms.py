"""dicecore.data.phantoms: deterministic, right shapes, the stated inherent uncertainty."""

import numpy as np
import pytest

from dicecore.data.phantoms import UNCERTAINTY_TASKS, uncertainty_task


@pytest.mark.parametrize("name", UNCERTAINTY_TASKS)
def test_shapes_determinism_and_standardisation(name):
    a = uncertainty_task(name, 6, 16, seed=3)
    b = uncertainty_task(name, 6, 16, seed=3)
    c = uncertainty_task(name, 6, 16, seed=4)
    dims = 2 if name == "molars_like" else 3
    assert a.images.ndim == 2 + dims and a.labels.shape == (6, 1) + (16,) * dims
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.labels, c.labels)
    assert set(np.unique(a.labels)) <= {0.0, 1.0} and a.labels.sum() > 0
    assert abs(a.images.mean()) < 1e-5 and a.images.std() == pytest.approx(1.0, rel=1e-3)


def test_isles17_uncertainty_parameter_controls_the_rim():
    none = uncertainty_task("isles17_like", 8, 16, seed=0, uncertainty=0.0)
    full = uncertainty_task("isles17_like", 8, 16, seed=0, uncertainty=1.0)
    np.testing.assert_array_equal(none.images, full.images)  # the image does not tell
    assert full.labels.sum() > none.labels.sum()


def test_isles18_noise_parameter():
    clean = uncertainty_task("isles18_like", 4, 16, seed=0, uncertainty=0.0)
    np.testing.assert_array_equal((clean.images > np.quantile(clean.images, 0)) >= 0, True)
    assert "σ = 0" in clean.inherent_uncertainty


def test_errors():
    with pytest.raises(ValueError, match="name"):
        uncertainty_task("isles19")
    with pytest.raises(ValueError, match="uncertainty"):
        uncertainty_task("brats_like", uncertainty=0.5)
    with pytest.raises(ValueError, match="uncertainty"):
        uncertainty_task("isles17_like", uncertainty=1.5)
    with pytest.raises(ValueError, match="n_subjects, size"):
        uncertainty_task("brats_like", 1, 16)
