"""Chapter parameters: the papermill ``parameters`` cell, the ``ci``/``paper`` profiles, devices and seeds.

Every chapter notebook has one cell tagged ``parameters`` holding at least :data:`REQUIRED_PARAMETERS`,
followed by a call to :func:`chapter_parameters`, which validates the values (an unknown profile is an
error, not a warning), resolves ``device="auto"`` and seeds every generator.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

__all__ = ["PROFILES", "REQUIRED_PARAMETERS", "ChapterParameters", "chapter_parameters", "resolve_device", "seed_everything"]

#: ``ci``: CPU, small, the whole book in ≤ 10 min on 2 cores; ``paper``: as close to the paper as one GPU allows.
PROFILES = ("ci", "paper")
#: The names every chapter's ``parameters`` cell defines (tested in ``tests/test_notebooks.py``).
REQUIRED_PARAMETERS = ("profile", "device", "seed", "data_root")


@dataclass(frozen=True)
class ChapterParameters:
    profile: str
    device: torch.device
    seed: int
    data_root: Optional[Path]

    @property
    def is_paper(self) -> bool:
        return self.profile == "paper"


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` → CUDA if available, else CPU; anything else must name an available device."""
    if not isinstance(device, str):
        raise TypeError(f"device: expected a string such as 'auto', 'cpu' or 'cuda:0', got {device!r}.")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"device: {device!r} is not a torch device ('auto', 'cpu', 'cuda', 'cuda:1', …).") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {device!r} was asked for but CUDA is not available here; use 'auto' or 'cpu'.")
    return dev


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))


def chapter_parameters(profile: str = "ci", device: str = "auto", seed: int = 0, data_root=None) -> ChapterParameters:
    """Validate a chapter's parameters, seed everything and return them resolved."""
    if profile not in PROFILES:
        raise ValueError(f"profile: unknown profile {profile!r}; choose one of {PROFILES}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}.")
    root = None
    if data_root is not None:
        root = Path(data_root).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(f"data_root: {str(root)!r} is not a directory; pass None to use the phantoms.")
    dev = resolve_device(device)
    seed_everything(seed)
    return ChapterParameters(profile, dev, seed, root)
