"""Chapter 5's phantom frames, the gradient-focus measurement and the Fig. 2 plot."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dicecore.data.polyps import kvasir_like, polyp_example
from dicecore.losses import eq4_dice_loss, pm_dice_loss
from dicecore.plotting import plot_modulating_maps
from dicecore.theory.imbalance import gradient_focus


def test_kvasir_like_frames():
    images, masks = kvasir_like(6, size=48, seed=2)
    assert images.shape == (6, 3, 48, 48) and images.dtype == np.float32 and masks.shape == (6, 48, 48)
    assert 0 <= images.min() and images.max() <= 1 and set(np.unique(masks)) <= {0, 1}
    assert all(m.sum() > 0 for m in masks)
    polyp, mucosa = images[:, 1][masks == 1].mean(), images[:, 1][masks == 0].mean()
    assert polyp > mucosa  # polyps are tinted: visible in the green channel
    again, _ = kvasir_like(6, size=48, seed=2)
    np.testing.assert_array_equal(images, again)
    with pytest.raises(ValueError, match="n, size: need n ≥ 1 frames of side ≥ 16"):
        kvasir_like(0)


def test_kvasir_like_is_not_segmented_by_colour():
    # Issue 18's band: no intensity interval on one channel reaches a Dice above 0.55, nor does a per-pixel
    # logistic regression on the three channels (the paper's networks reach 0.91 on Kvasir-SEG); version 1,
    # without the polyp-coloured distractors, gave 0.71 and 0.94
    from dicecore.data.baselines import interval_dice, logistic_dice

    images, masks = kvasir_like(40, size=64, seed=1)
    assert interval_dice(images, masks, names=list("RGB"))["Dice"].max() <= 0.55
    assert logistic_dice(images, masks) <= 0.55
    foreground_share = np.mean([m.mean() for m in masks])
    assert 0.05 < foreground_share < 0.3  # polyps stay a minority of the frame


def test_polyp_example_is_fig2s_situation():
    ex = polyp_example(size=120, seed=1)
    assert (ex.probability[ex.large] > 0.5).mean() > 0.9  # the large polyp is found
    assert (ex.probability[ex.small] > 0.5).mean() < 0.05  # the small one is missed
    assert ex.small.sum() < 0.1 * ex.mask.sum() and not (ex.small & ex.large).any()


def test_gradient_focus_shares_and_pm_focus():
    ex = polyp_example(size=120, seed=1)
    regions = {"small": ex.small, "large": ex.large, "rest": ~(ex.small | ex.large)}
    dice = gradient_focus(eq4_dice_loss, ex.probability, ex.mask, regions)
    assert sum(dice[k] for k in regions) == pytest.approx(1.0)
    pm5 = gradient_focus(lambda x, t, **kw: pm_dice_loss(x, t, gamma=5.0, **kw), ex.probability, ex.mask, regions)
    assert pm5["small"] > 2 * dice["small"] and pm5["loss"] > dice["loss"]


def test_stop_gradient_ablation_turns_the_gradient_away_from_the_missed_polyp():
    from dicecore.theory.imbalance import stop_gradient_ablation

    ex = polyp_example(size=160, seed=0)  # Chapter 5's frame
    small = ex.regions(border=3)["small polyp"]
    table = stop_gradient_ablation(ex.probability, ex.mask, small, gammas=(1.0, 2.0))
    assert list(table["γ"]) == [1.0, 2.0]
    assert (table["cos(detached, through m)"] < 0.999).all()  # another direction
    assert (table["share in region, through m"] < table["share in region, detached"]).all()
    detached = gradient_focus(lambda x, t, **kw: pm_dice_loss(x, t, gamma=2.0, **kw), ex.probability, ex.mask,
                              {"small": small})["small"]
    assert table.loc[1, "share in region, detached"] == pytest.approx(detached)  # the same logits and shares


def test_plot_modulating_maps():
    ex = polyp_example(size=48)
    fig, axes = plt.subplots(1, 4)
    plot_modulating_maps(axes, ex, gammas=(0.0, 1.0), losses=[0.1, 0.2])
    assert axes[3].get_title().startswith("m, γ = 1") and "0.200" in axes[3].get_title()
    with pytest.raises(ValueError, match="axes: need 4 axes"):
        plot_modulating_maps(axes[:3], ex, gammas=(0.0, 1.0))
    plt.close(fig)
    fig, grid = plt.subplots(2, 2)  # a grid works too; a spare axis is hidden
    plot_modulating_maps(grid, ex, gammas=(1.0,))
    assert not grid[1, 1].get_visible()
    plt.close(fig)


def test_regions_partition_the_frame():
    ex = polyp_example(size=64, seed=2)
    regions = ex.regions(border=2)
    stacked = np.stack(list(regions.values())).astype(int)
    assert (stacked.sum(0) == 1).all()  # disjoint and covering
    assert regions["small polyp"].sum() == ex.small.sum() and "large polyp, border (±2 px)" in regions
