"""Chapter 2, empirical part: CE vs soft Dice for LR / ConvNet / U-Net on four phantom tasks (Bertels et al. §3).

The chapter's :class:`~dicecore.experiments.study.Study` (:data:`STUDY`): one :class:`VolumeBiasCell` per
(task, model, loss, fold) of a profile; :func:`run_cell` trains it and returns one row per held-out
subject; :func:`summarise` gives the Table 1 analogue with a bootstrap test of ΔV ≠ 0. Run or resume a
grid with ``dicecore study 02 --profile cpu`` (:func:`dicecore.experiments.study.run_study`).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from dicecore.data.cohorts import folds
from dicecore.data.phantoms import UNCERTAINTY_PHANTOM_VERSION, UNCERTAINTY_TASKS, uncertainty_task
from dicecore.experiments.study import Cell, CellPaths, Study
from dicecore.losses import dice_loss
from dicecore.metrics import bootstrap_mean_test, dice_score, mean_cross_entropy, soft_dice_score, volume_error
from dicecore.models import network
from dicecore.papers import bertels2019
from dicecore.train import EpochBatches, Plateau, fit, predict, validation_loss

__all__ = [
    "PROFILES", "VolumeBiasCell", "cells", "run_cell", "STUDY", "dataset", "summarise", "loss_comparison", "table1",
    "style_table1", "empirical_claims", "PAPER_DATASET", "LOSSES", "MODEL_NAMES", "MODEL_NETWORKS",
]

#: Bertels et al.'s three models, of increasing capacity.
MODEL_NAMES = bertels2019.MODELS
#: Bertels et al.'s models by their names in the registry (:data:`dicecore.models.NETWORKS`).
MODEL_NETWORKS = {"LR": "logistic-regression", "ConvNet": "bertels-convnet", "U-Net": "bertels-unet"}
#: Cross-entropy and soft Dice.
LOSSES = bertels2019.LOSSES

#: Sizes and schedules. ``paper``: all three models, five folds, the paper's patience scaled from its 75/150
#: epochs to the shorter runs that fit one GPU. ``cpu``: the same grid at the paper profile's sizes — what a
#: 2-core machine ran of it is committed (the 3-D ConvNet and U-Net cells are hours each there; the
#: evidence-at-power issue sizes this profile anew). ``ci``: the logistic-regression model only (the ConvNet
#: and U-Net do not converge in the few CPU-seconds a book build can give them, and unconverged networks say
#: nothing about the loss), three folds, small images.
PROFILES = {
    "ci": dict(n_subjects=30, size_2d=32, size_3d=16, folds=3, max_epochs=60, batch_size=5,
               plateau_patience=10, stop_patience=20, models=("LR",)),
    "cpu": dict(n_subjects=60, size_2d=96, size_3d=48, folds=5, max_epochs=150, batch_size=4,
                plateau_patience=15, stop_patience=30, models=MODEL_NAMES),
    "paper": dict(n_subjects=60, size_2d=96, size_3d=48, folds=5, max_epochs=150, batch_size=4,
                  plateau_patience=15, stop_patience=30, models=MODEL_NAMES),
}


@dataclass(frozen=True)
class VolumeBiasCell(Cell):
    """One training: a phantom ``task``, a ``model`` (:data:`MODEL_NAMES`), a ``loss`` (:data:`LOSSES`), a
    cross-validation ``fold``, trained for at most ``max_epochs`` on phantoms of version ``phantom``."""

    task: str
    model: str
    loss: str
    fold: int
    max_epochs: int
    phantom: int = UNCERTAINTY_PHANTOM_VERSION


def cells(profile: str = "ci", seed: int = 0, device: str = "cpu", amp: bool = False) -> list[VolumeBiasCell]:
    """Every (task, model, loss, fold) training of a profile (choose a part with
    :func:`~dicecore.experiments.study.select_cells`, or ``dicecore study 02 --only model=U-Net``)."""
    if profile not in PROFILES:
        raise ValueError(f"profile: unknown profile {profile!r}; choose one of {tuple(PROFILES)}.")
    cfg = PROFILES[profile]
    return [VolumeBiasCell(task=t, model=m, loss=l, fold=f, max_epochs=cfg["max_epochs"], profile=profile,
                           seed=seed, device=device, amp=amp)
            for t in UNCERTAINTY_TASKS for m in cfg["models"] for l in LOSSES for f in range(cfg["folds"])]


def dataset(task: str, profile: str, seed: int):
    """The phantom ``task`` at the ``profile``'s size (2-D for molars_like, 3-D otherwise)."""
    cfg = PROFILES[profile]
    size = cfg["size_2d"] if task == "molars_like" else cfg["size_3d"]
    return uncertainty_task(task, cfg["n_subjects"], size, seed)


def _loss_fn(name: str):
    if name == "CE":
        return lambda logits, y: F.binary_cross_entropy_with_logits(logits, y)
    return lambda logits, y: dice_loss(logits, y, "I", 1e-7, activation="sigmoid", validate=False)


def run_cell(cell: VolumeBiasCell, paths: Optional[CellPaths] = None) -> pd.DataFrame:
    """Train one (task, model, loss, fold) and evaluate it on the fold's held-out subjects: one row per
    subject (CE, 1 − SD, ΔV, hard Dice, true volume) with the cell's fields. With ``paths``, the training
    checkpoints to ``paths.checkpoint`` after every epoch and resumes from it."""
    t0 = time.perf_counter()
    cfg = PROFILES[cell.profile]
    data = dataset(cell.task, cell.profile, cell.seed)
    n = len(data)
    test = np.sort(folds(np.arange(n), cfg["folds"], seed=[cell.seed, 7])[cell.fold])
    rest = np.setdiff1d(np.arange(n), test)
    rng = np.random.default_rng([cell.seed, cell.fold])
    val = np.sort(rng.choice(rest, size=max(1, len(rest) // 5), replace=False))
    tr = np.setdiff1d(rest, val)
    x, y = torch.from_numpy(data.images), torch.from_numpy(data.labels)
    dims = x.ndim - 2
    lr = 1.0 if cell.model == "LR" else 1e-3  # the paper's initial learning rates
    seed = cell.seed * 1000 + cell.fold
    torch.manual_seed(seed)  # the initial weights, independent of what ran before in this process
    model = network(MODEL_NETWORKS[cell.model], x.shape[1], dims=dims)
    loss, bs = _loss_fn(cell.loss), cfg["batch_size"]
    batches = EpochBatches(x[tr], y[tr], bs)
    schedule = Plateau(lr, lambda m: validation_loss(m, loss, x[val], y[val], bs, cell.device), every=batches.per_epoch,
                       patience=cfg["plateau_patience"], stop_patience=cfg["stop_patience"])
    history = fit(model, loss, batches, schedule, cell.max_epochs * batches.per_epoch, seed=seed, device=cell.device,
                  checkpoint=None if paths is None else paths.checkpoint, checkpoint_every=batches.per_epoch)
    probs = predict(model, x[test], bs, device=cell.device)
    yt = y[test]
    out = pd.DataFrame({
        "subject": test,
        "CE": mean_cross_entropy(probs, yt).numpy(),
        "1-SD": soft_dice_score(probs, yt).numpy(),
        "dV": volume_error(probs, yt, data.voxel_volume).numpy(),
        "dice": dice_score(probs > 0.5, yt).numpy(),
        "true_volume": yt.reshape(len(yt), -1).sum(1).numpy(),
    })
    for k, v in asdict(cell).items():
        if k not in ("device", "amp"):
            out[k] = v
    out["epochs"] = int(history["val_loss"].notna().sum())  # epochs trained (early stopping)
    out["seconds"] = time.perf_counter() - t0
    return out


def summarise(per_subject: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Table 1 analogue: mean CE, 1 − SD, ΔV and Dice per (task, model, loss), with a bootstrap test of ΔV ≠ 0.

    ``bias`` is "under" / "over" where ΔV differs from 0 at p < alpha, else "".
    """
    rows = []
    for (task, model, loss), d in per_subject.groupby(["task", "model", "loss"], sort=False):
        test = bootstrap_mean_test(d["dV"].to_numpy(), seed=0)
        bias = "" if test["p_value"] >= alpha else ("over" if test["mean"] > 0 else "under")
        rows.append({"task": task, "model": model, "loss": loss, "CE": d["CE"].mean(), "1-SD": d["1-SD"].mean(),
                     "dV": d["dV"].mean(), "dV_p": test["p_value"], "bias": bias, "dice": d["dice"].mean(),
                     "n": len(d), "folds": d["fold"].nunique() if "fold" in d else np.nan})
    return pd.DataFrame(rows)


#: Which way each metric is better, for :func:`loss_comparison`.
_BETTER = {"CE": "lower", "1-SD": "higher", "dice": "higher"}


def loss_comparison(per_subject: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The paper's pairwise test of the two losses (§3.2: "a pairwise non-parametric significance test
    (bootstrapping) with a p-value of 0.05"): per (task, model) with both losses run, the per-subject
    differences SD-trained − CE-trained of CE, 1 − SD and hard Dice, each tested for mean 0
    (:func:`~dicecore.metrics.bootstrap_mean_test`). ``better`` names the loss whose model is
    significantly better on that metric, or is "no difference"."""
    rows = []
    for (task, model), d in per_subject.groupby(["task", "model"], sort=False):
        wide = d.pivot_table(index=["fold", "subject"], columns="loss", values=list(_BETTER))
        if not {"CE", "SD"} <= set(wide.columns.get_level_values("loss")) or len(wide) < 2:
            continue
        wide = wide.dropna()
        for metric, direction in _BETTER.items():
            diff = (wide[(metric, "SD")] - wide[(metric, "CE")]).to_numpy()
            test = bootstrap_mean_test(diff, seed=0)
            sd_better = (test["mean"] > 0) == (direction == "higher")
            better = "no difference" if test["p_value"] >= alpha else ("SD" if sd_better else "CE")
            rows.append({"task": task, "model": model, "metric": metric, "CE-trained": wide[(metric, "CE")].mean(),
                         "SD-trained": wide[(metric, "SD")].mean(), "p": test["p_value"], "better": better,
                         "n": len(diff)})
    return pd.DataFrame(rows, columns=["task", "model", "metric", "CE-trained", "SD-trained", "p", "better", "n"])


def table1(summary: pd.DataFrame, models=MODEL_NAMES, folds_in_grid: Optional[int] = None) -> pd.DataFrame:
    """Table 1 analogue in long form: every task × model × loss of ``models``, ours beside the paper's
    (``… paper`` columns; hard Dice is printed by the paper for the U-Net only, in its text). Cells that
    have not run have empty values and ``status`` "not run"; with ``folds_in_grid``, a cell run on part of its
    folds says so ("2 of 5 folds")."""
    grid = pd.DataFrame([{"task": t, "model": m, "loss": l} for t in UNCERTAINTY_TASKS for m in models
                         for l in LOSSES])
    grid["dataset"] = grid["task"].map(PAPER_DATASET)
    out = grid.merge(summary, on=["task", "model", "loss"], how="left")
    out = out.merge(bertels2019.TABLE1, on=["dataset", "model", "loss"], how="left", suffixes=("", " paper"))
    out["status"] = [("not run" if np.isnan(n) else "run" if folds_in_grid is None or k == folds_in_grid
                      else f"{k:.0f} of {folds_in_grid} folds") for n, k in zip(out["n"], out["folds"])]
    out["bias"] = out["bias"].fillna("")
    cols = ["task", "model", "loss", "CE", "CE paper", "1-SD", "1-SD paper", "dV", "dV paper", "dV_p", "bias",
            "dice", "dice paper", "n", "folds", "status"]
    return out[cols]


def style_table1(table: pd.DataFrame):
    """:func:`table1` as the chapter prints it: ΔV **bold** where significantly over-estimated and *italic*
    where under-estimated (the paper's marks), three decimals, "—" for cells not run."""
    def mark_bias(row):
        style = {"over": "font-weight: bold", "under": "font-style: italic"}.get(row["bias"], "")
        return [style if col == "dV" else "" for col in row.index]

    formats = {c: "{:.3f}" for c in ("CE", "CE paper", "1-SD", "1-SD paper", "dV_p", "dice", "dice paper")}
    formats.update({"dV": "{:+.1f}", "dV paper": "{:+.3g}", "n": "{:.0f}"})
    return (table.drop(columns="folds").style.apply(mark_bias, axis=1)
            .hide(axis="index").format(formats, na_rep="—"))


#: Which paper dataset each phantom task stands in for.
PAPER_DATASET = {"molars_like": "MOLARS (2D)", "brats_like": "BRATS 2018 (3D)", "isles17_like": "ISLES 2017 (3D)",
                 "isles18_like": "ISLES 2018 (3D)"}


HIGH_UNCERTAINTY = ("isles17_like", "isles18_like")


def _verdict(hits: int, total: int) -> str:
    return "not run yet" if total == 0 else "reproduced" if hits == total else "partly" if hits else "not reproduced"


def empirical_claims(summary: pd.DataFrame, data_label: str,
                     comparison: Optional[pd.DataFrame] = None) -> list[tuple[str, str, str, str]]:
    """The paper's §3.2 claims checked against a :func:`summarise` table (and, for "significantly",
    the :func:`loss_comparison` of the same results): (claim, our check, verdict, data). A claim whose
    cells have not run says "not run yet"; one checked on part of its cells says which."""
    by = summary.set_index(["task", "model", "loss"])
    pairs = [(t, m) for t, m in dict.fromkeys((t, m) for t, m, _ in by.index)
             if (t, m, "CE") in by.index and (t, m, "SD") in by.index]
    small = [(t, m) for t, m in pairs if m in ("LR", "ConvNet")]
    claims = []
    for metric, loss, claim in (("CE", "CE", "CE-trained models reach a significantly lower CE (higher "
                                              "likelihood) everywhere"),
                                ("1-SD", "SD", "SD-trained models reach a significantly higher soft Dice everywhere")):
        if comparison is not None and len(comparison):
            c = comparison[comparison["metric"] == metric]
            wins = c[c["better"] == loss]
            others = ", ".join(f"{r.task}/{r.model}: {r.better}" for r in c[c["better"] != loss].itertuples())
            claims.append((claim, f"{loss}-trained significantly better (paired bootstrap) in {len(wins)}/{len(c)} "
                           "task × model" + (f"; not in {others}" if others else ""), _verdict(len(wins), len(c))))
        else:
            sign = -1 if metric == "CE" else 1
            hits = sum(sign * (by.loc[(t, m, loss), metric] - by.loc[(t, m, "CE" if loss == "SD" else "SD"), metric])
                       > 0 for t, m in pairs)
            claims.append((claim, f"better in mean in {hits}/{len(pairs)} task × model (no paired test given)",
                           _verdict(hits, len(pairs))))
    ce_biased = [f"{t}/{m}" for t, m in small if by.loc[(t, m, "CE"), "bias"]]
    claims.append(("LR/ConvNet: CE-trained models are unbiased in volume",
                   f"significant ΔV for CE in {len(ce_biased)}/{len(small)}: " + (", ".join(ce_biased) or "none"),
                   _verdict(len(small) - len(ce_biased), len(small))))
    sd_bias = {f"{t}/{m}": by.loc[(t, m, "SD"), "bias"] or "none" for t, m in small}
    over = [k for k, v in sd_bias.items() if v == "over"]
    claims.append(("LR/ConvNet: SD-trained models over-estimate volume significantly",
                   f"over-estimated in {len(over)}/{len(small)}; " + "; ".join(f"{k}: {v}" for k, v in sd_bias.items()),
                   _verdict(len(over), len(small))))
    unet_low = [t for t, m in pairs if m == "U-Net" and t not in HIGH_UNCERTAINTY]
    unet_high = [t for t, m in pairs if m == "U-Net" and t in HIGH_UNCERTAINTY]
    low_biased = [f"{t} {loss}: {by.loc[(t, 'U-Net', loss), 'bias']}" for t in unet_low for loss in LOSSES
                  if by.loc[(t, "U-Net", loss), "bias"]]
    claims.append(("U-Net: no significant volume bias on the low-uncertainty tasks (either loss)",
                   (f"tasks run: {', '.join(unet_low)}; significant ΔV: {'; '.join(low_biased) or 'none'}"
                    if unet_low else "needs the U-Net cells of the low-uncertainty tasks"),
                   _verdict(2 * len(unet_low) - len(low_biased), 2 * len(unet_low))))
    high_over = [t for t in unet_high if by.loc[(t, "U-Net", "SD"), "bias"] == "over"]
    claims.append(("U-Net: SD still over-estimates on the high-uncertainty tasks",
                   (f"over-estimated in {len(high_over)}/{len(unet_high)} ({', '.join(unet_high)})"
                    if unet_high else "needs the U-Net cells of the high-uncertainty tasks"),
                   _verdict(len(high_over), len(unet_high))))
    if comparison is not None and len(comparison):
        c = comparison[(comparison["metric"] == "dice") & (comparison["model"] == "U-Net")]
        wins = c[c["better"] == "SD"]
        check = ("; ".join(f"{r['task']}: CE {r['CE-trained']:.3f}, SD {r['SD-trained']:.3f} ({r['better']})"
                           for _, r in c.iterrows())
                 if len(c) else "needs the U-Net cells")
        claims.append(("U-Net: SD-trained models reach a significantly higher (hard) Dice", check,
                       _verdict(len(wins), len(c))))
    return [c + (data_label,) for c in claims]


#: The chapter's study — ``dicecore study 02 --profile cpu`` runs or resumes it.
STUDY = Study("02_volume_bias", __name__, cells, run_cell, summarise)
