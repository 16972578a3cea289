"""Reading NIfTI (nibabel) and NumPy files with errors that name the file: label maps and images."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Optional, Sequence

import numpy as np

__all__ = [
    "find_label_files", "load_array", "load_image", "load_label_map", "one_hot_foreground", "iter_foreground",
    "label_values", "parse_classes",
]


def find_label_files(root: os.PathLike, pattern: str = "*seg.nii.gz") -> list[Path]:
    """All files under ``root`` (recursively) matching ``pattern``, sorted; a clear error if there are none."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"label_dir: {str(root)!r} is not a directory.")
    files = sorted(p for p in root.rglob(pattern) if p.is_file())
    if not files:
        raise FileNotFoundError(f"label_dir: no file matching {pattern!r} under {str(root)!r}; set --pattern.")
    return files


def load_array(path: os.PathLike, what: str = "file") -> tuple[np.ndarray, tuple[float, ...]]:
    """The data and voxel size of a ``.nii``/``.nii.gz`` (nibabel) or ``.npy`` file; errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist.")
    try:
        if path.suffix == ".npy":
            data = np.load(path, allow_pickle=False)
            return data, (1.0,) * data.ndim
        import nibabel as nib

        img = nib.load(str(path))
        return np.asanyarray(img.dataobj), tuple(float(z) for z in img.header.get_zooms())
    except Exception as err:  # nibabel and numpy raise many types for a truncated or foreign file
        raise ValueError(f"{what} {str(path)!r} could not be read ({type(err).__name__}: {err}).") from err


def load_image(path: os.PathLike) -> np.ndarray:
    """A float32 image; errors name the file (missing, unreadable, NaN/Inf)."""
    data, _ = load_array(path, "image file")
    data = np.asarray(data, dtype=np.float32)
    if not np.all(np.isfinite(data)):
        raise ValueError(f"image file {str(path)!r} contains NaN or Inf.")
    return data


def load_label_map(path: os.PathLike) -> np.ndarray:
    """An integer label map from ``.nii``/``.nii.gz`` (nibabel) or ``.npy``; errors name the file."""
    data, _ = load_array(path, "label file")
    if not np.all(np.isfinite(data)) or not np.array_equal(data, np.round(data)):
        raise ValueError(f"label file {str(path)!r} holds non-integer or non-finite values; expected class indices.")
    return data.astype(np.int64)


def one_hot_foreground(label_map: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    """``(len(classes), *spatial)`` binary maps, one per requested label value."""
    return np.stack([(label_map == c) for c in classes]).astype(np.float32)


def iter_foreground(files: Sequence[Path], classes: Sequence[int], merge: bool = False) -> Iterator[np.ndarray]:
    """Yield one ``(C, *spatial)`` array per file; ``merge`` unites all ``classes`` into one map (e.g. whole tumour)."""
    for f in files:
        maps = one_hot_foreground(load_label_map(f), classes)
        yield maps.max(axis=0, keepdims=True) if merge else maps


def label_values(files) -> list[int]:
    """The sorted non-zero label values found in any of ``files`` (e.g. ``[1, 2, 4]`` for BraTS)."""
    found: set[int] = set()
    for f in files:
        found.update(int(v) for v in np.unique(load_label_map(f)) if v != 0)
    if not found:
        raise ValueError("label_dir: every label map is empty (only 0); nothing to compute ε for.")
    return sorted(found)


def parse_classes(text: Optional[str]) -> list[int]:
    """``"1,2,4"`` → ``[1, 2, 4]`` (``None`` or ``""`` → ``[1]``); a clear error for anything else."""
    if not text:
        return [1]
    try:
        return [int(t) for t in text.split(",")]
    except ValueError as err:
        raise ValueError(f"classes: expected comma-separated label values such as 1,2,4, got {text!r}.") from err
