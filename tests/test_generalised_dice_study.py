"""Chapter 3's training grid (dicecore.experiments.generalised_dice): data, sampler, one tiny training, the
tables and the verdict rules."""

import itertools

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
    assert len(ci) == 2 * 2 * 4 and len(paper) == 4 * 3 * 3 * 4
    assert {t.network for t in ci} == {"unet"}
    assert len({t.key for t in paper}) == len(paper)
    assert {(t.patch, t.lr) for t in ci} == {("S", 1e-3), ("S", 1e-4), ("L", 1e-3), ("L", 1e-4)}
    assert {t.network for t in select_cells(paper, {"network": ["deepmedic"]})} == {"deepmedic"}
    assert {t.iterations for t in paper if t.network in ("unet", "twopath")} == {1000}
    assert {t.iterations for t in paper if t.network in ("deepmedic", "highresnet")} == {3000}
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


def _results(values, network="unet"):
    """Synthetic grid rows: values[(patch, lr, loss)] = median DSC."""
    rows = []
    for (patch, lr, loss), v in values.items():
        rows.append({"network": network, "patch": patch, "lr": lr, "loss": loss, "seed": 0, "dsc_median": v,
                     "dsc_iqr": 0.1, "test_dsc": v, "diverged": False, "fg_fraction": 0.5 if patch == "S" else 0.2,
                     "effective_patch": study.PATCHES[network][patch][1],
                     "batch_size": study.PATCHES[network][patch][2]})
    return pd.DataFrame(rows)


def _grid(fn, patches=("S", "L"), lrs=(1e-3, 1e-4), network="unet"):
    return _results({(p, lr, loss): fn(p, lr, loss) for p, lr, loss in itertools.product(patches, lrs, study.LOSSES)},
                    network)


def test_tables_have_the_papers_layout():
    results = _grid(lambda p, lr, loss: 0.8)
    partial = _grid(lambda p, lr, loss: 0.3, network="deepmedic")
    partial = partial[~((partial["patch"] == "L") & (partial["lr"] == 1e-3) & (partial["loss"] == "WCE"))]
    table = study.summarise(pd.concat([partial, results]))
    assert list(table.columns) == ["network", "patch", "lr", *study.LOSSES]
    assert list(zip(table["network"], table["patch"], table["lr"]))[:4] == [
        ("UNet", "S", "0.0001"), ("UNet", "S", "0.001"), ("UNet", "L", "0.0001"), ("UNet", "L", "0.001")]
    assert table.loc[2, "SS"] == "0.80 (0.10) / 0.18 (0.24)"
    assert table.loc[7, "network"] == "DeepMedic" and table.loc[7, "WCE"] == "not run / 0.21 (0.33)"
    imbalance = study.imbalance_table(pd.concat([partial, results]))
    assert list(imbalance["network"]) == ["UNet", "UNet", "DeepMedic", "DeepMedic"]
    assert list(imbalance["paper's ratio"]) == [0.52, 0.15, 0.20, 0.002]
    assert list(imbalance["initial patch size"]) == [16, 48, 51, 87]


def _seeds(fn, n_seeds=3, **kw):
    """The grid of :func:`_grid` repeated over seeds, ``fn(patch, lr, loss, seed)`` giving each median DSC."""
    return pd.concat([_grid(lambda p, lr, loss, s=s: fn(p, lr, loss, s), **kw).assign(seed=s) for s in range(n_seeds)],
                     ignore_index=True)


def _verdicts(results):
    return {f.claim: f.verdict.verdict for f in study.findings(results, "cpu", "x")}


def test_findings_are_inconclusive_on_one_seed_and_decided_on_three():
    """The 2-D comparisons are per-seed gaps (superiority): one seed replicates nothing, three decide either way."""
    def best_at_1e4(p, lr, loss, s):
        return 0.7 + (0.1 if lr == 1e-4 else 0.0) + (0.05 if p == "S" else 0.0) + 0.01 * s + (
            0.05 if loss == "GDL_v" else 0.0)

    one = _verdicts(_grid(lambda p, lr, loss: best_at_1e4(p, lr, loss, 0)))
    assert one["S06"] == one["S07"] == one["S08"] == "inconclusive"
    three = _verdicts(_seeds(best_at_1e4, lrs=(1e-3, 1e-4, 1e-5)))
    assert three["S06"] == three["S07"] == three["S08"] == "reproduced"
    against = _verdicts(_seeds(lambda p, lr, loss, s: 0.9 - best_at_1e4(p, lr, loss, s) + 0.7, lrs=(1e-3, 1e-4)))
    assert against["S06"] == against["S07"] == against["S08"] == "not reproduced"
    assert three["S03"] == "reproduced"  # the patches' foreground share falls from S to L
    # a part-run grid (TwoPathCNN at patch S only, as a budgeted run leaves it): judged on what ran
    part = pd.concat([_grid(lambda p, lr, loss: 0.8), _grid(lambda p, lr, loss: 0.8, patches=("S",),
                                                            network="twopath")])
    s03 = next(f for f in study.findings(part, "cpu", "x") if f.claim == "S03")
    assert s03.verdict.verdict == "reproduced" and "TwoPathCNN" not in s03.verdict.evidence
    assert three["S09"] == three["S10"] == "not run"  # no 3-D cells


def test_findings_of_the_3d_networks():
    paperlike = pd.concat([
        _seeds(lambda p, lr, loss, s: 0.0 if loss in ("WCE", "DL2") and lr == 1e-3 else 0.75 + 0.01 * s,
               network="twopath"),
        _seeds(lambda p, lr, loss, s: (0.4 if loss == "SS" else 0.75) + 0.01 * s),
        _seeds(lambda p, lr, loss, s: {"WCE": 0.0, "SS": 0.2}.get(loss, 0.0 if loss == "DL2" and lr == 1e-3 else
                                                                 0.7 + 0.01 * s), network="highresnet",
               lrs=(1e-3, 1e-4, 1e-5)),
        _seeds(lambda p, lr, loss, s: 0.5 + 0.01 * study.LOSSES.index(loss) + 0.002 * s, network="deepmedic"),
    ])
    v = _verdicts(paperlike)
    assert v["S04"] == v["S05"] == v["S09"] == v["S10"] == v["S11"] == v["S12"] == "reproduced"
    trains = _verdicts(_seeds(lambda p, lr, loss, s: 0.7 + 0.01 * s, network="highresnet"))
    assert trains["S10"] == "not reproduced" and trains["S11"] == "inconclusive"  # a tie is not a drop
    loss_matters = _verdicts(_seeds(lambda p, lr, loss, s: 0.2 + 0.2 * study.LOSSES.index(loss) + 0.01 * s,
                                    network="deepmedic"))
    assert loss_matters["S09"] == "not reproduced"


def test_failed_cells_beside_the_papers():
    results = pd.concat([_grid(lambda p, lr, loss: 0.0 if loss == "SS" else 0.8),
                         _grid(lambda p, lr, loss: 0.0 if (loss, lr) == ("WCE", 1e-3) else 0.8, network="twopath")])
    table = study.failed_cells(results).set_index("network")
    # UNet at S, L × 10⁻³, 10⁻⁴: the paper has no SS cell under 0.05; TwoPathCNN's WCE failed at S, 10⁻³
    assert table.loc["UNet", "SS"] == "4 / 0 of 4" and table.loc["UNet", "WCE"] == "0 / 0 of 4"
    assert table.loc["TwoPathCNN", "WCE"] == "2 / 1 of 4" and table.loc["TwoPathCNN", "DL2"] == "0 / 1 of 4"


def test_grid_figures():
    from dicecore.plotting import plot_grid_heatmaps, plot_held_out_dsc

    results = _grid(lambda p, lr, loss: 0.5)
    fig = plot_grid_heatmaps(results, losses=study.LOSSES)
    assert [ax.get_title() for ax in fig.axes[:4]] == list(study.LOSSES)
    fig = plot_held_out_dsc(results, study.LOSSES)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["S", "L"]
    assert np.isclose(fig.axes[0].patches[0].get_height(), 0.5)
