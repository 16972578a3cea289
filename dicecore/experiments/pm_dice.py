"""Chapter 5's training study (Hosseini Tables 1–3): the same network trained with each loss, several
seeds, scored by mDice, mIoU, mNSD, mPrecision and mRecall on held-out frames.

Profiles:

* ``ci`` (CPU, in the book build): the Kvasir-like task only, 64-pixel frames with 48-pixel random crops,
  a two-level U-Net of Chapter 2's design with two softmax outputs, four losses (CE, Dice, CE + Dice,
  PM Dice), one seed, 400 iterations. It answers "do the losses' precision/recall tendencies show up at all" on a phantom.
* ``paper`` (GPU): all fourteen losses, three seeds, 320-pixel frames with 256-pixel crops, flips and
  90° rotations, MONAI's ``FlexibleUNet`` with a ResNet-34 encoder as the paper's, 5·10⁻⁴ and polynomial
  decay, weight decay 10⁻⁴. Results go to ``results/05_pm_dice/``.

Each (task, loss, seed) is a :class:`Task` for :func:`dicecore.experiments.runner.run_tasks`, so runs
resume and can go to several processes.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

from dicecore.data.polyps import kvasir_like
from dicecore.losses.difficulty import TABLE_LOSSES, loss_for_row
from dicecore.metrics import segmentation_metrics, summarise_segmentation
from dicecore.train import train_polynomial

__all__ = ["PROFILES", "Task", "tasks", "run_task", "summarise", "PAPER_TABLE1", "METRICS", "training_claims"]

METRICS = ("mDice", "mIoU", "mNSD", "mPrec.", "mRec.")

PROFILES = {
    "ci": {"frame": 64, "crop": 48, "n_train": 64, "n_test": 32, "iterations": 400, "batch_size": 8, "lr": 2e-3,
           "losses": ("CE", "Dice", "CE + Dice", "PM Dice"), "seeds": (0,), "model": "small-unet",
           "tolerance": 2.0},
    "paper": {"frame": 320, "crop": 256, "n_train": 900, "n_test": 100, "iterations": 6000, "batch_size": 8,
              "lr": 5e-4, "losses": tuple(TABLE_LOSSES), "seeds": (0, 1, 2), "model": "resnet34-unet",
              "tolerance": 2.0},
}

#: Hosseini's Table 1 (Kvasir-SEG) as printed, in percent.
PAPER_TABLE1 = pd.DataFrame([
    ("CE", 89.56, 83.76, 51.13, 92.68, 90.30), ("Dice", 88.76, 82.79, 50.84, 91.09, 90.33),
    ("Logarithmic Dice [38]", 88.89, 82.86, 49.49, 90.97, 90.75), ("Focal Dice [40]", 88.19, 81.46, 46.27, 88.78, 91.24),
    ("Focal Dice [41]", 89.12, 83.40, 51.22, 91.17, 90.74), ("CE + Dice", 89.94, 84.20, 52.34, 92.58, 90.67),
    ("Focal CE + Dice", 89.85, 84.29, 52.15, 92.20, 91.11), ("TopK CE + Dice", 90.11, 84.47, 52.56, 92.23, 91.17),
    ("TopK Dice [42]", 89.94, 84.11, 52.76, 91.62, 91.42), ("CE + TopK Dice [42]", 89.62, 83.99, 52.80, 91.71, 91.24),
    ("TopK CE + TopK Dice [42]", 89.39, 83.53, 52.75, 91.17, 90.97), ("PM Dice", 90.61, 85.37, 54.90, 92.61, 91.57),
    ("CE + PM Dice", 90.45, 85.20, 54.21, 92.64, 91.40), ("Focal CE + PM Dice", 90.58, 85.26, 54.14, 92.25, 91.68),
], columns=["loss", *METRICS])


@dataclass(frozen=True)
class Task:
    task: str
    loss: str
    seed: int
    profile: str = "ci"
    device: str = "cpu"

    @property
    def key(self) -> str:
        slug = "".join(ch if ch.isalnum() else "-" for ch in self.loss).strip("-")
        return f"{self.task}__{slug}__seed{self.seed}"


def tasks(profile: str = "ci", device: str = "cpu") -> list[Task]:
    if profile not in PROFILES:
        raise ValueError(f"profile: unknown profile {profile!r}; choose one of {tuple(PROFILES)}.")
    cfg = PROFILES[profile]
    return [Task("kvasir_like", loss, seed, profile, device) for loss in cfg["losses"] for seed in cfg["seeds"]]


def _model(name: str):
    if name == "small-unet":  # Chapter 2's U-Net design (average pooling, linear up-sampling), two levels
        from dicecore.models import PaperUNet

        return PaperUNet(3, dims=2, levels=(([8, 16], [16, 8]), ([16, 32], [32, 16])), bottom=(32, 16),
                         out_channels=2)
    from monai.networks.nets import FlexibleUNet

    return FlexibleUNet(in_channels=3, out_channels=2, backbone="resnet34", pretrained=False, spatial_dims=2)


def _sampler(images: torch.Tensor, masks: torch.Tensor, crop: int, batch_size: int):
    n, _, h, w = images.shape

    def sample(gen: torch.Generator):
        idx = torch.randint(0, n, (batch_size,), generator=gen)
        top = torch.randint(0, h - crop + 1, (batch_size,), generator=gen)
        left = torch.randint(0, w - crop + 1, (batch_size,), generator=gen)
        flips = torch.rand(batch_size, 2, generator=gen) < 0.5
        turns = torch.randint(0, 4, (batch_size,), generator=gen)
        xs, ys = [], []
        for k in range(batch_size):
            x = images[idx[k], :, top[k]:top[k] + crop, left[k]:left[k] + crop]
            y = masks[idx[k], None, top[k]:top[k] + crop, left[k]:left[k] + crop]
            for axis, flip in zip((1, 2), flips[k]):
                if flip:
                    x, y = x.flip(axis), y.flip(axis)
            x, y = torch.rot90(x, int(turns[k]), (1, 2)), torch.rot90(y, int(turns[k]), (1, 2))
            xs.append(x)
            ys.append(y)
        return torch.stack(xs), torch.stack(ys).long()

    return sample


def run_task(task: Task) -> pd.DataFrame:
    """Train one (task, loss, seed) and score it on the held-out frames: one row per frame."""
    t0 = time.perf_counter()
    cfg = PROFILES[task.profile]
    images, masks = kvasir_like(cfg["n_train"] + cfg["n_test"], size=cfg["frame"], seed=1000)
    x, y = torch.from_numpy(images), torch.from_numpy(masks.astype(np.int64))
    n = cfg["n_train"]
    torch.manual_seed(task.seed)
    model = _model(cfg["model"])
    loss = loss_for_row(task.loss)
    history = train_polynomial(
        model, lambda logits, labels: loss(logits, labels, activation="softmax", to_onehot_y=True),
        _sampler(x[:n], y[:n], cfg["crop"], cfg["batch_size"]), cfg["iterations"], cfg["lr"],
        seed=task.seed, device=task.device)
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[n + s:n + s + 8].to(task.device)).argmax(1).cpu()
                          for s in range(0, cfg["n_test"], 8)])
    out = segmentation_metrics(pred.numpy(), y[n:].numpy(), num_classes=2, tolerance=cfg["tolerance"])
    for k, v in asdict(task).items():
        if k != "device":
            out[k] = v
    out["final_train_loss"] = float(history["train_loss"].tail(20).mean())
    out["seconds"] = time.perf_counter() - t0
    return out


def summarise(per_image: pd.DataFrame) -> pd.DataFrame:
    """Per loss: the metrics of each seed (means over frames), then their mean and spread (max − min) over
    seeds, in percent — the paper reports the mean of 3 runs."""
    rows = []
    for (loss, seed), d in per_image.groupby(["loss", "seed"], sort=False):
        rows.append({"loss": loss, "seed": seed, **summarise_segmentation(d)})
    per_seed = pd.DataFrame(rows)
    mean = per_seed.groupby("loss", sort=False)[list(METRICS)].mean()
    spread = per_seed.groupby("loss", sort=False)[list(METRICS)].agg(lambda v: v.max() - v.min())
    out = mean.join(spread.add_suffix(" spread")).reset_index()
    out["seeds"] = per_seed.groupby("loss", sort=False).size().to_numpy()
    return out


def _noise(s: pd.DataFrame, losses, metric: str) -> float:
    """The gap two losses must exceed to count: their larger seed spread, and at least 1 point with one seed."""
    spread = max(float(s.loc[loss, f"{metric} spread"]) for loss in losses)
    return max(spread, 1.0 if int(s["seeds"].min()) < 2 else 0.0)


def _verdict(holds: bool, gap: float, noise: float) -> str:
    if abs(gap) < noise:
        return f"inconclusive (gap {abs(gap):.1f} < {noise:.1f}, the seed noise)"
    return "reproduced" if holds else "not reproduced"


def training_claims(summary: pd.DataFrame, data: str) -> list[tuple[str, str, str, str]]:
    """The paper's training claims that the losses in ``summary`` can test, with verdicts.

    A difference counts only when it exceeds the seed noise: the larger spread (max − min over seeds) of the
    two losses compared, and at least 1 point when there is a single seed.
    """
    s = summary.set_index("loss")
    claims = []
    if {"CE", "Dice"} <= set(s.index):
        rec = s.loc["Dice", "mRec."] - s.loc["CE", "mRec."]
        prec = s.loc["CE", "mPrec."] - s.loc["Dice", "mPrec."]
        noise = max(_noise(s, ("CE", "Dice"), "mRec."), _noise(s, ("CE", "Dice"), "mPrec."))
        claims.append(("Dice loss gives higher recall, CE higher precision",
                       f"recall Dice − CE {rec:+.1f}; precision CE − Dice {prec:+.1f} (points)",
                       _verdict(rec > 0 and prec > 0, min(rec, prec), noise), data))
    if "PM Dice" in s.index:
        parts, verdicts = [], []
        for metric in ("mDice", "mNSD"):
            others = s.drop(index="PM Dice")[metric]
            gap = s.loc["PM Dice", metric] - others.max()
            parts.append(f"{metric}: PM Dice {s.loc['PM Dice', metric]:.1f}, best other {others.idxmax()} "
                         f"{others.max():.1f}")
            verdicts.append(_verdict(gap > 0, gap, _noise(s, ("PM Dice", others.idxmax()), metric)))
        verdict = verdicts[0] if verdicts[0] == verdicts[1] else "; ".join(
            f"{m}: {v}" for m, v in zip(("mDice", "mNSD"), verdicts))
        claims.append((f"PM Dice gives the best mDice and mNSD (of the {len(s)} losses trained)",
                       "; ".join(parts), verdict, data))
    if {"PM Dice", "Dice"} <= set(s.index):
        gap = s.loc["PM Dice", "mPrec."] - s.loc["Dice", "mPrec."]
        claims.append(("PM Dice gives higher precision than Dice",
                       f"precision PM Dice − Dice {gap:+.1f} points",
                       _verdict(gap > 0, gap, _noise(s, ("PM Dice", "Dice"), "mPrec.")), data))
    return claims
