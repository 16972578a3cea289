"""Chapter 5's training study (Hosseini Tables 1–3): the same network trained with each loss, several
seeds, scored by mDice, mIoU, mNSD, mPrecision and mRecall on held-out frames.

Profiles:

* ``ci`` (CPU, in the book build): the Kvasir-like task (64-pixel frames, 48-pixel random crops) and the
  ACDC-like task (64-pixel short-axis slices, 4 classes), a two-level U-Net of Chapter 2's design with
  softmax outputs, five losses (CE, Dice, CE + Dice, PM Dice, CE + PM Dice) and, on Kvasir-like, PM Dice
  without its stop-gradient; one seed, 400 iterations; the γ sweeps of Figs. 3–4 on MSSEG-like slices,
  trained on 48-pixel crops of which half are placed over a lesion (the book's choice, nnU-Net's foreground
  oversampling: drawn uniformly as whole slices, CE, Dice, CE + Dice and PM Dice all settled on
  all-background within 400 iterations on version 2 of the phantom), 600 iterations, scored on whole slices;
  the sweeps leave out γ = 0.5 (the ``cpu`` and ``paper`` profiles have it).
  It answers "do the losses' precision/recall tendencies show up at all" on a phantom.
* ``paper`` (GPU): all fourteen losses and the ablation, three seeds, 320-pixel Kvasir-like frames with
  256-pixel crops and 256-pixel ACDC-like slices, flips and 90° rotations, MONAI's ``FlexibleUNet`` with a
  ResNet-34 encoder as the paper's, 5·10⁻⁴ and polynomial decay, weight decay 10⁻⁴; BasicUNet on the
  MSSEG-like sweeps. Every training's rows go to ``results/05_pm_dice/per_training/`` (resumable; a
  partly run grid is rendered by :func:`committed_report`). It is not yet sized to the 25 GPU-minute budget:
  no session has had a GPU to measure its throughput (one MSSEG-like training took ~50 minutes on one CPU
  core; on version 1 of the MSSEG-like phantom at this size every loss reached ~100 % mDice — that phantom
  saturated; version 2 has faint lesions, an unlabelled halo, lesion-free slices and four raters). It samples
  whole slices uniformly, as the paper.

* ``cpu`` (a 2-core CPU, a few hours, committed): the ``ci`` sizes with all fourteen losses and the ablation,
  three seeds and 1200 iterations (MSSEG-like: 1800, on the ``ci`` crops) — the book's choice, not yet
  checked against learning curves.

Each (task, loss, γ, seed, profile) is a :class:`PMDiceCell` of :data:`STUDY`, run and resumed by
:func:`dicecore.experiments.study.run_study` (``dicecore study 05 --profile cpu``); the notebook runs one
part (:func:`part_cells`) at a time.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch

from dicecore import claims
from dicecore.data.brain import MSSEG_PHANTOM_VERSION
from dicecore.data.heart import ACDC_SLICES_PHANTOM_VERSION
from dicecore.data.polyps import POLYP_PHANTOM_VERSION, kvasir_like
from dicecore.data.sampling import random_crops
from dicecore.experiments.study import Cell, CellPaths, ResultStore, Study, superseded
from dicecore.losses.difficulty import TABLE_LOSSES, loss_for_row
from dicecore.metrics import segmentation_metrics, summarise_segmentation
from dicecore.models import network
from dicecore.papers import hosseini2025
from dicecore.train import Polynomial, fit, predict

__all__ = [
    "PROFILES", "GAMMA_SWEEP", "GAMMA_BG_SWEEP", "PMDiceCell", "part_cells", "cells", "run_cell", "summarise",
    "METRICS", "DIFFICULTY_LOSSES", "per_seed", "findings", "gamma_findings",
    "collapsed", "collapsed_trainings", "diverged_trainings", "table3_reading", "collapse_reading", "sweep_tables",
    "ABLATIONS", "CLASSES", "ORGANS", "TASKS", "test_frames", "example_predictions", "organ_dice",
    "FIG5_LOSSES", "beside_paper", "example_frame", "PARTS", "committed_parts", "committed_report",
    "committed_findings", "STUDY",
]

#: The metrics of Hosseini's Tables 1–3.
METRICS = hosseini2025.METRICS

#: Frame size, crop, cohort sizes and iterations per task and profile.
PROFILES = {
    "ci": {"frame": 64, "crop": 48, "n_train": 64, "n_test": 32, "iterations": 400, "batch_size": 8, "lr": 2e-3,
           "losses": ("CE", "Dice", "CE + Dice", "PM Dice", "CE + PM Dice"), "seeds": (0,), "model": "small-unet",
           "tolerance": 2.0, "ablations": ("PM Dice, gradient through m",),
           # the sweeps without γ = 0.5 (the book's choice, for the build's time): six trainings, not eight
           "gamma_sweep": (0.0, 1.0, 2.0, 5.0), "gamma_bg_sweep": (0.0, 1.0, 2.0),
           "msseg": {"n_train": 64, "n_test": 32, "crop": 48, "batch_size": 8, "foreground_share": 0.5,
                     "model": "small-unet", "lr": 2e-3, "iterations": 600},
           "acdc": {"frame": 64, "crop": 48, "n_train": 64, "n_test": 32, "model": "small-unet", "lr": 2e-3,
                    "iterations": 400}},
    "cpu": {"frame": 64, "crop": 48, "n_train": 64, "n_test": 32, "iterations": 1200, "batch_size": 8, "lr": 2e-3,
            "losses": tuple(TABLE_LOSSES), "seeds": (0, 1, 2), "model": "small-unet", "tolerance": 2.0,
            "ablations": ("PM Dice, gradient through m",),
            "msseg": {"n_train": 64, "n_test": 32, "crop": 48, "batch_size": 8, "foreground_share": 0.5,
                      "model": "small-unet", "lr": 2e-3, "iterations": 1800},
            "acdc": {"frame": 64, "crop": 48, "n_train": 64, "n_test": 32, "model": "small-unet", "lr": 2e-3,
                     "iterations": 1200}},
    "paper": {"frame": 320, "crop": 256, "n_train": 900, "n_test": 100, "iterations": 6000, "batch_size": 8,
              "lr": 5e-4, "losses": tuple(TABLE_LOSSES), "seeds": (0, 1, 2), "model": "resnet34-unet",
              "tolerance": 2.0, "ablations": ("PM Dice, gradient through m",),
              "msseg": {"n_train": 600, "n_test": 200, "crop": None, "model": "plain-unet", "lr": 1e-4,
                        "iterations": 4000},
              "acdc": {"frame": 256, "crop": None, "n_train": 1400, "n_test": 400, "iterations": 6000}},
}
#: Trainings beyond the paper's rows, name → (table row, settings). The stop-gradient ablation of §5.5.
ABLATIONS = {"PM Dice, gradient through m": ("PM Dice", {"detach_modulation": False})}
#: Output classes per task (background included).
CLASSES = {"kvasir_like": 2, "msseg_like": 2, "acdc_like": 4}
#: The ACDC-like organs by label value.
ORGANS = {1: "RV", 2: "MYO", 3: "LV"}
#: The three tasks of Tables 1–3.
TASKS = tuple(CLASSES)
#: The columns of the visual comparison (Fig. 5) — losses trained in both profiles.
FIG5_LOSSES = ("CE", "Dice", "CE + Dice", "PM Dice", "CE + PM Dice", "PM Dice, gradient through m")
#: Figs. 3–4 — γ for both classes, then γ_BG with γ_FG = 2 (γ per class is (background, lesion)).
GAMMA_SWEEP = (0.0, 0.5, 1.0, 2.0, 5.0)
#: Fig. 4 — the background's γ with the lesion's γ fixed at 2.
GAMMA_BG_SWEEP = (0.0, 0.5, 1.0, 2.0)



@dataclass(frozen=True, kw_only=True)
class PMDiceCell(Cell):
    """One training: a ``task`` (:data:`TASKS`), a ``loss`` (a row of Tables 1–3 or an :data:`ABLATIONS`
    name), PM Dice's ``gamma`` = (γ_BG, γ_FG) (``None``: the loss's default), ``iterations`` long, on
    phantoms of version ``phantom``."""

    task: str
    loss: str
    gamma: Optional[tuple] = None
    iterations: int
    phantom: int


#: The parts of the chapter's training grid — Tables 1–3 and the γ sweeps of Figs. 3–4.
PARTS = ("kvasir_like", "acdc_like", "msseg_like", "gamma_sweep")


def _config(profile: str, task: str) -> dict:
    """The profile's settings for ``task``: the shared ones, overridden by the task's own."""
    if profile not in PROFILES:
        raise ValueError(f"profile: unknown profile {profile!r}; choose one of {tuple(PROFILES)}.")
    if task not in TASKS:
        raise ValueError(f"task: unknown task {task!r}; choose one of {TASKS}.")
    cfg = PROFILES[profile]
    return dict(cfg, **{"kvasir_like": {}, "msseg_like": cfg["msseg"], "acdc_like": cfg.get("acdc", {})}[task])


def part_cells(profile: str = "ci", part: str = "kvasir_like", seed: int = 0, device: str = "cpu",
               amp: bool = False) -> list[PMDiceCell]:
    """The trainings of one part (:data:`PARTS`): for a table, every loss of the profile × every seed
    ("kvasir_like": Table 1 with the ablations of :data:`ABLATIONS`, "acdc_like": Table 2, "msseg_like":
    Table 3, where PM Dice terms take :data:`~dicecore.papers.hosseini2025.MSSEG_GAMMA`); for "gamma_sweep",
    PM Dice on the MSSEG-like task with γ_BG = γ_FG = γ (Fig. 3), then γ_FG = 2 and γ_BG varied (Fig. 4), the
    setting both sweeps share listed once. Table 3's PM Dice training *is* the sweep's (γ_BG, γ_FG) = (1, 2) one (same key)."""
    if part not in PARTS:
        raise ValueError(f"part: unknown part {part!r}; choose one of {PARTS}.")
    task = "msseg_like" if part == "gamma_sweep" else part
    cfg = _config(profile, task)
    phantom = {"kvasir_like": POLYP_PHANTOM_VERSION, "msseg_like": MSSEG_PHANTOM_VERSION}.get(task, ACDC_SLICES_PHANTOM_VERSION)
    if part == "gamma_sweep":
        runs = ([("PM Dice", (g, g)) for g in cfg.get("gamma_sweep", GAMMA_SWEEP)]
                + [("PM Dice", (g, 2.0)) for g in cfg.get("gamma_bg_sweep", GAMMA_BG_SWEEP) if g != 2.0])
    else:
        losses = tuple(cfg["losses"]) + (tuple(cfg["ablations"]) if part == "kvasir_like" else ())
        # Table 3: the paper's MSSEG γ for every PM Dice term
        runs = [(loss, hosseini2025.MSSEG_GAMMA if task == "msseg_like" and "PM Dice" in loss else None) for loss in losses]
    return [PMDiceCell(task=task, loss=loss, gamma=gamma, iterations=cfg["iterations"], phantom=phantom,
                       profile=profile, seed=seed + s, device=device, amp=amp)
            for loss, gamma in runs for s in cfg["seeds"]]


def cells(profile: str = "ci", seed: int = 0, device: str = "cpu", amp: bool = False) -> list[PMDiceCell]:
    """Every training of the profile: the parts of :func:`part_cells` in order, a training two parts share
    listed once."""
    grid = {c.key: c for part in PARTS for c in part_cells(profile, part, seed, device, amp)}
    return list(grid.values())


def committed_parts(folder, profile: str, back: int = 0) -> dict[str, tuple[pd.DataFrame, int, int]]:
    """The trainings of ``profile`` committed under ``folder`` (a partly run grid is fine): ``{part: (rows,
    trainings present, trainings in the part)}`` for each part with at least one; ``{}`` when none has.
    ``back``: the trainings on phantoms that many versions older than today's (a superseded generation,
    :func:`~dicecore.experiments.study.superseded`), never mixed with today's."""
    store = ResultStore(folder)
    out = {}
    for part in PARTS:
        todo = part_cells(profile, part) if back == 0 else superseded(part_cells(profile, part), back)
        done, total = store.count(todo)
        if done:
            out[part] = (store.read(todo), done, total)
    return out


@functools.lru_cache(maxsize=2)
def _frames(task: str, n: int, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """The phantom frames of a task, generated once per process; every training shares them, so nothing may
    write to them (``run_cell`` only reads: crops and flips make copies)."""
    if task == "kvasir_like":
        images, masks = kvasir_like(n, size=frame, seed=1000)
    elif task == "msseg_like":
        from dicecore.data.brain import msseg_like_slices

        images, masks = msseg_like_slices(n, seed=1000)
    else:
        from dicecore.data.heart import acdc_like_slices

        images, masks = acdc_like_slices(n, size=frame, seed=1000)
    return images, masks


def _dataset(profile: str, task: str) -> tuple[dict, np.ndarray, np.ndarray]:
    cfg = _config(profile, task)
    images, masks = _frames(task, cfg["n_train"] + cfg["n_test"], cfg["frame"])
    return cfg, images, masks


def test_frames(task: str, profile: str = "ci") -> tuple[np.ndarray, np.ndarray]:
    """The held-out frames of ``task`` (images, labels), as :func:`run_cell` scores them."""
    cfg, images, masks = _dataset(profile, task)
    return images[cfg["n_train"]:], masks[cfg["n_train"]:]


def example_frame(task: str, profile: str = "ci", n_examples: int = 4) -> tuple[np.ndarray, np.ndarray, int]:
    """Of the first ``n_examples`` held-out frames (those :func:`run_cell` saves predictions for), the one with
    the most foreground: (image, labels, its index) — Fig. 5's frame."""
    images, labels = test_frames(task, profile)
    k = int(np.argmax((labels[:n_examples] > 0).sum(axis=(1, 2))))
    return images[k], labels[k], k


def run_cell(cell: PMDiceCell, paths: Optional[CellPaths] = None, n_examples: int = 4) -> pd.DataFrame:
    """Train one (task, loss, γ, seed) and score it on the held-out frames: one row per frame and class.

    A training that diverges (:func:`dicecore.train.fit` raises ``FloatingPointError``) is kept as a result,
    ``diverged`` true: its network is scored as predicting background everywhere, as a collapsed one does.

    With ``paths``, the training checkpoints to ``paths.checkpoint`` (every ``checkpoint_every`` iterations
    of the profile, default 100) and resumes from it, and the predicted label maps of the first
    ``n_examples`` held-out frames are written to ``paths.example`` (atomically), for the visual comparison
    of Fig. 5 (:func:`example_predictions`).
    """
    t0 = time.perf_counter()
    cfg, images, masks = _dataset(cell.profile, cell.task)
    x, y = torch.from_numpy(images), torch.from_numpy(masks.astype(np.int64))
    n = cfg["n_train"]
    torch.manual_seed(cell.seed)
    model = network(cfg["model"], x.shape[1], CLASSES[cell.task])  # from the registry (dicecore.models)
    row, settings = ABLATIONS.get(cell.loss, (cell.loss, {}))
    if cell.gamma:
        settings = dict(settings, gamma=cell.gamma)
    loss = loss_for_row(row, **settings)
    try:
        history = fit(
            model, lambda logits, labels: loss(logits, labels, activation="softmax", to_onehot_y=True),
            random_crops(x[:n], y[:n], cfg["crop"], cfg["batch_size"], cfg.get("foreground_share", 0.0)),
            Polynomial(cfg["lr"]), cell.iterations,
            seed=cell.seed, device=cell.device, amp=cell.amp, checkpoint=None if paths is None else paths.checkpoint,
            checkpoint_every=cfg.get("checkpoint_every", 100))
        pred = predict(model, x[n:], batch_size=8, device=cell.device, activation=None).argmax(1)
        diverged = False
    except FloatingPointError:  # the weights became NaN: scored as predicting background everywhere
        history, diverged = pd.DataFrame({"train_loss": [float("nan")]}), True
        pred = torch.zeros_like(y[n:])
    out = segmentation_metrics(pred.numpy(), y[n:].numpy(), num_classes=CLASSES[cell.task],
                               tolerance=cfg["tolerance"])
    if paths is not None:
        import io

        from dicecore.results import atomic_write_bytes

        buf = io.BytesIO()
        np.savez_compressed(buf, pred=pred[:n_examples].numpy().astype(np.uint8))
        atomic_write_bytes(paths.example, buf.getvalue())
    for k in ("task", "loss", "iterations", "phantom", "profile", "seed"):
        out[k] = getattr(cell, k)
    out["gamma"] = ", ".join(f"{v:g}" for v in cell.gamma) if cell.gamma else "default"
    out["final_train_loss"] = float(history["train_loss"].tail(20).mean())
    out["diverged"] = diverged
    out["seconds"] = time.perf_counter() - t0
    return out


def example_predictions(trainings, store: ResultStore, label=None) -> dict[str, np.ndarray]:
    """``{name: predicted label maps (k, H, W)}`` saved by :func:`run_cell` in ``store``
    (:meth:`~dicecore.experiments.study.ResultStore.read_example`), the first seed of each name.

    ``label(cell)`` names a training (default: its loss); a training it names ``None`` is left out.
    """
    out = {}
    for cell in trainings:
        name = cell.loss if label is None else label(cell)
        saved = None if name is None or name in out else store.read_example(cell)
        if saved is not None:
            out[name] = saved["pred"]
    return out


def organ_dice(per_image: pd.DataFrame, by=("loss",)) -> pd.DataFrame:
    """Dice of each ACDC-like organ (RV, MYO, LV), mean over frames then seeds, in percent (Table 2's
    last columns)."""
    by = list(by)
    per_seed = per_image.groupby([*by, "seed", "class"], sort=False)["dice"].mean().mul(100).reset_index()
    table = per_seed.groupby([*by, "class"], sort=False)["dice"].mean().unstack("class")
    return table.rename(columns=ORGANS)[[ORGANS[c] for c in sorted(ORGANS) if c in table.columns]].reset_index()


def beside_paper(ours: pd.DataFrame, paper: pd.DataFrame, columns) -> pd.DataFrame:
    """One cell per (loss, metric): ``"ours / paper"`` in percent (``—`` where a side has no value), so that a
    table with the paper's numbers beside ours fits a page. Rows: ``ours``' losses, in its order."""
    merged = ours.merge(paper, on="loss", how="left", suffixes=("", " paper"))

    def fmt(v):
        return "—" if pd.isna(v) else f"{v:.1f}"

    out = pd.DataFrame({"loss": merged["loss"]})
    for c in columns:
        out[c] = [f"{fmt(a)} / {fmt(b)}" for a, b in zip(merged[c], merged[f"{c} paper"])]
    return out


def summarise(per_image: pd.DataFrame, by=("loss",)) -> pd.DataFrame:
    """Per loss (or per ``by``, e.g. ``("gamma",)`` for a γ sweep): the metrics of each seed (means over
    frames), then their mean and spread (max − min) over seeds, in percent — the paper reports the mean of
    3 runs."""
    by = list(by)
    rows = []
    for keys, d in per_image.groupby([*by, "seed"], sort=False):
        rows.append({**dict(zip([*by, "seed"], keys)), **summarise_segmentation(d)})
    per_seed = pd.DataFrame(rows)
    groups = per_seed.groupby(by, sort=False)
    mean = groups[list(METRICS)].mean()
    spread = groups[list(METRICS)].agg(lambda v: v.max() - v.min())
    out = mean.join(spread.add_suffix(" spread")).reset_index()
    out["seeds"] = groups.size().to_numpy()
    return out


#: The losses Hosseini calls "designed to tackle the difficulty imbalance" (§1) — every row of Tables 1–3 that
#: re-weights, ranks or re-shapes the Dice or CE terms, PM Dice's own compounds left out.
DIFFICULTY_LOSSES = ("Logarithmic Dice [38]", "Focal Dice [40]", "Focal Dice [41]", "Focal CE + Dice",
                     "TopK CE + Dice", "TopK Dice [42]", "CE + TopK Dice [42]", "TopK CE + TopK Dice [42]")
#: The metrics are in percent, so a comparison at the ceiling has both arms within this many points of 100.
CEILING_POINTS = 100 * claims.CEILING_DISTANCE


def per_seed(per_image: pd.DataFrame, by=("loss",)) -> pd.DataFrame:
    """The metrics (percent) of each training: one row per ``by`` value and seed, means over its test frames."""
    by = list(by)
    rows = [{**dict(zip([*by, "seed"], keys)), **summarise_segmentation(d)}
            for keys, d in per_image.groupby([*by, "seed"], sort=False)]
    return pd.DataFrame(rows, columns=[*by, "seed", *METRICS])


def _compare(seeds: pd.DataFrame, a: str, b: str, metric: str, *, key: str = "loss", what: str = "") -> claims.Verdict:
    """"``a`` beats ``b`` on ``metric``", paired by seed (:func:`~dicecore.claims.superiority`; in a partly run
    grid, the seeds both ran); untestable when either collapsed to all-background (recall < 1 %) or both sit at
    the ceiling."""
    recall = seeds.pivot_table(index="seed", columns=key, values="mRec.", dropna=False).reindex(columns=[a, b])
    ran = recall.dropna().index  # the seeds both trainings ran (recall is defined for every training)
    wide = seeds.pivot_table(index="seed", columns=key, values=metric, dropna=False).reindex(index=ran, columns=[a, b])
    label = what or f"{metric} {a} − {b}"
    gone = [x for x in (a, b) if not recall.loc[ran, x].min() >= 1.0]
    if gone:
        return claims.Verdict("untestable", f"{label}: {', '.join(gone)} collapsed to all-background (recall "
                              "< 1 %)", "a collapsed training compares nothing", len(wide))
    at_ceiling = claims.ceiling({a: float(wide[a].mean()), b: float(wide[b].mean())}, maximum=100.0,
                                distance=CEILING_POINTS)
    return at_ceiling or claims.superiority(wide[a].to_numpy(), wide[b].to_numpy(), what=label)


def findings(per_image: pd.DataFrame, scale: str, data: str) -> list[claims.Finding]:
    """Hosseini's claims on Tables 1–3 (H04, H06–H15) judged on one task's per-image rows (:func:`run_cell`):
    each comparison is paired by seed (:func:`~dicecore.claims.superiority`, at least three seeds); "needs no
    CE term" is an equivalence of CE + PM Dice and PM Dice within :data:`~dicecore.claims.DICE_MARGIN` (in
    points); a claim whose losses were not trained is left out (the chapter's table says "not run")."""
    seeds = per_seed(per_image)
    have = set(seeds["loss"])
    out = []

    def add(claim_id, verdicts, what):
        if verdicts:
            out.append(claims.finding(claim_id, claims.combine(verdicts, what), scale, data))

    def each(pairs, metric):
        return [_compare(seeds, a, b, metric) for a, b in pairs if {a, b} <= have]

    add("H04", each([("PM Dice", "PM Dice, gradient through m")], "mDice"), "the stop-gradient")
    add("H06", each([("PM Dice", other) for other in DIFFICULTY_LOSSES], "mDice"), "PM Dice against each")
    others = [x for x in have if x != "PM Dice" and x not in ABLATIONS]
    add("H07", each([("PM Dice", other) for other in sorted(others)], "mNSD"), "PM Dice against each")
    add("H08", each([("Dice", "CE")], "mRec.") + each([("CE", "Dice")], "mPrec."), "recall, precision")
    add("H09", each([("CE + Dice", "Dice")], "mDice"), "compound against Dice")
    add("H10", each([("PM Dice", "Dice")], "mPrec."), "precision")
    if {"PM Dice", "CE + PM Dice"} <= have:
        wide = seeds.pivot_table(index="seed", columns="loss", values="mDice")[["CE + PM Dice", "PM Dice"]].dropna()
        out.append(claims.finding("H11", claims.equivalence(
            wide["CE + PM Dice"].to_numpy(), wide["PM Dice"].to_numpy(), margin=100 * claims.DICE_MARGIN,
            what="mDice CE + PM Dice − PM Dice (points)"), scale, data))
    add("H12", each([("CE + PM Dice", "CE + Dice")], "mDice"), "compound against compound")
    add("H13", each([("Focal CE + Dice", "CE + Dice"), ("TopK CE + Dice", "CE + Dice")], "mPrec."), "precision")
    add("H14", each([("Focal Dice [41]", "Dice"), ("TopK Dice [42]", "Dice")], "mRec."), "recall")
    add("H15", each([("TopK CE + TopK Dice [42]", "CE + Dice")], "mDice"), "mDice")
    return out


def gamma_findings(per_slice: pd.DataFrame, scale: str, data: str) -> list[claims.Finding]:
    """Figs. 3–4 (H16–H18) from the γ sweeps' per-slice rows (``gamma`` "g, g" for γ_BG = γ_FG = g, "g, 2"
    for γ_FG = 2): each trend is a per-seed gap tested by :func:`~dicecore.claims.superiority`; settings that
    collapsed to all-background make a comparison untestable."""
    seeds = per_seed(per_slice, by=("gamma",))
    parts = seeds["gamma"].str.split(", ")
    seeds = seeds.assign(value=parts.str[0].astype(float))  # (before selecting: on an empty selection, assign
    # adds rows)
    both, bg = seeds[parts.str[0] == parts.str[1]], seeds[parts.str[1] == "2"]
    out = []
    live = sorted(v for v in both["value"].unique() if v >= 0.5)
    if len(live) >= 2:
        lo, hi = both[both.value == live[0]]["gamma"].iloc[0], both[both.value == live[-1]]["gamma"].iloc[0]
        out.append(claims.finding("H16", claims.combine(
            [_compare(both, hi, lo, "mPrec.", key="gamma", what=f"precision γ = {live[-1]:g} − {live[0]:g}"),
             _compare(both, lo, hi, "mRec.", key="gamma", what=f"recall γ = {live[0]:g} − {live[-1]:g}")],
            "the trend from γ = 0.5"), scale, data))
    if (both["value"] == 2.0).any() and both["value"].nunique() > 1:
        two = both[both.value == 2.0]["gamma"].iloc[0]
        out.append(claims.finding("H17", claims.combine(
            [_compare(both, two, g, "mDice", key="gamma", what=f"mDice γ = 2 − γ = {g.split(',')[0]}")
             for g in both["gamma"].unique() if g != two], "γ = 2 against each"), scale, data))
    values = sorted(bg["value"].unique())
    if len(values) >= 2:
        lo, hi = bg[bg.value == values[0]]["gamma"].iloc[0], bg[bg.value == values[-1]]["gamma"].iloc[0]
        parts_h18 = [
            _compare(bg, hi, lo, "mPrec.", key="gamma", what=f"precision γ_BG = {values[-1]:g} − {values[0]:g}"),
            _compare(bg, lo, hi, "mRec.", key="gamma", what=f"recall γ_BG = {values[0]:g} − {values[-1]:g}")]
        if 1.0 in values:
            one = bg[bg.value == 1.0]["gamma"].iloc[0]
            parts_h18 += [_compare(bg, one, g, "mDice", key="gamma", what=f"mDice γ_BG = 1 − {g.split(',')[0]}")
                          for g in bg["gamma"].unique() if g != one]
        out.append(claims.finding("H18", claims.combine(parts_h18, "γ_FG = 2"), scale, data))
    return out


def _with_values(table: pd.DataFrame, position: int) -> pd.DataFrame:
    values = [float(v.split(",")[position]) for v in table["gamma"]]
    return table.assign(value=values).sort_values("value").reset_index(drop=True)


def collapsed(table: pd.DataFrame) -> list[str]:
    """Settings whose network predicted (almost) no foreground at all: recall below 1 %."""
    return [str(g) for g, r in zip(table["gamma"], table["mRec."]) if not r >= 1.0]


def collapsed_trainings(per_slice: pd.DataFrame, by: str = "gamma") -> tuple[list[str], int]:
    """The single trainings that collapsed (recall below 1 %, as :func:`collapsed`), each as "γ_BG, γ_FG (seed
    s)" for a γ sweep (``by="gamma"``) or "loss (seed s)" (``by="loss"``), and how many trainings there are —
    with several seeds a setting's mean can hide a collapse in one of them."""
    seeds = per_seed(per_slice, by=(by,))
    dead = [f"{g} (seed {s})" for g, s, r in zip(seeds[by], seeds["seed"], seeds["mRec."]) if not r >= 1.0]
    return dead, len(seeds)


def table3_reading(per_slice: pd.DataFrame) -> str:
    """One sentence on a lesion-task Table 3 (:func:`summarise` of its trainings): how many trainings
    collapsed or diverged, in which losses, and the mDice range of the losses with a CE term, beside the
    paper's Table 3 range."""
    seeds = per_seed(per_slice)
    dead = seeds[~(seeds["mRec."] >= 1.0)]  # collapsed, as collapsed_trainings
    counts = dead.groupby("loss", sort=False).size()
    n_diverged = len(diverged_trainings(per_slice))
    table = summarise(per_slice).set_index("loss")["mDice"]
    with_ce = table[[("CE" in loss) for loss in table.index]]
    paper = hosseini2025.TABLE3["mDice"]
    parts = [f"{len(dead)} of {len(seeds)} trainings collapsed to background, lesion recall under 1 %"
             + (f" ({n_diverged} of them after diverging)" if n_diverged else "")
             + (": " + ", ".join(f"{loss} in {k} of {per_slice['seed'].nunique()} seeds" for loss, k in counts.items())
                if len(dead) else "")]
    if len(with_ce):
        learned = not set(with_ce.index) & set(counts.index)
        parts.append(f"the {len(with_ce)} loss{'es' if len(with_ce) > 1 else ''} with a CE term "
                     f"{'learned in every seed' if learned else 'did not all learn'}, "
                     f"at {with_ce.min():.0f}–{with_ce.max():.0f} % mDice (the paper's Table 3: "
                     f"{paper.min():.0f}–{paper.max():.0f} % for every loss)")
    return "; ".join(parts)


def diverged_trainings(per_image: pd.DataFrame) -> list[str]:
    """The trainings whose network diverged (:func:`run_cell` scores them as predicting background), each as
    "loss (seed s)", with "γ_BG, γ_FG" after the loss where a γ was set; ``[]`` for results from before
    divergence was recorded."""
    if "diverged" not in per_image:
        return []
    dead = per_image[per_image["diverged"].eq(True)].drop_duplicates(["loss", "gamma", "seed"])
    return [f"{loss}{'' if gamma == 'default' else f', {gamma}'} (seed {seed})"
            for loss, gamma, seed in zip(dead["loss"], dead["gamma"], dead["seed"])]


def collapse_reading(both: pd.DataFrame, background: pd.DataFrame) -> str:
    """One sentence on the γ sweeps' collapses (:func:`collapsed` on :func:`sweep_tables`' two tables):
    which settings collapsed, and whether a larger lesion γ escaped where γ = 0 did not."""
    table = pd.concat([both, background]).drop_duplicates("gamma")
    dead = collapsed(table)
    if not dead:
        return "no setting collapsed"
    if len(dead) == len(table):
        return "every setting collapsed, the plain Dice loss and every γ alike: none learned the lesions"
    plain_dead = any(all(float(v) == 0 for v in g.split(",")) for g in dead)
    escaped = [g for g in table["gamma"] if g not in dead]
    pairs = lambda gammas: ", ".join(f"({g})" for g in gammas)  # noqa: E731
    return (f"{len(dead)} of {len(table)} settings (γ_BG, γ_FG) collapsed, {pairs(dead)}; "
            + (f"the plain Dice loss did, and {pairs(escaped)} escaped" if plain_dead else
               "the plain Dice loss did not"))


def sweep_tables(per_image: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The γ-sweep summary split into Fig. 3's rows (γ_BG = γ_FG) and Fig. 4's rows (γ_FG = 2)."""
    table = summarise(per_image, by=("gamma",))
    parts = table["gamma"].str.split(", ")
    first = parts.str[0].astype(float)
    table = table.assign(_order=first)  # (assigned before selecting: on an empty selection, assign adds rows)
    both = table[parts.str[0] == parts.str[1]].sort_values("_order")
    background = table[parts.str[1] == "2"].sort_values("_order")
    return (both.drop(columns="_order").reset_index(drop=True),
            background.drop(columns="_order").reset_index(drop=True))


#: Each table part: the paper's table, its name, and the columns shown beside it.
_PAPER_TABLES = {"kvasir_like": (hosseini2025.TABLE1, "Table 1 (Kvasir-SEG)", METRICS),
                 "acdc_like": (hosseini2025.TABLE2, "Table 2 (ACDC)", (*METRICS, "RV", "MYO", "LV")),
                 "msseg_like": (hosseini2025.TABLE3, "Table 3 (MSSEG-2)", METRICS)}
_PART_DATA = {"kvasir_like": "Kvasir-like phantom", "acdc_like": "ACDC-like phantom",
              "msseg_like": "MSSEG-like slices", "gamma_sweep": "MSSEG-like slices"}


def committed_report(found: dict, profile: str = "paper", phantoms: str = "", ceiling: float = 99.0) -> dict:
    """What the chapter shows of committed results (:func:`committed_parts`): ``tables``, a list of (caption,
    ours-beside-the-paper table) for each of Tables 1–3 with trainings; ``sweep``, the two tables of
    :func:`sweep_tables` or None; ``findings``, the verdicts on every claim those trainings can test (one per
    claim, the parts merged, each part's data labelled with how many of its trainings ran); ``saturated``, the
    parts on which every trained loss reaches ``ceiling`` % mDice or more — a phantom too easy at that scale
    to tell the losses apart; ``diverged``, per part, its trainings that diverged (:func:`diverged_trainings`).
    ``phantoms`` (e.g. :meth:`~dicecore.experiments.study.Committed.phantom_label`) labels the data of every
    finding."""
    tables, sweep, found_claims, saturated = [], None, [], []
    diverged = {part: diverged_trainings(rows) for part, (rows, _, _) in found.items()}
    for part, (rows, done, total) in found.items():
        seeds = int(rows["seed"].nunique())
        data = (f"{_PART_DATA[part]}{', ' + phantoms if phantoms else ''} ({done} of {total} trainings, {seeds} "
                f"seed{'s' if seeds > 1 else ''})")
        if part == "gamma_sweep":
            sweep = sweep_tables(rows)
            found_claims += gamma_findings(rows, profile, data)
            continue
        table = summarise(rows)
        if (table["mDice"] >= ceiling).all():
            saturated.append(part)
        if part == "acdc_like":
            table = table.merge(organ_dice(rows), on="loss")
        paper, name, columns = _PAPER_TABLES[part]
        tables.append((f"ours ({done} of {total} trainings) / the paper's {name}, percent",
                       beside_paper(table, paper, columns)))
        found_claims += findings(rows, profile, data)
    return {"tables": tables, "sweep": sweep, "findings": claims.merge(found_claims), "saturated": saturated,
            "diverged": {part: dead for part, dead in diverged.items() if dead}}


def committed_findings(shown, folder=None) -> list[claims.Finding]:
    """The verdicts of :func:`committed_report` on a study's committed results (``shown``,
    :func:`~dicecore.experiments.study.committed`; parts read from ``folder``, the study's results folder by
    default)."""
    from dicecore.paths import results_dir

    return shown.tag(committed_report(committed_parts(folder or results_dir(STUDY.chapter), shown.profile, shown.back),
                                      shown.profile, shown.phantom_label())["findings"])


#: The study of Chapter 5 — every (task, loss, γ, seed) training of a profile (``dicecore study 05``).
STUDY = Study("05_pm_dice", __name__, cells, run_cell, summarise)
