"""dicecore.data.sampling: the chapters' sampling rules (Chapter 3's foreground rule on real tumours:
test_generalised_dice_study.py)."""

import numpy as np
import pytest
import torch

from dicecore.data.sampling import foreground_patches, random_crops, random_patches, weighted_frames


def _draws(sample, seed=0, n=3):
    gen = torch.Generator().manual_seed(seed)
    return [sample(gen) for _ in range(n)]


def _same(a, b):
    return all(torch.equal(x, y) for pa, pb in zip(a, b) for x, y in zip(pa, pb))


def test_patches_with_context_for_valid_convolutions():
    """DeepMedic's patch: the label window in the middle of a larger input window, edges repeated."""
    rng = np.random.default_rng(0)
    images = rng.standard_normal((2, 2, 12, 10, 11)).astype(np.float32)
    labels = np.zeros((2, 12, 10, 11), np.uint8)
    labels[1, 0, 0, 0] = 1  # the only lesion, in a corner: the input must reach outside the image
    sample = foreground_patches(images, labels, 3, 2, context=4)
    x, y = sample(torch.Generator().manual_seed(1))
    assert x.shape == (2, 2, 11, 11, 11) and y.shape == (2, 1, 3, 3, 3)
    assert (y[:, 0, 0, 0, 0] == 1).all()  # the window starts at the corner (clipped)
    np.testing.assert_array_equal(x[0, :, 4:7, 4:7, 4:7].numpy(), images[1, :, :3, :3, :3])
    np.testing.assert_array_equal(x[0, :, 0, 4, 4].numpy(), images[1, :, 0, 0, 0])  # edge repeated
    with pytest.raises(ValueError, match="context: need ≥ 0 voxels"):
        foreground_patches(images, labels, 3, 1, context=-1)


def test_random_patches_come_from_the_training_entries_only():
    images = np.stack([np.full((1, 8, 8, 6), float(i), np.float32) for i in range(5)])
    labels = np.stack([np.full((8, 8, 6), i, np.uint8) for i in (1, 3)])  # the training entries' labels
    sample = random_patches(images, np.array([1, 3]), labels, (4, 4, 3), 6)
    draws = _draws(sample)
    for x, y in draws:
        assert x.shape == (6, 1, 4, 4, 3) and y.shape == (6, 1, 4, 4, 3)
        assert set(x[:, 0, 0, 0, 0].tolist()) <= {1.0, 3.0}  # entries 1 and 3, never 0, 2 or 4
        assert torch.equal(x[:, 0, 0, 0, 0], y[:, 0, 0, 0, 0])  # an image's patch with its own labels
    assert _same(draws, _draws(sample)) and not _same(draws, _draws(sample, seed=1))
    with pytest.raises(ValueError, match=r"patch: \(9, 4, 3\) does not fit the volumes \(8, 8, 6\)"):
        random_patches(images, np.array([1]), labels[:1], (9, 4, 3), 1)


def test_weighted_frames_follow_the_weights_and_flag_a_group():
    images = np.arange(4, dtype=np.float32).reshape(4, 1, 1, 1, 1) * np.ones((1, 1, 2, 2, 2), np.float32)
    labels = np.zeros((4, 2, 2, 2), np.uint8)
    groups = ["ED", "ES", "ED", "ES"]
    sample = weighted_frames(images, np.arange(4), labels, groups, {"ED": 3.0, "ES": 1.0}, 4000, flag="ES")
    x, y = sample(torch.Generator().manual_seed(0))
    ed = np.isin(x[:, 0, 0, 0, 0].numpy(), [0.0, 2.0])
    assert 0.72 < ed.mean() < 0.78  # ED : ES = 3 : 1
    assert y.shape == (4000, 2, 2, 2, 2) and torch.equal(y[:, 1, 0, 0, 0], torch.from_numpy((~ed).astype(np.float32)))
    plain = weighted_frames(images, np.arange(4), labels, groups, {"ED": 1.0, "ES": 1.0}, 3)
    assert plain(torch.Generator().manual_seed(0))[1].shape == (3, 1, 2, 2, 2)
    with pytest.raises(ValueError, match=r"weights: no weight for the groups \['ES'\]"):
        weighted_frames(images, np.arange(4), labels, groups, {"ED": 1.0}, 2)


def test_random_crops_flip_and_rotate_image_and_labels_together():
    images = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8)
    masks = (images[:, 0] % 5).long()  # labels that follow the pixels
    sample = random_crops(images, masks, 4, 16)
    for x, y in _draws(sample):
        assert x.shape == (16, 3, 4, 4) and y.shape == (16, 1, 4, 4) and y.dtype == torch.long
        assert torch.equal((x[:, 0] % 5).long(), y[:, 0])
    whole = random_crops(images, masks, None, 2)(torch.Generator().manual_seed(0))
    assert whole[0].shape == (2, 3, 8, 8)
    with pytest.raises(ValueError, match="crop: 9 pixels do not fit the 8 × 8 frames"):
        random_crops(images, masks, 9, 1)


def test_random_crops_place_the_foreground_share_over_foreground():
    images = torch.rand(6, 2, 16, 16, generator=torch.Generator().manual_seed(1))
    masks = torch.zeros(6, 16, 16, dtype=torch.long)
    masks[4, 12:14, 2:4] = 1  # one small lesion in one frame of six
    plain, zero = random_crops(images, masks, 6, 8), random_crops(images, masks, 6, 8, foreground_share=0.0)
    for (x0, y0), (x1, y1) in zip(_draws(plain), _draws(zero)):  # share 0 draws what earlier versions drew
        assert torch.equal(x0, x1) and torch.equal(y0, y1)
    half = random_crops(images, masks, 6, 8, foreground_share=0.5)
    for x, y in _draws(half):
        assert (y[:4].flatten(1).amax(1) == 1).all()  # the first half always holds the lesion
    assert sum(int(y.flatten(1).amax(1).sum()) for _, y in _draws(plain)) < 8  # uniform crops rarely do
    with pytest.raises(ValueError, match=r"foreground_share: a share of the batch lies in \[0, 1\]"):
        random_crops(images, masks, 6, 8, foreground_share=1.5)
    with pytest.raises(ValueError, match="foreground_share: the masks hold no foreground"):
        random_crops(images, torch.zeros_like(masks), 6, 8, foreground_share=0.5)
