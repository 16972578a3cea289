"""Chapter 3's training study (Sudre et al. 2017, Tables 1–2, Figs. 1 and 3): the four imbalance losses
(WCE, DL₂, SS, GDL_v) trained across patch sizes and learning rates, scored by the training DSC over the
last iterations (median and IQR, as the paper's Table 2) and by the DSC on held-out slices.

The task is the paper's 2-D one: tumour (foreground) vs the rest on BraTS-like axial slices
(:class:`dicecore.data.anatomy.BratsLike`: MNI152 anatomy, four MR contrasts, whole tumours), patches drawn
so that each holds at least one tumour pixel, no augmentation, Adam at a constant learning rate. Patch
sizes are the *effective* sizes of the paper's UNet (Table 1: S 16, M 24, L 48 pixels with batch sizes
5, 3, 1); our U-Net pads its convolutions, so its initial and effective sizes are the same.

Profiles:

* ``ci`` (CPU, in the book build): the small U-Net of Chapter 2's design, patches S and L, learning rates
  10⁻³ and 10⁻⁴, the four losses, one seed, 300 iterations (statistics over the last 100).
* ``paper`` (GPU): patches S, M and L, learning rates 10⁻³, 10⁻⁴ and 10⁻⁵, 1000 iterations (statistics
  over the last 200, as the paper). The paper's second 2-D network (TwoPathCNN) and its 3-D study
  (DeepMedic and HighResNet on white-matter lesions) are not implemented yet.

Each (network, patch, learning rate, loss, seed) is a :class:`Task` for
:func:`dicecore.experiments.runner.run_tasks`, so runs resume and can go to several processes.
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

__all__ = [
    "PROFILES", "PATCHES", "LOSSES", "PAPER_TABLE1_UNET", "PAPER_TABLE2_UNET", "Task", "tasks", "tumour_slices",
    "patch_sampler", "loss_function", "run_task", "summarise", "imbalance_table", "claims",
]

#: Effective patch size (pixels) and batch size of the paper's UNet (Table 1).
PATCHES = {"S": (16, 5), "M": (24, 3), "L": (48, 1)}
LOSSES = ("WCE", "DL2", "SS", "GDL_v")

PROFILES = {
    "ci": {"networks": ("unet",), "patches": ("S", "L"), "lrs": (1e-3, 1e-4), "iterations": 300, "last": 100,
           "seeds": (0,), "n_train": 12, "n_test": 4},
    "paper": {"networks": ("unet",), "patches": ("S", "M", "L"), "lrs": (1e-3, 1e-4, 1e-5), "iterations": 1000,
              "last": 200, "seeds": (0,), "n_train": 150, "n_test": 30},
}

#: Sudre et al., Table 1, UNet columns: effective patch size and the patches' imbalance ratio.
PAPER_TABLE1_UNET = pd.DataFrame({"patch": ["S", "M", "L"], "batch size": [5, 3, 1],
                                  "effective patch size": [16, 24, 48], "imbalance ratio": [0.52, 0.33, 0.15]})

#: Sudre et al., Table 2, UNet columns: training DSC over the last 200 iterations, median (IQR).
PAPER_TABLE2_UNET = pd.DataFrame([
    (p, lr, loss, med, iqr)
    for p, lr, values in (
        ("S", 1e-5, ((0.71, 0.17), (0.73, 0.13), (0.37, 0.17), (0.75, 0.14))),
        ("S", 1e-4, ((0.77, 0.18), (0.76, 0.13), (0.74, 0.16), (0.80, 0.12))),
        ("S", 1e-3, ((0.70, 0.17), (0.72, 0.15), (0.39, 0.16), (0.72, 0.15))),
        ("M", 1e-5, ((0.71, 0.23), (0.70, 0.22), (0.65, 0.25), (0.74, 0.19))),
        ("M", 1e-4, ((0.73, 0.18), (0.70, 0.22), (0.61, 0.25), (0.72, 0.19))),
        ("M", 1e-3, ((0.68, 0.23), (0.67, 0.21), (0.70, 0.26), (0.69, 0.22))),
        ("L", 1e-5, ((0.63, 0.46), (0.62, 0.40), (0.49, 0.42), (0.56, 0.44))),
        ("L", 1e-4, ((0.68, 0.34), (0.64, 0.44), (0.18, 0.24), (0.66, 0.39))),
        ("L", 1e-3, ((0.59, 0.39), (0.57, 0.53), (0.16, 0.22), (0.59, 0.45))),
    )
    for loss, (med, iqr) in zip(LOSSES, values)
], columns=["patch", "lr", "loss", "median", "IQR"])


@dataclass(frozen=True)
class Task:
    network: str
    patch: str
    lr: float
    loss: str
    seed: int = 0
    profile: str = "ci"
    device: str = "cpu"

    @property
    def key(self) -> str:
        return f"{self.network}__{self.patch}__lr{self.lr:g}__{self.loss}__seed{self.seed}"


def tasks(profile: str = "ci", device: str = "cpu") -> list[Task]:
    """Every (network, patch, learning rate, loss, seed) of the profile's grid."""
    if profile not in PROFILES:
        raise ValueError(f"profile: unknown profile {profile!r}; choose one of {tuple(PROFILES)}.")
    cfg = PROFILES[profile]
    return [Task(n, p, lr, loss, s, profile, device) for n in cfg["networks"] for p in cfg["patches"]
            for lr in cfg["lrs"] for loss in LOSSES for s in cfg["seeds"]]


@functools.lru_cache(maxsize=2)
def tumour_slices(n_subjects: int, first: int = 0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Axial slices through the tumour of BraTS-like subjects ``first … first + n_subjects − 1``: every
    slice whose tumour has at least 20 pixels. Images ``(N, 4, 80, 96)`` (FLAIR, T1, T1ce, T2, z-scored per
    subject over the brain, as the paper normalises), labels ``(N, 80, 96)`` uint8. Cached per process;
    do not write to the arrays."""
    from dicecore.data.anatomy import BratsLike

    cohort = BratsLike(n_hgg=first + n_subjects, n_lgg=0, seed=seed)
    images, labels = [], []
    for i in range(first, first + n_subjects):
        image, label, _ = cohort.subject(i)
        brain = image[0] > 0.05
        image = (image - image[:, brain].mean(1)[:, None, None, None]) / image[:, brain].std(1)[:, None, None, None]
        for z in np.flatnonzero(label.sum((0, 1)) >= 20):
            images.append(image[..., z])
            labels.append(label[..., z])
    return np.stack(images).astype(np.float32), np.stack(labels).astype(np.uint8)


def patch_sampler(images: np.ndarray, labels: np.ndarray, size: int, batch_size: int):
    """Random ``size`` × ``size`` patches, each holding at least one foreground pixel (the paper's rule):
    its centre is drawn near a random tumour pixel. Returns ``sample(generator) → (x, y)`` with ``y`` float
    ``(B, 1, size, size)``."""
    fg = np.argwhere(labels > 0)
    h, w = labels.shape[1:]
    if size > min(h, w):
        raise ValueError(f"size: a {size}-pixel patch does not fit the {h} × {w} slices.")

    def sample(gen: torch.Generator):
        xs, ys = [], []
        for _ in range(batch_size):
            n, r, c = fg[int(torch.randint(len(fg), (1,), generator=gen))]
            top = int(np.clip(r - int(torch.randint(size, (1,), generator=gen)), 0, h - size))
            left = int(np.clip(c - int(torch.randint(size, (1,), generator=gen)), 0, w - size))
            xs.append(images[n, :, top:top + size, left:left + size])
            ys.append(labels[n, top:top + size, left:left + size])
        return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys)[:, None].astype(np.float32))

    return sample


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


def _hard_dice(logits: torch.Tensor, reference: torch.Tensor) -> float:
    pred = logits.detach() > 0
    ref = reference > 0.5
    total = int(pred.sum() + ref.sum())
    return 2 * int((pred & ref).sum()) / total if total else 1.0


def run_task(task: Task) -> pd.DataFrame:
    """Train one grid cell; one row: the training DSC over the last iterations (median, IQR), the held-out
    DSC, the median foreground fraction of the training patches, and whether the loss diverged."""
    from dicecore.models import PaperUNet
    from dicecore.train import train_polynomial

    t0 = time.perf_counter()
    cfg = PROFILES[task.profile]
    images, labels = tumour_slices(cfg["n_train"])
    size, batch = PATCHES[task.patch]
    sampler = patch_sampler(images, labels, size, batch)
    torch.manual_seed(task.seed)
    model = PaperUNet(4, dims=2, levels=(([8, 16], [16, 8]), ([16, 32], [32, 16])), bottom=(32, 16))
    fractions = []

    def record(logits, y):
        fractions.append(float(y.mean()))
        return {"dsc": _hard_dice(logits, y)}

    try:
        history = train_polynomial(model, loss_function(task.loss), sampler, cfg["iterations"], task.lr,
                                   weight_decay=0.0, power=0.0, seed=task.seed, device=task.device, record=record)
        diverged = False
    except FloatingPointError:  # a loss that became NaN/inf: the paper's "0 (0)" cells
        history, diverged = pd.DataFrame({"dsc": [0.0]}), True
    last = history["dsc"].tail(cfg["last"])
    test_x, test_y = tumour_slices(cfg["n_test"], first=cfg["n_train"])
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(torch.from_numpy(test_x[k:k + 16]).to(task.device)).cpu()
                            for k in range(0, len(test_x), 16)])
    test = [_hard_dice(logits[k], torch.from_numpy(test_y[k][None].astype(np.float32))) for k in range(len(test_x))]
    row = {k: v for k, v in asdict(task).items() if k not in ("device", "profile")}
    row.update({"dsc_median": float(last.median()), "dsc_iqr": float(last.quantile(0.75) - last.quantile(0.25)),
                "test_dsc": float(np.mean(test)) if not diverged else 0.0, "diverged": diverged,
                "fg_fraction": float(np.median(fractions)) if fractions else float("nan"),
                "effective_patch": size, "batch_size": batch, "seconds": time.perf_counter() - t0})
    return pd.DataFrame([row])


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Table 2's layout: one row per (patch, lr), one column per loss, cells ``ours / paper`` with each side
    ``median (IQR)`` of the training DSC; ``—`` where the paper has no such cell."""
    def cells(table, median, iqr):
        return table.assign(cell=[f"{m:.2f} ({q:.2f})" for m, q in zip(table[median], table[iqr])]).pivot_table(
            index=["patch", "lr"], columns="loss", values="cell", aggfunc="first")

    ours = cells(results, "dsc_median", "dsc_iqr")
    paper = cells(PAPER_TABLE2_UNET, "median", "IQR").reindex(ours.index)
    out = pd.DataFrame({loss: [f"{a} / {'—' if pd.isna(b) else b}" for a, b in zip(ours[loss], paper[loss])]
                        for loss in LOSSES}, index=ours.index).reset_index()
    out["order"] = [list(PATCHES).index(p) for p in out["patch"]]
    out = out.sort_values(["order", "lr"]).drop(columns="order")
    out["lr"] = [f"{v:g}" for v in out["lr"]]
    return out.reset_index(drop=True)


def imbalance_table(results: pd.DataFrame) -> pd.DataFrame:
    """Table 1's UNet columns: batch size, effective patch size and the median foreground fraction of the
    training patches, beside the paper's."""
    ours = results.groupby("patch").agg(**{"batch size": ("batch_size", "first"),
                                           "effective patch size": ("effective_patch", "first"),
                                           "imbalance ratio": ("fg_fraction", "median")})
    ours = ours.reindex([p for p in PATCHES if p in ours.index]).reset_index()
    paper = PAPER_TABLE1_UNET[["patch", "imbalance ratio"]].rename(columns={"imbalance ratio": "paper's ratio"})
    return ours.merge(paper, on="patch", how="left")


def claims(results: pd.DataFrame, data: str, noise: float = 0.05) -> list[tuple[str, str, str, str]]:
    """The paper's 2-D claims that this grid can test, with verdicts; differences under ``noise`` (DSC) are
    not told apart (one seed cannot measure the spread)."""
    by_loss = results.groupby("loss")["dsc_median"]
    worst = by_loss.min().reindex(list(LOSSES))
    spread = (by_loss.max() - by_loss.min()).reindex(list(LOSSES))
    robust = worst["GDL_v"] >= worst.max() - noise
    peers = [k for k in LOSSES if k != "GDL_v" and worst[k] >= worst["GDL_v"] - noise]
    if not robust:
        verdict = "not reproduced"
    elif peers:
        verdict = f"partly: GDL_v is as robust as {', '.join(peers)} here (worst cases within {noise})"
    else:
        verdict = "reproduced"
    out = [("GDL_v is the most robust to learning rate and patch size",
            "worst / range of the median training DSC over the grid: "
            + ", ".join(f"{k} {worst[k]:.2f} / {spread[k]:.2f}" for k in LOSSES), verdict, data)]
    best = results.groupby("lr")["dsc_median"].mean()
    gap = best.get(1e-4, float("nan")) - best.drop(index=1e-4, errors="ignore").max()
    if not gap == gap:  # 10⁻⁴ not trained
        verdict = "not testable"
    elif abs(gap) <= noise:
        verdict = f"inconclusive (gap {gap:+.2f} within {noise})"
    elif gap < 0:
        verdict = "not reproduced"
    else:
        verdict = "reproduced" if 1e-5 in best.index else "partly (10⁻⁴ beats 10⁻³; 10⁻⁵ not in this grid)"
    out.append(("an intermediate learning rate (10⁻⁴) trains best",
                "mean median DSC per LR: " + ", ".join(f"{lr:g}: {v:.2f}" for lr, v in best.items()), verdict, data))
    patches = results.groupby("patch")["dsc_median"].mean()
    if {"S", "L"} <= set(patches.index):
        gap = patches["S"] - patches["L"]
        out.append(("smaller patches with larger batches train better",
                    f"mean median DSC S {patches['S']:.2f}, L {patches['L']:.2f}",
                    "reproduced" if gap > noise else
                    (f"inconclusive (gap {gap:+.2f} within {noise})" if abs(gap) <= noise else "not reproduced"),
                    data))
    failed = results[results["dsc_median"] < 0.05]
    if len(failed):
        out.append(("(ours) trainings that never segmented the tumour (median DSC < 0.05)",
                    ", ".join(f"{r.loss} {r.patch} {r.lr:g}" for r in failed.itertuples()), "observed", data))
    return out
