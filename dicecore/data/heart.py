"""The heart phantom: ACDC-like cine stacks (Chapter 4) and the 2-D slices cut from them (Chapter 5).
Deterministic from a seed.

**ACDC-like** (:class:`AcdcLike`): short-axis cine stacks with the paper's voxel size (1.56 × 1.56 ×
2.5 mm by default) at end-diastole (ED) and end-systole (ES): left-ventricular cavity (label 3),
myocardium (2) and a right-ventricular crescent (1), tapering towards the apex; at ES the cavities are
smaller and the myocardium thicker. Bright blood pool, dark myocardium, textured surroundings, noise; since
version 2 (:data:`ACDC_PHANTOM_VERSION`) also papillary muscles and trabeculae, partial volume along z and
blood-pool- and myocardium-like regions around the heart (:class:`AcdcLike` says how).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from dicecore.data.noise import bias_field, smooth_noise

__all__ = ["AcdcLike", "acdc_like_slices", "ACDC_FOV_MM", "ACDC_PHANTOM_VERSION", "ACDC_SLICES_PHANTOM_VERSION",
           "ACDC_RATER_MM", "ACDC_FINE_PIXEL_MM", "ES_WALL_THICKENING"]

#: Version of Chapter 5's ACDC-like slices (:func:`acdc_like_slices`) — part of every result key trained on
#: them — raised whenever they change, so that results on old and new phantoms never mix. (It once versioned
#: the BraTS-like and ACDC-like phantoms too; each has its own number now, and all three stood at 1 then.)
ACDC_SLICES_PHANTOM_VERSION = 2
#: Version of the ACDC-like stacks (:class:`AcdcLike`, Chapter 4's 3-D study), apart from the others (2:
#: papillary muscles and trabeculae in the cavity, partial volume along z, lung-, fat- and vessel-like
#: regions around the heart; labels unchanged). Chapter 5's slices (:func:`acdc_like_slices`) go with
#: :data:`ACDC_SLICES_PHANTOM_VERSION`: their version 1 cut version 1's stacks, their version 2 cuts version 2's.
ACDC_PHANTOM_VERSION = 2
#: The ACDC-like myocardium is this many times thicker at ES than at ED, in every subject (the ED wall is drawn
#: from N(10 mm, 1 mm)): so the ES walls, 12–19 mm, lie mostly beyond every ED wall of a cohort — unlike ACDC,
#: whose hypertrophic group has ED walls over 15 mm (:meth:`AcdcLike.geometry`).
ES_WALL_THICKENING = 1.45

@dataclass(frozen=True)
class AcdcLike:
    """An ACDC-like cohort of short-axis stacks; :meth:`subject` returns ED and ES images and labels.

    ``version`` (:data:`ACDC_PHANTOM_VERSION` by default) chooses the images: 1, the structures' flat
    intensities; 2, with what makes real cine MRI hard and the label does not show — two dark papillary
    muscles and rough trabeculae inside the LV cavity (labelled cavity, as ACDC's protocol), partial volume
    along z (each slice averages three planes through its thickness, so basal and apical slices blur into what
    lies beyond the heart), and 4–7 lung-like dark and fat- or vessel-like bright regions around the heart with
    the myocardium's and the blood pool's intensities. The labels are the same in both."""

    n_subjects: int = 100
    shape: tuple[int, int, int] = (192, 192, 48)
    spacing: tuple[float, float, float] = (1.56, 1.56, 2.5)
    seed: int = 0
    version: int = ACDC_PHANTOM_VERSION

    def __post_init__(self):
        if self.n_subjects < 1 or min(self.shape) < 4 or min(self.spacing) <= 0:
            raise ValueError("n_subjects, shape, spacing: need ≥ 1 subject, shape ≥ 4 and positive spacing.")
        if self.version not in (1, 2):
            raise ValueError(f"version: the ACDC-like phantom has versions 1 and 2, got {self.version!r}.")

    def __len__(self) -> int:
        return self.n_subjects

    def _draw_geometry(self, rng: np.random.Generator) -> dict:
        """The subject's anatomy, the first numbers its generator draws (:meth:`subject` goes on from there)."""
        cx, cy = rng.normal(0, 6, 2)
        r_lv_ed = rng.normal(27, 2.5)  # mm, LV cavity radius at the base, ED
        wall_ed = rng.normal(10.0, 1.0)  # mm
        r_rv = rng.normal(36, 3)
        ef = rng.uniform(0.45, 0.65)
        n_slices = int(np.clip(rng.normal(0.62, 0.05) * self.shape[2], 4, self.shape[2]))  # slices with heart
        return dict(cx=float(cx), cy=float(cy), r_lv_ed_mm=float(r_lv_ed), wall_ed_mm=float(wall_ed),
                    r_rv_mm=float(r_rv), ef=float(ef), n_slices=n_slices)

    def geometry(self, i: int) -> dict:
        """Subject ``i``'s anatomy as drawn, without building its images: LV cavity radius and myocardial wall
        thickness at the base in mm (``r_lv_ed_mm``, ``wall_ed_mm``; at ES the cavity radius is
        ``r_lv_ed_mm · √(1 − ef)`` and the wall ``wall_es_mm = wall_ed_mm ·`` :data:`ES_WALL_THICKENING`),
        RV radius, ejection-fraction-like ``ef``, the slices the heart covers and its centre offset in mm."""
        if not 0 <= i < len(self):
            raise IndexError(f"i: subject index {i} outside 0 … {len(self) - 1}.")
        g = self._draw_geometry(np.random.default_rng([self.seed, 3, i]))
        return dict(g, wall_es_mm=g["wall_ed_mm"] * ES_WALL_THICKENING)

    def subject(self, i: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{"ED": (image, label), "ES": (image, label)}``; labels 0 bg, 1 RV, 2 myocardium, 3 LV cavity."""
        if not 0 <= i < len(self):
            raise IndexError(f"i: subject index {i} outside 0 … {len(self) - 1}.")
        rng = np.random.default_rng([self.seed, 3, i])
        sx, sy, sz = self.spacing
        nx, ny, nz = self.shape
        x = (np.arange(nx) - nx / 2) * sx
        y = (np.arange(ny) - ny / 2) * sy
        X, Y = np.meshgrid(x, y, indexing="ij")
        g = self._draw_geometry(rng)
        cx, cy, r_lv_ed, wall_ed, r_rv, ef = g["cx"], g["cy"], g["r_lv_ed_mm"], g["wall_ed_mm"], g["r_rv_mm"], g["ef"]
        n_slices = g["n_slices"]
        start = (nz - n_slices) // 2
        texture = smooth_noise((nx, ny), rng, 3)
        d = np.hypot(X - cx, Y - cy)

        def section(k: float, phase: str) -> np.ndarray:
            """The label of the plane at (fractional) slice ``k`` of the heart, 0 outside it."""
            sl = np.zeros((nx, ny), np.uint8)
            if not 0 <= k < n_slices:
                return sl
            r_lv = r_lv_ed * (np.sqrt(1 - ef) if phase == "ES" else 1.0)
            wall = wall_ed * (ES_WALL_THICKENING if phase == "ES" else 1.0)
            taper = np.sqrt(max(1 - (k / n_slices) ** 2, 0.05))  # base → apex
            lv = d < r_lv * taper
            myo = (d < (r_lv + wall) * taper) & ~lv
            rv_c = (cx - (r_lv + wall) * 0.9 * taper, cy)
            rv = (np.hypot(X - rv_c[0], Y - rv_c[1]) < r_rv * taper * (0.8 if phase == "ES" else 1.0)) & ~lv & ~myo
            rv &= X < cx
            sl[rv], sl[myo], sl[lv] = 1, 2, 3
            return sl

        if self.version == 1:
            out = {}
            for phase in ("ED", "ES"):
                label = np.zeros(self.shape, np.uint8)
                for k in range(n_slices):
                    label[..., start + k] = section(k, phase)
                intensity = np.choose(label, [0.35, 0.9, 0.15, 0.95]).astype(np.float32)
                image = intensity + 0.08 * texture[..., None] * (label == 0) + 0.05 * rng.standard_normal(self.shape)
                out[phase] = (image.astype(np.float32), label)
            return out
        # version 2: what the label does not show (drawn after the label's numbers, so labels are unchanged)
        angles = rng.uniform(0, 2 * np.pi, 2)  # two papillary muscles, dark, inside the LV cavity
        papillary_mm = rng.uniform(3.0, 5.0, 2)
        grain = smooth_noise((nx, ny), rng, 2.0 / sx)
        trabeculae = grain > 0.6 * grain.std()  # where the cavity's border is rough
        lungs = [(rng.uniform(0.15, 0.85, 3) * np.array([nx * sx, ny * sy, nz * sz]) - [nx * sx / 2, ny * sy / 2, 0],
                  rng.uniform(15, 45, 3), rng.random() < 0.6) for _ in range(int(rng.integers(4, 8)))]
        Z = np.arange(nz) * sz
        out = {}
        for phase in ("ED", "ES"):
            label = np.zeros(self.shape, np.uint8)
            for k in range(n_slices):
                label[..., start + k] = section(k, phase)
            image = np.empty(self.shape, np.float32)
            for z in range(nz):
                # partial volume along z: the slice thickness averages three planes through it
                planes = [section(z - start + f, phase) for f in (-1 / 3, 0.0, 1 / 3)]
                intensity = np.mean([np.choose(p, [0.35, 0.9, 0.15, 0.95]) for p in planes], axis=0)
                lv = planes[1] == 3
                r_lv = np.sqrt(lv.sum() * sx * sy / np.pi) if lv.any() else 0.0
                for angle, size in zip(angles, papillary_mm):  # papillary muscles and trabeculae: labelled LV
                    at = (cx + 0.7 * r_lv * np.cos(angle), cy + 0.7 * r_lv * np.sin(angle))
                    muscle = lv & (np.hypot(X - at[0], Y - at[1]) < size)
                    intensity = np.where(muscle, 0.2, intensity)
                rim = lv & ~ndimage.binary_erosion(lv, iterations=max(int(round(3 / sx)), 1))
                intensity = np.where(rim & trabeculae, 0.3, intensity)
                image[..., z] = intensity
            heart = ndimage.binary_dilation(label > 0, iterations=max(int(round(6 / sx)), 1))
            for centre, radii, dark in lungs:  # lung-, fat- and vessel-like regions matching MYO or the blood pool
                blob = ((((X[..., None] - centre[0]) / radii[0]) ** 2 + ((Y[..., None] - centre[1]) / radii[1]) ** 2
                         + ((Z[None, None] - centre[2]) / radii[2]) ** 2) <= 1) & ~heart
                image[blob] = 0.15 if dark else 0.9
            image = image + 0.08 * texture[..., None] * (label == 0) + 0.05 * rng.standard_normal(self.shape)
            out[phase] = (image.astype(np.float32), label)
        return out


#: Field of view of an ACDC slice — 192 pixels at 1.56 mm (about 300 mm), kept whatever the output size.
ACDC_FOV_MM = 192 * 1.56


def _with_distractors(image: np.ndarray, label: np.ndarray, pixel_mm: float, rng, blur_and_noise: bool = True
                      ) -> np.ndarray:
    """Lung-, vessel- and fat-like ellipses away from the heart, then (``blur_and_noise``) a 1 mm blur and
    noise (acdc_like_slices)."""
    out = image.copy()
    yy, xx = np.mgrid[: image.shape[0], : image.shape[1]]
    heart = ndimage.binary_dilation(label > 0, iterations=max(int(round(4 / pixel_mm)), 1))
    for _ in range(int(rng.integers(3, 7))):
        cy, cx = rng.uniform(0.1, 0.9, 2) * image.shape
        ry, rx = rng.uniform(6, 28, 2) / pixel_mm
        blob = (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1) & ~heart
        dark = rng.random() < 0.5
        out[blob] = rng.uniform(0.1, 0.2) if dark else rng.uniform(0.85, 1.0)
    if not blur_and_noise:
        return out
    out = ndimage.gaussian_filter(out, 1.0 / pixel_mm)
    return out + 0.06 * rng.standard_normal(out.shape).astype(np.float32)


#: The rater's outline of :func:`acdc_like_slices` (version 2) strays from the image's edges by a smooth
#: displacement of this RMS size, in mm — the book's stand-in for ACDC's inter-observer variability.
ACDC_RATER_MM = 1.5
#: The super-sampled grid of :func:`acdc_like_slices` (version 2): the anatomy is drawn at about this pixel size,
#: in mm, then averaged down to the output pixels (in-plane partial volume).
ACDC_FINE_PIXEL_MM = 1.2


def acdc_like_slices(n: int, size: int = 256, seed: int = 0,
                     version: int = ACDC_SLICES_PHANTOM_VERSION) -> tuple[np.ndarray, np.ndarray]:
    """An ACDC-like 2-D task (Chapter 5, Hosseini Table 2): short-axis slices of the :class:`AcdcLike` cohort.

    Each subject gives four slices, two at end-diastole and two at end-systole, each showing all three
    structures, over a field of view of :data:`ACDC_FOV_MM` sampled at ``size`` pixels, so the anatomy is the
    same at any ``size`` (the paper resizes to 256). Around the heart, 3–6 distractors per slice — dark
    lung-like and bright vessel- or fat-like ellipses whose intensities match the myocardium's and the
    cavities' — so that intensity alone does not segment the slice. Returns images ``(n, 1, size, size)``
    float32 min–max scaled to [0, 1] per slice, as the paper, and labels ``(n, size, size)`` uint8:
    0 background, 1 RV, 2 myocardium, 3 LV cavity.

    ``version`` (:data:`ACDC_SLICES_PHANTOM_VERSION` by default): 1 cuts version 1's stacks (flat
    intensities that follow the label exactly: a trained network reached a Dice of 0.99, above the paper's
    networks on ACDC) at the basal-to-mid and the mid slice, blurred by 1 mm, with noise. 2 adds what bounds a
    network's Dice on real cine MRI: version 2's stacks (papillary muscles and trabeculae labelled as cavity,
    partial volume along z), any slice from base to apex that shows the three structures, in-plane partial
    volume (the anatomy drawn on a grid of about :data:`ACDC_FINE_PIXEL_MM` mm and averaged down to the
    output pixels), a coil's intensity bias of ±25 %, and a rater whose outline strays from the image's edges
    by a smooth displacement of :data:`ACDC_RATER_MM` mm RMS (the label is the rater's, taken per output
    pixel by majority).
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n: need at least one slice, got {n!r}.")
    if not (isinstance(size, int) and size >= 16):
        raise ValueError(f"size: need an integer of at least 16 pixels, got {size!r}.")
    if version not in (1, 2):
        raise ValueError(f"version: the ACDC-like slices have versions 1 and 2, got {version!r}.")
    pixel = ACDC_FOV_MM / size
    fine = 1 if version == 1 else max(1, int(np.ceil(pixel / ACDC_FINE_PIXEL_MM)))
    cohort = AcdcLike(n_subjects=n, shape=(size * fine, size * fine, 8), spacing=(pixel / fine, pixel / fine, 10.0),
                      seed=seed, version=version)
    images = np.empty((n, 1, size, size), np.float32)
    labels = np.empty((n, size, size), np.uint8)
    filled, subject = 0, 0
    while filled < n:
        if subject == len(cohort):  # not expected: every phantom subject shows all structures on ≥ 2 slices
            raise RuntimeError("acdc_like_slices: the cohort ran out of slices showing all three structures.")
        for image, label in cohort.subject(subject).values():
            complete = [k for k in range(label.shape[2]) if np.unique(label[..., k]).size == 4]
            if version == 1:
                chosen = complete[:: max(len(complete) // 2, 1)][:2]
            else:  # any two, base to apex
                pick = np.random.default_rng([seed, 12, subject, filled])
                chosen = sorted(pick.choice(complete, size=min(2, len(complete)), replace=False))
            for k in chosen:
                if filled == n:
                    break
                rng = np.random.default_rng([seed, 11, filled])
                if version == 1:
                    slice_, lab = _with_distractors(image[..., k], label[..., k], pixel, rng), label[..., k]
                else:
                    slice_, lab = _rated_slice(image[..., k], label[..., k], pixel / fine, fine, rng)
                    if np.unique(lab).size < 4:  # a structure averaged away at the output size: skip the slice
                        continue
                lo, hi = slice_.min(), slice_.max()
                images[filled, 0] = (slice_ - lo) / (hi - lo)
                labels[filled] = lab
                filled += 1
        subject += 1
    return images, labels


def _rated_slice(image: np.ndarray, label: np.ndarray, fine_mm: float, fine: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Version 2 of :func:`acdc_like_slices` for one slice drawn at ``fine_mm`` pixels: distractors, a coil
    bias, the average over ``fine`` × ``fine`` blocks, noise; the label a rater's (smoothly displaced edges),
    by majority per block."""
    out = _with_distractors(image, label, fine_mm, rng, blur_and_noise=False)
    out = out * bias_field(out.shape, rng, 80.0 / fine_mm, 0.25)
    h, w = label.shape
    out = out.reshape(h // fine, fine, w // fine, fine).mean((1, 3))
    out = ndimage.gaussian_filter(out, 0.5) + 0.06 * rng.standard_normal(out.shape)
    shift = [smooth_noise(label.shape, rng, 8.0 / fine_mm) for _ in range(2)]  # the rater's displacement, mm
    scale = ACDC_RATER_MM / fine_mm / np.sqrt(np.mean(shift[0] ** 2 + shift[1] ** 2))
    grid = np.mgrid[:h, :w].astype(float)
    rated = ndimage.map_coordinates(label, [grid[0] + scale * shift[0], grid[1] + scale * shift[1]], order=0,
                                    mode="nearest")
    votes = np.stack([(rated == c).reshape(h // fine, fine, w // fine, fine).sum((1, 3)) for c in range(4)])
    return out.astype(np.float32), votes.argmax(0).astype(np.uint8)
