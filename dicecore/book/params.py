"""Chapter parameters: the papermill ``parameters`` cell, the ``ci``/``paper`` profiles, devices and seeds.

Every chapter notebook has one cell tagged ``parameters`` holding at least :data:`REQUIRED_PARAMETERS`,
followed by a cell calling :func:`chapter_parameters_from` on the notebook's namespace. Whoever set the
values — the cell's defaults, ``dicecore run -p``, plain ``papermill -p`` (whose injected cell comes just
after the ``parameters`` cell) or a reader editing the cell — that call stops the notebook there with one
error naming the parameter and its valid values when a name is unknown, a value has the wrong type or the
profile does not exist; then it resolves ``device="auto"`` and seeds every generator.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np
import torch

__all__ = ["PROFILES", "REQUIRED_PARAMETERS", "ChapterParameters", "chapter_parameters", "chapter_parameters_from",
           "resolve_device", "seed_everything"]

#: The profiles, named as every chapter's study names them (:data:`dicecore.experiments.study.PROFILES`) —
#: ``ci``: CPU, small, the whole book in ≤ 10 min on 2 cores; ``cpu``: a chapter's study at the size one
#: 2-core machine runs in a few hours, its results committed; ``paper``: as close to the paper as one GPU
#: allows. A chapter without a ``cpu`` grid runs its ``ci`` sizes under ``cpu``.
PROFILES = ("ci", "cpu", "paper")
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
        """Whether this is the paper's scale (the finer theory grids and the paper-sized studies)."""
        return self.profile == "paper"

    @property
    def writes_results(self) -> bool:
        """Whether the chapter's trainings go to the committed results folder and resume from it (profiles
        ``cpu`` and ``paper``); under ``ci`` they go to a fresh folder every build."""
        return self.profile in ("cpu", "paper")


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


#: Names IPython puts in every notebook's namespace; they are not parameters.
_IPYTHON_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit", "open"})


def _is_parameter(name: str, value: Any) -> bool:
    import inspect

    return not (name.startswith("_") or name in _IPYTHON_NAMES or inspect.ismodule(value) or callable(value))


def chapter_parameters_from(namespace: Mapping[str, Any], chapter: str) -> ChapterParameters:
    """Validate the parameters a chapter's namespace holds, then :func:`chapter_parameters` on them.

    Call it in the cell after the ``parameters`` cell, before any import, as ``chapter_parameters_from(globals(),
    "02_volume_bias")``: every other name defined by then was set as a parameter (by the cell, or by
    papermill's injected cell). The chapter's declared parameters and their defaults are read from its
    notebook (:func:`dicecore.book.chapters.notebook_parameters`), so the checks are those of ``dicecore run``:

    * a name the chapter does not declare → ``ValueError`` listing the chapter's parameters;
    * a value whose type differs from the default's → ``TypeError`` naming the parameter, the value and the
      type expected (:func:`dicecore.book.chapters.check_parameter_types`);
    * an unknown profile, a device that is not there, a negative seed → :func:`chapter_parameters`'s errors.

    Where the notebook file cannot be found (a downloaded ``.ipynb`` run beside an installed package), the
    declared parameters are taken to be the names present, and only the last two checks apply.
    """
    from dicecore.book.chapters import check_parameter_types, find_chapter, notebook_parameters

    given = {k: v for k, v in namespace.items() if _is_parameter(k, v)}
    try:
        defaults = notebook_parameters(find_chapter(chapter))
    except ValueError:  # no checkout beside the package: nothing to compare the names with
        defaults = None
    if defaults is not None:
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise ValueError(f"parameters: unknown name(s) {unknown} for {chapter}; its parameters are "
                             f"{sorted(defaults)} (e.g. papermill … -p profile paper).")
        check_parameter_types(given, defaults, chapter)
    missing = [k for k in REQUIRED_PARAMETERS if k not in given]
    if missing:
        raise ValueError(f"parameters: {chapter} must define {missing} in its parameters cell "
                         f"(every chapter defines {list(REQUIRED_PARAMETERS)}).")
    return chapter_parameters(**{k: given[k] for k in REQUIRED_PARAMETERS})
