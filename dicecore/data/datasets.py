"""Loaders for the public datasets' on-disk layouts, one per dataset (for readers who have the data; nothing
downloads).

* **BraTS 2018** training set (Chapters 3 and 4): ``<root>/HGG/<id>/<id>_{flair,t1,t1ce,t2,seg}.nii.gz`` and
  the same under ``LGG/``. :func:`brats_subjects` lists the subjects with their grade; :func:`load_brats_subject` returns
  the four contrasts stacked (4, X, Y, Z) and the label map (labels 1, 2, 4; whole tumour = label > 0).
* **ACDC** training set (Chapter 4): ``<root>/patientNNN/Info.cfg`` (``ED: 1``, ``ES: 12`` …) with
  ``patientNNN_frameXX.nii.gz`` and ``patientNNN_frameXX_gt.nii.gz`` for the ED and ES frames.
  :func:`acdc_patients` lists them; :func:`load_acdc_patient` returns the ED and ES image, label map
  (0 background, 1 RV, 2 myocardium, 3 LV cavity) and voxel size.
* **Kvasir-SEG** (Chapter 5; Jha et al. 2020): ``<root>/images/<id>.jpg`` and ``<root>/masks/<id>.jpg``, 1,000
  RGB polyp images of 332×482 to 1920×1072 pixels with JPEG masks. :func:`kvasir_pairs` pairs them by name;
  :func:`load_kvasir_pair` returns the image (3, S, S) in [0, 1] and the binary mask (S, S), both resized
  to S = 320 as the paper (bilinear for the image, nearest for the mask, which is thresholded at 128
  because JPEG compression blurs its edges).
* **MSSEG** (Chapter 5): the paper names MSSEG-2 but describes 15 scans, five modalities and a consensus of
  expert annotations, which is the MSSEG 2016 training set (MSSEG-2 has 40 pairs of FLAIR scans at two time
  points and new-lesion labels). Both layouts load:

  - MSSEG 2016, pre-processed: ``<root>/**/<patient>/Preprocessed_Data/{FLAIR,T1,GADO,T2,DP}_preprocessed.nii.gz``
    and ``<patient>/Masks/Consensus.nii.gz`` (:func:`msseg2016_subjects`);
  - MSSEG-2: ``<root>/<id>/flair_time01_on_middle_space.nii.gz``, ``flair_time02_on_middle_space.nii.gz``
    and ``ground_truth.nii.gz`` (:func:`msseg2_subjects`).

  :func:`load_lesion_subject` returns the modalities stacked (M, X, Y, Z), each scaled to [0, 1], and the
  binary lesion mask.

Every missing folder, missing file, unreadable file or shape mismatch raises an error naming the path.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dicecore.data.files import load_array, load_image, load_label_map

__all__ = [
    "BRATS_MODALITIES", "BratsSubject", "brats_subjects", "load_brats_subject",
    "AcdcPatient", "acdc_patients", "load_acdc_patient",
    "kvasir_pairs", "load_kvasir_pair",
    "MSSEG2016_MODALITIES", "MSSEG2_MODALITIES", "LesionSubject", "msseg2016_subjects", "msseg2_subjects",
    "load_lesion_subject",
]

#: The BraTS 2018 modalities, in the order the loaders stack them.
BRATS_MODALITIES = ("flair", "t1", "t1ce", "t2")


@dataclass(frozen=True)
class BratsSubject:
    subject_id: str
    grade: str  # "HGG" or "LGG"
    folder: Path

    def path(self, kind: str) -> Path:
        return self.folder / f"{self.subject_id}_{kind}.nii.gz"


def brats_subjects(root: os.PathLike) -> list[BratsSubject]:
    """All subjects under ``root/HGG`` and ``root/LGG``, sorted; checks every expected file exists."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data_root: {str(root)!r} is not a directory.")
    grades = [g for g in ("HGG", "LGG") if (root / g).is_dir()]
    if not grades:
        raise FileNotFoundError(f"data_root: {str(root)!r} has neither HGG/ nor LGG/; point it at the BraTS 2018 "
                                "training folder (MICCAI_BraTS_2018_Data_Training).")
    subjects = []
    for grade in grades:
        for folder in sorted(p for p in (root / grade).iterdir() if p.is_dir()):
            s = BratsSubject(folder.name, grade, folder)
            missing = [k for k in (*BRATS_MODALITIES, "seg") if not s.path(k).is_file()]
            if missing:
                raise FileNotFoundError(f"BraTS subject {str(folder)!r} lacks {', '.join(f'*_{m}.nii.gz' for m in missing)}.")
            subjects.append(s)
    if not subjects:
        raise FileNotFoundError(f"data_root: no subject folders under {str(root)!r}/HGG or /LGG.")
    return subjects


def load_brats_subject(subject: BratsSubject) -> tuple[np.ndarray, np.ndarray]:
    """(image (4, X, Y, Z) float32 in the order flair, t1, t1ce, t2; label map (X, Y, Z) int64)."""
    images = [load_image(subject.path(m)) for m in BRATS_MODALITIES]
    label = load_label_map(subject.path("seg"))
    shapes = {m: im.shape for m, im in zip(BRATS_MODALITIES, images)} | {"seg": label.shape}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"BraTS subject {subject.subject_id!r}: images and label differ in shape {shapes}.")
    bad = set(np.unique(label)) - {0, 1, 2, 4}
    if bad:
        raise ValueError(f"BraTS subject {subject.subject_id!r}: unexpected label values {sorted(int(v) for v in bad)} "
                         "(BraTS uses 0, 1, 2, 4).")
    return np.stack(images), label


@dataclass(frozen=True)
class AcdcPatient:
    patient_id: str
    folder: Path
    ed_frame: int
    es_frame: int

    def path(self, frame: int, gt: bool) -> Path:
        return self.folder / f"{self.patient_id}_frame{frame:02d}{'_gt' if gt else ''}.nii.gz"


def _read_info(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise FileNotFoundError(f"ACDC patient folder {str(path.parent)!r} has no Info.cfg.")
    info = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition(":")
        if sep:
            info[key.strip()] = value.strip()
    return info


def acdc_patients(root: os.PathLike) -> list[AcdcPatient]:
    """All ``patientNNN`` folders under ``root`` with their ED/ES frames from Info.cfg, sorted."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data_root: {str(root)!r} is not a directory.")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"patient\d{3}", p.name))
    if not folders:
        raise FileNotFoundError(f"data_root: no patientNNN/ folders under {str(root)!r}; point it at ACDC's training/.")
    patients = []
    for folder in folders:
        info = _read_info(folder / "Info.cfg")
        try:
            ed, es = int(info["ED"]), int(info["ES"])
        except (KeyError, ValueError) as err:
            raise ValueError(f"{str(folder / 'Info.cfg')!r}: needs integer 'ED:' and 'ES:' lines ({err}).") from err
        p = AcdcPatient(folder.name, folder, ed, es)
        missing = [p.path(f, gt).name for f in (ed, es) for gt in (False, True) if not p.path(f, gt).is_file()]
        if missing:
            raise FileNotFoundError(f"ACDC patient {str(folder)!r} lacks {', '.join(missing)}.")
        patients.append(p)
    return patients


def load_acdc_patient(patient: AcdcPatient) -> dict:
    """``{"ED": (image, label), "ES": (image, label), "spacing": (sx, sy, sz)}``; labels 0–3."""
    out = {}
    spacing = None
    for phase, frame in (("ED", patient.ed_frame), ("ES", patient.es_frame)):
        image = load_image(patient.path(frame, False))
        label = load_label_map(patient.path(frame, True))
        if image.shape != label.shape:
            raise ValueError(f"ACDC {patient.patient_id} {phase}: image {image.shape} and label {label.shape} differ.")
        bad = set(np.unique(label)) - {0, 1, 2, 3}
        if bad:
            raise ValueError(f"ACDC {patient.patient_id} {phase}: unexpected label values {sorted(int(v) for v in bad)} (ACDC uses 0–3).")
        out[phase] = (image, label)
        spacing = spacing or load_array(patient.path(frame, True), "label file")[1]
    out["spacing"] = spacing
    return out

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
