"""Chapter 3's training grid (dicecore.experiments.generalised_dice): data, sampler, one tiny training, the
tables and the verdict rules."""

import itertools

import numpy as np
import pandas as pd
import pytest
import torch

from dicecore.experiments import generalised_dice as study


@pytest.fixture
def tiny(monkeypatch):
    cfg = dict(study.PROFILES["ci"], iterations=4, last=2, n_train=1, n_test=1)
    monkeypatch.setitem(study.PROFILES, "tiny", cfg)
    return "tiny"


def test_grid_and_the_papers_tables():
    ci, paper = study.tasks("ci"), study.tasks("paper")
    assert len(ci) == 2 * 2 * 4 and len(paper) == 3 * 3 * 4
    assert len({t.key for t in paper}) == len(paper)
    assert {(t.patch, t.lr) for t in ci} == {("S", 1e-3), ("S", 1e-4), ("L", 1e-3), ("L", 1e-4)}
    assert len(study.PAPER_TABLE2_UNET) == 36
    cell = study.PAPER_TABLE2_UNET.set_index(["patch", "lr", "loss"]).loc[("L", 1e-4, "SS")]
    assert (cell["median"], cell["IQR"]) == (0.18, 0.24)
    with pytest.raises(ValueError, match="profile: unknown profile 'big'"):
        study.tasks("big")


def test_tumour_slices_and_patches_that_hold_tumour():
    images, labels = study.tumour_slices(1)
    assert images.shape[1:] == (4, 80, 96) and labels.shape == (len(images), 80, 96)
    assert (labels.reshape(len(labels), -1).sum(1) >= 20).all()
    brain = images[:, 0] != images[0, 0, 0, 0]
    assert abs(float(images[:, 0][brain].mean())) < 1.0  # z-scored over the brain
    sample = study.patch_sampler(images, labels, 16, 5)
    gen = torch.Generator().manual_seed(0)
    for _ in range(10):
        x, y = sample(gen)
        assert x.shape == (5, 4, 16, 16) and y.shape == (5, 1, 16, 16)
        assert (y.sum((1, 2, 3)) >= 1).all()  # the paper's rule: at least one foreground pixel per patch
    with pytest.raises(ValueError, match="size: a 96-pixel patch does not fit"):
        study.patch_sampler(images, labels, 96, 1)


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


def test_one_training_end_to_end_is_deterministic(tiny):
    task = study.Task("unet", "S", 1e-3, "GDL_v", 0, tiny)
    first, second = study.run_task(task), study.run_task(task)
    assert len(first) == 1 and not first.loc[0, "diverged"]
    cols = ["dsc_median", "dsc_iqr", "test_dsc", "fg_fraction"]
    pd.testing.assert_frame_equal(first[cols], second[cols], check_exact=True)
    assert first.loc[0, "effective_patch"] == 16 and first.loc[0, "batch_size"] == 5
    assert 0 <= first.loc[0, "test_dsc"] <= 1 and 0 < first.loc[0, "fg_fraction"] <= 1


def test_train_polynomial_records_per_iteration_columns():
    from dicecore.train import train_polynomial

    model = torch.nn.Conv2d(1, 2, 1)
    x, y = torch.randn(4, 1, 4, 4), torch.randint(0, 2, (4, 4, 4))
    history = train_polynomial(model, torch.nn.functional.cross_entropy, lambda g: (x, y), iterations=3, lr=1e-2,
                               power=0.0, weight_decay=0.0, record=lambda logits, labels: {"n": logits.shape[0]})
    assert list(history.columns) == ["iteration", "train_loss", "n"] and (history["n"] == 4).all()


def _results(values):
    """Synthetic grid rows: values[(patch, lr, loss)] = median DSC."""
    rows = []
    for (patch, lr, loss), v in values.items():
        rows.append({"network": "unet", "patch": patch, "lr": lr, "loss": loss, "seed": 0, "dsc_median": v,
                     "dsc_iqr": 0.1, "test_dsc": v, "diverged": False, "fg_fraction": 0.5 if patch == "S" else 0.2,
                     "effective_patch": study.PATCHES[patch][0], "batch_size": study.PATCHES[patch][1]})
    return pd.DataFrame(rows)


def _grid(fn, patches=("S", "L"), lrs=(1e-3, 1e-4)):
    return _results({(p, lr, loss): fn(p, lr, loss) for p, lr, loss in itertools.product(patches, lrs, study.LOSSES)})


def test_tables_have_the_papers_layout():
    results = _grid(lambda p, lr, loss: 0.8)
    table = study.summarise(results)
    assert list(table.columns) == ["patch", "lr", *study.LOSSES]
    assert list(zip(table["patch"], table["lr"])) == [("S", "0.0001"), ("S", "0.001"), ("L", "0.0001"), ("L", "0.001")]
    assert table.loc[2, "SS"] == "0.80 (0.10) / 0.18 (0.24)"
    imbalance = study.imbalance_table(results)
    assert list(imbalance["patch"]) == ["S", "L"] and list(imbalance["paper's ratio"]) == [0.52, 0.15]


def test_verdicts():
    def verdicts(results):
        return {c[0]: c[2] for c in study.claims(results, "x")}

    gdl_best = verdicts(_grid(lambda p, lr, loss: {"GDL_v": 0.8, "DL2": 0.8 if lr == 1e-4 else 0.2}.get(loss, 0.3)
                              + (0.1 if p == "S" and lr == 1e-4 else 0.0)))
    assert gdl_best["GDL_v is the most robust to learning rate and patch size"] == "reproduced"
    assert gdl_best["an intermediate learning rate (10⁻⁴) trains best"].startswith("partly")
    assert gdl_best["smaller patches with larger batches train better"].startswith("inconclusive")
    tie = verdicts(_grid(lambda p, lr, loss: 0.9 if loss != "SS" else 0.0))
    assert tie["GDL_v is the most robust to learning rate and patch size"].startswith("partly: GDL_v is as robust")
    assert tie["(ours) trainings that never segmented the tumour (median DSC < 0.05)"] == "observed"
    worse = verdicts(_grid(lambda p, lr, loss: 0.2 if loss == "GDL_v" else 0.8, lrs=(1e-3, 1e-4, 1e-5)))
    assert worse["GDL_v is the most robust to learning rate and patch size"] == "not reproduced"
    assert worse["an intermediate learning rate (10⁻⁴) trains best"].startswith("inconclusive")


def test_grid_figures():
    from dicecore.plotting import plot_grid_heatmaps, plot_held_out_dsc

    results = _grid(lambda p, lr, loss: 0.5)
    fig = plot_grid_heatmaps(results, losses=study.LOSSES)
    assert [ax.get_title() for ax in fig.axes[:4]] == list(study.LOSSES)
    fig = plot_held_out_dsc(results, study.LOSSES, patch_order=study.PATCHES)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["S", "L"]
    assert np.isclose(fig.axes[0].patches[0].get_height(), 0.5)
