"""Cohorts: the BraTS-like / ACDC-like cohorts of Chapter 4's 3-D grid (or your copy of the data), cached on
disk; and cross-validation folds over subjects — one convention for every chapter that holds subjects out.

A fold holds out whole subjects (every frame of a subject on the same side), optionally stratified: each
group (e.g. the BraTS grade) is permuted and cut into ``k`` near-equal parts on its own, so every fold holds
out the same share of each group.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import numpy as np

from dicecore.data.brain import BratsLike, fit_to_shape
from dicecore.data.heart import AcdcLike

__all__ = ["folds", "held_out", "cohort", "cache_dir", "pool"]


def folds(subjects: Sequence, k: int, stratify_by: Optional[Sequence] = None,
          seed: Union[int, Sequence[int]] = 0) -> list[np.ndarray]:
    """The held-out subjects of each of ``k`` folds: ``subjects`` permuted (with
    ``numpy.random.default_rng(seed)``; a sequence seed such as ``[seed, 7]`` keeps one study's folds apart
    from another's) and cut into ``k`` near-equal parts (``numpy.array_split``). With ``stratify_by`` (one
    group per subject), each group in sorted order is permuted and cut on its own, and fold ``f`` holds
    part ``f`` of every group. Every subject is held out exactly once."""
    subjects = np.asarray(subjects)
    if subjects.ndim != 1 or len(subjects) == 0:
        raise ValueError(f"subjects: need a non-empty 1-D sequence, got shape {subjects.shape}.")
    if len(np.unique(subjects)) != len(subjects):
        raise ValueError("subjects: each subject once (pass subjects, not frames; held_out maps them to frames).")
    if not 1 < k <= len(subjects):
        raise ValueError(f"k: need 2 ≤ k ≤ {len(subjects)} (the number of subjects), got {k}.")
    rng = np.random.default_rng(seed)
    if stratify_by is None:
        return np.array_split(rng.permutation(subjects), k)
    groups = np.asarray(stratify_by)
    if groups.shape != subjects.shape:
        raise ValueError(f"stratify_by: one group per subject ({len(subjects)}), got {len(groups)}.")
    parts = [np.array_split(rng.permutation(subjects[groups == g]), k) for g in sorted(set(groups.tolist()))]
    return [np.concatenate([p[f] for p in parts]) for f in range(k)]


def held_out(subject_of_entry: Sequence, held: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) entry indices when the subjects ``held`` are held out: every entry (a frame, a
    slice) goes with its subject."""
    test = np.isin(np.asarray(subject_of_entry), np.asarray(held))
    return np.nonzero(~test)[0], np.nonzero(test)[0]


def pool(volume: np.ndarray, f: int) -> np.ndarray:
    """Mean over f × f × f blocks of the last three axes."""
    if f == 1:
        return volume
    *lead, x, y, z = volume.shape
    return volume.reshape(*lead, x // f, f, y // f, f, z // f, f).mean(axis=(-5, -3, -1))


def _zscore(image: np.ndarray) -> np.ndarray:
    axes = tuple(range(1, image.ndim))
    return ((image - image.mean(axes, keepdims=True)) / (image.std(axes, keepdims=True) + 1e-6)).astype(np.float32)


def cache_dir() -> Path:
    """Where generated cohorts are kept between runs: ``$DICECORE_CACHE``, else ``~/.cache/dicecore``."""
    return Path(os.environ.get("DICECORE_CACHE") or Path.home() / ".cache" / "dicecore")


def cohort(dataset: str, settings: Mapping, seed: int = 0, data_root: Optional[str] = None, name: str = "") -> dict:
    """Every subject of a BraTS-like or ACDC-like cohort (Chapter 4) at ``settings`` (BraTS: ``n_hgg``,
    ``n_lgg``, ``downsample``; ACDC: ``n_subjects``, ``shape``, ``spacing``): ``images`` (N, C, X, Y, Z) z-scored per subject, ``labels``
    (N, X, Y, Z) uint8 (full), ``group`` (N,) "HGG"/"LGG" (BraTS) or "ED"/"ES" (ACDC, whose N entries are
    frames, ``subject`` saying whose) and ``voxel_ml``.

    Generating the paper's 285 BraTS-like subjects takes minutes, so the arrays are saved once under
    :func:`cache_dir` (a folder named by the cohort's settings and a hash of the phantom code, written
    atomically) and memory-mapped from there: concurrent trainings share one copy in the page cache.

    ``data_root``: your copy of the data instead of the phantoms — a folder holding ``brats/`` (the BraTS
    2018 training folder, ``HGG/`` and ``LGG/``, 1 mm isotropic) and/or ``acdc/`` (ACDC's ``training/``,
    ``patientNNN/``); symbolic links are fine. BraTS is average-pooled to 2 mm (× ``downsample``) and cropped or padded around the brain to the phantom's 80 × 96 × 80 (at 2 mm); ACDC
    frames are resampled to ``spacing`` and cropped or padded to ``shape``, as the paper
    (192 × 192 × 48 at 1.56 × 1.56 × 2.5 mm). All subjects found are used. The cache is keyed by the
    folder's path: delete the cached folder if the files change. ``name`` (e.g. the profile) goes into the
    cached folder's name, to tell the folders apart."""
    if dataset not in ("brats", "acdc"):
        raise ValueError(f"dataset: 'brats' or 'acdc', got {dataset!r}.")
    cfg = dict(settings)
    from dicecore.data import brain, heart, noise

    root = None if data_root is None else Path(data_root).expanduser().resolve() / dataset
    if root is not None and not root.is_dir():
        raise FileNotFoundError(f"data_root: {str(root)!r} is not a folder; data_root must hold {dataset}/ (a link to "
                                f"your {'BraTS 2018 training' if dataset == 'brats' else 'ACDC training'} folder).")
    source = "".join(inspect.getsource(m) for m in (brain, heart, noise)) + inspect.getsource(_build_cohort) + inspect.getsource(_real_cohort)
    tag = hashlib.sha256((source + json.dumps(cfg, sort_keys=True) + f"{dataset}{seed}{root}").encode()).hexdigest()[:12]
    folder = cache_dir() / "cohorts" / f"{dataset}-{name or 'cohort'}-seed{seed}{'-real' if root else ''}-{tag}"
    names = ("images", "labels", "group", "subject")
    if not (folder / "voxel_ml.json").is_file():
        data = _build_cohort(dataset, cfg, seed) if root is None else _real_cohort(dataset, cfg, root)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
        for name in names:
            np.save(tmp / f"{name}.npy", data[name])
        (tmp / "voxel_ml.json").write_text(json.dumps(data["voxel_ml"]))
        try:
            os.replace(tmp, folder)
        except OSError:  # another process got there first: keep its copy
            shutil.rmtree(tmp, ignore_errors=True)
    try:
        out = {name: np.load(folder / f"{name}.npy", mmap_mode="r" if name == "images" else None)
               for name in names}
        out["voxel_ml"] = float(json.loads((folder / "voxel_ml.json").read_text()))
    except (OSError, ValueError) as err:
        raise ValueError(f"cohort: the cached cohort in {str(folder)!r} cannot be read ({err}); delete that "
                         "folder and it is generated again.") from err
    return out


def _build_cohort(dataset: str, cfg: dict, seed: int) -> dict:
    if dataset == "brats":
        c = BratsLike(cfg["n_hgg"], cfg["n_lgg"], seed)
        images, labels, groups = [], [], []
        for i in range(len(c)):
            img, lab, grade = c.subject(i)
            images.append(_zscore(pool(img, cfg["downsample"])))
            labels.append((pool(lab.astype(np.float32), cfg["downsample"]) >= 0.5).astype(np.uint8))
            groups.append(grade)
        return {"images": np.stack(images), "labels": np.stack(labels), "group": np.array(groups),
                "subject": np.arange(len(c)), "voxel_ml": (2.0 * cfg["downsample"]) ** 3 / 1000}
    c = AcdcLike(cfg["n_subjects"], tuple(cfg["shape"]), tuple(cfg["spacing"]), seed)
    images, labels, groups, subjects = [], [], [], []
    for i in range(len(c)):
        s = c.subject(i)
        for phase in ("ED", "ES"):
            images.append(_zscore(s[phase][0][None]))
            labels.append(s[phase][1])
            groups.append(phase)
            subjects.append(i)
    return {"images": np.stack(images), "labels": np.stack(labels), "group": np.array(groups),
            "subject": np.array(subjects), "voxel_ml": float(np.prod(cfg["spacing"])) / 1000}


def _real_cohort(dataset: str, cfg: dict, root: Path) -> dict:
    """The cohort from the public datasets' files (:mod:`dicecore.data.datasets`), prepared as the paper."""
    from scipy import ndimage

    from dicecore.data.brain import BratsLike
    from dicecore.data.datasets import acdc_patients, brats_subjects, load_acdc_patient, load_brats_subject

    images, labels, groups, subjects = [], [], [], []
    if dataset == "brats":
        f = 2 * cfg["downsample"]  # BraTS 2018 is 1 mm isotropic; the paper works at 2 mm
        shape = tuple(n // cfg["downsample"] for n in BratsLike().shape)  # the phantom's field of view
        for k, subject in enumerate(brats_subjects(root)):
            img, lab = load_brats_subject(subject)
            cut = tuple(slice(0, n - n % f) for n in img.shape[1:])
            img = pool(img[(slice(None), *cut)], f)
            lab = (pool((lab[cut] > 0).astype(np.float32), f) >= 0.5).astype(np.uint8)
            brain = np.argwhere(img.any(0))
            centre = (brain.min(0) + brain.max(0) + 1) // 2 if len(brain) else None
            images.append(_zscore(fit_to_shape(img, shape, centre)))
            labels.append(fit_to_shape(lab, shape, centre))
            groups.append(subject.grade)
            subjects.append(k)
        voxel_ml = f ** 3 / 1000
    else:
        shape, spacing = tuple(cfg["shape"]), np.array(cfg["spacing"], float)
        for k, patient in enumerate(acdc_patients(root)):
            d = load_acdc_patient(patient)
            zoom = np.array(d["spacing"][:3], float) / spacing
            for phase in ("ED", "ES"):
                img, lab = d[phase]
                img = ndimage.zoom(img.astype(np.float32), zoom, order=1)
                lab = ndimage.zoom(lab.astype(np.uint8), zoom, order=0)
                images.append(_zscore(fit_to_shape(img, shape)[None]))
                labels.append(fit_to_shape(lab, shape))
                groups.append(phase)
                subjects.append(k)
        voxel_ml = float(np.prod(spacing)) / 1000
    return {"images": np.stack(images), "labels": np.stack(labels), "group": np.array(groups),
            "subject": np.array(subjects), "voxel_ml": voxel_ml}
