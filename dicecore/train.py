"""One training loop for every chapter: seeds, Adam, plateau schedule, early stopping, best weights, tqdm."""

from __future__ import annotations

import copy
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm  # text bars: tqdm.auto needs ipywidgets in a notebook, and warns without them

__all__ = ["TrainConfig", "train", "predict", "train_polynomial"]


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings. The schedule is Bertels et al.'s, in epochs: the learning rate is divided by
    ``plateau_factor`` when the validation loss has not improved for ``plateau_patience`` epochs, and
    training stops after ``stop_patience`` epochs without improvement (or at ``max_epochs``)."""

    lr: float = 1e-3
    max_epochs: int = 100
    batch_size: int = 4
    plateau_patience: int = 75
    plateau_factor: float = 5.0
    stop_patience: int = 150
    seed: int = 0

    def __post_init__(self):
        if self.lr <= 0 or self.max_epochs < 1 or self.batch_size < 1:
            raise ValueError("lr, max_epochs, batch_size: must be positive.")
        if self.plateau_factor <= 1:
            raise ValueError("plateau_factor: must be > 1 (the learning rate is divided by it).")


def train(model: nn.Module, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
          train_x: torch.Tensor, train_y: torch.Tensor, val_x: torch.Tensor, val_y: torch.Tensor,
          config: TrainConfig = TrainConfig(), device: torch.device | str = "cpu",
          progress: bool = False) -> pd.DataFrame:
    """Train ``model`` in place (ending with the weights of the best validation epoch); return the history.

    ``loss_fn(logits, labels)`` returns a scalar. A non-finite loss stops training with a clear error.
    """
    device = torch.device(device)
    gen = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode="min", factor=1 / config.plateau_factor, patience=config.plateau_patience)
    best, best_state, since_best, rows = math.inf, None, 0, []
    n = len(train_x)
    for epoch in tqdm(range(config.max_epochs), desc="epochs", disable=not progress, leave=False):
        model.train()
        order = torch.randperm(n, generator=gen)
        losses = []
        for start in range(0, n, config.batch_size):
            idx = order[start:start + config.batch_size]
            x, y = train_x[idx].to(device), train_y[idx].to(device)
            loss = loss_fn(model(x), y)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss: became {loss.item()} at epoch {epoch}; lower the learning rate.")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        val = evaluate_loss(model, loss_fn, val_x, val_y, config.batch_size, device)
        sched.step(val)
        rows.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "val_loss": val,
                     "lr": opt.param_groups[0]["lr"]})
        if val < best - 1e-7:
            best, best_state, since_best = val, copy.deepcopy(model.state_dict()), 0
        else:
            since_best += 1
            if since_best >= config.stop_patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return pd.DataFrame(rows)


@torch.no_grad()
def evaluate_loss(model, loss_fn, x, y, batch_size, device) -> float:
    model.eval()
    total = 0.0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size].to(device), y[start:start + batch_size].to(device)
        total += loss_fn(model(xb), yb).item() * len(xb)
    return total / len(x)


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 4, device: torch.device | str = "cpu") -> torch.Tensor:
    """Sigmoid probabilities for every image of ``x`` (on the CPU)."""
    model.eval()
    out = [torch.sigmoid(model(x[s:s + batch_size].to(device))).cpu() for s in range(0, len(x), batch_size)]
    return torch.cat(out)


def train_polynomial(model: nn.Module, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                     sample_batch: Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]],
                     iterations: int, lr: float, weight_decay: float = 1e-4, power: float = 0.9, seed: int = 0,
                     device: torch.device | str = "cpu", progress: bool = False,
                     record: Optional[Callable[[torch.Tensor, torch.Tensor], dict]] = None,
                     checkpoint: Optional[os.PathLike] = None, checkpoint_every: int = 100,
                     amp: bool = False) -> pd.DataFrame:
    """Hosseini's schedule: Adam with weight decay, ``lr · (1 − iter/max_iter)^0.9``, a fixed number of
    iterations; ``sample_batch(generator)`` draws one (images, labels) batch (crops, augmentation).
    ``power=0`` and ``weight_decay=0`` give plain Adam at a constant rate (Sudre et al.'s training).

    Returns the per-iteration training loss, plus the columns ``record(logits, labels)`` returns at each
    iteration (e.g. the batch's Dice; the logits are detached). A non-finite loss stops training with a
    clear error (``FloatingPointError``).

    ``checkpoint``: a file to which the whole training state (weights, optimiser, schedule, the sampling
    generator and torch's RNG, the history so far) is written atomically every ``checkpoint_every``
    iterations; if it exists when the call starts, training resumes from it, so a cut run loses at most
    ``checkpoint_every`` iterations and ends with the same weights as an uncut one (tested). The caller
    deletes it once the result is safe. ``amp``: mixed precision on CUDA (bfloat16 autocast for the network;
    the loss is computed in float32); ignored on the CPU.
    """
    if iterations < 1 or lr <= 0 or weight_decay < 0:
        raise ValueError(f"iterations, lr, weight_decay: need ≥ 1, > 0 and ≥ 0, got {iterations}, {lr}, {weight_decay}.")
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every: need ≥ 1 iteration, got {checkpoint_every}.")
    device = torch.device(device)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: (1 - it / iterations) ** power)
    rows, start = [], 0
    if checkpoint is not None and Path(checkpoint).is_file():
        rows, start = _load_checkpoint(Path(checkpoint), model, opt, sched, gen, device, iterations)
    use_amp = amp and device.type == "cuda"
    model.train()
    for it in tqdm(range(start, iterations), desc="iterations", disable=not progress, leave=False,
                   initial=start, total=iterations):
        x, y = sample_batch(gen)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            logits = model(x.to(device))
        logits = logits.float()
        y = y.to(device)
        loss = loss_fn(logits, y)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss: became {loss.item()} at iteration {it}; lower the learning rate.")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        rows.append({"iteration": it, "train_loss": loss.item(), **(record(logits.detach(), y) if record else {})})
        if checkpoint is not None and (it + 1) % checkpoint_every == 0 and it + 1 < iterations:
            _save_checkpoint(Path(checkpoint), model, opt, sched, gen, rows, it + 1, iterations)
    return pd.DataFrame(rows)


def _save_checkpoint(path: Path, model, opt, sched, gen, rows, done: int, iterations: int) -> None:
    from dicecore.results import atomic_write_bytes

    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                "gen": gen.get_state(), "torch_rng": torch.get_rng_state(), "rows": rows, "done": done,
                "iterations": iterations}, buf)
    atomic_write_bytes(path, buf.getvalue())


def _load_checkpoint(path: Path, model, opt, sched, gen, device, iterations: int) -> tuple[list, int]:
    try:
        state = torch.load(path, map_location=device, weights_only=False)
        if state["iterations"] != iterations:
            raise ValueError(f"it was written for {state['iterations']} iterations, this run has {iterations}")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
    except Exception as err:  # a truncated or foreign file: say which, and how to go on
        raise ValueError(f"checkpoint: cannot resume from {str(path)!r} ({err}); delete the file to start "
                         "this training again.") from err
    gen.set_state(state["gen"])
    torch.set_rng_state(state["torch_rng"])
    return list(state["rows"]), int(state["done"])
