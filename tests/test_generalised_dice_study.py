"""Chapter 3's training grid (dicecore.experiments.generalised_dice): data, sampler, one tiny training (its
report's tables and verdicts: tests/test_generalised_dice_report.py)."""

import numpy as np
import pandas as pd
import pytest
import torch

from dicecore.experiments import generalised_dice as study
from dicecore.papers import sudre2017


@pytest.fixture
def tiny(monkeypatch):
    cfg = dict(study.PROFILES["ci"], iterations={2: 4}, last=2, n_train={2: 1}, n_test={2: 1})
    monkeypatch.setitem(study.PROFILES, "tiny", cfg)
    return "tiny"


def test_grid_and_the_papers_tables():
    from dicecore.experiments.study import select_cells

    ci, paper = study.cells("ci"), study.cells("paper")
    assert len(ci) == 2 * 2 * 4 and len(paper) == 4 * 3 * 3 * 4 * 3  # three seeds per cell
    assert {t.network for t in ci} == {"unet"}
    assert len({t.key for t in paper}) == len(paper)
    assert {(t.patch, t.lr) for t in ci} == {("S", 1e-3), ("S", 1e-4), ("L", 1e-3), ("L", 1e-4)}
    assert {t.network for t in select_cells(paper, {"network": ["deepmedic"]})} == {"deepmedic"}
    assert {t.iterations for t in paper if t.network in ("unet", "twopath")} == {1000}
    assert {t.iterations for t in paper if t.network in ("deepmedic", "highresnet")} == {3000}
    # the cpu grid: the paper's trainings, the 3-D networks at patches S (three seeds) and M (one) — the same cells
    cpu = study.cells("cpu")
    assert len(cpu) == (2 * 3 * 3 + 2 * 3 + 2) * 3 * 4 and {c.key for c in cpu} <= {c.key for c in paper}
    assert {c.patch for c in cpu if c.network in ("deepmedic", "highresnet")} == {"S", "M"}
    assert len(sudre2017.GRID) == 4 * 36 and len(sudre2017.TABLE1) == 12
    cell = sudre2017.GRID.set_index(["network", "patch", "lr", "loss"])
    assert tuple(cell.loc[("unet", "L", 1e-4, "SS")]) == (0.18, 0.24)
    assert tuple(cell.loc[("twopath", "S", 1e-3, "WCE")]) == (0.0, 0.0)
    assert tuple(cell.loc[("highresnet", "M", 1e-3, "GDL_v")]) == (0.65, 0.23)
    assert tuple(cell.loc[("deepmedic", "L", 1e-3, "SS")]) == (0.05, 0.12)
    assert study.PATCHES["deepmedic"]["L"] == (87, 39, 1)
    with pytest.raises(ValueError, match="profile: unknown profile 'big'"):
        study.cells("big")
    with pytest.raises(ValueError, match=r"only: network=deepmedic is not in this grid; network takes \['unet'\]"):
        select_cells(ci, {"network": ["deepmedic"]})
    per_network = dict(study.PROFILES["ci"], networks=("unet", "twopath"), patches={"unet": ("S",), "twopath": ("L",)})
    study.PROFILES["per_network"] = per_network
    try:
        assert {(t.network, t.patch) for t in study.cells("per_network")} == {("unet", "S"), ("twopath", "L")}
    finally:
        del study.PROFILES["per_network"]
    with pytest.raises(ValueError, match="name: unknown network 'vnet'"):
        study.build_network("vnet", 1)


def test_tumour_slices_and_patches_that_hold_tumour():
    from dicecore.data.sampling import foreground_patches

    images, labels = study.tumour_slices(1)
    assert images.shape[1:] == (4, 80, 96) and labels.shape == (len(images), 80, 96)
    assert (labels.reshape(len(labels), -1).sum(1) >= 20).all()
    brain = images[:, 0] != images[0, 0, 0, 0]
    assert abs(float(images[:, 0][brain].mean())) < 1.0  # z-scored over the brain
    sample = foreground_patches(images, labels, 16, 5)
    gen = torch.Generator().manual_seed(0)
    for _ in range(10):
        x, y = sample(gen)
        assert x.shape == (5, 4, 16, 16) and y.shape == (5, 1, 16, 16)
        assert (y.sum((1, 2, 3)) >= 1).all()  # the paper's rule: at least one foreground pixel per patch
    with pytest.raises(ValueError, match="size: a 96-voxel patch does not fit the 80 × 96 images"):
        foreground_patches(images, labels, 96, 1)


@pytest.mark.parametrize("name", study.LOSSES)
def test_each_loss_trains_on_one_foreground_map(name):
    logits = torch.randn(2, 1, 8, 8, requires_grad=True)
    reference = (torch.rand(2, 1, 8, 8) > 0.7).float()
    loss = study.loss_function(name)(logits, reference)
    loss.backward()
    assert loss.ndim == 0 and torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


def test_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="name: unknown loss 'Dice'"):
        study.loss_function("Dice")


@pytest.mark.parametrize("network", ["twopath", "deepmedic", "highresnet"])
def test_every_network_trains_one_cell(network, monkeypatch, tmp_path):
    cfg = dict(study.PROFILES["paper"], iterations={2: 3, 3: 2}, last=2, n_train={2: 1, 3: 1}, n_test={2: 1, 3: 1})
    monkeypatch.setitem(study.PROFILES, "tiny3", cfg)
    from dicecore.experiments.study import ResultStore

    task = study.GeneralisedDiceCell(network=network, patch="S", lr=1e-3, loss="GDL_v",
                                     iterations=cfg["iterations"][study.NETWORKS[network][1]], profile="tiny3")
    row = study.run_cell(task, ResultStore(tmp_path).paths(task)).iloc[0]
    assert row["effective_patch"] == study.PATCHES[network]["S"][1] and row["batch_size"] == 5
    assert 0 <= row["test_dsc"] <= 1 and 0 < row["fg_fraction"] <= 1 and not row["diverged"]
    saved = study.example_predictions([task], ResultStore(tmp_path))
    if network == "twopath":  # Fig. 4 is the 3-D study's
        assert saved == {}
    else:
        image, reference, z = study.example_slice("tiny3")
        volume = study.lesion_volumes(1, first=1)[1][0]  # the held-out volume of "tiny3"
        assert image.shape == (1, 96, 80) and reference.sum() == volume.sum((0, 1)).max() > 0
        assert image.min() == 0 and image.max() == 1
        np.testing.assert_array_equal(reference[::-1].T, volume[:, :, z])  # upright: a transpose and a flip
        prediction = saved[(network, "S", 1e-3)]["GDL_v"]
        assert prediction.shape == reference.shape and set(np.unique(prediction)) <= {0, 1}


def test_one_training_end_to_end_is_deterministic(tiny):
    task = study.GeneralisedDiceCell(network="unet", patch="S", lr=1e-3, loss="GDL_v", iterations=4, profile=tiny)
    first, second = study.run_cell(task), study.run_cell(task)
    assert len(first) == 1 and not first.loc[0, "diverged"]
    cols = ["dsc_median", "dsc_iqr", "test_dsc", "fg_fraction"]
    pd.testing.assert_frame_equal(first[cols], second[cols], check_exact=True)
    assert first.loc[0, "effective_patch"] == 16 and first.loc[0, "batch_size"] == 5
    assert 0 <= first.loc[0, "test_dsc"] <= 1 and 0 < first.loc[0, "fg_fraction"] <= 1


