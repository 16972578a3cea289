"""Loaders for the public datasets' on-disk layouts (for readers who have the data; nothing downloads).

* BraTS 2018 training set: ``<root>/HGG/<id>/<id>_{flair,t1,t1ce,t2,seg}.nii.gz`` and the same under
  ``LGG/``. :func:`brats_subjects` lists the subjects with their grade; :func:`load_brats_subject` returns
  the four contrasts stacked (4, X, Y, Z) and the label map (labels 1, 2, 4; whole tumour = label > 0).
* ACDC training set: ``<root>/patientNNN/Info.cfg`` (``ED: 1``, ``ES: 12`` …) with
  ``patientNNN_frameXX.nii.gz`` and ``patientNNN_frameXX_gt.nii.gz`` for the ED and ES frames.
  :func:`acdc_patients` lists them; :func:`load_acdc_patient` returns the ED and ES image, label map
  (0 background, 1 RV, 2 myocardium, 3 LV cavity) and voxel size.

Every missing folder, missing file, unreadable file or shape mismatch raises an error naming the path.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dicecore.data.files import load_array, load_image, load_label_map

__all__ = ["BRATS_MODALITIES", "BratsSubject", "brats_subjects", "load_brats_subject",
           "AcdcPatient", "acdc_patients", "load_acdc_patient"]

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
