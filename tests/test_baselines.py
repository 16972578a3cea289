"""dicecore.data.baselines: the training-free baselines of the difficulty report, on hand-made data."""

import numpy as np
import pandas as pd
import pytest

from dicecore.data import baselines


def _band_task(n=6, size=24, seed=0):
    """Channel 0 segments the label exactly by the band 0.4 ≤ x ≤ 0.6; channel 1 is noise."""
    rng = np.random.default_rng(seed)
    signal = rng.uniform(0, 1, (n, size, size))
    labels = ((signal >= 0.4) & (signal <= 0.6)).astype(np.uint8)
    images = np.stack([signal, rng.normal(0, 1, (n, size, size))], axis=1)
    return images, labels


def test_interval_dice_finds_the_band_and_ranks_the_channels():
    images, labels = _band_task()
    table = baselines.interval_dice(images, labels, names=["band", "noise"])
    assert list(table["channel"]) == ["band", "noise"]
    assert table.loc[0, "Dice"] > 0.97 and table.loc[0, "lo"] == pytest.approx(0.4, abs=0.02)
    assert table.loc[0, "hi"] == pytest.approx(0.6, abs=0.02) and table.loc[1, "Dice"] < 0.5


def test_logistic_regression_reaches_a_band_but_not_noise():
    images, labels = _band_task()
    assert baselines.logistic_dice(images, labels) > 0.85  # the squares make a band reachable
    rng = np.random.default_rng(3)
    noise_labels = (rng.uniform(size=labels.shape) < 0.2).astype(np.uint8)
    assert baselines.logistic_dice(images, noise_labels) < 0.45


def test_best_cue_auc_takes_the_better_way_round():
    positive = np.array([True] * 5 + [False] * 5)
    cues = pd.DataFrame({"perfect": positive.astype(float), "reversed": (~positive).astype(float),
                         "half": [1, 0] * 5})
    aucs = baselines.best_cue_auc(cues, positive)
    assert aucs["perfect"] == aucs["reversed"] == 1.0 and aucs["half"] == pytest.approx(0.6)
    assert list(aucs.index)[-1] == "half"


def test_structure_cues_by_hand():
    image = np.zeros((2, 4, 4))
    image[0, 1:3, 1:3] = [[1.0, 2.0], [3.0, 4.0]]
    image[1] = 5.0
    label = np.zeros((4, 4), np.uint8)
    label[1:3, 1:3] = 1
    cues = baselines.structure_cues([image], [label], ["a", "b"], bright="a").iloc[0]
    assert cues["mean a in it"] == 2.5 and cues["mean b in it"] == 5.0 and cues["volume"] == 4.0
    assert cues["a 95th percentile in it"] == pytest.approx(3.85)  # numpy's linear rule: 3 + 0.85
    assert cues["centre (second axis)"] == 1.5


def test_patch_foreground_share_of_a_known_block():
    labels = np.zeros((2, 40, 40), dtype=np.uint8)
    labels[:, 10:30, 10:30] = 1  # a 20 × 20 block: a 40 × 40 patch holds a quarter of foreground
    assert baselines.patch_foreground_share(labels, 40) == pytest.approx(0.25)
    small = baselines.patch_foreground_share(labels, 8, n_patches=300)
    assert 0 < small <= 1 and small > 0.25  # small patches drawn to contain foreground are mostly foreground


@pytest.mark.parametrize("call, message", [
    (lambda: baselines.interval_dice(np.zeros((2, 1, 4, 4)), np.zeros((3, 4, 4))), "images, labels: need"),
    (lambda: baselines.interval_dice(np.zeros((2, 1, 4, 4)), np.zeros((2, 4, 4))), "labels: no foreground"),
    (lambda: baselines.interval_dice(*_band_task(), names=["a"]), "names: 1 names for 2 channels"),
    (lambda: baselines.logistic_dice(*[a[:1] for a in _band_task()]), "images: need at least two subjects"),
    (lambda: baselines.best_cue_auc(pd.DataFrame({"x": [1.0, 2.0]}), [True, True]), "positive: need one flag"),
    (lambda: baselines.patch_foreground_share(np.ones((1, 4, 4)), 8), "patch: 8 is larger than the image"),
    (lambda: baselines.structure_cues([np.ones((1, 4, 4))], [np.ones((4, 4))], ["a"], bright="b"),
     "bright: 'b' is not one of"),
    (lambda: baselines.structure_cues([np.ones((2, 4, 4))], [np.zeros((4, 4))], ["a", "b"]), "images, labels: need"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
