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


def test_error_overlay_marks_false_positives_red_and_false_negatives_blue():
    from dicecore.plotting import ERROR_COLOURS, error_overlay

    image = np.zeros((1, 2, 3))
    reference = np.array([[1, 1, 0], [0, 0, 0]])
    prediction = np.array([[1, 0, 1], [0, 0, 0]])
    out = error_overlay(image, reference, prediction, alpha=1.0)
    np.testing.assert_allclose(out[0, 0], ERROR_COLOURS["tp"])
    np.testing.assert_allclose(out[0, 1], ERROR_COLOURS["fn"])
    np.testing.assert_allclose(out[0, 2], ERROR_COLOURS["fp"])
    np.testing.assert_allclose(out[1, 0], 0.0)  # background stays the (dimmed) image
    # several classes: structures in their colours, wrong labels red
    multi = error_overlay(np.ones((1, 1, 3)), np.array([[1, 2, 3]]), np.array([[1, 3, 3]]), alpha=1.0)
    np.testing.assert_allclose(multi[0, 1], ERROR_COLOURS["fp"])
    assert not np.allclose(multi[0, 0], multi[0, 2])
    with pytest.raises(ValueError, match="spatial shapes differ"):
        error_overlay(image, reference, prediction[:, :2])


def test_visual_comparison_grid():
    from dicecore.plotting import plot_visual_comparison

    ref = np.zeros((4, 4), int)
    ref[1:3, 1:3] = 1
    rows = [("task A", np.zeros((3, 4, 4)), ref, {"CE": ref, "Dice": 1 - ref}), ("task B", np.zeros((1, 4, 4)), ref,
                                                                                 {"CE": ref})]
    fig = plot_visual_comparison(rows, ["CE", "Dice"])
    axes = np.array(fig.axes).reshape(3, 2)  # reference + one row per loss; one column per task
    assert [a.get_title() for a in axes[0]] == ["task A", "task B"]
    assert [a.get_ylabel() for a in axes[:, 0]] == ["reference", "CE", "Dice"]
    assert len(axes[2, 0].images) == 1 and not axes[2, 1].images  # task B has no Dice prediction


def test_volume_error_figure_shows_each_cell_and_marks_those_not_run():
    import pandas as pd

    from dicecore.plotting import plot_volume_errors

    rows = [{"task": t, "model": "LR", "loss": loss, "dV": dv, "true_volume": 100.0}
            for t in ("a", "b") for loss in ("CE", "SD") for dv in (-5.0, 0.0, 20.0)]
    fig = plot_volume_errors(pd.DataFrame(rows), ["a", "b", "c"], ["LR", "U-Net"], {"a": "task a"})
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["task a", "b", "c"]
    points = axes[0].collections  # one scatter per run cell: the per-subject ΔV in % of the true volume
    assert len(points) == 2 and sorted(points[1].get_offsets()[:, 1]) == [-5.0, 0.0, 20.0]
    assert [t.get_text() for t in axes[0].texts] == ["not run", "not run"]  # U-Net's two cells
    assert len(axes[2].texts) == 4 and not axes[2].collections  # a task with nothing run
    plt.close(fig)


def test_gamma_sweep_figure_plots_three_metrics_and_marks_a_sweep_not_run():
    import pandas as pd

    from dicecore.plotting import plot_gamma_sweeps

    both = pd.DataFrame({"gamma": ["0, 0", "2, 2"], "mDice": [60.0, 65.0], "mPrec.": [55.0, 70.0],
                         "mRec.": [70.0, 60.0]})
    fig = plot_gamma_sweeps(both, both.iloc[:0])
    left, right = fig.axes
    assert [line.get_label() for line in left.lines] == ["mDice", "mPrec.", "mRec."]
    assert list(left.lines[1].get_xdata()) == [0.0, 2.0] and list(left.lines[1].get_ydata()) == [55.0, 70.0]
    assert [t.get_text() for t in right.texts] == ["not run yet"] and not left.texts
    plt.close(fig)


def test_early_foreground_figure_has_a_panel_per_rate_and_a_line_per_loss():
    import pandas as pd

    from dicecore.plotting import plot_early_foreground

    h = pd.DataFrame({"iteration": [0, 1, 2], "p_foreground": [0.5, 0.1, 0.0]})
    fig = plot_early_foreground({(2e-3, "Dice"): h, (2e-3, "PM Dice γ = 2"): h.assign(p_foreground=0.5),
                                 (1e-4, "Dice"): h})
    left, right = fig.axes
    assert [line.get_label() for line in left.lines] == ["Dice", "PM Dice γ = 2"]
    assert left.get_title() == "learning rate 0.002" and len(right.lines) == 1
    assert list(left.lines[0].get_ydata()) == [0.5, 0.1, 0.0]
    plt.close(fig)
