"""Chapter 3's report (dicecore.experiments.generalised_dice_report): the tables beside the paper's, the
failed cells, the grid figures and the verdict rules, on synthetic grid rows."""

import itertools

import numpy as np
import pandas as pd

from dicecore.experiments import generalised_dice as study, generalised_dice_report as report


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
    imbalance = report.imbalance_table(pd.concat([partial, results]))
    assert list(imbalance["network"]) == ["UNet", "UNet", "DeepMedic", "DeepMedic"]
    assert list(imbalance["paper's ratio"]) == [0.52, 0.15, 0.20, 0.002]
    assert list(imbalance["initial patch size"]) == [16, 48, 51, 87]



def _seeds(fn, n_seeds=3, **kw):
    """The grid of :func:`_grid` repeated over seeds, ``fn(patch, lr, loss, seed)`` giving each median DSC."""
    return pd.concat([_grid(lambda p, lr, loss, s=s: fn(p, lr, loss, s), **kw).assign(seed=s) for s in range(n_seeds)],
                     ignore_index=True)



def _verdicts(results):
    return {f.claim: f.verdict.verdict for f in report.findings(results, "cpu", "x")}



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
    s03 = next(f for f in report.findings(part, "cpu", "x") if f.claim == "S03")
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
    table = report.failed_cells(results).set_index("network")
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



def test_a_seed_part_way_through_the_grid_waits():
    """complete_seeds: the per-seed gaps compare the same cells in every seed, so a seed that holds only part
    of the grid (a budgeted run stopped in it) is left out until it is complete."""
    three = _seeds(lambda p, lr, loss, s: 0.8 + (0.05 if p == "S" else 0.0) + 0.01 * s)
    assert sorted(report.complete_seeds(three)["seed"].unique()) == [0, 1, 2]
    part = three[~((three["seed"] == 2) & (three["patch"] == "L"))]  # seed 2 without its L cells
    assert sorted(report.complete_seeds(part)["seed"].unique()) == [0, 1]
    s07 = next(f for f in report.findings(part, "cpu", "x") if f.claim == "S07")
    assert s07.verdict.verdict == "inconclusive" and s07.verdict.n == 2  # without the rule: S − L from S only
    assert report.complete_seeds(three.iloc[:0]).empty



def test_tables_over_several_seeds():
    """Tables 2–3 show the mean over seeds of each cell; the failed-cell counts say how many trainings of how
    many cells."""
    three = _seeds(lambda p, lr, loss, s: 0.0 if (loss == "SS" and s == 0) else 0.7 + 0.1 * s)
    table = study.summarise(three).set_index(["patch", "lr"])
    assert table.loc[("S", "0.001"), "WCE"].startswith("0.80 (0.10) / ")
    assert table.loc[("S", "0.001"), "SS"].startswith("0.57 (0.10) / ")  # (0 + 0.8 + 0.9) / 3
    assert report.failed_cells(three).set_index("network").loc["UNet", "SS"] == "4 of 12 / 0 of 4"



def test_the_cpu_grid_has_three_seeds_for_the_2d_networks_and_the_3d_ones_at_patch_s():
    cpu = study.cells("cpu")
    seeds = {(c.network, c.patch): sorted({d.seed for d in cpu if (d.network, d.patch) == (c.network, c.patch)})
             for c in cpu}
    assert {k: v for k, v in seeds.items() if k[0] in ("unet", "twopath")} == {
        (n, p): [0, 1, 2] for n in ("unet", "twopath") for p in ("S", "M", "L")}
    assert {k: v for k, v in seeds.items() if k[0] in ("deepmedic", "highresnet")} == {
        ("deepmedic", "S"): [0, 1, 2], ("deepmedic", "M"): [0],
        ("highresnet", "S"): [0, 1, 2], ("highresnet", "M"): [0]}
    assert len(cpu) == 2 * 3 * 3 * 4 * 3 + 2 * 3 * 4 * 3 + 2 * 3 * 4
    assert {c.key for c in cpu} <= {c.key for c in study.cells("paper")}  # every cpu cell is a paper cell



def test_3d_comparisons_rest_on_the_patches_that_replicate():
    """replicated_patches: HighResNet at patch S with three seeds and at M with one — S11 and S12 compare the
    losses at S, where they replicate, and the data label says how many seeds each 3-D patch has."""
    hrn_s = _seeds(lambda p, lr, loss, s: 0.1 if loss == "SS" else 0.6 + 0.01 * s, patches=("S",),
                   lrs=(1e-3, 1e-4, 1e-5), network="highresnet")
    hrn_m = _grid(lambda p, lr, loss: 0.9 if loss == "SS" else 0.2, patches=("M",), lrs=(1e-3, 1e-4, 1e-5),
                  network="highresnet")
    both = pd.concat([hrn_s, hrn_m], ignore_index=True)
    assert set(report.replicated_patches(both)["patch"]) == {"S"}
    s11 = next(f for f in report.findings(both, "cpu", "x") if f.claim == "S11")
    assert s11.verdict.verdict == "reproduced" and s11.verdict.n == 3 and "patch S)" in s11.verdict.evidence
    # one seed each: both patches, judged together (and inconclusive)
    one = both[both["seed"] == 0]
    assert set(report.replicated_patches(one)["patch"]) == {"S", "M"}
    assert _verdicts(one)["S11"] == "inconclusive"
    two_d = _seeds(lambda p, lr, loss, s: 0.8)
    assert report.seeds_label(pd.concat([two_d, both])) == "3 seeds in 2-D, 3-D: HighResNet 3 at S and 1 at M"
    assert report.seeds_label(pd.concat([two_d, one])) == "3 seeds in 2-D, 1 in 3-D"
    # DeepMedic with one seed beside it: each 3-D network says its own
    dm = _grid(lambda p, lr, loss: 0.5, patches=("S",), lrs=(1e-3,), network="deepmedic")
    assert report.seeds_label(pd.concat([two_d, both, dm])) == \
        "3 seeds in 2-D, 3-D: DeepMedic 1, HighResNet 3 at S and 1 at M"
    assert report.seeds_label(two_d) == "3 seeds in 2-D, 0 in 3-D"
    assert report.replicated_patches(both.iloc[:0]).empty
