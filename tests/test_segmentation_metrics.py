"""Chapter 5's metrics: NSD (Hosseini Eq. 6) against MONAI's surface Dice, and the per-class scores by hand."""

import numpy as np
import pytest
import torch
from monai.metrics import compute_surface_dice

from dicecore.metrics import segmentation_metrics, summarise_segmentation, surface_dice


def _blob(shape, centre, radius):
    grid = np.indices(shape)
    return sum((g - c) ** 2 for g, c in zip(grid, centre)) <= radius**2


@pytest.mark.parametrize("tolerance", [0.0, 1.0, 2.0, 3.5])
@pytest.mark.parametrize("case", range(4))
def test_nsd_equals_monai_surface_dice(case, tolerance):
    rng = np.random.default_rng(case)
    shape = (40, 36) if case % 2 == 0 else (20, 18, 16)
    target = _blob(shape, [s // 2 for s in shape], 6)
    pred = _blob(shape, [s // 2 + int(rng.integers(-3, 4)) for s in shape], 6 + int(rng.integers(-2, 3)))
    pred ^= rng.random(shape) < 0.01  # speckle
    ours = surface_dice(pred, target, tolerance)
    onehot = lambda m: torch.from_numpy(np.stack([~m, m]))[None].float()  # noqa: E731
    monai = compute_surface_dice(onehot(pred), onehot(target), [tolerance], include_background=False)
    assert ours == pytest.approx(float(monai[0, 0]), abs=1e-6)


def test_nsd_with_anisotropic_spacing_equals_monai():
    target = _blob((30, 30, 10), (15, 15, 5), 6)
    pred = _blob((30, 30, 10), (16, 14, 5), 6)
    onehot = lambda m: torch.from_numpy(np.stack([~m, m]))[None].float()  # noqa: E731
    monai = compute_surface_dice(onehot(pred), onehot(target), [2.0], include_background=False, spacing=(1.0, 1.0, 2.5))
    assert surface_dice(pred, target, 2.0, spacing=(1.0, 1.0, 2.5)) == pytest.approx(float(monai[0, 0]), abs=1e-6)


def test_nsd_limits():
    m = _blob((20, 20), (10, 10), 5)
    assert surface_dice(m, m, 0.0) == 1.0
    assert surface_dice(m, np.zeros_like(m), 1.0) == 0.0
    assert np.isnan(surface_dice(np.zeros_like(m), np.zeros_like(m), 1.0))


def test_segmentation_metrics_by_hand():
    target = np.zeros((1, 4, 4), int)
    target[0, :2, :2] = 1  # 4 pixels of class 1
    pred = np.zeros_like(target)
    pred[0, :2, :3] = 1  # 6 predicted: TP 4, FP 2
    pred[0, 3, 3] = 2  # class 2 predicted, absent from the reference
    table = segmentation_metrics(pred, target, num_classes=3)
    one = table[table["class"] == 1].iloc[0]
    assert one["dice"] == pytest.approx(8 / 10) and one["iou"] == pytest.approx(4 / 6)
    assert one["precision"] == pytest.approx(4 / 6) and one["recall"] == 1.0
    two = table[table["class"] == 2].iloc[0]
    assert two["dice"] == 0.0 and two["precision"] == 0.0 and np.isnan(two["recall"])
    summary = summarise_segmentation(table)
    assert summary["mDice"] == pytest.approx(100 * (0.8 + 0.0) / 2) and summary["mRec."] == pytest.approx(100.0)
    assert summary["Dice 1"] == pytest.approx(80.0)
