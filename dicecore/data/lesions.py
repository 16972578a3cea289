"""Loaders for Chapter 5's public datasets (for readers who have them; nothing downloads).

* **Kvasir-SEG** (Jha et al. 2020): ``<root>/images/<id>.jpg`` and ``<root>/masks/<id>.jpg``, 1,000 RGB
  polyp images of 332×482 to 1920×1072 pixels with JPEG masks. :func:`kvasir_pairs` pairs them by name;
  :func:`load_kvasir_pair` returns the image (3, S, S) in [0, 1] and the binary mask (S, S), both resized
  to S = 320 as the paper (bilinear for the image, nearest for the mask, which is thresholded at 128
  because JPEG compression blurs its edges).
* **MSSEG**: the paper names MSSEG-2 but describes 15 scans, five modalities and a consensus of expert
  annotations, which is the MSSEG 2016 training set (MSSEG-2 has 40 pairs of FLAIR scans at two time
  points and new-lesion labels). Both layouts load:

  - MSSEG 2016, pre-processed: ``<root>/**/<patient>/Preprocessed_Data/{FLAIR,T1,GADO,T2,DP}_preprocessed.nii.gz``
    and ``<patient>/Masks/Consensus.nii.gz`` (:func:`msseg2016_subjects`);
  - MSSEG-2: ``<root>/<id>/flair_time01_on_middle_space.nii.gz``, ``flair_time02_on_middle_space.nii.gz``
    and ``ground_truth.nii.gz`` (:func:`msseg2_subjects`).

  :func:`load_lesion_subject` returns the modalities stacked (M, X, Y, Z), each scaled to [0, 1], and the
  binary lesion mask.

Every missing folder or file, unreadable image or shape mismatch raises an error naming the path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dicecore.data.files import load_image, load_label_map

__all__ = [
    "kvasir_pairs", "load_kvasir_pair", "LesionSubject", "msseg2016_subjects", "msseg2_subjects",
    "load_lesion_subject", "MSSEG2016_MODALITIES", "MSSEG2_MODALITIES",
]

#: Image files the Kvasir-SEG loader reads.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
#: The MSSEG 2016 modalities, in the order the loader stacks them.
MSSEG2016_MODALITIES = ("FLAIR", "T1", "GADO", "T2", "DP")
#: MSSEG-2's two FLAIR time points.
MSSEG2_MODALITIES = ("flair_time01", "flair_time02")


def _directory(root: os.PathLike) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data_root: {str(root)!r} is not a directory.")
    return root


def kvasir_pairs(root: os.PathLike) -> list[tuple[Path, Path]]:
    """(image, mask) paths of every image in ``root/images`` with a mask of the same stem in ``root/masks``."""
    root = _directory(root)
    images_dir, masks_dir = root / "images", root / "masks"
    if not images_dir.is_dir() or not masks_dir.is_dir():
        raise FileNotFoundError(f"data_root: {str(root)!r} needs images/ and masks/ folders (the Kvasir-SEG layout).")
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise FileNotFoundError(f"data_root: no .jpg/.png images in {str(images_dir)!r}.")
    masks = {p.stem: p for p in masks_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
    missing = [p.name for p in images if p.stem not in masks]
    if missing:
        raise FileNotFoundError(f"Kvasir-SEG: no mask in {str(masks_dir)!r} for {', '.join(missing[:5])}"
                                f"{' …' if len(missing) > 5 else ''}.")
    return [(p, masks[p.stem]) for p in images]


def _read_picture(path: Path, mode: str, size: int, resample) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise FileNotFoundError(f"image file {str(path)!r} does not exist.")
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert(mode).resize((size, size), resample))
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise ValueError(f"image file {str(path)!r} could not be read ({type(err).__name__}: {err}).") from err


def load_kvasir_pair(image_path: os.PathLike, mask_path: os.PathLike, size: int = 320) -> tuple[np.ndarray, np.ndarray]:
    """(image float32 (3, size, size) in [0, 1], mask uint8 (size, size) in {0, 1})."""
    from PIL import Image

    if not isinstance(size, int) or size < 8:
        raise ValueError(f"size: expected an integer side ≥ 8 pixels, got {size!r}.")
    image = _read_picture(Path(image_path), "RGB", size, Image.BILINEAR).astype(np.float32) / 255.0
    mask = _read_picture(Path(mask_path), "L", size, Image.NEAREST) >= 128
    return image.transpose(2, 0, 1).copy(), mask.astype(np.uint8)


@dataclass(frozen=True)
class LesionSubject:
    subject_id: str
    images: tuple[Path, ...]
    label: Path


def msseg2016_subjects(root: os.PathLike) -> list[LesionSubject]:
    """Every ``Preprocessed_Data`` folder under ``root`` with its five modalities and ``Masks/Consensus.nii.gz``."""
    root = _directory(root)
    folders = sorted(p for p in root.rglob("Preprocessed_Data") if p.is_dir())
    if not folders:
        raise FileNotFoundError(f"data_root: no <patient>/Preprocessed_Data/ folders under {str(root)!r} "
                                "(the MSSEG 2016 layout).")
    subjects = []
    for folder in folders:
        patient = folder.parent
        images = tuple(folder / f"{m}_preprocessed.nii.gz" for m in MSSEG2016_MODALITIES)
        label = patient / "Masks" / "Consensus.nii.gz"
        missing = [str(p.relative_to(patient)) for p in (*images, label) if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"MSSEG subject {str(patient)!r} lacks {', '.join(missing)}.")
        subjects.append(LesionSubject(patient.relative_to(root).as_posix(), images, label))
    return subjects


def msseg2_subjects(root: os.PathLike) -> list[LesionSubject]:
    """Every subject folder of the MSSEG-2 training layout (two FLAIR time points and ``ground_truth.nii.gz``)."""
    root = _directory(root)
    folders = sorted(p for p in root.iterdir() if p.is_dir() and (p / "ground_truth.nii.gz").exists())
    if not folders:
        raise FileNotFoundError(f"data_root: no <id>/ground_truth.nii.gz under {str(root)!r} (the MSSEG-2 layout).")
    subjects = []
    for folder in folders:
        images = tuple(folder / f"{m}_on_middle_space.nii.gz" for m in MSSEG2_MODALITIES)
        missing = [p.name for p in images if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"MSSEG-2 subject {str(folder)!r} lacks {', '.join(missing)}.")
        subjects.append(LesionSubject(folder.name, images, folder / "ground_truth.nii.gz"))
    return subjects


def load_lesion_subject(subject: LesionSubject) -> tuple[np.ndarray, np.ndarray]:
    """(modalities float32 (M, X, Y, Z), each min–max scaled to [0, 1]; lesion mask uint8 (X, Y, Z))."""
    images = []
    for path in subject.images:
        x = load_image(path)
        lo, hi = float(x.min()), float(x.max())
        images.append((x - lo) / (hi - lo) if hi > lo else np.zeros_like(x))
    label = load_label_map(subject.label)
    shapes = {p.name: x.shape for p, x in zip(subject.images, images)} | {subject.label.name: label.shape}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"MSSEG subject {subject.subject_id!r}: images and label differ in shape {shapes}.")
    bad = sorted(int(v) for v in set(np.unique(label)) - {0, 1})
    if bad:
        raise ValueError(f"MSSEG subject {subject.subject_id!r}: unexpected label values {bad} (expected a 0/1 mask).")
    return np.stack(images), label.astype(np.uint8)
