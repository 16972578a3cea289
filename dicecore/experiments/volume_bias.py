"""Chapter 2, empirical part: CE vs soft Dice for LR / ConvNet / U-Net on four phantom tasks (Bertels et al. §3).

``tasks(profile)`` lists one training per (task, model, loss, fold); ``run_task`` trains it and returns one
row per held-out subject; ``summarise`` gives the Table 1 analogue with a bootstrap test of ΔV ≠ 0.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from dicecore.data.phantoms import UNCERTAINTY_TASKS, uncertainty_task
from dicecore.losses import dice_loss
from dicecore.metrics import bootstrap_mean_test, dice_score, mean_cross_entropy, soft_dice_score, volume_error
from dicecore.models import build_model
from dicecore.train import TrainConfig, predict, train

__all__ = [
    "PROFILES", "Task", "tasks", "run_task", "summarise", "empirical_claims", "PAPER_TABLE1", "PAPER_DATASET",
    "LOSSES", "MODEL_NAMES",
]

MODEL_NAMES = ("LR", "ConvNet", "U-Net")
LOSSES = ("CE", "SD")

#: Sizes and schedules. ``paper``: all three models, five folds, the paper's patience scaled from its 75/150
#: epochs to the shorter runs that fit one GPU. ``ci``: the logistic-regression model only (the ConvNet and
#: U-Net do not converge in the few CPU-seconds a book build can give them, and unconverged networks say
#: nothing about the loss), three folds, small images.
PROFILES = {
    "ci": dict(n_subjects=30, size_2d=32, size_3d=16, folds=3, max_epochs=60, batch_size=5,
               plateau_patience=10, stop_patience=20, models=("LR",)),
    "paper": dict(n_subjects=60, size_2d=96, size_3d=48, folds=5, max_epochs=150, batch_size=4,
                  plateau_patience=15, stop_patience=30, models=MODEL_NAMES),
}


@dataclass(frozen=True)
class Task:
    task: str
    model: str
    loss: str
    fold: int
    profile: str = "ci"
    seed: int = 0
    device: str = "cpu"  # where it trains; not part of the key (results do not depend on it beyond rounding)

    @property
    def key(self) -> str:
        return f"{self.task}__{self.model}__{self.loss}__fold{self.fold}__{self.profile}__seed{self.seed}"


def tasks(profile: str = "ci", seed: int = 0, device: str = "cpu") -> list[Task]:
    """Every (task, model, loss, fold) training of a profile."""
    if profile not in PROFILES:
        raise ValueError(f"profile: unknown profile {profile!r}; choose one of {tuple(PROFILES)}.")
    folds = PROFILES[profile]["folds"]
    models = PROFILES[profile]["models"]
    return [Task(t, m, l, f, profile, seed, device) for t in UNCERTAINTY_TASKS for m in models for l in LOSSES
            for f in range(folds)]


def dataset(task: str, profile: str, seed: int):
    cfg = PROFILES[profile]
    size = cfg["size_2d"] if task == "molars_like" else cfg["size_3d"]
    return uncertainty_task(task, cfg["n_subjects"], size, seed)


def _loss_fn(name: str):
    if name == "CE":
        return lambda logits, y: F.binary_cross_entropy_with_logits(logits, y)
    return lambda logits, y: dice_loss(logits, y, "I", 1e-7, activation="sigmoid", validate=False)


def run_task(task: Task) -> pd.DataFrame:
    """Train one (task, model, loss, fold) and evaluate it on the fold's held-out subjects."""
    t0 = time.perf_counter()
    cfg = PROFILES[task.profile]
    data = dataset(task.task, task.profile, task.seed)
    n = len(data)
    order = np.random.default_rng([task.seed, 7]).permutation(n)
    test = np.sort(np.array_split(order, cfg["folds"])[task.fold])
    rest = np.setdiff1d(order, test)
    rng = np.random.default_rng([task.seed, task.fold])
    val = np.sort(rng.choice(rest, size=max(1, len(rest) // 5), replace=False))
    tr = np.setdiff1d(rest, val)
    x, y = torch.from_numpy(data.images), torch.from_numpy(data.labels)
    dims = x.ndim - 2
    lr = 1.0 if task.model == "LR" else 1e-3  # the paper's initial learning rates
    config = TrainConfig(lr=lr, max_epochs=cfg["max_epochs"], batch_size=cfg["batch_size"],
                         plateau_patience=cfg["plateau_patience"], stop_patience=cfg["stop_patience"],
                         seed=task.seed * 1000 + task.fold)
    torch.manual_seed(config.seed)  # the initial weights, independent of what ran before in this process
    model = build_model(task.model, x.shape[1], dims)
    history = train(model, _loss_fn(task.loss), x[tr], y[tr], x[val], y[val], config, device=task.device)
    probs = predict(model, x[test], cfg["batch_size"], device=task.device)
    yt = y[test]
    out = pd.DataFrame({
        "subject": test,
        "CE": mean_cross_entropy(probs, yt).numpy(),
        "1-SD": soft_dice_score(probs, yt).numpy(),
        "dV": volume_error(probs, yt, data.voxel_volume).numpy(),
        "dice": dice_score(probs > 0.5, yt).numpy(),
        "true_volume": yt.reshape(len(yt), -1).sum(1).numpy(),
    })
    for k, v in asdict(task).items():
        if k != "device":
            out[k] = v
    out["epochs"] = len(history)
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
                     "n": len(d)})
    return pd.DataFrame(rows)


def _paper_rows():
    # Bertels et al., Table 1 (as printed): rows metric, columns LR-CE, LR-SD, ConvNet-CE, ConvNet-SD, U-Net-CE, U-Net-SD
    printed = {
        "MOLARS (2D)": {"CE": [0.240, 5.534, 0.194, 1.456, 0.024, 0.103],
                        "1-SD": [0.068, 0.153, 0.150, 0.270, 0.865, 0.931],
                        "dV": [-0.069, 302.3, -0.276, 87.09, 0.092, -0.187]},
        "BRATS 2018 (3D)": {"CE": [0.039, 0.173, 0.030, 0.069, 0.012, 0.027],
                            "1-SD": [0.080, 0.355, 0.196, 0.715, 0.585, 0.820],
                            "dV": [-2.841, 276.4, 3.936, 19.93, -6.778, -1.905]},
        "ISLES 2017 (3D)": {"CE": [0.025, 0.155, 0.018, 0.069, 0.014, 0.066],
                            "1-SD": [0.099, 0.255, 0.114, 0.321, 0.188, 0.340],
                            "dV": [15.71, 82.42, -4.227, 23.83, -2.875, 13.44]},
        "ISLES 2018 (3D)": {"CE": [0.055, 0.225, 0.044, 0.139, 0.029, 0.128],
                            "1-SD": [0.136, 0.329, 0.200, 0.449, 0.362, 0.518],
                            "dV": [0.773, 34.03, -0.374, 12.44, -0.878, 5.442]},
    }
    cols = [(m, l) for m in MODEL_NAMES for l in LOSSES]
    rows = []
    for dataset_name, metrics in printed.items():
        for k, (m, l) in enumerate(cols):
            rows.append({"dataset": dataset_name, "model": m, "loss": l, **{met: v[k] for met, v in metrics.items()}})
    return pd.DataFrame(rows)


#: The paper's Table 1, as printed (ΔV in 10² pixels for MOLARS, ml otherwise). The paper's own numbers.
PAPER_TABLE1 = _paper_rows()
#: Which paper dataset each phantom task stands in for.
PAPER_DATASET = {"molars_like": "MOLARS (2D)", "brats_like": "BRATS 2018 (3D)", "isles17_like": "ISLES 2017 (3D)",
                 "isles18_like": "ISLES 2018 (3D)"}


HIGH_UNCERTAINTY = ("isles17_like", "isles18_like")


def empirical_claims(summary: pd.DataFrame, data_label: str) -> list[tuple[str, str, str, str]]:
    """The paper's §3.2 claims checked against a :func:`summarise` table: (claim, our check, verdict, data)."""
    by = summary.set_index(["task", "model", "loss"])
    pairs = sorted({(t, m) for t, m, _ in by.index})
    models = sorted({m for _, m in pairs}, key=MODEL_NAMES.index)
    ce_better = all(by.loc[(t, m, "CE"), "CE"] < by.loc[(t, m, "SD"), "CE"] for t, m in pairs)
    sd_better = all(by.loc[(t, m, "SD"), "1-SD"] > by.loc[(t, m, "CE"), "1-SD"] for t, m in pairs)
    small = [m for m in models if m in ("LR", "ConvNet")]
    ce_biased = [f"{t}/{m}" for t, m in pairs if m in small and by.loc[(t, m, "CE"), "bias"]]
    sd_high = [by.loc[(t, m, "SD"), "bias"] == "over" for t, m in pairs if m in small and t in HIGH_UNCERTAINTY]
    sd_low = [f"{t}/{m}: {by.loc[(t, m, 'SD'), 'bias'] or 'none'}" for t, m in pairs
              if m in small and t not in HIGH_UNCERTAINTY]
    claims = [
        ("CE-trained models reach a lower CE (higher likelihood) everywhere",
         f"CE(CE) < CE(SD) in every task × model: {ce_better}", "reproduced" if ce_better else "not reproduced"),
        ("SD-trained models reach a higher soft Dice everywhere",
         f"1−SD(SD) > 1−SD(CE) in every task × model: {sd_better}", "reproduced" if sd_better else "not reproduced"),
        ("LR/ConvNet: CE-trained models are unbiased in volume",
         "significant ΔV for CE: " + (", ".join(ce_biased) or "none"), "partly" if ce_biased else "reproduced"),
        ("LR/ConvNet: SD-trained models over-estimate volume significantly",
         f"high-uncertainty tasks: over-estimated in {sum(sd_high)}/{len(sd_high)}; low-uncertainty tasks: "
         + "; ".join(sd_low),
         "reproduced" if all(sd_high) and all(s.endswith("over") for s in sd_low)
         else "partly" if any(sd_high) else "not reproduced"),
    ]
    if "U-Net" in models:
        low_ok = all(not by.loc[(t, "U-Net", loss), "bias"] for t, _ in pairs if t not in HIGH_UNCERTAINTY
                     for loss in LOSSES)
        high_ok = all(by.loc[(t, "U-Net", "SD"), "bias"] == "over" for t in HIGH_UNCERTAINTY if (t, "U-Net") in pairs)
        claims.append(("U-Net: no significant bias on low-uncertainty tasks, SD over-estimates on high ones",
                       f"low tasks unbiased: {low_ok}; high tasks SD over-estimates: {high_ok}",
                       "reproduced" if low_ok and high_ok else "partly" if low_ok or high_ok else "not reproduced"))
    else:
        claims.append(("U-Net: no significant bias on low-uncertainty tasks, SD over-estimates on high ones",
                       "needs the U-Net rows of the paper profile", "not checked in this build"))
    return [c + (data_label,) for c in claims]
