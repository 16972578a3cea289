"""Chapter 4's 3-D experiments (Tilborghs, Bertels et al. 2022, §3–4, Table 1, Figs. 2–3): DL_I, DL_BI and
DL_Iε trained on fully and partially labelled BraTS-like and ACDC-like volumes.

* **BraTS-like** (binary, sigmoid): whole tumour on :class:`dicecore.data.brain.BratsLike`; partial
  labelling empties every LGG map (:func:`dicecore.data.labels.partial_brats_label`). Patches of the paper's
  80 × 80 × 48 voxels at 2 mm, B ∈ {1, 2, 4, 8}; a No New-Net-style 3-D U-Net (instance norm, leaky ReLU).
* **ACDC-like** (4 maps, softmax, background ignored in the loss): :class:`dicecore.data.heart.AcdcLike`;
  partial labelling removes the ES myocardium (:func:`dicecore.data.labels.partial_acdc_label`). Whole
  stacks, B = 2; the U-Net with batch norm, PReLU, 3 × 3 × 1 kernels at full resolution and no pooling
  along z at the first step, as the paper. Frames are drawn ED : ES = 3 : 1 — the paper states this ratio
  for the ε of Iε; we train with the same ratio so that ε is the expectation over what the network sees.
  Under partial labels the marginal and leaf Dice losses are trained too (:mod:`dicecore.losses.partial`).

Configurations (§3): ``I`` — DL_I with ε = 10⁻⁷; ``BI`` — DL_BI with ε = 10⁻⁷; ``Iε`` — DL_I with ε =
E Σ_φ y over the training fold's labels (:func:`dicecore.theory.epsilon.heuristic_epsilon`; per class for
ACDC). DL_BI with B = 1 *is* DL_I (a tested identity), so that cell is not trained again: :func:`summarise`
fills it from I's trainings and says so.

Every training is a :class:`MissingEmptyCell` (dataset, labelling, configuration, B, fold, iterations) of
:data:`STUDY`, evaluated on its fold's held-out subjects with their *full* labels (five-fold cross-validation
split by subject), so that a network that learnt to output empty LGG / ES-myocardium maps scores a low DSC
there by design. Training is Adam with a polynomial decay (:func:`dicecore.train.fit` with
:class:`~dicecore.train.Polynomial`), checkpointed so that a cut run resumes, in mixed precision on a GPU;
``dicecore study 04`` (:func:`dicecore.experiments.study.run_study`) runs several trainings at once.

Profiles:

* ``ci``: tiny (a few subjects at 4 mm, a few iterations) — for the tests; it checks the machinery, not the
  science.
* ``cpu``: the paper's field of view at lower resolution (BraTS-like at 4 mm: 40 × 40 × 24 patches of 40 × 48
  × 40 volumes, 57 subjects; ACDC-like 64 × 64 × 16 at 4.68 × 4.68 × 7.5 mm, 40 subjects), narrower networks;
  both train 1600 iterations, BraTS-like at B ∈ {1, 2, 4} — what a CPU can afford, cell by cell (a
  partly run grid is a valid result). Each dataset has a training-length check (:func:`length_check_cells`:
  BraTS-like at 400, 1600 and 3200 iterations, ACDC-like at 400, 800, 1600 and 3200: at 400, the length of the book's
  earlier editions, DL_Iε had not yet learnt to leave the emptied ES maps out), and B = 8 is left out (at
  1600 iterations it costs as much as B = 1, 2 and 4 together; the paper's B = 4 and 8 rows differ by at most
  0.03 DSC).
* ``paper``: 2 mm, 80 × 80 × 48 patches, all 285 BraTS-like and 100 ACDC-like subjects, five folds — for a
  GPU (mixed precision, several trainings per GPU).
"""

from __future__ import annotations

import functools
import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import torch

from dicecore.data.brain import BRATS_PHANTOM_VERSION
from dicecore.data.heart import ACDC_PHANTOM_VERSION
from dicecore.data.labels import ACDC_CLASSES, partial_acdc_label, partial_brats_label
from dicecore.data.sampling import random_patches, weighted_frames
from dicecore.experiments.study import Cell, CellPaths, Study, longer
from dicecore.losses import dice_loss, leaf_dice_loss, marginal_dice_loss
from dicecore.metrics import bootstrap_mean_test, dice_score
from dicecore.theory.epsilon import heuristic_epsilon

__all__ = [
    "PROFILES", "CONFIGS", "ACDC_BACKGROUND_BIAS", "MissingEmptyCell", "STRUCTURES",
    "grid_cells", "grid_length", "length_check_cells", "cells", "cohort", "build_network", "loss_function",
    "training_epsilon", "run_cell", "summarise", "split", "training_labels", "scored_rows", "with_bi_at_b1",
    "grid_rows", "summarise_grid", "STUDY",
]

#: The configurations of §3, plus the two partial-label losses the paper compares on ACDC.
CONFIGS = ("I", "BI", "Iε", "marginal", "leaf")

#: Per dataset, the always-labelled and the sometimes-emptied group, and the structure scored.
STRUCTURES = {"brats": ("HGG", "LGG", "WT"), "acdc": ("ED", "ES", "MYO")}

#: Cohort, patch, network width, batch sizes and training length per dataset, folds, and the training-length
#: check (``length_check``, per dataset: the partially labelled B = 2 cells of ``folds`` at ``reference``
#: iterations and at ``factors`` times as many) of each profile (the module docstring).
PROFILES = {
    "ci": dict(
        brats=dict(n_hgg=6, n_lgg=4, downsample=2, patch=(40, 40, 24), batch_sizes=(1, 2),
                   filters=(4, 8, 16, 32), iterations=4),
        acdc=dict(n_subjects=8, shape=(96, 96, 24), spacing=(3.12, 3.12, 5.0), batch_sizes=(2,),
                  filters=(4, 8, 16, 32), iterations=4),
        folds=2, length_check=dict(brats=dict(reference=4, factors=(2,), folds=(0,))), lr=1e-3, checkpoint_every=2),
    "cpu": dict(
        brats=dict(n_hgg=42, n_lgg=15, downsample=2, patch=(40, 40, 24), batch_sizes=(1, 2, 4),
                   filters=(8, 16, 32, 64), iterations=1600),
        acdc=dict(n_subjects=40, shape=(64, 64, 16), spacing=(4.68, 4.68, 7.5), batch_sizes=(2,),
                  filters=(8, 16, 32, 64), iterations=1600),
        folds=5, length_check=dict(brats=dict(reference=400, factors=(4, 8), folds=(0,)),
                                   acdc=dict(reference=400, factors=(2, 4, 8), folds=(0,))),
        lr=1e-3, checkpoint_every=50),
    "paper": dict(
        brats=dict(n_hgg=210, n_lgg=75, downsample=1, patch=(80, 80, 48), batch_sizes=(1, 2, 4, 8),
                   filters=(16, 32, 64, 128, 256), iterations=1500),
        acdc=dict(n_subjects=100, shape=(192, 192, 48), spacing=(1.56, 1.56, 2.5), batch_sizes=(2,),
                  filters=(16, 32, 64, 128, 256), iterations=1500),
        folds=5, length_check=None, lr=1e-3, checkpoint_every=100),
}


@dataclass(frozen=True, kw_only=True)
class MissingEmptyCell(Cell):
    """One training: ``dataset`` "brats" or "acdc", ``labelling`` "full" or "partial", ``config`` one of
    :data:`CONFIGS`, batch size B, cross-validation ``fold``, ``iterations`` long, on phantoms of version
    ``phantom`` — or on your copy of the data in ``data_root`` (a folder holding ``brats/`` and/or
    ``acdc/``; it enters the key as a hash, so results on it never mix with the phantoms')."""

    dataset: str
    labelling: str
    config: str
    batch_size: int
    fold: int
    iterations: int
    phantom: Optional[int] = None  # today's version of the dataset's phantom (BraTS-like or ACDC-like)
    data_root: Optional[str] = field(default=None, metadata={"key": "hash"})

    def __post_init__(self):
        if self.dataset not in STRUCTURES:
            raise ValueError(f"dataset: 'brats' or 'acdc', got {self.dataset!r}.")
        if self.data_root is not None:  # one key for a folder however it is written
            object.__setattr__(self, "data_root", str(Path(self.data_root).expanduser().resolve()))
        if self.phantom is None:
            object.__setattr__(self, "phantom", ACDC_PHANTOM_VERSION if self.dataset == "acdc" else
                               BRATS_PHANTOM_VERSION)
        if self.labelling not in ("full", "partial"):
            raise ValueError(f"labelling: 'full' or 'partial', got {self.labelling!r}.")
        if self.config not in CONFIGS:
            raise ValueError(f"config: one of {CONFIGS}, got {self.config!r}.")
        if self.config in ("marginal", "leaf") and (self.dataset, self.labelling) != ("acdc", "partial"):
            raise ValueError(f"config: {self.config!r} is trained on partially labelled ACDC only, as the paper.")
        if self.profile not in PROFILES:
            raise ValueError(f"profile: one of {tuple(PROFILES)}, got {self.profile!r}.")
        if self.iterations < 1:
            raise ValueError(f"iterations: need ≥ 1, got {self.iterations}.")


def grid_cells(profile: str = "ci", seed: int = 0, device: str = "cpu", amp: bool = False,
               datasets=("brats", "acdc"), folds=None, data_root: Optional[str] = None) -> list[MissingEmptyCell]:
    """Table 1's grid of a profile: BraTS-like {full, partial} × {I, BI, Iε} × B (BI at B = 1 left out: it is
    I); ACDC-like {full, partial} × {I, BI, Iε} at B = 2, plus marginal and leaf under partial labels."""
    if profile not in PROFILES:
        raise ValueError(f"profile: one of {tuple(PROFILES)}, got {profile!r}.")
    cfg = PROFILES[profile]
    folds = range(cfg["folds"]) if folds is None else folds
    out = []
    for dataset in datasets:
        if dataset not in STRUCTURES:
            raise ValueError(f"datasets: 'brats' and/or 'acdc', got {dataset!r}.")
        for fold in folds:
            for labelling in ("full", "partial"):
                configs = ("I", "BI", "Iε") + (("marginal", "leaf") if (dataset, labelling) == ("acdc", "partial")
                                               else ())
                for b in cfg[dataset]["batch_sizes"]:
                    out += [MissingEmptyCell(dataset=dataset, labelling=labelling, config=c, batch_size=b, fold=fold,
                                             iterations=cfg[dataset]["iterations"], data_root=data_root,
                                             profile=profile, seed=seed, device=device, amp=amp)
                            for c in configs if not (c == "BI" and b == 1)]
    return out


def grid_length(profile: str, dataset: str) -> int:
    """Table 1's training length (iterations) of ``dataset`` ("brats" or "acdc") in ``profile``."""
    if profile not in PROFILES:
        raise ValueError(f"profile: one of {tuple(PROFILES)}, got {profile!r}.")
    if dataset not in STRUCTURES:
        raise ValueError(f"dataset: 'brats' or 'acdc', got {dataset!r}.")
    return PROFILES[profile][dataset]["iterations"]


def length_check_cells(profile: str, seed: int = 0, device: str = "cpu", amp: bool = False,
                       data_root: Optional[str] = None, dataset: Optional[str] = None) -> list[MissingEmptyCell]:
    """The training-length check of each dataset (or of ``dataset`` alone): the partially labelled cells I, BI
    and Iε at B = 2 of the check's folds at its ``reference`` length and at ``factors`` times it
    (:func:`dicecore.experiments.study.longer`) — has the DSC of the always-labelled group (HGG, ED: learning
    the structure) and of the sometimes-emptied one (LGG, ES: learning to leave it out) flattened by the grid's
    length? Where the reference is the grid's length, those cells are Table 1's too. ``[]`` for a profile (or a
    dataset) without a check."""
    if dataset is not None and dataset not in STRUCTURES:
        raise ValueError(f"dataset: 'brats' or 'acdc', got {dataset!r}.")
    out = []
    for name, check in (PROFILES[profile]["length_check"] or {}).items():
        if dataset not in (None, name):
            continue
        reference = [MissingEmptyCell(dataset=name, labelling="partial", config=c, batch_size=2, fold=f,
                                      iterations=check["reference"], data_root=data_root, profile=profile,
                                      seed=seed, device=device, amp=amp)
                     for f in check["folds"] for c in ("I", "BI", "Iε")]
        out += reference + longer(reference, check["factors"])
    return out


def cells(profile: str = "ci", seed: int = 0, device: str = "cpu", amp: bool = False,
          data_root: Optional[str] = None) -> list[MissingEmptyCell]:
    """Every training of a profile: Table 1's grid (:func:`grid_cells`), then the training-length check's
    cells that are not in it (:func:`length_check_cells`)."""
    grid = grid_cells(profile, seed, device, amp, data_root=data_root)
    keys = {c.key for c in grid}
    check = length_check_cells(profile, seed, device, amp, data_root=data_root)
    return grid + [c for c in check if c.key not in keys]


# --- data ---------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def cohort(dataset: str, profile: str, seed: int = 0, data_root: Optional[str] = None) -> dict:
    """Every subject of a profile's cohort (:func:`dicecore.data.cohorts.cohort` at the profile's settings for
    ``dataset``; the phantoms, or your copy of the data in ``data_root``), cached in this process."""
    if dataset not in STRUCTURES:
        raise ValueError(f"dataset: 'brats' or 'acdc', got {dataset!r}.")
    from dicecore.data.cohorts import cohort as build

    return build(dataset, PROFILES[profile][dataset], seed, data_root, name=profile)


def split(data: dict, k: int, fold: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) entry indices of ``fold`` of ``k``: subjects split by
    :func:`dicecore.data.cohorts.folds` stratified by their first entry's group (the BraTS grade), every
    frame of a subject on the same side."""
    from dicecore.data.cohorts import folds, held_out

    if not 0 <= fold < k:
        raise ValueError(f"fold: need 0 ≤ fold < {k}, got {fold}.")
    subjects = np.unique(data["subject"])
    first_group = np.array([data["group"][data["subject"] == s][0] for s in subjects])
    return held_out(data["subject"], folds(subjects, k, stratify_by=first_group, seed=[seed, 11])[fold])


def training_labels(data: dict, idx: np.ndarray, dataset: str, labelling: str) -> np.ndarray:
    """The labels the network is trained on: full, or with LGG maps emptied / the ES myocardium removed."""
    labs = data["labels"][idx]
    if labelling == "full":
        return labs
    part = partial_brats_label if dataset == "brats" else partial_acdc_label
    return np.stack([part(lab, g) for lab, g in zip(labs, data["group"][idx])])


def _onehot_fg(labels: np.ndarray, dataset: str) -> np.ndarray:
    """Foreground maps (N, C', ...): the tumour (BraTS) or RV, MYO, LV (ACDC; background left out)."""
    if dataset == "brats":
        return labels[:, None].astype(np.float32)
    return np.stack([labels == c for c in (1, 2, 3)], axis=1).astype(np.float32)


def training_epsilon(labels: np.ndarray, dataset: str, groups: np.ndarray) -> np.ndarray:
    """Iε's ε = E Σ_φ y (Φ = I) over the training labels, per foreground class; ACDC frames weighted
    ED : ES = 3 : 1 as the paper."""
    weights = None if dataset == "brats" else [3.0 if g == "ED" else 1.0 for g in groups]
    return np.asarray(heuristic_epsilon(_onehot_fg(labels, dataset), "I", weights=weights), dtype=np.float64)


# --- network and losses ---------------------------------------------------------------------------------

#: ACDC — the output layer's background bias at initialisation (softmax p_bg ≈ 0.87 everywhere at the start).
ACDC_BACKGROUND_BIAS = 3.0


def build_network(dataset: str, in_channels: int, filters) -> torch.nn.Module:
    """A 3-D U-Net of the No New-Net family (MONAI's DynUNet, ``dyn-unet`` of :func:`dicecore.models.network`). BraTS: 3³ kernels, instance norm, leaky ReLU,
    one sigmoid map. ACDC: batch norm, PReLU, 3 × 3 × 1 kernels at full resolution and no pooling along z at
    the first step, four softmax maps (the paper's anisotropic variant).

    For ACDC the background map is left out of the loss (as the paper), so nothing but the foreground Dice
    terms pushes a foreground map down on background voxels, and that push, 2I/(P + R)² per voxel, vanishes
    when the map covers much of the volume (P large). A foreground map that starts spread over the background
    can stay there: on the ``cpu`` profile without this, the LV map covered ~44 % of every volume after 400
    iterations (LV DSC 0.04). So the output layer starts with background bias :data:`ACDC_BACKGROUND_BIAS`
    (every foreground map near empty, the usual prior initialisation) and the Dice gradient grows each map
    where its labels are."""
    from dicecore.models import network

    if dataset == "brats":
        return network("dyn-unet", in_channels, 1, filters=filters)
    return network("dyn-unet", in_channels, 4, filters=filters, anisotropic=True,
                   output_bias=(ACDC_BACKGROUND_BIAS, 0.0, 0.0, 0.0))


def _per_class_eps_dice(logits: torch.Tensor, onehot: torch.Tensor, eps) -> torch.Tensor:
    """DL_I over the foreground classes with a per-class ε (softmax over all four maps first)."""
    probs = torch.softmax(logits, dim=1)
    return torch.stack([dice_loss(probs[:, c:c + 1], onehot[:, c:c + 1], "I", float(e), validate=False)
                        for c, e in zip(range(1, probs.shape[1]), eps)]).mean()


def loss_function(task: MissingEmptyCell, epsilon=None):
    """``loss(logits, target)`` of a task; ``target`` is (B, 1, …) — the tumour mask (BraTS) or the label map
    (ACDC, plus the ES flag that marks the unannotated myocardium for the marginal loss, see
    :func:`dicecore.data.sampling.weighted_frames`). ``epsilon``: the training fold's ε per class, for ``Iε``."""
    if task.dataset == "brats":
        if task.config == "Iε":
            return lambda z, y: dice_loss(z, y, "I", float(epsilon[0]), activation="sigmoid", validate=False)
        return lambda z, y: dice_loss(z, y, task.config, 1e-7, activation="sigmoid", validate=False)
    common = dict(activation="softmax", to_onehot_y=True, include_background=False, validate=False)

    def labels(y):  # the ACDC target carries the label map in channel 0 and the ES flag in channel 1
        return y[:, :1].long()

    if task.config in ("I", "BI"):
        return lambda z, y: dice_loss(z, labels(y), task.config, 1e-7, **common)
    if task.config == "Iε":
        def iε(z, y):
            onehot = torch.nn.functional.one_hot(labels(y)[:, 0], 4).movedim(-1, 1).to(z.dtype)
            return _per_class_eps_dice(z, onehot, epsilon)
        return iε
    if task.config == "leaf":
        return lambda z, y: leaf_dice_loss(z, labels(y), 1e-7, **common)

    def marginal(z, y):
        annotated = torch.ones(len(y), 4, dtype=torch.bool, device=z.device)
        if task.labelling == "partial":
            annotated[:, ACDC_CLASSES["MYO"]] = y[:, 1].flatten(1)[:, 0] < 0.5  # ES frames: myocardium unannotated
        return marginal_dice_loss(z, labels(y), annotated, 1e-7, **common)
    return marginal


@torch.no_grad()
def _predict(model, images: np.ndarray, dataset: str, device, divisor: int = 1) -> np.ndarray:
    """Hard predictions on whole volumes, one at a time: the tumour mask (BraTS) or the label map (ACDC). A
    volume whose sides are not multiples of ``divisor`` (the U-Net's total down-sampling) is padded by
    repeating its border (the background) and the prediction cropped back (:func:`~dicecore.train.predict`)."""
    from dicecore.train import predict

    out = []
    for i in range(len(images)):
        z = predict(model, images[i:i + 1], 1, device, activation=None, divisor=divisor)[0]
        out.append(((z[0] > 0) if dataset == "brats" else z.argmax(0)).numpy().astype(np.uint8))
    return np.stack(out)


def example_entries(data: dict, test_idx: np.ndarray, dataset: str) -> dict[str, int]:
    """Fig. 3's examples among the held-out entries: the first of each group (HGG and LGG, or ED and ES of
    the first held-out subject)."""
    return {g: int(test_idx[data["group"][test_idx] == g][0]) for g in STRUCTURES[dataset][:2]
            if (data["group"][test_idx] == g).any()}


def run_cell(cell: MissingEmptyCell, paths: Optional[CellPaths] = None) -> pd.DataFrame:
    """Train one cell and score it on the fold's held-out subjects (full labels): one row per held-out
    entry and structure with DSC, predicted and true volume (ml) and ΔV. With ``paths``, the training
    checkpoints to ``paths.checkpoint`` (and resumes from it; the runner deletes it once the result is
    written) and Fig. 3's example slices go to ``paths.example``."""
    from dicecore.results import atomic_write_bytes
    from dicecore.train import Polynomial, fit

    t0 = time.perf_counter()
    cfg = PROFILES[cell.profile]
    dcfg = cfg[cell.dataset]
    data = cohort(cell.dataset, cell.profile, cell.seed, cell.data_root)
    tr, te = split(data, cfg["folds"], cell.fold, cell.seed)
    train_labels = training_labels(data, tr, cell.dataset, cell.labelling)
    eps = training_epsilon(train_labels, cell.dataset, data["group"][tr]) if cell.config == "Iε" else None
    if cell.dataset == "brats":
        sampler = random_patches(data["images"], tr, train_labels, dcfg["patch"], cell.batch_size)
    else:  # whole frames, ED : ES = 3 : 1; channel 1 of the target flags ES (its myocardium unannotated)
        sampler = weighted_frames(data["images"], tr, train_labels, data["group"][tr], {"ED": 3.0, "ES": 1.0},
                                  cell.batch_size, flag="ES")
    seed = cell.seed * 1000 + cell.fold
    torch.manual_seed(seed)
    model = build_network(cell.dataset, data["images"].shape[1], dcfg["filters"])
    history = fit(model, loss_function(cell, eps), sampler, Polynomial(cfg["lr"], weight_decay=0.0), cell.iterations,
                  seed=seed, device=cell.device, checkpoint=None if paths is None else paths.checkpoint,
                  checkpoint_every=cfg["checkpoint_every"], amp=cell.amp)
    pred = _predict(model, data["images"][te], cell.dataset, cell.device,  # te: a few held-out entries
                    divisor=2 ** (len(dcfg["filters"]) - 1))
    truth = data["labels"][te]
    rows = []
    classes = {"WT": 1} if cell.dataset == "brats" else {"RV": 1, "MYO": 2, "LV": 3}
    for structure, value in classes.items():
        p = torch.from_numpy(pred == value)
        t = torch.from_numpy(truth == value)
        dsc = dice_score(p, t, empty_value=1.0).numpy()
        vp = p.flatten(1).sum(1).numpy() * data["voxel_ml"]
        vt = t.flatten(1).sum(1).numpy() * data["voxel_ml"]
        rows.append(pd.DataFrame({"entry": te, "subject": data["subject"][te], "group": data["group"][te],
                                  "structure": structure, "dice": dsc, "pred_ml": vp, "true_ml": vt,
                                  "dV_ml": vp - vt}))
    out = pd.concat(rows, ignore_index=True)
    for k in ("dataset", "labelling", "config", "batch_size", "fold", "profile", "seed", "data_root", "iterations",
              "phantom"):
        out[k] = getattr(cell, k)
    out["epsilon"] = "" if eps is None else "/".join(f"{e:.1f}" for e in eps)
    out["final_loss"] = float(history["train_loss"].tail(max(1, len(history) // 10)).mean())
    out["seconds"] = time.perf_counter() - t0
    if paths is not None:
        buf = io.BytesIO()
        ex = example_entries(data, te, cell.dataset)
        arrays = {}
        for g, i in ex.items():
            z = int(np.argmax((data["labels"][i] > 0).sum(axis=(0, 1))))
            k = int(np.nonzero(te == i)[0][0])
            arrays[f"{g}_pred"], arrays[f"{g}_entry"], arrays[f"{g}_z"] = pred[k][..., z], i, z
        np.savez_compressed(buf, **arrays)
        atomic_write_bytes(paths.example, buf.getvalue())
    return out


# --- tables ----------------------------------------------------------------------------------------------

def scored_rows(per_entry: pd.DataFrame) -> pd.DataFrame:
    """The rows of the structure Table 1 scores: the whole tumour (BraTS) and the myocardium (ACDC)."""
    keep = [STRUCTURES[d][2] == s for d, s in zip(per_entry["dataset"], per_entry["structure"])]
    return per_entry[keep]


def with_bi_at_b1(per_entry: pd.DataFrame) -> pd.DataFrame:
    """Add DL_BI's B = 1 rows as copies of DL_I's: with one image per batch the two losses are the same
    function (tests/test_dice.py), so the same training."""
    i1 = per_entry[(per_entry["config"] == "I") & (per_entry["batch_size"] == 1)]
    return pd.concat([per_entry, i1.assign(config="BI")], ignore_index=True)


def summarise(per_entry: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Table 1 in long form: mean DSC and ΔV (ml) of the scored structure per dataset, labelling, B,
    configuration and group, with the number of held-out entries; for partial labelling, ``dice_worse`` /
    ``dV_worse`` say whether the result is inferior to full labelling (paired bootstrap over the same
    held-out entries, p < ``alpha``: lower DSC, larger ``|ΔV|``) — the paper's italics."""
    d = scored_rows(with_bi_at_b1(per_entry))
    keys = ["dataset", "labelling", "batch_size", "config", "group"]
    out = (d.groupby(keys, sort=False).agg(dice=("dice", "mean"), dV_ml=("dV_ml", "mean"), n=("dice", "size"))
           .reset_index().rename(columns={"batch_size": "B"}))
    worse_dice, worse_dv = [], []
    for row in out.itertuples():
        if row.labelling != "partial":
            worse_dice.append(False)
            worse_dv.append(False)
            continue
        sel = lambda lab: d[(d.dataset == row.dataset) & (d.labelling == lab) & (d.batch_size == row.B)  # noqa: E731
                            & (d.config == row.config) & (d.group == row.group)].set_index(["entry", "fold"])
        part, full = sel("partial"), sel("full")
        common = part.index.intersection(full.index)
        if len(common) < 2:
            worse_dice.append(False)
            worse_dv.append(False)
            continue
        diff = part.loc[common, "dice"].to_numpy() - full.loc[common, "dice"].to_numpy()
        t = bootstrap_mean_test(diff, seed=0)
        worse_dice.append(bool(t["p_value"] < alpha and t["mean"] < 0))
        diff_v = np.abs(part.loc[common, "dV_ml"].to_numpy()) - np.abs(full.loc[common, "dV_ml"].to_numpy())
        t = bootstrap_mean_test(diff_v, seed=0)
        worse_dv.append(bool(t["p_value"] < alpha and t["mean"] > 0))
    out["dice_worse"], out["dV_worse"] = worse_dice, worse_dv
    return out


def grid_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Table 1's rows among a study's rows: the trainings of their profile's length for their dataset
    (:func:`grid_length`; the training-length check's other lengths left out; rows written before the length
    was recorded count as the grid's)."""
    iterations = rows["iterations"] if "iterations" in rows else pd.Series(np.nan, index=rows.index)
    length = pd.Series([grid_length(p, d) for p, d in zip(rows["profile"], rows["dataset"])], index=rows.index,
                       dtype=float)
    return rows[iterations.isna() | (iterations == length)]


def summarise_grid(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`summarise` of Table 1's rows (:func:`grid_rows`) — the study's summary."""
    return summarise(grid_rows(rows))


#: The 3-D study of Chapter 4 — Table 1's grid and the training-length check (``dicecore study 04``); its tables
#: and verdicts are :mod:`dicecore.experiments.missing_empty_3d_report`.
STUDY = Study("04_missing_vs_empty", __name__, cells, run_cell, summarise_grid,
              report="dicecore.experiments.missing_empty_3d_report")
