"""One training loop for every chapter: :func:`fit` with a schedule, and :func:`predict`.

Every training in the book is ``fit(model, loss, batches, schedule, length)``:

* ``batches(generator) → (x, y)`` draws one batch — a patch sampler (random crops, augmentation) or
  :class:`EpochBatches` (shuffled passes over a fixed training set);
* ``schedule`` is one of three, each with its paper — :class:`Constant`: Adam at a fixed rate (Chapter 3;
  the book's choice, as Sudre et al. name no optimiser); :class:`Polynomial`: Adam with weight decay, ``lr · (1 − it/length)^power`` (Hosseini; Chapter 4's
  3-D study); :class:`Plateau`: Adam, the rate divided by ``factor`` when the validation loss stalls, early
  stopping, ending with the best validation weights (Bertels et al.);
* ``length`` is the number of iterations (an epoch is ``EpochBatches.per_epoch`` of them).

``checkpoint``: the whole training state (weights, optimiser, schedule, the sampling generator and torch's
RNG, the batch sampler's position, the best weights so far, the history) is written atomically every
``checkpoint_every`` iterations; if the file exists when :func:`fit` starts, training resumes from it, so a cut
run loses at most ``checkpoint_every`` iterations and ends with the same weights as an uncut one (tested).
``amp``: mixed precision on CUDA (bfloat16 autocast for the network; the loss in float32); ignored on the
CPU, where training is deterministic for a given seed and thread count.
"""

from __future__ import annotations

import copy
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm  # text bars: tqdm.auto needs ipywidgets in a notebook, and warns without them

__all__ = ["Constant", "Polynomial", "Plateau", "Schedule", "EpochBatches", "fit", "validation_loss", "predict"]


@dataclass(frozen=True)
class Constant:
    """Adam at a constant learning rate ``lr`` (Sudre et al. name no optimiser: the book's choice)."""

    lr: float
    weight_decay: float = 0.0


@dataclass(frozen=True)
class Polynomial:
    """Adam with weight decay and ``lr · (1 − it/length)^power`` (Hosseini's schedule; nnU-Net's)."""

    lr: float
    power: float = 0.9
    weight_decay: float = 1e-4


@dataclass(frozen=True)
class Plateau:
    """Bertels et al.'s schedule: Adam; every ``every`` iterations (one epoch) the loss ``validate(model)``
    is measured; the rate is divided by ``factor`` after ``patience`` validations without improvement, and
    training stops after ``stop_patience`` of them, ending with the weights of the best validation."""

    lr: float
    validate: Callable[[nn.Module], float]
    every: int
    patience: int
    stop_patience: int
    factor: float = 5.0
    weight_decay: float = 0.0


#: Any of the three schedules.
Schedule = Union[Constant, Polynomial, Plateau]


class EpochBatches:
    """Shuffled passes over a fixed training set: each epoch a new permutation (from the training's
    generator), then consecutive batches of ``batch_size`` (the last one smaller). ``per_epoch`` batches
    make one epoch. Its position is part of a :func:`fit` checkpoint."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> None:
        if len(x) != len(y) or len(x) == 0:
            raise ValueError(f"x, y: need the same non-zero number of samples, got {len(x)} and {len(y)}.")
        if batch_size < 1:
            raise ValueError(f"batch_size: need ≥ 1, got {batch_size}.")
        self.x, self.y, self.batch_size = x, y, batch_size
        self.per_epoch = math.ceil(len(x) / batch_size)
        self._order: Optional[torch.Tensor] = None
        self._next = 0

    def __call__(self, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        if self._order is None or self._next >= self.per_epoch:
            self._order, self._next = torch.randperm(len(self.x), generator=gen), 0
        idx = self._order[self._next * self.batch_size:(self._next + 1) * self.batch_size]
        self._next += 1
        return self.x[idx], self.y[idx]

    def state_dict(self) -> dict:
        return {"order": self._order, "next": self._next}

    def load_state_dict(self, state: dict) -> None:
        self._order, self._next = state["order"], state["next"]


@torch.no_grad()
def validation_loss(model: nn.Module, loss: Callable, x: torch.Tensor, y: torch.Tensor, batch_size: int,
                    device: Union[torch.device, str] = "cpu") -> float:
    """The mean of ``loss`` over ``(x, y)`` in batches, weighted by batch size (the model in eval mode)."""
    was_training = model.training
    model.eval()
    total = 0.0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size].to(device), y[start:start + batch_size].to(device)
        total += loss(model(xb), yb).item() * len(xb)
    model.train(was_training)
    return total / len(x)


def _check(schedule: Schedule, length: int, checkpoint_every: int) -> None:
    if not isinstance(schedule, (Constant, Polynomial, Plateau)):
        raise TypeError(f"schedule: expected Constant, Polynomial or Plateau, got {type(schedule).__name__}.")
    if length < 1:
        raise ValueError(f"length: need ≥ 1 iteration, got {length}.")
    if not schedule.lr > 0 or schedule.weight_decay < 0:
        raise ValueError(f"schedule: need lr > 0 and weight_decay ≥ 0, got {schedule.lr} and {schedule.weight_decay}.")
    if isinstance(schedule, Plateau):
        if schedule.every < 1 or schedule.patience < 0 or schedule.stop_patience < 1:
            raise ValueError("schedule: Plateau needs every ≥ 1, patience ≥ 0 and stop_patience ≥ 1.")
        if not schedule.factor > 1:
            raise ValueError(f"schedule: Plateau's factor must be > 1 (the rate is divided by it), got {schedule.factor}.")
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every: need ≥ 1 iteration, got {checkpoint_every}.")


def fit(model: nn.Module, loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        batches: Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]], schedule: Schedule, length: int, *,
        seed: int = 0, device: Union[torch.device, str] = "cpu", checkpoint: Optional[os.PathLike] = None,
        checkpoint_every: int = 100, amp: bool = False, progress: bool = False,
        record: Optional[Callable[[torch.Tensor, torch.Tensor], dict]] = None) -> pd.DataFrame:
    """Train ``model`` in place for ``length`` iterations (fewer if :class:`Plateau` stops early); return the
    history, one row per iteration: ``iteration``, ``train_loss``, ``lr``, the columns ``record(logits,
    labels)`` returns (logits detached), and under :class:`Plateau` ``val_loss`` at each validation.

    A non-finite loss or network output stops training with ``FloatingPointError`` (the caller decides what a
    diverged training means); a checkpoint that cannot be resumed is a ``ValueError`` naming the file and the fix.

    On CPU, subnormal floats (below 1.2·10⁻³⁸) are flushed to zero while training: a network that collapses
    to one class drives the other's softmax there, and x86 arithmetic on them is several times slower (a
    collapsed Chapter 5 training took 103 s instead of 26 s). Values that small lie below float32's normal
    range; flushing them changes no metric the book reports.
    """
    _check(schedule, length, checkpoint_every)
    device = torch.device(device)
    if device.type == "cpu":
        torch.set_flush_denormal(True)
        try:
            return _fit(model, loss, batches, schedule, length, seed, device, checkpoint, checkpoint_every, amp,
                        progress, record)
        finally:
            torch.set_flush_denormal(False)
    return _fit(model, loss, batches, schedule, length, seed, device, checkpoint, checkpoint_every, amp, progress,
                record)


def _fit(model, loss, batches, schedule, length, seed, device, checkpoint, checkpoint_every, amp, progress,
         record) -> pd.DataFrame:
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=schedule.lr, weight_decay=schedule.weight_decay)
    if isinstance(schedule, Plateau):
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=1 / schedule.factor,
                                                           patience=schedule.patience)
    else:
        power = schedule.power if isinstance(schedule, Polynomial) else 0.0
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: (1 - it / length) ** power)
    state = {"rows": [], "done": 0, "best": math.inf, "best_weights": None, "since_best": 0}
    if checkpoint is not None and Path(checkpoint).is_file():
        state = _load_checkpoint(Path(checkpoint), model, opt, sched, gen, batches, device, length)
    use_amp = amp and device.type == "cuda"
    model.train()
    for it in tqdm(range(state["done"], length), desc="iterations", disable=not progress, leave=False,
                   initial=state["done"], total=length):
        x, y = batches(gen)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            logits = model(x.to(device))
        logits = logits.float()
        if not torch.isfinite(logits).all():  # a step with an infinite gradient left NaN weights behind
            raise FloatingPointError(f"model: its output became non-finite at iteration {it} (the previous step "
                                     "diverged); lower the learning rate.")
        y = y.to(device)
        value = loss(logits, y)
        if not torch.isfinite(value):
            raise FloatingPointError(f"loss: became {value.item()} at iteration {it}; lower the learning rate.")
        opt.zero_grad(set_to_none=True)
        value.backward()
        opt.step()
        row = {"iteration": it, "train_loss": value.item(), "lr": opt.param_groups[0]["lr"],
               **(record(logits.detach(), y) if record else {})}
        stop = False
        if isinstance(schedule, Plateau):
            if (it + 1) % schedule.every == 0 or it + 1 == length:
                val = schedule.validate(model)
                sched.step(val)
                row["val_loss"] = val
                if val < state["best"] - 1e-7:
                    state.update(best=val, best_weights=copy.deepcopy(model.state_dict()), since_best=0)
                else:
                    state["since_best"] += 1
                    stop = state["since_best"] >= schedule.stop_patience
        else:
            sched.step()
        state["rows"].append(row)
        state["done"] = it + 1
        if stop:
            break
        if checkpoint is not None and (it + 1) % checkpoint_every == 0 and it + 1 < length:
            _save_checkpoint(Path(checkpoint), model, opt, sched, gen, batches, state, length)
    if isinstance(schedule, Plateau) and state["best_weights"] is not None:
        model.load_state_dict(state["best_weights"])
    return pd.DataFrame(state["rows"])


def _save_checkpoint(path: Path, model, opt, sched, gen, batches, state: dict, length: int) -> None:
    from dicecore.results import atomic_write_bytes

    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                "gen": gen.get_state(), "torch_rng": torch.get_rng_state(), "state": state, "length": length,
                "batches": batches.state_dict() if hasattr(batches, "state_dict") else None}, buf)
    atomic_write_bytes(path, buf.getvalue())


def _load_checkpoint(path: Path, model, opt, sched, gen, batches, device, length: int) -> dict:
    try:
        saved = torch.load(path, map_location=device, weights_only=False)
        if saved["length"] != length:
            raise ValueError(f"it was written for {saved['length']} iterations, this run has {length}")
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        sched.load_state_dict(saved["sched"])
    except Exception as err:  # a truncated or foreign file: say which, and how to go on
        raise ValueError(f"checkpoint: cannot resume from {str(path)!r} ({err}); delete the file to start "
                         "this training again.") from err
    gen.set_state(saved["gen"])
    torch.set_rng_state(saved["torch_rng"])
    if saved["batches"] is not None and hasattr(batches, "load_state_dict"):
        batches.load_state_dict(saved["batches"])
    return saved["state"]


@torch.no_grad()
def predict(model: nn.Module, x, batch_size: int = 4, device: Union[torch.device, str] = "cpu",
            activation: Optional[str] = "sigmoid", context: int = 0, divisor: int = 1) -> torch.Tensor:
    """The model's output for every image of ``x`` (a tensor or array (N, C, …)), in batches, on the CPU:
    probabilities through ``activation`` (``"sigmoid"``, ``"softmax"`` over channels) or the logits (``None``).

    Whole images of any size: each side is padded by repeating its border voxels — by ``context`` on both
    ends (the border a valid-convolution network such as DeepMedic loses), and on the far end further, up to a
    multiple of ``divisor`` (a U-Net's total down-sampling; DeepMedic's low-resolution pathway: 3) — and the
    output is cropped back to the image's size."""
    if activation not in ("sigmoid", "softmax", None):
        raise ValueError(f"activation: 'sigmoid', 'softmax' or None, got {activation!r}.")
    if context < 0 or divisor < 1:
        raise ValueError(f"context, divisor: need context ≥ 0 and divisor ≥ 1, got {context} and {divisor}.")
    spatial = tuple(x.shape[2:])
    extra = [(-(n + 2 * context)) % divisor for n in spatial]
    pad = [v for e in reversed(extra) for v in (context, context + e)]
    model.eval()
    out = []
    for s in range(0, len(x), batch_size):
        xb = x[s:s + batch_size]
        xb = xb if isinstance(xb, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(xb))
        if any(pad):
            xb = nn.functional.pad(xb, pad, mode="replicate")
        logits = model(xb.to(device)).float().cpu()[(..., *(slice(0, n) for n in spatial))]
        out.append(torch.sigmoid(logits) if activation == "sigmoid" else
                   torch.softmax(logits, 1) if activation == "softmax" else logits)
    return torch.cat(out)
