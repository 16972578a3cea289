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

from dicecore import claims
from dicecore.data.cohorts import folds
from dicecore.data.uncertainty import (
    ALL_UNCERTAINTY_TASKS, CORRELATED_TASK, UNCERTAINTY_PHANTOM_VERSION, UNCERTAINTY_TASKS, uncertainty_task,
)
from dicecore.experiments.study import Cell, CellPaths, Study
from dicecore.losses import dice_loss
from dicecore.metrics import bootstrap_mean_test, dice_score, mean_cross_entropy, soft_dice_score, volume_error
from dicecore.models import network
from dicecore.papers import bertels2019
from dicecore.train import EpochBatches, Plateau, fit, predict, validation_loss

__all__ = [
    "PROFILES", "VolumeBiasCell", "cells", "run_cell", "STUDY", "dataset", "summarise", "loss_comparison", "table1",
    "style_table1", "findings", "committed_findings", "PAPER_DATASET", "LOSSES", "MODEL_NAMES", "MODEL_NETWORKS",
    "TASKS", "TASK_TITLES", "correlation_comparison", "correlation_reading", "correlation_summary", "SHARED_WITH_PAPER",
    "scale_check", "stalled", "stalled_counts",
]

#: Bertels et al.'s three models, of increasing capacity.
MODEL_NAMES = bertels2019.MODELS
#: Bertels et al.'s models by their names in the registry (:data:`dicecore.models.NETWORKS`).
MODEL_NETWORKS = {"LR": "logistic-regression", "ConvNet": "bertels-convnet", "U-Net": "bertels-unet"}
#: Cross-entropy and soft Dice.
LOSSES = bertels2019.LOSSES
#: Which paper dataset each phantom task stands in for.
PAPER_DATASET = {"molars_like": "MOLARS (2D)", "brats_like": "BRATS 2018 (3D)", "isles17_like": "ISLES 2017 (3D)",
                 "isles18_like": "ISLES 2018 (3D)"}
#: Every task of the chapter — the paper's four (:data:`PAPER_DATASET`) and the book's correlated variant of
#: isles17_like (:data:`~dicecore.data.uncertainty.CORRELATED_TASK`; no paper column, and no claim rests on it).
TASKS = ALL_UNCERTAINTY_TASKS
#: A title per task for the chapter's figures.
TASK_TITLES = {**{t: f"{t}\n({d} stand-in)" for t, d in PAPER_DATASET.items()},
               CORRELATED_TASK: f"{CORRELATED_TASK}\n(the book's variant)"}

#: Sizes and schedules. ``paper``: all three models, five folds, the paper's patience scaled from its 75/150
#: epochs to the shorter runs that fit one GPU; 96² images for the 2-D task, 48³ for the 3-D ones. ``cpu``: the
#: same grid with the 3-D tasks at 24³ (the book's choice: a 3-D ConvNet or U-Net training at 48³ takes hours on
#: one CPU core, at 24³ minutes); the 2-D task is the same training in both profiles, so the cpu grid shares
#: the paper grid's 2-D cells (:data:`SHARED_WITH_PAPER`). Training length is the paper's protocol in both:
#: early stopping on the validation loss, at most ``max_epochs``. ``ci``: the logistic-regression model only
#: (the ConvNet and U-Net do not converge in the few CPU-seconds a book build can give them, and unconverged
#: networks say nothing about the loss), three folds, small images.
PROFILES = {
    "ci": dict(n_subjects=30, size_2d=32, size_3d=16, folds=3, max_epochs=60, batch_size=5,
               plateau_patience=10, stop_patience=20, models=("LR",)),
    "cpu": dict(n_subjects=60, size_2d=96, size_3d=24, folds=5, max_epochs=150, batch_size=4,
                plateau_patience=15, stop_patience=30, models=MODEL_NAMES),
    "paper": dict(n_subjects=60, size_2d=96, size_3d=48, folds=5, max_epochs=150, batch_size=4,
                  plateau_patience=15, stop_patience=30, models=MODEL_NAMES),
}
#: The tasks whose cpu-profile trainings are the paper profile's, with the same sizes and schedule — the cpu
#: grid lists them as paper cells, so one committed result serves both grids.
SHARED_WITH_PAPER = ("molars_like",)


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

    def owner(task):  # the profile whose trainings these are (SHARED_WITH_PAPER)
        return "paper" if profile == "cpu" and task in SHARED_WITH_PAPER else profile

    return [VolumeBiasCell(task=t, model=m, loss=l, fold=f, max_epochs=cfg["max_epochs"], profile=owner(t),
                           seed=seed, device=device, amp=amp)
            for t in TASKS for m in cfg["models"] for l in LOSSES for f in range(cfg["folds"])]


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
    grid = pd.DataFrame([{"task": t, "model": m, "loss": l} for t in TASKS for m in models
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




HIGH_UNCERTAINTY = ("isles17_like", "isles18_like")


def _paired(d: pd.DataFrame, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Per held-out subject (fold, subject) of one task × model: the ``metric`` of the CE- and the SD-trained
    model, paired."""
    wide = d.pivot_table(index=["fold", "subject"], columns="loss", values=metric).dropna()
    return wide["CE"].to_numpy(), wide["SD"].to_numpy()


def stalled(per_subject: pd.DataFrame) -> pd.Series:
    """Per row (a held-out subject of one training): whether its training *stalled* — a ConvNet or U-Net whose
    validation loss never improved on its first epoch, so that early stopping ended it after exactly
    ``stop_patience`` + 1 epochs of its profile. Such a network was never trained (on these phantoms it
    predicts foreground almost everywhere); LR, a convex model at learning rate 1, may legitimately be done
    after one epoch and is never counted."""
    need = {"model", "epochs", "profile"} - set(per_subject.columns)
    if need:
        raise ValueError(f"per_subject: no column {sorted(need)[0]!r}; pass run_cell's rows.")
    limit = per_subject["profile"].map(lambda p: PROFILES[p]["stop_patience"] + 1)
    return (per_subject["model"] != "LR") & (per_subject["epochs"] == limit)


def stalled_counts(per_subject: pd.DataFrame) -> pd.Series:
    """How many trainings :func:`stalled`, per (task, model, loss) that has any."""
    return per_subject[stalled(per_subject)].groupby(["task", "model", "loss"])["fold"].nunique()


def findings(per_subject: pd.DataFrame, scale: str, data: str) -> list[claims.Finding]:
    """Bertels et al.'s §3.2 claims (B05–B11) judged on per-subject results (:func:`run_cell` rows) by the
    rules of :mod:`dicecore.claims`: "significantly better" by :func:`~dicecore.claims.superiority` over the
    held-out subjects paired between the two losses (at least :data:`~dicecore.claims.MIN_FOLDS`);
    "unbiased" by :func:`~dicecore.claims.equivalence` of ΔV / V against
    :data:`~dicecore.claims.VOLUME_MARGIN`; "over-estimates" by ΔV / V > 0; a hard Dice at the ceiling for
    both losses is untestable. A claim whose task × model cells have not run is "not run". The book's
    variant (:data:`~dicecore.data.uncertainty.CORRELATED_TASK`) is left out: no claim of the paper is about it.
    The paper's claims are about trained networks, so :func:`stalled` trainings are left out too (the book's
    rule), and ``data`` says how many."""
    out = {k: [] for k in ("B05", "B06", "B07", "B08", "B09", "B10", "B11")}
    n_min = claims.MIN_FOLDS
    paper_tasks = per_subject[per_subject["task"].isin(UNCERTAINTY_TASKS)] if len(per_subject) else per_subject
    if len(paper_tasks) and "epochs" in paper_tasks:
        trainings = paper_tasks.groupby(["task", "model", "loss", "fold"]).ngroups
        left_out = stalled_counts(paper_tasks)
        if len(left_out):
            names = ", ".join(f"{t}/{m}/{l}: {n}" for (t, m, l), n in left_out.items())
            data += (f"; {left_out.sum()} of {trainings} trainings stalled (no validation improvement after the "
                     f"first epoch) and are left out ({names})")
        paper_tasks = paper_tasks[~stalled(paper_tasks)]
    for (task, model), d in paper_tasks.groupby(["task", "model"], sort=False):
        where = f"{task}/{model}"
        both = {"CE", "SD"} <= set(d["loss"])
        if both:
            ce, sd = _paired(d, "CE")
            out["B05"].append(claims.superiority(ce, sd, min_n=n_min, higher_is_better=False,
                                                 what=f"{where}: CE of CE- − SD-trained"))
            ce, sd = _paired(d, "1-SD")
            out["B06"].append(claims.superiority(sd, ce, min_n=n_min, what=f"{where}: 1 − SD of SD- − CE-trained"))
        rel = {loss: (g["dV"] / g["true_volume"]).to_numpy() for loss, g in d.groupby("loss")}
        unbiased = {loss: claims.equivalence(v, margin=claims.VOLUME_MARGIN, what=f"{where} {loss}: ΔV / V")
                    for loss, v in rel.items()}
        over = claims.superiority(rel["SD"], np.zeros_like(rel["SD"]), min_n=n_min,
                                  what=f"{where} SD: ΔV / V") if "SD" in rel else None
        if model in ("LR", "ConvNet"):
            out["B07"] += [unbiased["CE"]] if "CE" in unbiased else []
            out["B08"] += [over] if over is not None else []
        elif model == "U-Net" and task not in HIGH_UNCERTAINTY:
            out["B09"] += list(unbiased.values())
        elif model == "U-Net":
            out["B10"] += [over] if over is not None else []
        if model == "U-Net" and both:
            ce, sd = _paired(d, "dice")
            at_ceiling = claims.ceiling({"CE": float(ce.mean()), "SD": float(sd.mean())})
            out["B11"].append(at_ceiling or claims.superiority(sd, ce, min_n=n_min,
                                                               what=f"{task}: Dice of SD- − CE-trained U-Net"))
    what = {"B05": "per task × model", "B06": "per task × model", "B07": "LR/ConvNet, CE",
            "B08": "LR/ConvNet, SD", "B09": "U-Net, low-uncertainty tasks", "B10": "U-Net, high-uncertainty tasks",
            "B11": "U-Net, per task"}
    return [claims.finding(k, claims.combine(v, what[k]), scale, data) for k, v in out.items()]


def scale_check(small: pd.DataFrame, large: pd.DataFrame, small_label: str = "24³",
                large_label: str = "48³") -> tuple[pd.DataFrame, str]:
    """The cpu profile's scale-down checked where both grids have run (every task, model and loss with cells
    in both, the tasks of :data:`SHARED_WITH_PAPER` left out — they are the same trainings): per row, the mean
    soft Dice score 1 − SD, the mean volume error in % of the true volume and the volume bias of
    :func:`summarise` (over / under at p < 0.05, else none) at each size. Returns the table and one sentence:
    in how many rows the bias is the same at both sizes, and the largest change of 1 − SD."""
    def per_row(rows):
        rows = rows[~rows["task"].isin(SHARED_WITH_PAPER)].assign(dV_pct=lambda d: 100 * d["dV"] / d["true_volume"])
        table = summarise(rows).set_index(["task", "model", "loss"])
        table["dV %"] = rows.groupby(["task", "model", "loss"])["dV_pct"].mean()
        return table

    a, b = per_row(large), per_row(small)
    both = a.index.intersection(b.index)
    out = pd.DataFrame({f"1-SD {large_label}": a.loc[both, "1-SD"], f"1-SD {small_label}": b.loc[both, "1-SD"],
                        f"ΔV % {large_label}": a.loc[both, "dV %"], f"ΔV % {small_label}": b.loc[both, "dV %"],
                        f"bias {large_label}": a.loc[both, "bias"].replace("", "none"),
                        f"bias {small_label}": b.loc[both, "bias"].replace("", "none")}).reset_index()
    if out.empty:
        return out, "no task, model and loss has run at both sizes yet"
    same = int((out[f"bias {large_label}"] == out[f"bias {small_label}"]).sum())
    change = (out[f"1-SD {small_label}"] - out[f"1-SD {large_label}"]).abs()
    worst = out.loc[change.idxmax()]
    return out, (f"the volume bias is the same at {small_label} as at {large_label} in {same} of {len(out)} rows, "
                 f"and the soft Dice score moves by at most {change.max():.2f} ({worst['task']}, {worst['model']}, "
                 f"{worst['loss']})")


def correlation_comparison(per_subject: pd.DataFrame) -> pd.DataFrame:
    """The book's experiment on correlated uncertainty: per model and loss, the volume error ΔV (mean over
    held-out subjects, in voxels, with a bootstrap p-value for ≠ 0) on isles17_like, whose rim pieces are
    infarcted independently, beside :data:`~dicecore.data.uncertainty.CORRELATED_TASK`, the same images whose
    whole rim is infarcted or not by one draw — the same probability per voxel, only the correlation differs.
    (ΔV, not ΔV / V: with one draw, half the true volumes are the core alone, and a ratio would weigh them most.)"""
    rows = []
    pair = {"isles17_like": "independent pieces", CORRELATED_TASK: "one draw"}
    d = per_subject[per_subject["task"].isin(list(pair))] if len(per_subject) else per_subject
    for (model, loss), g in d.groupby(["model", "loss"], sort=False):
        row = {"model": model, "loss": loss}
        for task, label in pair.items():
            dv = g.loc[g["task"] == task, "dV"].to_numpy()
            test = bootstrap_mean_test(dv, seed=0) if len(dv) > 1 else {"mean": np.nan, "p_value": np.nan}
            row[f"ΔV, {label}"] = test["mean"]
            row[f"p, {label}"] = test["p_value"]
        row["mean true volume"] = g.loc[g["task"] == "isles17_like", "true_volume"].mean()
        rows.append(row)
    return pd.DataFrame(rows)


def correlation_reading(comparison: pd.DataFrame, model: str = "LR", alpha: float = 0.05) -> str:
    """One sentence on :func:`correlation_comparison` for the SD-trained ``model``: whether soft Dice
    over-estimates more with independent pieces than with one draw, as §2.3 predicts at p = 0.5 (the
    independent over-estimation significant, and larger), or not."""
    rows = comparison.set_index(["model", "loss"])
    if (model, "SD") not in rows.index:
        return f"the SD-trained {model} has not run on both tasks"
    r = rows.loc[(model, "SD")]
    if r["p, independent pieces"] < alpha and r["ΔV, independent pieces"] > max(r["ΔV, one draw"], 0):
        return "soft Dice over-estimates more when the uncertain voxels are independent, as §2.3 predicts"
    return "not the pattern §2.3 predicts (a significant over-estimation that is larger with independent pieces)"


def correlation_summary(comparison: pd.DataFrame, models=MODEL_NAMES) -> str:
    """:func:`correlation_reading` over ``models`` in one sentence: which SD-trained models show §2.3's pattern
    (a significant over-estimation, larger with independent pieces), which do not, which have not run."""
    said = {m: correlation_reading(comparison, m) for m in models}
    holds = [m for m, r in said.items() if r.startswith("soft Dice over-estimates more")]
    fails = [m for m, r in said.items() if r.startswith("not the pattern")]

    def names(ms):
        return " and ".join([", ".join(ms[:-1]), ms[-1]]) if len(ms) > 1 else ms[0]

    parts = [f"the SD-trained {names(holds)} over-estimate{'s' if len(holds) == 1 else ''} more when the "
             "uncertain voxels are independent, as §2.3 predicts"] if holds else []
    parts += [f"{names(fails)}: not the pattern §2.3 predicts"] if fails else []
    missing = [m for m in models if m not in holds + fails]
    parts += [f"{names(missing)}: not run on both tasks"] if missing else []
    return "; ".join(parts)


def committed_findings(shown) -> list[claims.Finding]:
    """:func:`findings` on a study's committed results (:func:`~dicecore.experiments.study.committed`), labelled
    with their phantom version (superseded ones marked so), the cells run and which models ran on which tasks."""
    tasks_run = shown.rows.groupby("model")["task"].unique()
    all_tasks = shown.rows["task"].unique()
    ran = {m: "every task" if len(t) == len(all_tasks) else ", ".join(t) for m, t in tasks_run.items()}
    return shown.tag(findings(shown.rows, shown.profile, f"{shown.phantom_label()}, {shown.done} of {shown.total} "
                              "cells: " + "; ".join(f"{m} {ran[m]}" for m in MODEL_NAMES if m in ran)))


#: The chapter's study — ``dicecore study 02 --profile cpu`` runs or resumes it.
STUDY = Study("02_volume_bias", __name__, cells, run_cell, summarise, shown_profiles=("cpu", "paper"))
