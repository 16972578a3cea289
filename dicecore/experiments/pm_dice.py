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
  partly run grid is rendered by :func:`~dicecore.experiments.pm_dice_report.committed_report`). It is not yet sized to the 25 GPU-minute budget:
  no session has had a GPU to measure its throughput (one MSSEG-like training took ~50 minutes on one CPU
  core; on version 1 of the MSSEG-like phantom at this size every loss reached ~100 % mDice — that phantom
  saturated; version 2 has faint lesions, an unlabelled halo, lesion-free slices and four raters). It samples
  whole slices uniformly, as the paper.

* ``cpu`` (a 2-core CPU, a few hours, committed): the ``ci`` sizes with all fourteen losses and the ablation,
  three seeds; the lengths are chosen from the training-length check (:func:`length_check_cells`: CE and
  Dice trained 1, 2, 4 and 8 times a reference length, whose learning curves the chapter shows) — Kvasir-like
  9600 iterations (it was 1200 before the check), ACDC-like 9600 (the longest checked, as the Dice loss was
  still rising at 4800; the chapter shows the curves) and MSSEG-like 7200. The MSSEG-like task trains at the
  paper's rate, 10⁻⁴ (at 2·10⁻³ the Dice loss and PM Dice with γ ≤ 1 collapsed to all-background in the first
  iterations: :func:`early_foreground`); at that rate its check found CE and Dice still rising at 14 400,
  and the grid trains 7200, half the longest checked (the book's choice, for the cost).

Each (task, loss, γ, seed, profile) is a :class:`PMDiceCell` of :data:`STUDY`, run and resumed by
:func:`dicecore.experiments.study.run_study` (``dicecore study 05 --profile cpu``); the notebook runs one
part (:func:`part_cells`) at a time. What the chapter shows of the trainings — the tables beside the paper's,
the readings and the verdicts — is :mod:`dicecore.experiments.pm_dice_report`.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch

from dicecore.data.brain import MSSEG_PHANTOM_VERSION
from dicecore.data.heart import ACDC_SLICES_PHANTOM_VERSION
from dicecore.data.polyps import POLYP_PHANTOM_VERSION, kvasir_like
from dicecore.data.sampling import random_crops
from dicecore.experiments.study import Cell, CellPaths, Study, longer
from dicecore.losses.difficulty import TABLE_LOSSES, loss_for_row
from dicecore.metrics import segmentation_metrics, summarise_segmentation
from dicecore.models import network
from dicecore.papers import hosseini2025
from dicecore.train import Polynomial, fit, predict

__all__ = [
    "PROFILES", "GAMMA_SWEEP", "GAMMA_BG_SWEEP", "PMDiceCell", "part_cells", "cells", "LENGTH_CHECK",
    "length_check_cells", "run_cell", "early_foreground", "per_seed", "summarise",
    "METRICS", "ABLATIONS", "CLASSES", "ORGANS", "TASKS", "test_frames", "FIG5_LOSSES", "example_frame", "PARTS",
    "STUDY",
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
    # Kvasir-like: 9600 iterations, the longest of the training-length check (LENGTH_CHECK), as CE and Dice were
    # still learning at 1200, 2400 and 4800 (the chapter shows the curves)
    "cpu": {"frame": 64, "crop": 48, "n_train": 64, "n_test": 32, "iterations": 9600, "batch_size": 8, "lr": 2e-3,
            "losses": tuple(TABLE_LOSSES), "seeds": (0, 1, 2), "model": "small-unet", "tolerance": 2.0,
            "ablations": ("PM Dice, gradient through m",),
            # MSSEG-like: at the rate of the other tasks, 2·10⁻³, the Dice loss and PM Dice with γ ≤ 1 collapsed
            # to all-background within ~10 iterations (the chapter's early_foreground figure), so since
            # 2026-12-01 this grid trains at the paper's rate, 10⁻⁴, named in its cells' keys (lr_in_key); 7200
            # iterations, half the longest checked at that rate (the book's choice, for the cost: CE and Dice were
            # both still rising by the rule at 14 400)
            "msseg": {"n_train": 64, "n_test": 32, "crop": 48, "batch_size": 8, "foreground_share": 0.5,
                      "model": "small-unet", "lr": 1e-4, "lr_in_key": True, "iterations": 7200},
            # ACDC-like: 9600 iterations, the longest of the check on version 2 of the slices (Dice still rising at
            # 4800); version 1 of the slices reached 99 % mDice
            "acdc": {"frame": 64, "crop": 48, "n_train": 64, "n_test": 32, "model": "small-unet", "lr": 2e-3,
                     "iterations": 9600}},
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
    phantoms of version ``phantom``, at the learning rate ``lr`` (``None``: the profile's for the task, and
    no ``lr`` in the key; a task whose profile sets ``lr_in_key`` names its rate, so that trainings at
    another rate never read as these)."""

    task: str
    loss: str
    gamma: Optional[tuple] = None
    iterations: int
    phantom: int
    lr: Optional[float] = dataclasses.field(default=None, metadata={"key": "if set"})


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
    lr = cfg["lr"] if cfg.get("lr_in_key") else None
    return [PMDiceCell(task=task, loss=loss, gamma=gamma, iterations=cfg["iterations"], phantom=phantom, lr=lr,
                       profile=profile, seed=seed + s, device=device, amp=amp)
            for loss, gamma in runs for s in cfg["seeds"]]


#: The training-length check of the ``cpu`` profile: these losses, the first seed, on each table's task, trained
#: the task's reference length (the grid's first length, before the check) times each factor. The grid's
#: lengths (:data:`PROFILES`) are chosen from what it shows.
LENGTH_CHECK = {"losses": ("CE", "Dice"), "reference": {"kvasir_like": 1200, "acdc_like": 1200, "msseg_like": 1800},
                "factors": (1, 2, 4, 8)}


def length_check_cells(profile: str, seed: int = 0, device: str = "cpu", amp: bool = False) -> list[PMDiceCell]:
    """The training-length check of a profile: :data:`LENGTH_CHECK`'s losses on the three tables' tasks, first
    seed, trained 1, 2, 4 and 8 times the task's reference length (:func:`~dicecore.experiments.study.longer`);
    a training the grid has too (its length one of these) is the same cell. ``[]`` for ``ci`` (the book's
    time) and ``paper`` (its lengths are the paper's)."""
    if profile != "cpu":
        return []
    base = [dataclasses.replace(c, iterations=LENGTH_CHECK["reference"][c.task])
            for part in ("kvasir_like", "acdc_like", "msseg_like") for c in part_cells(profile, part, seed, device, amp)
            if c.loss in LENGTH_CHECK["losses"] and c.seed == seed]
    return base + longer(base, [f for f in LENGTH_CHECK["factors"] if f > 1])


def cells(profile: str = "ci", seed: int = 0, device: str = "cpu", amp: bool = False) -> list[PMDiceCell]:
    """Every training of the profile: the parts of :func:`part_cells` in order, a training two parts share
    listed once, then the training-length check (:func:`length_check_cells`)."""
    grid = {c.key: c for part in PARTS for c in part_cells(profile, part, seed, device, amp)}
    grid.update((c.key, c) for c in length_check_cells(profile, seed, device, amp) if c.key not in grid)
    return list(grid.values())


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


def _training(profile: str, task: str, loss: str, gamma: Optional[tuple], seed: int):
    """What a training of (task, loss, γ, seed) starts from: the profile's settings, the frames as tensors, the
    seeded network (from the registry, :mod:`dicecore.models`), the loss on logits and the batch sampler."""
    cfg, images, masks = _dataset(profile, task)
    x, y = torch.from_numpy(images), torch.from_numpy(masks.astype(np.int64))
    n = cfg["n_train"]
    torch.manual_seed(seed)
    model = network(cfg["model"], x.shape[1], CLASSES[task])
    row, settings = ABLATIONS.get(loss, (loss, {}))
    if gamma:
        settings = dict(settings, gamma=gamma)
    chosen = loss_for_row(row, **settings)
    batches = random_crops(x[:n], y[:n], cfg["crop"], cfg["batch_size"], cfg.get("foreground_share", 0.0))
    return cfg, x, y, model, lambda logits, labels: chosen(logits, labels, activation="softmax", to_onehot_y=True), \
        batches


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
    of Fig. 5 (:func:`~dicecore.experiments.pm_dice_report.example_predictions`).
    """
    t0 = time.perf_counter()
    cfg, x, y, model, loss, batches = _training(cell.profile, cell.task, cell.loss, cell.gamma, cell.seed)
    n = cfg["n_train"]
    try:
        history = fit(
            model, loss, batches, Polynomial(cfg["lr"] if cell.lr is None else cell.lr), cell.iterations,
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


def early_foreground(task: str, loss: str, gamma: Optional[tuple] = None, iterations: int = 120, seed: int = 0,
                     profile: str = "ci", lr: Optional[float] = None, device: str = "cpu") -> pd.DataFrame:
    """The first ``iterations`` of a training as :func:`run_cell` sets it up (the task's frames, crops, network
    and loss of ``profile``), at the profile's initial learning rate (or ``lr``) held constant (the grid's
    polynomial decay lowers it by under 7 % over its first tenth): per iteration the loss and the mean
    foreground probability ``1 − p_background`` of the batch on its foreground pixels (``p_foreground``) and on
    its background pixels (``p_background_pixels``) — where a training that collapses to all-background shows
    it, and when."""
    if task not in TASKS:
        raise ValueError(f"task: unknown task {task!r}; choose one of {TASKS}.")
    if iterations < 1:
        raise ValueError(f"iterations: need ≥ 1, got {iterations}.")
    if lr is not None and not lr > 0:
        raise ValueError(f"lr: a learning rate is > 0, got {lr!r}.")
    cfg, _, _, model, chosen, batches = _training(profile, task, loss, gamma, seed)

    def foreground(logits, labels):
        p = 1 - logits.softmax(1)[:, 0]
        lesion = labels[:, 0] > 0
        return {"p_foreground": float(p[lesion].mean()) if lesion.any() else float("nan"),
                "p_background_pixels": float(p[~lesion].mean())}

    return fit(model, chosen, batches, Polynomial(cfg["lr"] if lr is None else lr, power=0.0), iterations,
               seed=seed, device=device, record=foreground)


def per_seed(per_image: pd.DataFrame, by=("loss",)) -> pd.DataFrame:
    """The metrics (percent) of each training: one row per ``by`` value and seed, means over its test frames."""
    by = list(by)
    rows = [{**dict(zip([*by, "seed"], keys)), **summarise_segmentation(d)}
            for keys, d in per_image.groupby([*by, "seed"], sort=False)]
    return pd.DataFrame(rows, columns=[*by, "seed", *METRICS])


def summarise(per_image: pd.DataFrame, by=("loss",)) -> pd.DataFrame:
    """Per loss (or per ``by``, e.g. ``("gamma",)`` for a γ sweep): the metrics of each seed (means over
    frames), then their mean and spread (max − min) over seeds, in percent — the paper reports the mean of
    3 runs."""
    by = list(by)
    groups = per_seed(per_image, by).groupby(by, sort=False)
    mean = groups[list(METRICS)].mean()
    spread = groups[list(METRICS)].agg(lambda v: v.max() - v.min())
    out = mean.join(spread.add_suffix(" spread")).reset_index()
    out["seeds"] = groups.size().to_numpy()
    return out


#: The study of Chapter 5 — every (task, loss, γ, seed) training of a profile (``dicecore study 05``); its
#: tables and verdicts are :mod:`dicecore.experiments.pm_dice_report`.
STUDY = Study("05_pm_dice", __name__, cells, run_cell, summarise, report="dicecore.experiments.pm_dice_report")
