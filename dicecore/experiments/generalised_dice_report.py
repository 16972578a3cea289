"""Chapter 3's report (Sudre et al. 2017, Tables 1–3, Fig. 4): what the chapter shows of its study's
trainings (:mod:`dicecore.experiments.generalised_dice`) — the failed cells beside the paper's, the class
imbalance of each patch size (Table 1), and the verdicts on Sudre's claims
(S01–S12).

A trend the paper reads off its grid (a learning rate that is best, a patch size that helps) is judged per
seed (:func:`~dicecore.claims.superiority`, at least three seeds; one seed is "inconclusive" with the gap as
evidence); a claim whose cells were not trained is "not run", with what it needs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dicecore import claims
from dicecore.experiments.generalised_dice import LOSSES, NETWORKS, PATCHES, in_paper_order, network_order
from dicecore.papers import sudre2017

__all__ = ["failed_cells", "imbalance_table", "findings", "FAILED_DSC", "AGNOSTIC_MARGIN", "complete_seeds",
           "replicated_patches", "seeds_label", "committed_findings"]


def failed_cells(results: pd.DataFrame, threshold: float = 0.05) -> pd.DataFrame:
    """Per network and loss, the grid cells whose median training DSC stayed under ``threshold`` (the
    paper's "0 (0)" cells: a loss that never segmented the foreground), ours beside the paper's over the
    same cells: ``"ours / paper of n"``, or ``"ours of k / paper of n"`` where ours counts k trainings of n
    cells (several seeds per cell)."""
    paper = sudre2017.GRID.set_index(["network", "patch", "lr", "loss"])["median"]
    rows = []
    for network in network_order(results["network"]):
        row = {"network": NETWORKS[network][0]}
        for loss in LOSSES:
            mine = results[(results["network"] == network) & (results["loss"] == loss)]
            settings = mine[["patch", "lr"]].drop_duplicates()
            theirs = [paper.get((network, p, lr, loss), np.nan) for p, lr in zip(settings["patch"], settings["lr"])]
            ours = int((mine["dsc_median"] < threshold).sum())
            row[loss] = (f"{ours}{'' if len(mine) == len(settings) else f' of {len(mine)}'} / "
                         f"{int((np.array(theirs) < threshold).sum())} of {len(settings)}")
        rows.append(row)
    return pd.DataFrame(rows)



def imbalance_table(results: pd.DataFrame) -> pd.DataFrame:
    """Table 1: per network and patch, batch size, initial and effective patch size and the median
    foreground fraction of the training patches, beside the paper's."""
    ours = results.groupby(["network", "patch"]).agg(
        **{"batch size": ("batch_size", "first"), "effective patch size": ("effective_patch", "first"),
           "imbalance ratio": ("fg_fraction", "median")}).reset_index()
    ours["initial patch size"] = [PATCHES[n][p][0] if n == "deepmedic" else PATCHES[n][p][1]
                                  for n, p in zip(ours["network"], ours["patch"])]
    paper = sudre2017.TABLE1.rename(columns={"imbalance ratio": "paper's ratio"})
    out = ours.merge(paper, on=["network", "patch"], how="left")
    out = in_paper_order(out)
    out["network"] = [NETWORKS[n][0] for n in out["network"]]
    return out[["network", "patch", "batch size", "initial patch size", "effective patch size", "imbalance ratio",
                "paper's ratio"]]



#: A training "failed" (never segmented the target) when its median DSC over the last iterations is below this.
FAILED_DSC = 0.05



#: DeepMedic is "agnostic to the loss" (S09) when every loss lies within this of the cell's mean over the
#: four losses — the book's margin; the paper's own Table 3 calls cells agnostic whose losses span 0.07.
AGNOSTIC_MARGIN = 0.05



def _mean(results: pd.DataFrame, network: str, losses, lrs=None, patches=None) -> float:
    rows = results[(results["network"] == network) & results["loss"].isin(list(losses))]
    if lrs is not None:
        rows = rows[rows["lr"].isin(list(lrs))]
    if patches is not None:
        rows = rows[rows["patch"].isin(list(patches))]
    return float(rows["dsc_median"].mean()) if len(rows) else float("nan")



def complete_seeds(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of the seeds that hold every (network, patch, learning rate, loss) any seed holds: a seed
    part-way through the grid would compare other cells than the rest, so it waits until it is complete."""
    if results.empty:
        return results
    settings = ["network", "patch", "lr", "loss"]
    held = results.groupby("seed").apply(lambda d: frozenset(map(tuple, d[settings].to_numpy())),
                                         include_groups=False)
    every = frozenset().union(*held)
    return results[results["seed"].isin(held[held == every].index)]


def replicated_patches(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of the patches with the most complete seeds (:func:`complete_seeds`, counted per patch): a grid
    that trains some patches with more seeds than others (the cpu grid's 3-D networks) compares losses where
    the comparison replicates."""
    if results.empty:
        return results
    counts = {p: complete_seeds(d)["seed"].nunique() for p, d in results.groupby("patch")}
    most = max(counts.values())
    return results[results["patch"].isin([p for p, n in counts.items() if n == most])]


def _patches(results: pd.DataFrame) -> str:
    return ", ".join(p for p in PATCHES["unet"] if p in set(results["patch"]))


def _per_seed(results: pd.DataFrame, statistic) -> np.ndarray:
    """``statistic(rows of one seed)`` for every complete seed (:func:`complete_seeds`), NaN (cells not run)
    left out."""
    values = np.array([statistic(d) for _, d in complete_seeds(results).groupby("seed")], dtype=float)
    return values[np.isfinite(values)]



def _beats(results: pd.DataFrame, statistic, what: str) -> claims.Verdict:
    """Superiority of a per-seed gap over 0 (:func:`dicecore.claims.superiority`; one seed is inconclusive)."""
    gap = _per_seed(results, statistic)
    return claims.superiority(gap, np.zeros_like(gap), what=what)



def findings(results: pd.DataFrame, scale: str, data: str) -> list[claims.Finding]:
    """Sudre et al.'s claims on training (S03–S13) judged on grid rows (:func:`~dicecore.experiments.generalised_dice.run_cell`; the 2-D networks
    for S03–S08, the 3-D ones for S09–S13). Comparisons are per-seed gaps of the median training DSC tested by
    :func:`~dicecore.claims.superiority` (at least three seeds; one seed gives "inconclusive" with the gap as
    evidence); S09 is an equivalence within :data:`AGNOSTIC_MARGIN`; S10 counts the failed trainings
    (:data:`FAILED_DSC`). A claim whose cells have not run is "not run"."""
    two_d = results[results["network"].isin(["unet", "twopath"])]
    hrn = results[results["network"] == "highresnet"]
    dm = results[results["network"] == "deepmedic"]
    out = []

    def add(claim_id, needed, verdict_fn, needs):
        out.append(claims.finding(claim_id, verdict_fn(), scale, data) if needed else
                   claims.not_run(claim_id, scale, data, needs))

    def imbalance():
        ratio = two_d.groupby(["network", "patch"])["fg_fraction"].median()
        order = {n: [p for p in PATCHES["unet"] if (n, p) in ratio.index] for n in network_order(two_d["network"])}
        order = {n: patches for n, patches in order.items() if len(patches) > 1}  # a part-run grid: what ran
        ok = {n: all(ratio[n, a] > ratio[n, b] for a, b in zip(patches, patches[1:])) for n, patches in order.items()}
        text = "; ".join(f"{NETWORKS[n][0]}: " + ", ".join(f"{p} {ratio[n, p]:.2f}" for p in order[n]) for n in ok)
        return claims.Verdict("reproduced" if all(ok.values()) else "not reproduced",
                              f"median foreground fraction of the training patches — {text}",
                              "measured on every training's patches", len(ok))

    add("S03", two_d["patch"].nunique() > 1, imbalance, "needs 2-D trainings at two patch sizes")
    add("S04", ((two_d["network"] == "twopath") & (two_d["lr"] == 1e-3)).any(),
        lambda: _beats(two_d, lambda d: _mean(d, "twopath", ("SS", "GDL_v"), [1e-3])
                       - _mean(d, "twopath", ("WCE", "DL2"), [1e-3]),
                       "TwoPathCNN at 10⁻³: mean DSC of SS, GDL_v − WCE, DL₂"), "needs TwoPathCNN at 10⁻³")

    def ss_dependence():
        gaps = _per_seed(two_d, lambda d: (_mean(d, "unet", ["GDL_v"]) - _mean(d, "unet", ["SS"]))
                         - (_mean(d, "twopath", ["GDL_v"]) - _mean(d, "twopath", ["SS"])))
        sign = 1.0 if gaps.mean() >= 0 else -1.0  # network dependence: a difference either way
        return claims.superiority(sign * gaps, np.zeros_like(gaps), what="|(GDL_v − SS) U-Net − (GDL_v − SS) "
                                  "TwoPathCNN|, mean DSC")

    add("S05", {"unet", "twopath"} <= set(two_d["network"]), ss_dependence, "needs both 2-D networks")
    lr_best = lambda d: d.groupby("lr")["dsc_median"].mean().pipe(  # noqa: E731
        lambda m: m.get(1e-4, np.nan) - m.drop(index=1e-4, errors="ignore").max())
    add("S06", two_d["lr"].nunique() > 1 and (two_d["lr"] == 1e-4).any(),
        lambda: _beats(two_d, lr_best, "2-D: mean DSC at 10⁻⁴ − best other learning rate"),
        "needs 2-D trainings at 10⁻⁴ and another rate")
    patch_gap = lambda d: d.groupby("patch")["dsc_median"].mean().pipe(  # noqa: E731
        lambda m: m.get("S", np.nan) - m.get("L", np.nan))
    add("S07", {"S", "L"} <= set(two_d["patch"]), lambda: _beats(two_d, patch_gap, "2-D: mean DSC, patch S − L"),
        "needs 2-D trainings at patches S and L")

    def robust(d):
        worst = d.groupby("loss")["dsc_median"].min()
        return worst.get("GDL_v", np.nan) - worst.drop(index="GDL_v", errors="ignore").max()

    add("S08", two_d["loss"].nunique() == len(LOSSES),
        lambda: _beats(two_d, robust, "2-D: worst-case DSC over the grid, GDL_v − best other loss"),
        "needs all four losses in 2-D")

    def agnostic():  # one-sided: the mean |DSC − the cell's mean over losses| lies below the margin
        dev = (dm["dsc_median"] - dm.groupby(["seed", "patch", "lr"])["dsc_median"].transform("mean")).abs()
        return claims.superiority(np.full(len(dev), AGNOSTIC_MARGIN), dev.to_numpy(),
                                  what=f"DeepMedic: {AGNOSTIC_MARGIN} − |DSC − the cell's mean over losses| "
                                  f"({len(dm)} trainings; largest {dev.max():.2f})")

    add("S09", dm["loss"].nunique() == len(LOSSES), agnostic, "needs DeepMedic trained with all four losses")

    def wce_fails():
        wce = hrn[hrn["loss"] == "WCE"]["dsc_median"]
        failed = int((wce < FAILED_DSC).sum())
        verdict = "reproduced" if failed == len(wce) else "not reproduced" if failed == 0 else "partly"
        return claims.Verdict(verdict, f"HighResNet WCE: {failed} of {len(wce)} trainings failed (median DSC < "
                              f"{FAILED_DSC}; highest {wce.max():.2f})", "count of failed trainings", len(wce))

    add("S10", (hrn["loss"] == "WCE").any(), wce_fails, "needs HighResNet trained with WCE")
    hrn_rep = replicated_patches(hrn)  # S11, S12: the patches trained with the most seeds
    add("S11", {"SS", "GDL_v"} <= set(hrn["loss"]),
        lambda: _beats(hrn_rep, lambda d: _mean(d, "highresnet", ["GDL_v"]) - _mean(d, "highresnet", ["SS"]),
                       f"HighResNet (patch {_patches(hrn_rep)}): mean DSC, GDL_v − SS"),
        "needs HighResNet with SS and GDL_v")

    def dl2_matches_then_fails():
        fails = _beats(hrn_rep, lambda d: _mean(d, "highresnet", ["GDL_v"], [1e-3])
                       - _mean(d, "highresnet", ["DL2"], [1e-3]),
                       f"HighResNet (patch {_patches(hrn_rep)}) at 10⁻³: DSC GDL_v − DL₂")
        low = complete_seeds(hrn_rep[hrn_rep["lr"] < 1e-3]).pivot_table(index=["seed", "patch", "lr"],
                                                                         columns="loss", values="dsc_median")
        if not {"GDL_v", "DL2"} <= set(low.columns) or len(low) < 2:
            return claims.combine([fails], "fails at 10⁻³ (the low rates not run)")
        same = claims.equivalence(low["GDL_v"].to_numpy(), low["DL2"].to_numpy(), margin=claims.DICE_MARGIN,
                                  what="HighResNet below 10⁻³: DSC GDL_v − DL₂ per cell")
        return claims.combine([same, fails], "alike at low rates, DL₂ fails at 10⁻³")

    add("S12", {"DL2", "GDL_v"} <= set(hrn["loss"]) and (hrn["lr"] == 1e-3).any(), dl2_matches_then_fails,
        "needs HighResNet with DL₂ and GDL_v at 10⁻³")
    add("S13", {"S", "L"} <= set(hrn[hrn["lr"] == 1e-4]["patch"]),
        lambda: _beats(hrn[hrn["lr"] == 1e-4], patch_gap, "HighResNet at 10⁻⁴: mean DSC, patch S − L"),
        "needs HighResNet at 10⁻⁴ with patches S and L")
    return out



def committed_findings(shown) -> list[claims.Finding]:
    """:func:`findings` on a study's committed results (:func:`~dicecore.experiments.study.committed`), labelled
    with their phantom version (superseded ones marked so)."""
    return shown.tag(findings(shown.rows, shown.profile, f"{shown.done} of {shown.total} cells (BraTS-like slices, "
                              f"WMH-like volumes; {shown.phantom_label()}), {seeds_label(shown.rows)}, on "
                              f"{shown.record['device_name']}"))


def seeds_label(results: pd.DataFrame) -> str:
    """How many complete seeds (:func:`complete_seeds`) the 2-D and the 3-D networks' comparisons rest on,
    e.g. "3 seeds in 2-D, 1 in 3-D", or per 3-D network and patch where they differ: "3 seeds in 2-D, 3-D:
    DeepMedic 1, HighResNet 3 at S and 1 at M"."""
    def count(rows):
        return complete_seeds(rows)["seed"].nunique()

    two = count(results[results["network"].isin(["unet", "twopath"])])
    label = f"{two} seed{'s' if two != 1 else ''} in 2-D"
    per = {n: {p: count(d[d["patch"] == p]) for p in PATCHES[n] if (d["patch"] == p).any()}
           for n in ("deepmedic", "highresnet") if len(d := results[results["network"] == n])}
    counts = {k for patches in per.values() for k in patches.values()}
    if len(counts) <= 1:
        return f"{label}, {counts.pop() if counts else 0} in 3-D"
    parts = [NETWORKS[n][0] + " " + (str(next(iter(patches.values()))) if len(set(patches.values())) == 1 else
                                     " and ".join(f"{k} at {p}" for p, k in patches.items()))
             for n, patches in per.items()]
    return f"{label}, 3-D: {', '.join(parts)}"
