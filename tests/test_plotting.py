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
