"""dicecore.plotting: the Φ schematic (Fig. 1 analogue)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dicecore.losses import PHIS, phi_count
from dicecore.plotting import draw_partition, phi_subset_index


@pytest.mark.parametrize("phi", PHIS)
def test_subset_index_is_a_partition_of_the_right_size(phi):
    idx = phi_subset_index(phi, 3, 4)
    assert idx.shape == (3, 4)
    assert len(np.unique(idx)) == phi_count(phi, 3, 4)


@pytest.mark.parametrize("phi", PHIS)
def test_draw_partition_colours_one_subset(phi):
    fig, ax = plt.subplots()
    draw_partition(ax, phi, batch_size=2, num_classes=3, n_pixels=2)
    blue = [p for p in ax.patches if p.get_facecolor()[:3] == pytest.approx((0.122, 0.467, 0.706), abs=1e-2)]
    cells_in_subset = int((phi_subset_index(phi, 2, 3) == 0).sum())
    assert len(blue) == 2 * cells_in_subset
    plt.close(fig)


def test_eq5_figure_panels():
    from dicecore.plotting import plot_eq5_solutions

    fig, axes = plt.subplots(1, 3)
    plot_eq5_solutions(list(axes), n=40)
    assert axes[0].get_title().startswith("log₁₀ ε₊") and axes[1].get_title().startswith("log₁₀ ε₋")
    # third panel: the empty-map curve plus three horizontal levels with their two roots each
    assert len(axes[2].lines) == 1 + 3 * 2
    plt.close(fig)


def test_volume_bias_figure_panels():
    from dicecore.plotting import plot_soft_dice_landscape, plot_volume_bias

    fig, (a, b) = plt.subplots(1, 2)
    plot_soft_dice_landscape(a, 4, 1.0, p_betas=(0.0, 0.5, 1.0), resolution=51)
    assert len(a.lines) == 2 * 3  # a curve and its minimum per p_β
    plot_volume_bias(b, 4, mus=(0.25, 4.0), resolution=21)
    assert len(b.lines) == 2 * 2 + 1  # solid + dashed per µ, and the zero line
    plt.close(fig)
