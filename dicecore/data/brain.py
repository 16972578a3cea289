"""Brain phantoms on the MNI152 anatomy: BraTS-like volumes (Chapters 3 and 4), MSSEG-like slices (Chapter 5) and
WMH-like volumes (Chapter 3). Deterministic from a seed.

**BraTS-like** (:class:`BratsLike`): real brain anatomy from the MNI152 2009 templates that nilearn ships
(T1, grey and white matter, loaded at 2 mm as the paper resamples BraTS), cropped to 80 × 96 × 80 voxels;
four synthetic contrasts (FLAIR-, T1-, T1ce- and T2-like) with noise and a smooth bias field; one whole
tumour per subject. HGG-like tumours sit in deep white matter, enhance as a bright rim around a dark
necrotic core in T1ce and have a mean volume of about 11,900 voxels; LGG-like tumours lie nearer the
cortex, do not enhance and are slightly larger (about 13,800 voxels) — the means implied by the paper's
ε values (12,412 over all 285 subjects, 8,789 with the 75 LGG maps emptied). A network can tell the
grades apart only from the image. Default counts: 210 HGG and 75 LGG, as BraTS 2018. That is version 1;
version 2, which the chapters train on (:data:`BRATS_PHANTOM_VERSION`), puts the brain in BraTS's field of
view and makes the tumour's edge, its brightness and the grades' cues as ambiguous as BraTS's
(:class:`BratsLike` says how).

**MSSEG-like** slices (:func:`msseg_like_slices`, Chapter 5) and **WMH-like** volumes (:func:`wmh_like_volume`,
Chapter 3) on the same MNI152 anatomy; the ACDC-like heart is in :mod:`dicecore.data.heart`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from dicecore.data.noise import bias_field, smooth_noise

__all__ = [
    "mni_anatomy", "BratsLike", "BRATS_SHAPE", "BRATS_FOV_SHAPE", "BRATS_PHANTOM_VERSION", "brain_box", "fit_to_shape",
    "msseg_like_slices", "MSSEG_CONTRASTS", "MSSEG_PHANTOM_VERSION", "wmh_like_volume", "wmh_like_raters",
    "WMH_CONTRASTS", "WMH_PHANTOM_VERSION",
]

#: Version of the WMH-like volumes (:func:`wmh_like_volume`), apart from the others since it changes on its
#: own (2: per-lesion contrast, partial volume, punctate foci, an unlabelled ependymal lining and fading
#: periventricular signal, three raters).
WMH_PHANTOM_VERSION = 2
#: Version of the MSSEG-like slices (:func:`msseg_like_slices`), kept apart from the other anatomy phantoms
#: since it changes on its own (2: lesion-free slices, faint and juxtacortical lesions, an unlabelled
#: periventricular halo, four raters' majority).
MSSEG_PHANTOM_VERSION = 2
#: Version of the BraTS-like phantom (:class:`BratsLike`) that the chapters train on, part of every result
#: key trained on it (2: the BraTS field of view, soft oedema margins, unlabelled white-matter
#: hyperintensities, enhancement in most HGG and some LGG, shared locations).
BRATS_PHANTOM_VERSION = 2
#: The BraTS-like volume of version 1, in voxels of 2 mm (the MNI152 brain's bounding box).
BRATS_SHAPE = (80, 96, 80)
#: The BraTS-like volume of version 2, in voxels of 2 mm — BraTS's field of view (240 × 240 mm in plane; 160
#: mm along z, the MNI152 brain's own extent, where BraTS has 155 mm), the brain in its middle.
BRATS_FOV_SHAPE = (120, 120, 80)
_HGG_MEAN_VOXELS = 11_900
_LGG_MEAN_VOXELS = 13_800


@functools.lru_cache(maxsize=1)
def mni_anatomy() -> dict[str, np.ndarray]:
    """MNI152 2009 T1, GM, WM (and brain, CSF masks) at 2 mm from nilearn's package data, cropped to 80×96×80."""
    from nilearn import datasets

    t1 = np.asarray(datasets.load_mni152_template(resolution=2).dataobj, dtype=np.float32)
    gm = np.asarray(datasets.load_mni152_gm_template(resolution=2).dataobj, dtype=np.float32)
    wm = np.asarray(datasets.load_mni152_wm_template(resolution=2).dataobj, dtype=np.float32)
    brain = (gm + wm) > 0.3
    lo = np.argwhere(brain).min(0)
    hi = np.argwhere(brain).max(0) + 1
    centre = (lo + hi) // 2
    out = {}
    for name, vol in (("t1", t1), ("gm", gm), ("wm", wm)):
        crop = np.zeros(BRATS_SHAPE, np.float32)
        src = [slice(max(0, c - s // 2), min(d, c - s // 2 + s)) for c, s, d in zip(centre, BRATS_SHAPE, vol.shape)]
        part = vol[tuple(src)]
        crop[tuple(slice(0, n) for n in part.shape)] = part
        out[name] = crop
    out["brain"] = (out["gm"] + out["wm"]) > 0.3
    out["csf"] = ndimage.binary_closing(out["brain"], iterations=3) & ~out["brain"]
    return out


@functools.lru_cache(maxsize=1)
def _tumour_sites() -> dict[str, np.ndarray]:
    """Voxel coordinates where a BraTS-like tumour may be centred (computed once, not per subject): ``deep``
    white matter (eroded 6 voxels), ``cortex`` (grey matter 8 voxels inside the brain), and version 1's
    ``anterior_cortex``."""
    a = mni_anatomy()
    cortex = (a["gm"] > 0.5) & ndimage.binary_erosion(a["brain"], iterations=8)
    anterior = np.arange(BRATS_SHAPE[1])[None, :, None] > BRATS_SHAPE[1] * 0.5
    return {"deep": np.argwhere(ndimage.binary_erosion(a["wm"] > 0.7, iterations=6)),
            "cortex": np.argwhere(cortex), "anterior_cortex": np.argwhere(cortex & anterior)}


def _blob(shape, centre, volume, rng, roughness=0.25):
    """A perturbed ellipsoid of about ``volume`` voxels."""
    axes = rng.uniform(0.75, 1.3, 3)
    axes /= np.cbrt(axes.prod())
    r = np.cbrt(3 * volume / (4 * np.pi))
    g = np.stack(np.meshgrid(*[np.arange(s, dtype=np.float32) for s in shape], indexing="ij"))
    d = np.sqrt((((g - np.reshape(centre, (3, 1, 1, 1))) / np.reshape(axes * r, (3, 1, 1, 1))) ** 2).sum(0))
    wobble = smooth_noise(shape, rng, 4, np.float32) * roughness * 8
    return d + wobble < 1.0, d


@dataclass(frozen=True)
class BratsLike:
    """A BraTS-like cohort: ``n_hgg`` + ``n_lgg`` subjects, each generated on demand by :meth:`subject`.

    ``version`` (:data:`BRATS_PHANTOM_VERSION` by default) chooses the phantom. Version 1 (the module's
    description): the brain's bounding box, sharp tumour edges, every HGG enhancing and no LGG, HGG deep and
    LGG anterior-cortical — one intensity interval segments it at a Dice of about 0.95 and enhancement tells
    the grades apart perfectly. Version 2 (:data:`BRATS_FOV_SHAPE`, 120 × 120 × 80 voxels, zero outside the
    skull-stripped head as BraTS): oedema that fades over 6–15 % of the tumour's radius, the label at its
    half-intensity; the tumour's FLAIR and T2 levels drawn per subject, with texture; 8–40 unlabelled
    white-matter hyperintensities and periventricular caps as bright on FLAIR as oedema; patchy enhancement in
    88 % of HGG and 22 % of LGG (fainter in LGG), necrosis in most enhancing HGG; HGG deep in 70 %, LGG in 40 %
    (else near the cortex, anywhere). ``tests/test_brain.py`` holds version 2's training-free baselines in
    the bands the book set for it: the best single-channel interval Dice within 0.6–0.75, the best single-cue grade AUC
    within 0.85–0.92 (the paper's Fig. 2: about 0.9); the appendix "How hard is each phantom?" measures both
    in every build."""

    n_hgg: int = 210
    n_lgg: int = 75
    seed: int = 0
    version: int = BRATS_PHANTOM_VERSION

    def __post_init__(self):
        if self.n_hgg < 0 or self.n_lgg < 0 or self.n_hgg + self.n_lgg == 0:
            raise ValueError("n_hgg, n_lgg: need a non-negative count of each and at least one subject.")
        if self.version not in (1, 2):
            raise ValueError(f"version: the BraTS-like phantom has versions 1 and 2, got {self.version!r}.")

    @property
    def shape(self) -> tuple[int, int, int]:
        """The shape of the volumes in voxels of 2 mm — :data:`BRATS_SHAPE` for version 1, :data:`BRATS_FOV_SHAPE`
        for version 2."""
        return BRATS_SHAPE if self.version == 1 else BRATS_FOV_SHAPE

    @property
    def grades(self) -> list[str]:
        """Grade of subject i (HGG and LGG interleaved deterministically)."""
        g = np.array(["HGG"] * self.n_hgg + ["LGG"] * self.n_lgg)
        return [str(x) for x in np.random.default_rng([self.seed, 1]).permutation(g)]

    def __len__(self) -> int:
        return self.n_hgg + self.n_lgg

    def subject(self, i: int) -> tuple[np.ndarray, np.ndarray, str]:
        """(image of 4 channels, float32: flair, t1, t1ce, t2; whole-tumour label, uint8; grade), the volumes
        of :attr:`shape` (the version's)."""
        if not 0 <= i < len(self):
            raise IndexError(f"i: subject index {i} outside 0 … {len(self) - 1}.")
        grade = self.grades[i]
        rng = np.random.default_rng([self.seed, 2, i])
        if self.version == 2:
            image, label = _brats_like_v2(grade, rng)
            return image, label, grade
        a = mni_anatomy()
        shape = BRATS_SHAPE
        if grade == "HGG":
            candidates = _tumour_sites()["deep"]
            volume = rng.lognormal(np.log(_HGG_MEAN_VOXELS) - 0.08, 0.4)
        else:
            candidates = _tumour_sites()["anterior_cortex"]
            volume = rng.lognormal(np.log(_LGG_MEAN_VOXELS) - 0.08, 0.4)
        centre = candidates[rng.integers(len(candidates))].astype(np.float32)
        tumour, dist = _blob(shape, centre, volume, rng)
        tumour &= a["brain"] | ndimage.binary_dilation(a["brain"], iterations=2)
        core = tumour & (dist < 0.6)
        necrosis = tumour & (dist < 0.35)
        rim = core & ~necrosis
        gm, wm, csf = a["gm"], a["wm"], a["csf"].astype(np.float32)
        base = {  # tissue intensities per contrast: (csf, gm, wm, tumour/oedema)
            "flair": (0.15, 0.65, 0.55, 1.25), "t1": (0.2, 0.6, 0.85, 0.5),
            "t1ce": (0.2, 0.6, 0.85, 0.5), "t2": (1.0, 0.7, 0.5, 1.1),
        }
        images = []
        bias = bias_field(shape, rng, 12, 0.1)
        for name in ("flair", "t1", "t1ce", "t2"):
            c, g_, w, t = base[name]
            img = c * csf + g_ * gm + w * wm
            img = np.where(tumour, t * (1 + 0.1 * rng.standard_normal()), img)
            if name == "t1ce" and grade == "HGG":
                img = np.where(rim, 1.35, img)
                img = np.where(necrosis, 0.3, img)
            if name == "t2":
                img = np.where(necrosis, 1.3, img)
            img = img * bias + 0.03 * rng.standard_normal(shape)
            images.append(img.astype(np.float32))
        return np.stack(images), tumour.astype(np.uint8), grade


def fit_to_shape(volume: np.ndarray, shape, centre=None) -> np.ndarray:
    """Crop or zero-pad the last three axes of ``volume`` to ``shape``, around ``centre`` (default the middle)."""
    spatial = volume.shape[-3:]
    centre = [n // 2 for n in spatial] if centre is None else centre
    out = np.zeros(volume.shape[:-3] + tuple(shape), volume.dtype)
    src, dst = [], []
    for c, n, m in zip(centre, spatial, shape):
        start = int(c) - m // 2
        lo, hi = max(start, 0), min(start + m, n)
        src.append(slice(lo, hi))
        dst.append(slice(lo - start, hi - start))
    out[(..., *dst)] = volume[(..., *src)]
    return out


def brain_box(volume: np.ndarray) -> np.ndarray:
    """The central :data:`BRATS_SHAPE` box of the last three axes of a BraTS-like volume: version 2's brain
    without the padding to BraTS's field of view (a version-1 volume is returned as it is). For the 2-D
    studies, which train on whole slices, where the padding would only cost time."""
    spatial = volume.shape[-3:]
    if any(n < m for n, m in zip(spatial, BRATS_SHAPE)):
        raise ValueError(f"volume: need at least {BRATS_SHAPE} on the last three axes, got {spatial}.")
    return fit_to_shape(volume, BRATS_SHAPE)


def _brats_like_v2(grade: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One subject of the BraTS-like phantom's version 2 (:class:`BratsLike`): image (4, *BRATS_FOV_SHAPE)
    and whole-tumour label."""
    a = mni_anatomy()
    shape, brain, hgg = BRATS_SHAPE, a["brain"], grade == "HGG"
    head = brain | a["csf"]
    sites = _tumour_sites()
    candidates = sites["deep"] if rng.random() < (0.7 if hgg else 0.4) else sites["cortex"]
    volume = rng.lognormal(np.log(_HGG_MEAN_VOXELS if hgg else _LGG_MEAN_VOXELS) - 0.08, 0.4)
    centre = candidates[rng.integers(len(candidates))].astype(np.float32)
    axes = rng.uniform(0.75, 1.3, 3)
    axes *= np.cbrt(3 * volume / (4 * np.pi)) / np.cbrt(axes.prod())
    grid = np.stack(np.meshgrid(*[np.arange(n, dtype=np.float32) for n in shape], indexing="ij"))
    d = np.sqrt((((grid - centre.reshape(3, 1, 1, 1)) / axes.reshape(3, 1, 1, 1)) ** 2).sum(0))
    oedema = d + 2.0 * smooth_noise(shape, rng, 4, np.float32)
    tumour = (oedema < 1.0) & (brain | ndimage.binary_dilation(brain, iterations=2))
    # the signal fades across the label's edge (half-intensity there) over a width drawn per subject
    signal = head / (1 + np.exp(np.clip((oedema - 1.0) / rng.uniform(0.06, 0.15), -30, 30)))
    enhances = rng.random() < (0.88 if hgg else 0.22)
    core = tumour & (d < rng.uniform(0.45, 0.7))
    necrotic = enhances and rng.random() < (0.85 if hgg else 0.3)
    necrosis = core & (d < rng.uniform(0.2, 0.4)) if necrotic else np.zeros(shape, bool)
    spots = smooth_noise(shape, rng, 1.5)
    rim = core & ~necrosis & (spots > rng.uniform(-1.2, -0.3) * spots.std())  # patchy enhancement
    # unlabelled FLAIR-bright white matter: small-vessel foci and periventricular caps
    bright = np.zeros(shape, bool)
    white = np.argwhere(a["wm"] > 0.8)
    for _ in range(int(rng.integers(8, 40))):
        c = white[rng.integers(len(white))]
        box = tuple(slice(max(int(x) - 4, 0), min(int(x) + 5, n)) for x, n in zip(c, shape))
        local = np.stack(np.meshgrid(*[np.arange(b.start, b.stop) for b in box], indexing="ij"))
        bright[box] |= np.sqrt(((local - c.reshape(3, 1, 1, 1)) ** 2).sum(0)) < rng.uniform(1.0, 3.0)
    ventricle_distance, _ = _periventricular_distance()
    caps = (ventricle_distance > 0) & (ventricle_distance <= 3.0) & brain
    levels = {  # (csf, gm, wm, tumour) per contrast; the tumour's level drawn per subject
        "flair": (0.15, 0.65, 0.55, rng.uniform(0.9, 1.3)), "t1": (0.2, 0.6, 0.85, rng.uniform(0.4, 0.6)),
        "t1ce": (0.2, 0.6, 0.85, rng.uniform(0.4, 0.6)), "t2": (1.0, 0.7, 0.5, rng.uniform(0.95, 1.2)),
    }
    texture = smooth_noise(shape, rng, 2.0)
    texture /= texture.std()
    bias = bias_field(shape, rng, 12, 0.15)
    caps_level, foci_level = rng.uniform(0.8, 1.05), rng.uniform(0.8, 1.1)
    enhancement = rng.uniform(1.05, 1.4) if hgg else rng.uniform(0.95, 1.15)
    images = []
    for name in ("flair", "t1", "t1ce", "t2"):
        csf, gm, wm, level = levels[name]
        img = csf * a["csf"] + gm * a["gm"] + wm * a["wm"]
        if name in ("flair", "t2"):
            img = np.where(caps, img + (caps_level - 0.55) * (1.0 if name == "flair" else 0.6), img)
            img = np.where(bright, img + (foci_level - 0.55) * (1.0 if name == "flair" else 0.8), img)
        img = img * (1 - signal) + level * (1 + 0.08 * texture) * signal
        if name == "t1ce" and enhances:
            img = np.where(necrosis, 0.3, np.where(rim, enhancement, img))
        if name == "t2" and necrotic:
            img = np.where(necrosis, 1.3, img)
        images.append(((img * bias + 0.05 * rng.standard_normal(shape)) * head).astype(np.float32))
    return fit_to_shape(np.stack(images), BRATS_FOV_SHAPE), fit_to_shape(tumour.astype(np.uint8), BRATS_FOV_SHAPE)


#: The MSSEG-like channels, as MSSEG 2016's modalities.
MSSEG_CONTRASTS = ("flair", "t1", "gado", "t2", "dp")


def msseg_like_slices(n: int, seed: int = 0, max_lesions: int = 6, empty_share: float = 0.4,
                      raters: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """An MSSEG-like 2-D task (Chapter 5): axial MNI152 slices (80 × 96 at 2 mm) in five contrasts
    (FLAIR, T1, T1-Gd, T2, PD-like) with small white-matter lesions of 3–25 pixels — about 0.05–1 % of the
    slice, the severe imbalance of MS lesion segmentation — and what makes MSSEG hard (version 2,
    :data:`MSSEG_PHANTOM_VERSION`):

    * about ``empty_share`` of the slices have no lesion (more end up empty when the raters miss every lesion
      of a slice), which exercises Eq. 4's mean over the classes present;
    * 1 … ``max_lesions`` lesions on the others, a third of them juxtacortical (at the white matter's border
      with the cortex), the rest in deep white matter; three in ten are *faint* (30–65 % of the full contrast);
      edges partial-volumed;
    * an unlabelled FLAIR- and T2-bright periventricular halo of subject-specific width (the "dirty-appearing
      white matter" around the ventricles, which raters do not outline);
    * ``raters`` simulated raters: each outlines each lesion (one pixel wider or narrower, one time in five
      each way) and misses a faint lesion half the time; the label is their majority (more than half).

    Lesions are bright on FLAIR, T2 and PD, dark on T1, and a third of them enhance on T1-Gd. Returns images
    (n, 5, 80, 96) float32, each contrast scaled to [0, 1], and the consensus masks (n, 80, 96) uint8. No
    single intensity interval reaches a Dice above about 0.5 (version 1: 0.89; MSSEG networks: 0.65–0.69).
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n: need at least one slice, got {n!r}.")
    if not 0.0 <= empty_share < 1.0:
        raise ValueError(f"empty_share: the share of lesion-free slices must lie in [0, 1), got {empty_share}.")
    if not (isinstance(raters, int) and raters >= 1):
        raise ValueError(f"raters: need at least one rater, got {raters!r}.")
    a = mni_anatomy()
    distance, _ = _periventricular_distance()
    rng = np.random.default_rng([seed, 9])
    raters_rng = np.random.default_rng([seed, 9, 1])  # the raters' choices, apart from the images
    base = {"flair": (0.1, 0.6, 0.5, 1.1), "t1": (0.2, 0.6, 0.85, 0.45), "gado": (0.2, 0.6, 0.85, 0.45),
            "t2": (1.0, 0.7, 0.5, 1.0), "dp": (0.8, 0.75, 0.6, 0.95)}  # (csf, gm, wm, lesion)
    halo_gain = {"flair": 0.8, "t1": 0.1, "gado": 0.1, "t2": 0.5, "dp": 0.5}  # the halo's share of lesion contrast
    shape = BRATS_SHAPE[:2]
    images = np.empty((n, len(MSSEG_CONTRASTS), *shape), np.float32)
    masks = np.zeros((n, *shape), np.uint8)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    for i in range(n):
        z = int(rng.integers(32, 52))
        gm, wm, csf = a["gm"][:, :, z], a["wm"][:, :, z], a["csf"][:, :, z].astype(np.float32)
        deep = np.argwhere(ndimage.binary_erosion(wm > 0.75, iterations=1))
        juxtacortical = np.argwhere((wm > 0.5) & ndimage.binary_dilation(gm > 0.5, iterations=1))
        lesions = []  # (mask, strength, enhancing)
        for _ in range(0 if rng.random() < empty_share else int(rng.integers(1, max_lesions + 1))):
            sites = juxtacortical if rng.random() < 1 / 3 else deep
            cy, cx = sites[rng.integers(len(sites))]
            ry, rx = rng.uniform(0.9, 2.6, 2)
            blob = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
            strength = rng.uniform(0.3, 0.65) if rng.random() < 0.3 else rng.uniform(0.8, 1.0)
            lesions.append((blob, strength, rng.random() < 1 / 3))
        votes = np.zeros(shape, int)
        for _ in range(raters):
            outlined = np.zeros(shape, bool)
            for blob, strength, _ in lesions:
                if strength < 0.7 and raters_rng.random() < 0.5:
                    continue  # a faint lesion this rater misses
                change = raters_rng.choice([-1, 0, 0, 0, 1])
                outlined |= (ndimage.binary_dilation(blob) if change > 0 else
                             ndimage.binary_erosion(blob) if change < 0 and blob.sum() > 12 else blob)
            votes += outlined
        strength_map = np.zeros(shape)
        enhancing = np.zeros(shape, bool)
        for blob, strength, enhances in lesions:
            strength_map = np.maximum(strength_map, blob * strength)
            enhancing |= blob & enhances
        soft = np.maximum(0.9 * strength_map, ndimage.gaussian_filter(strength_map, 0.7))  # partial volume
        halo = np.clip(1 - (distance[:, :, z] - 1.0) / rng.uniform(3, 6), 0, 1) * (wm > 0.3) * rng.uniform(0.5, 0.9)
        halo = halo * (0.6 + 0.2 * bias_field(shape, rng, 3, 1.0))
        bias = bias_field(shape, rng, 10, 0.1)
        for k, name in enumerate(MSSEG_CONTRASTS):
            c, g, w, t = base[name]
            img = c * csf + g * gm + w * wm
            contrast = t * rng.uniform(0.9, 1.1)
            img = img + halo * halo_gain[name] * (contrast - img)
            img = img + soft * (contrast - img)
            if name == "gado":
                img = np.where(enhancing, 1.2, img)
            img = img * bias + 0.04 * rng.standard_normal(img.shape)
            lo, hi = img.min(), img.max()
            images[i, k] = (img - lo) / (hi - lo)
        masks[i] = votes > raters / 2
    return images, masks


#: The WMH-like channels.
WMH_CONTRASTS = ("t1", "t2", "flair")


@functools.lru_cache(maxsize=1)
def _periventricular_distance() -> tuple[np.ndarray, np.ndarray]:
    """Distance (voxels) of every voxel from the ventricles, and the deep white matter (wmh_like_volume)."""
    a = mni_anatomy()
    filled = ndimage.binary_fill_holes(ndimage.binary_closing(a["brain"], iterations=2))
    inner = ndimage.binary_erosion(filled, iterations=10)
    ventricles = inner & ~a["brain"] & (a["gm"] < 0.3)
    ventricles = ndimage.binary_opening(ventricles, iterations=1)
    distance = ndimage.distance_transform_edt(~ventricles)
    deep_wm = ndimage.binary_erosion(a["wm"] > 0.7, iterations=2)
    return distance.astype(np.float32), deep_wm


def wmh_like_volume(i: int, seed: int = 0, rater: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Subject ``i`` of a WMH-like 3-D cohort (Chapter 3, Sudre et al.'s age-related white-matter
    hyperintensities): MNI152 anatomy at 2 mm (80 × 96 × 80), T1-, T2- and FLAIR-like contrasts with noise
    and a bias field, each z-scored over the white matter as the paper normalises. Version 2
    (:data:`WMH_PHANTOM_VERSION`) has what makes WMH hard to outline:

    * lesions — a periventricular band of subject-specific extent, 2–15 deep foci and 30–90 punctate foci of
      one or two voxels scattered through the white matter — each focus with its *own* contrast, from 25 % to
      85 % of the full lesion signal, so that faint ones reach only grey matter's FLAIR level;
    * partial volume: each voxel holds the fraction of it inside a focus (a linear ramp of the signed
      distance across one voxel, what rendering finer and averaging down would give), and its intensity
      mixes tissue and lesion in that proportion;
    * a periventricular hyperintensity that is brightest at the ventricles and fades outward, unevenly and
      with no edge of its own: its strength varies within and between subjects, and it fades along an
      irregular distance that is only partly (correlation 0.7) the one the raters' outline follows — so the
      band's outline is not an iso-line of the image, and beyond it the signal goes on, unlabelled;
    * the ependymal lining (the white matter within 2 voxels of the ventricles), bright in everyone and
      never outlined;
    * three simulated raters: raters 0, 1 and 2 put the band's edge at +0, +0.6 and −0.5 voxels, outline the
      voxels at least 50 %, 35 % and 65 % inside a focus, and each misses each faint focus (under 60 % contrast)
      half the time; ``rater`` chooses whose outline is returned (the chapter trains and scores on rater 0's).

    Lesion load about 0.1–0.8 % of the volume. Returns image (3, 80, 96, 80) float32 and label
    (80, 96, 80) uint8. Deterministic in (i, seed, rater); the image does not depend on ``rater``
    (:func:`wmh_like_raters` gives every rater's label at once).
    """
    if rater not in range(len(_WMH_RATER_THRESHOLDS)):
        raise ValueError(f"rater: choose one of 0 … {len(_WMH_RATER_THRESHOLDS) - 1}, got {rater!r}.")
    image, labels = wmh_like_raters(i, seed)
    return image, labels[rater]


def wmh_like_raters(i: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Subject ``i`` of :func:`wmh_like_volume`'s cohort with every rater's outline: image (3, 80, 96, 80)
    float32 and labels (3, 80, 96, 80) uint8, one per rater."""
    if not (isinstance(i, (int, np.integer)) and i >= 0):
        raise ValueError(f"i: subject index must be a non-negative integer, got {i!r}.")
    rng = np.random.default_rng([seed, 11, int(i)])
    raters_rng = np.random.default_rng([seed, 11, int(i), 1])  # the raters' choices, apart from the image
    a = mni_anatomy()
    distance, deep_wm = _periventricular_distance()
    wm_mask = a["wm"] > 0.5
    shape = BRATS_SHAPE
    band = rng.uniform(1.0, 3.0)  # Fazekas-like grade: how far the labelled periventricular band reaches
    texture = smooth_noise(shape, rng, 2.0, np.float32)
    texture /= texture.std() + 1e-12
    reach = distance + 2.0 * texture  # an irregular distance from the ventricles
    # the periventricular hyperintensity: its own strength per subject and from place to place (gain), fading
    # from the ventricles' wall over the band and a subject-specific width beyond it; raters outline the band
    grain = smooth_noise(shape, rng, 1.5, np.float32)
    gain = np.clip(rng.uniform(0.25, 0.9) + 0.15 * grain / (grain.std() + 1e-12), 0.1, 1.0)  # per subject, uneven
    fade = rng.uniform(2.0, 5.0)
    # the signal fades with its own irregular distance: where the raters draw the band's edge is not an iso-line
    # of the image (they smooth what they see, as real outlines do)
    seen = smooth_noise(shape, rng, 2.0, np.float32)
    seen = distance + 2.0 * (0.7 * texture + 0.71 * seen / (seen.std() + 1e-12))  # correlated 0.7 with the outline
    periventricular = gain * np.clip(1 - (seen - 1.0) / (band + fade), 0, 1) * wm_mask  # fades from the wall
    lining = wm_mask & (distance < 2.0)  # the ependymal lining: bright in everyone, never outlined
    periventricular = np.where(lining, np.maximum(periventricular, rng.uniform(0.7, 1.0)), periventricular)
    # each rater's band (partial-volumed); the foci below are the same for every rater
    bands = [np.clip(band + edge - reach + 0.5, 0, 1) * (wm_mask & ~lining) for edge in _WMH_RATER_EDGES]
    fraction, faint = [], []
    signals = [periventricular]
    deep_sites = np.argwhere(deep_wm & (distance > 8))
    wm_sites = np.argwhere(ndimage.binary_erosion(wm_mask, iterations=1) & (distance > 4))
    foci = [(deep_sites, rng.uniform(0.8, 2.2)) for _ in range(int(rng.integers(2, 16)))]
    foci += [(wm_sites, rng.uniform(0.3, 0.8)) for _ in range(int(rng.integers(30, 91)))]  # punctate
    for sites, r in foci:
        c = sites[rng.integers(len(sites))]
        box = tuple(slice(max(0, int(ci - 4)), int(ci + 5)) for ci in c)
        d = np.sqrt(sum((axis - ci) ** 2 for axis, ci in zip(np.ogrid[box], c)))
        f = np.zeros(shape, np.float32)
        f[box] = np.clip(r + 0.5 - d, 0, 1)  # partial volume: the share of each voxel inside the focus
        strength = rng.uniform(0.25, 0.85)
        fraction.append(f)
        signals.append(f * strength)
        faint.append(strength < 0.6)
    signal = np.max(signals, axis=0)
    misses = raters_rng.random((1 + len(faint), len(_WMH_RATER_EDGES)))[1:] < 0.5  # (row 0: the band, never missed)
    labels = np.zeros((len(_WMH_RATER_EDGES), *shape), np.uint8)
    for rater, (threshold, own_band) in enumerate(zip(_WMH_RATER_THRESHOLDS, bands)):
        labels[rater] |= own_band >= threshold
        for f, is_faint, missed in zip(fraction, faint, misses[:, rater]):
            if not (is_faint and missed):
                labels[rater] |= f >= threshold
    base = {"t1": (0.2, 0.6, 0.85, 0.55), "t2": (1.0, 0.7, 0.5, 0.9), "flair": (0.15, 0.65, 0.55, 1.1)}
    bias = bias_field(shape, rng, 12, 0.1)
    csf = a["csf"].astype(np.float32)
    reference_wm = wm_mask & (signal < 0.05)
    images = []
    for name in WMH_CONTRASTS:
        c, gm_i, wm_i, les = base[name]
        img = c * csf + gm_i * a["gm"] + wm_i * a["wm"]
        target = les * rng.uniform(0.9, 1.1)
        img = img + signal * (target - img)
        img = img * bias + 0.05 * rng.standard_normal(shape)
        wm_values = img[reference_wm]
        images.append(((img - wm_values.mean()) / wm_values.std()).astype(np.float32))
    return np.stack(images), labels


#: The three WMH-like raters (:func:`wmh_like_volume`): the share of a voxel inside a focus each needs to
#: outline it, and where each puts the periventricular band's edge (voxels beyond the band's own).
_WMH_RATER_THRESHOLDS = (0.5, 0.35, 0.65)
_WMH_RATER_EDGES = (0.0, 0.6, -0.5)
