"""Partial labelling as in Tilborghs, Bertels et al. (2022, §3): labels removed, images kept."""

from __future__ import annotations

import numpy as np

__all__ = ["partial_brats_label", "partial_acdc_label", "ACDC_CLASSES"]

#: ACDC label values.
ACDC_CLASSES = {"RV": 1, "MYO": 2, "LV": 3}


def partial_brats_label(label: np.ndarray, grade: str) -> np.ndarray:
    """The whole-tumour map for HGG; an empty map for LGG (the tumour is present but not labelled)."""
    if grade not in ("HGG", "LGG"):
        raise ValueError(f"grade: 'HGG' or 'LGG', got {grade!r}.")
    return np.zeros_like(label) if grade == "LGG" else label


def partial_acdc_label(label: np.ndarray, phase: str) -> np.ndarray:
    """The label map unchanged at ED; at ES the myocardium is relabelled background."""
    if phase not in ("ED", "ES"):
        raise ValueError(f"phase: 'ED' or 'ES', got {phase!r}.")
    if phase == "ED":
        return label
    return np.where(label == ACDC_CLASSES["MYO"], 0, label).astype(label.dtype)
