"""Chapter 3's training study (Sudre et al. 2017, Tables 1–3, Figs. 1–3): the four imbalance losses
(WCE, DL₂, SS, GDL_v) trained across patch sizes and learning rates, scored by the training DSC over the
last iterations (median and IQR, as the paper's Tables 2–3) and by the DSC on held-out data.

Two tasks, as the paper's:

* **2-D** — tumour (foreground) vs the rest on BraTS-like axial slices (:func:`tumour_slices`: MNI152
  anatomy, four MR contrasts, whole tumours), networks ``unet`` (the small U-Net of Chapter 2's design) and
  ``twopath`` (:class:`dicecore.models.TwoPathCNN`).
* **3-D** — white-matter hyperintensities on WMH-like volumes (:func:`dicecore.data.brain.wmh_like_volume`:
  T1, T2 and FLAIR, z-scored on white matter as the paper's; lesions fill 0.1–0.6 % of a volume), networks
  ``deepmedic`` (:class:`dicecore.models.DeepMedicLike`, valid convolutions: its patch
  of P voxels predicts the central P − 48) and ``highresnet`` (MONAI's, :func:`dicecore.models.high_res_net`).

Patches are drawn so that the predicted (effective) patch holds at least one foreground voxel, no
augmentation, Adam at a constant learning rate. Patch and batch sizes are the paper's Table 1 per network
(:data:`PATCHES`); networks that pad their convolutions take the effective size as input. The networks are
narrower than the published ones (:data:`NETWORKS` says how much) so that the grids train on a CPU.

Profiles:

* ``ci`` (CPU, in the book build): the 2-D U-Net at patches S and L, learning rates 10⁻³ and 10⁻⁴, the
  four losses, one seed, 300 iterations (statistics over the last 100). The TwoPathCNN costs several times
  more per iteration, so it is left to ``paper`` (whose committed cells the chapter renders), as is 3-D.
  ``patches`` and ``seeds`` may also map each network to its own (``seeds`` also each of its patches).
* ``paper``: both tasks, every network, patches S, M and L, learning rates 10⁻³, 10⁻⁴ and 10⁻⁵, 1000
  (2-D) or 3000 (3-D) iterations, statistics over the last 200 — the paper's grid, with three seeds per
  cell (the paper trains one; the book's choice, so that a comparison between losses can replicate).
* ``cpu``: the part of it a 2-core machine completes: the 2-D networks at every patch with three seeds, the
  3-D networks at patches S (three seeds) and M (one). Its cells are the paper grid's (:data:`SHARED_WITH_PAPER`).

Each (network, patch, learning rate, loss, seed) is a :class:`GeneralisedDiceCell` of the chapter's
:data:`STUDY` (:mod:`dicecore.experiments.study`): ``dicecore study 03 --profile cpu --budget 150m`` runs or
resumes it, in several processes; a partly run grid is a valid result (:func:`summarise` marks the cells
not yet run). The failed cells, Table 1's imbalance and the verdicts on Sudre's claims are
:mod:`dicecore.experiments.generalised_dice_report`.
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch

from dicecore.data.brain import BRATS_PHANTOM_VERSION, WMH_PHANTOM_VERSION
from dicecore.data.sampling import foreground_patches
from dicecore.experiments.study import Cell, CellPaths, ResultStore, Study
from dicecore.papers import sudre2017

__all__ = [
    "PROFILES", "NETWORKS", "REGISTRY_NAMES", "PATCHES", "LOSSES", "GeneralisedDiceCell", "cells", "STUDY",
    "tumour_slices",
    "lesion_volumes", "example_slice", "example_predictions", "build_network", "loss_function",
    "run_cell", "summarise", "network_order", "in_paper_order", "phantom_version", "wmh_difficulty",
    "SHARED_WITH_PAPER",
]

#: network → (the paper's name, task dimension, our widths against the published ones).
NETWORKS = {
    "unet": ("UNet", 2, "levels 8-16 / 16-32, bottom 32 (the paper's UNet: 64 … 1024)"),
    "twopath": ("TwoPathCNN", 2, "local 32, 32 and global 80 features, maxout of 2 (Havaei et al.: 64, 64, 160)"),
    "deepmedic": ("DeepMedic", 3, "8, 8, 12, 12, 12, 12, 16, 16 per pathway, fully connected 32 "
                                  "(Kamnitsas et al.: 30 … 50, 150)"),
    "highresnet": ("HighResNet", 3, "residual groups of 4, 8, 16 features (Li et al. / MONAI: 16, 32, 64)"),
}

#: Each network's name in the registry (:data:`dicecore.models.NETWORKS`) and the widths of :data:`NETWORKS`.
REGISTRY_NAMES = {
    "unet": ("small-unet", {}),
    "twopath": ("two-path-cnn", {"local": (32, 32), "global_features": 80, "pieces": 2}),
    "deepmedic": ("deepmedic-like", {"widths": (8, 8, 12, 12, 12, 12, 16, 16), "fully_connected": 32}),
    "highresnet": ("highresnet", {"widths": (4, 8, 16)}),
}

#: Sudre et al., Table 1 — per network, patch → (initial patch size, effective patch size, batch size).
#: Padded networks (ours: UNet, TwoPathCNN, HighResNet) take the effective size as their input.
PATCHES = {
    "unet": {"S": (56, 16, 5), "M": (64, 24, 3), "L": (88, 48, 1)},
    "twopath": {"S": (51, 19, 5), "M": (63, 31, 3), "L": (85, 53, 1)},
    "deepmedic": {"S": (51, 3, 5), "M": (63, 15, 3), "L": (87, 39, 1)},
    "highresnet": {"S": (51, 15, 5), "M": (63, 27, 3), "L": (85, 49, 1)},
}
#: Sudre et al.'s four losses, in the paper's order.
LOSSES = sudre2017.LOSSES

#: The grid and training length of each profile.
PROFILES = {
    "ci": {"networks": ("unet",), "patches": ("S", "L"), "lrs": (1e-3, 1e-4),
           "iterations": {2: 300}, "last": 100, "seeds": (0,), "n_train": {2: 12}, "n_test": {2: 4}},
    "paper": {"networks": ("unet", "twopath", "deepmedic", "highresnet"), "patches": ("S", "M", "L"),
              "lrs": (1e-3, 1e-4, 1e-5), "iterations": {2: 1000, 3: 3000}, "last": 200, "seeds": (0, 1, 2),
              "n_train": {2: 150, 3: 36}, "n_test": {2: 30, 3: 4}},
}
#: ``cpu``, the grid a 2-core machine completes (Issue 19): the paper profile's trainings — the 2-D networks at
#: every patch, the 3-D networks at patches S and M (L left to a GPU) — and the same cells: the cpu grid lists
#: them as the paper grid's (:data:`SHARED_WITH_PAPER`), so each committed training serves both.
#: Its seeds: three for the 2-D networks and for the 3-D networks at patch S, so that their comparisons replicate
#: (the paper trains one network per cell; three seeds are the book's choice, in both grids), one for the 3-D
#: networks at patch M (a HighResNet training at M takes about three times one at S).
PROFILES["cpu"] = dict(PROFILES["paper"], patches={"unet": ("S", "M", "L"), "twopath": ("S", "M", "L"),
                                                   "deepmedic": ("S", "M"), "highresnet": ("S", "M")},
                       seeds={"unet": (0, 1, 2), "twopath": (0, 1, 2), "deepmedic": {"S": (0, 1, 2), "M": (0,)},
                              "highresnet": {"S": (0, 1, 2), "M": (0,)}})
#: Whether the cpu grid's cells are the paper grid's (the same settings; only the patches run differ).
SHARED_WITH_PAPER = True


@dataclass(frozen=True)
class GeneralisedDiceCell(Cell):
    """One training: a ``network`` (:data:`NETWORKS`), a ``patch`` size (S, M, L of :data:`PATCHES`), a
    learning rate ``lr``, a ``loss`` (:data:`LOSSES`), ``iterations`` long, on phantoms of version ``phantom``
    (by default today's of the network's task: BraTS-like slices for 2-D networks, WMH-like volumes for 3-D)."""

    network: str
    patch: str
    lr: float
    loss: str
    iterations: int
    phantom: Optional[int] = None

    def __post_init__(self):
        if self.phantom is None:
            object.__setattr__(self, "phantom", phantom_version(self.network))


def phantom_version(network: str) -> int:
    """Today's version of the phantom ``network`` trains on (:data:`NETWORKS` gives its task's dimension)."""
    if network not in NETWORKS:
        raise ValueError(f"network: unknown network {network!r}; choose one of {tuple(NETWORKS)}.")
    return WMH_PHANTOM_VERSION if NETWORKS[network][1] == 3 else BRATS_PHANTOM_VERSION


def cells(profile: str = "ci", seed: int = 0, device: str = "cpu", amp: bool = False) -> list[GeneralisedDiceCell]:
    """Every (network, patch, learning rate, loss, seed) of the profile's grid (a part: ``--only``). A profile's
    ``patches`` may name them per network, its ``seeds`` per network or per network and patch."""
    if profile not in PROFILES:
        raise ValueError(f"profile: unknown profile {profile!r}; choose one of {tuple(PROFILES)}.")
    cfg = PROFILES[profile]
    patches, seeds = cfg["patches"], cfg["seeds"]
    owner = "paper" if profile == "cpu" and SHARED_WITH_PAPER else profile

    def seeds_of(network, patch):
        chosen = seeds[network] if isinstance(seeds, dict) else seeds
        return chosen[patch] if isinstance(chosen, dict) else chosen

    return [GeneralisedDiceCell(network=n, patch=p, lr=lr, loss=loss, iterations=cfg["iterations"][NETWORKS[n][1]],
                                profile=owner, seed=seed + s, device=device, amp=amp)
            for n in cfg["networks"] for p in (patches[n] if isinstance(patches, dict) else patches)
            for lr in cfg["lrs"] for loss in LOSSES for s in seeds_of(n, p)]


@functools.lru_cache(maxsize=2)
def tumour_slices(n_subjects: int, first: int = 0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Axial slices through the tumour of BraTS-like subjects ``first … first + n_subjects − 1``: every
    slice whose tumour has at least 20 pixels. Images ``(N, 4, 80, 96)`` (FLAIR, T1, T1ce, T2, z-scored per
    subject over the brain, as the paper normalises), labels ``(N, 80, 96)`` uint8. Cached per process;
    do not write to the arrays."""
    from dicecore.data.brain import BratsLike, brain_box

    cohort = BratsLike(n_hgg=first + n_subjects, n_lgg=0, seed=seed)
    images, labels = [], []
    for i in range(first, first + n_subjects):
        image, label = (brain_box(a) for a in cohort.subject(i)[:2])  # whole slices: the padding left out
        brain = image[0] > 0.05
        image = (image - image[:, brain].mean(1)[:, None, None, None]) / image[:, brain].std(1)[:, None, None, None]
        for z in np.flatnonzero(label.sum((0, 1)) >= 20):
            images.append(image[..., z])
            labels.append(label[..., z])
    return np.stack(images).astype(np.float32), np.stack(labels).astype(np.uint8)


@functools.lru_cache(maxsize=2)
def lesion_volumes(n_subjects: int, first: int = 0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """WMH-like subjects ``first … first + n_subjects − 1`` (:func:`dicecore.data.brain.wmh_like_volume`):
    images ``(N, 3, 80, 96, 80)`` (T1, T2, FLAIR z-scored on white matter), labels ``(N, 80, 96, 80)``
    uint8. Cached per process; do not write to the arrays."""
    from dicecore.data.brain import wmh_like_volume

    pairs = [wmh_like_volume(i, seed) for i in range(first, first + n_subjects)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def wmh_difficulty(n_subjects: int = 4, seed: int = 0) -> dict[str, float]:
    """How hard the WMH-like volumes are without training (:mod:`dicecore.data.baselines`): the best
    single-channel intensity-interval Dice, a per-voxel logistic regression's Dice, both on the training
    label (rater 0), and the mean Dice between rater 0's outline and each other rater's."""
    from dicecore.data import baselines
    from dicecore.data.brain import WMH_CONTRASTS, wmh_like_raters
    from dicecore.metrics import dice_score

    subjects = [wmh_like_raters(i, seed) for i in range(n_subjects)]
    images = np.stack([image for image, _ in subjects])
    raters = torch.from_numpy(np.stack([outlines for _, outlines in subjects])).flatten(2) > 0  # (N, raters, V)
    labels = raters[:, 0].reshape(-1, *images.shape[2:]).numpy().astype(np.uint8)  # rater 0's: the training label
    agreement = [float(dice_score(raters[k, :1], raters[k, r:r + 1])) for k in range(n_subjects) for r in (1, 2)]
    return {"interval": float(baselines.interval_dice(images, labels, names=list(WMH_CONTRASTS))["Dice"].max()),
            "logistic regression": float(baselines.logistic_dice(images, labels, seed=seed)),
            "raters": float(np.mean(agreement))}


def build_network(name: str, in_channels: int) -> torch.nn.Module:
    """The chapter's networks by name (:data:`NETWORKS`), from the registry (:func:`dicecore.models.network`)
    at the CPU widths documented there."""
    from dicecore.models import network

    if name not in NETWORKS:
        raise ValueError(f"name: unknown network {name!r}; choose one of {tuple(NETWORKS)}.")
    registry_name, widths = REGISTRY_NAMES[name]
    return network(registry_name, in_channels, dims=NETWORKS[name][1], **widths)


def loss_function(name: str):
    """The four losses on one foreground logit map: ``loss(logits (B, 1, …), reference (B, 1, …))``."""
    from dicecore.losses import (
        generalized_dice_loss, sensitivity_specificity_loss, two_class_dice_loss, weighted_cross_entropy,
    )

    if name == "GDL_v":
        def gdl(logits, r):
            p = torch.sigmoid(logits)
            return generalized_dice_loss(torch.cat([1 - p, p], 1), torch.cat([1 - r, r], 1), "CI", validate=False)
        return gdl
    fns = {"WCE": weighted_cross_entropy, "DL2": two_class_dice_loss, "SS": sensitivity_specificity_loss}
    if name not in fns:
        raise ValueError(f"name: unknown loss {name!r}; choose one of {LOSSES}.")
    return lambda logits, r: fns[name](logits, r, activation="sigmoid", validate=False)


def _batch_dice(logits: torch.Tensor, reference: torch.Tensor) -> float:
    """Hard DSC of a whole training batch, pooled as one map (the paper's per-iteration DSC)."""
    from dicecore.metrics import dice_score

    return float(dice_score((logits > 0).reshape(1, -1), (reference > 0.5).reshape(1, -1)))


def _data(task: GeneralisedDiceCell, held_out: bool = False):
    cfg = PROFILES[task.profile]
    dims = NETWORKS[task.network][1]
    n_train, n = cfg["n_train"][dims], cfg["n_test" if held_out else "n_train"][dims]
    first = n_train if held_out else 0
    return tumour_slices(n, first=first) if dims == 2 else lesion_volumes(n, first=first)


def _upright(plane: np.ndarray) -> np.ndarray:
    """An axial plane ``(…, x, y)`` as a picture: anterior up, left–right across."""
    return np.ascontiguousarray(np.swapaxes(plane, -1, -2)[..., ::-1, :])


def example_slice(profile: str = "paper") -> tuple[np.ndarray, np.ndarray, int]:
    """Fig. 4's view: the axial slice of the first held-out WMH-like volume with the most lesion, upright —
    (FLAIR scaled to [0, 1] ``(1, 96, 80)``, reference ``(96, 80)``, slice index)."""
    images, labels = lesion_volumes(PROFILES[profile]["n_test"][3], first=PROFILES[profile]["n_train"][3])
    z = int(labels[0].sum((0, 1)).argmax())
    flair = images[0, 2:3, :, :, z]
    flair = (flair - flair.min()) / (flair.max() - flair.min())
    return _upright(flair), _upright(labels[0, :, :, z]), z


def example_predictions(trainings, store: ResultStore) -> dict[tuple[str, str, float], dict[str, np.ndarray]]:
    """``{(network, patch, lr): {loss: predicted mask}}`` saved by :func:`run_cell` for Fig. 4
    (:meth:`ResultStore.read_example <dicecore.experiments.study.ResultStore.read_example>`), upright as
    :func:`example_slice`."""
    out: dict = {}
    for t in trainings:
        saved = store.read_example(t)
        if saved is not None:
            out.setdefault((t.network, t.patch, t.lr), {})[t.loss] = _upright(saved["pred"])
    return out


def run_cell(task: GeneralisedDiceCell, paths: Optional[CellPaths] = None) -> pd.DataFrame:
    """Train one grid cell; one row: the training DSC over the last iterations (median, IQR), the held-out
    DSC (mean over held-out slices or volumes), the median foreground fraction of the training patches, and
    whether the loss diverged. With ``paths``, the training checkpoints to ``paths.checkpoint`` (every
    ``checkpoint_every`` iterations of the profile, default 100) and resumes from it, and a 3-D cell writes its
    prediction on :func:`example_slice` to ``paths.example`` (atomically), for Fig. 4."""
    from dicecore.metrics import dice_score
    from dicecore.train import Constant, fit, predict

    t0 = time.perf_counter()
    cfg = PROFILES[task.profile]
    dims = NETWORKS[task.network][1]
    images, labels = _data(task)
    initial, size, batch = PATCHES[task.network][task.patch]
    context = (initial - size) // 2 if task.network == "deepmedic" else 0
    sampler = foreground_patches(images, labels, size, batch, context)
    torch.manual_seed(task.seed)
    model = build_network(task.network, images.shape[1])
    fractions = []  # kept here too: a diverged training returns no history

    def record(logits, y):
        fractions.append(float(y.mean()))
        return {"dsc": _batch_dice(logits, y), "fg": fractions[-1]}

    try:
        history = fit(model, loss_function(task.loss), sampler, Constant(task.lr), task.iterations,
                      seed=task.seed, device=task.device, record=record,
                      checkpoint=None if paths is None else paths.checkpoint,
                      checkpoint_every=cfg.get("checkpoint_every", 100))
        diverged, fractions = False, history["fg"].tolist()  # the whole training's, a resumed one's included
    except FloatingPointError:  # a loss that became NaN/inf: the paper's "0 (0)" cells
        history, diverged = pd.DataFrame({"dsc": [0.0]}), True
    last = history["dsc"].tail(cfg["last"])
    test_x, test_y = _data(task, held_out=True)
    model.eval()
    # whole slices or volumes, one at a time; DeepMedic gets its context, and sides of a multiple of 3
    logits = predict(model, test_x, 1, task.device, activation=None, context=context, divisor=3 if context else 1)
    test = dice_score(logits > 0, torch.from_numpy(test_y[:, None]) > 0).tolist()  # per held-out slice/volume
    if paths is not None and dims == 3:
        import io

        from dicecore.results import atomic_write_bytes

        z = example_slice(task.profile)[2]
        buf = io.BytesIO()
        np.savez_compressed(buf, pred=(logits[0, 0, :, :, z] > 0).numpy().astype(np.uint8), z=z)
        atomic_write_bytes(paths.example, buf.getvalue())
    row = {k: v for k, v in asdict(task).items() if k not in ("device", "amp")}
    row.update({"dsc_median": float(last.median()), "dsc_iqr": float(last.quantile(0.75) - last.quantile(0.25)),
                "test_dsc": float(np.mean(test)) if not diverged else 0.0, "diverged": diverged,
                "fg_fraction": float(np.median(fractions)) if fractions else float("nan"),
                "effective_patch": size, "batch_size": batch, "seconds": time.perf_counter() - t0})
    return pd.DataFrame([row])


def network_order(networks) -> list[str]:
    """The networks present in ``networks``, in the paper's order (Table 1)."""
    return [n for n in NETWORKS if n in set(networks)]


def in_paper_order(table: pd.DataFrame, *then: str) -> pd.DataFrame:
    """Rows sorted by network (Table 1's order), patch (S, M, L), then the columns ``then``."""
    keys = [(list(NETWORKS).index(n), "SML".index(p)) for n, p in zip(table["network"], table["patch"])]
    return table.assign(order=keys).sort_values(["order", *then]).drop(columns="order").reset_index(drop=True)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Tables 2–3's layout: one row per (network, patch, lr), one column per loss, cells ``ours / paper``
    with each side ``median (IQR)`` of the training DSC; ``not run`` for a cell of ours not yet trained,
    ``—`` where the paper has no such cell. Where a cell has several seeds, ours is their mean median (mean IQR)."""
    def cells(table, median, iqr):
        table = table.groupby(["network", "patch", "lr", "loss"], as_index=False)[[median, iqr]].mean()
        return table.assign(cell=[f"{m:.2f} ({q:.2f})" for m, q in zip(table[median], table[iqr])]).pivot_table(
            index=["network", "patch", "lr"], columns="loss", values="cell", aggfunc="first").reindex(
            columns=list(LOSSES))

    ours = cells(results, "dsc_median", "dsc_iqr")
    paper = cells(sudre2017.GRID, "median", "IQR").reindex(ours.index)
    out = pd.DataFrame({loss: [f"{'not run' if pd.isna(a) else a} / {'—' if pd.isna(b) else b}"
                               for a, b in zip(ours[loss], paper[loss])] for loss in LOSSES},
                       index=ours.index).reset_index()
    out = in_paper_order(out, "lr")
    out["network"] = [NETWORKS[n][0] for n in out["network"]]
    out["lr"] = [f"{v:g}" for v in out["lr"]]
    return out


#: The chapter's study — ``dicecore study 03 --profile cpu`` runs or resumes it; its verdicts are
#: :mod:`dicecore.experiments.generalised_dice_report`.
STUDY = Study("03_generalised_dice", __name__, cells, run_cell, summarise,
              report="dicecore.experiments.generalised_dice_report", shown_profiles=("cpu", "paper"))
