"""The robustness sweep: every loss, metric, loader, the runner and the CLI against bad input.

Each case is one test. A case passes only when the call raises the expected error type with a message that
starts with (or names) the argument at fault, so a reader of the error knows what to change. The README's
"Reliability" section states the counts; ``test_readme_states_the_counts`` keeps them in step.
"""

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from _layouts import (
    write_acdc_patient, write_brats_subject, write_kvasir, write_msseg2, write_msseg2016, write_nifti,
)

from dicecore.cli import main
from dicecore.data.datasets import acdc_patients, brats_subjects, load_acdc_patient, load_brats_subject
from dicecore.data.datasets import (
    kvasir_pairs, load_kvasir_pair, load_lesion_subject, msseg2_subjects, msseg2016_subjects,
)
from dicecore.data.files import find_label_files, label_values, load_image, load_label_map, parse_classes
from dicecore.experiments.study import ResultStore, run_study
from dicecore.grad import dice_loss_grad
from dicecore.losses import (
    DiceLoss, GeneralizedDiceLoss, PMDiceLoss, cross_entropy_loss, dice_loss, eq4_dice_loss,
    focal_cross_entropy_loss, focal_dice_loss, generalized_dice_loss, leaf_dice_loss, logarithmic_dice_loss,
    marginal_dice_loss, negative_topk_dice_loss, pm_dice_loss, sensitivity_specificity_loss,
    topk_cross_entropy_loss, topk_dice_loss, two_class_dice_loss, weighted_cross_entropy,
)
from dicecore.metrics import (
    bootstrap_mean_test, dice_score, mean_cross_entropy, roc_auc, roc_curve, segmentation_metrics, soft_dice_score,
    surface_dice, volume, volume_error,
)
from dicecore.results import write_table
from dicecore.book.chapters import ChapterFailed, run_chapter

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------------------- losses
# name → (call(input, target, **kw), channels C, takes ε). Multi-class losses get one-hot targets (B, C, …)
# and label maps with to_onehot_y=True; two-class losses get one foreground map (B, 1, …).
LOSSES = {
    "dice_loss": (lambda x, y, **kw: dice_loss(x, y, **kw), 3, True),
    "DiceLoss": (lambda x, y, eps=None, **kw: DiceLoss(**kw, **({} if eps is None else
                                                               {"smooth_nr": eps, "smooth_dr": eps}))(x, y), 3, True),
    "generalized_dice_loss": (lambda x, y, **kw: generalized_dice_loss(x, y, **kw), 3, True),
    "GeneralizedDiceLoss": (lambda x, y, eps=None, **kw: GeneralizedDiceLoss(
        **kw, **({} if eps is None else {"smooth_nr": eps, "smooth_dr": eps}))(x, y), 3, True),
    "marginal_dice_loss": (lambda x, y, **kw: marginal_dice_loss(x, y, torch.ones(2, 3, dtype=torch.bool), **kw),
                           3, True),
    "leaf_dice_loss": (lambda x, y, **kw: leaf_dice_loss(x, y, **kw), 3, True),
    "dice_loss_grad": (lambda x, y, **kw: dice_loss_grad(x, y, **kw), 3, True),
    "two_class_dice_loss": (lambda x, y, **kw: two_class_dice_loss(x, y, **kw), 1, True),
    "sensitivity_specificity_loss": (lambda x, y, **kw: sensitivity_specificity_loss(x, y, **kw), 1, True),
    "weighted_cross_entropy": (lambda x, y, **kw: weighted_cross_entropy(x, y, **kw), 1, False),
    "pm_dice_loss": (lambda x, y, **kw: pm_dice_loss(x, y, **kw), 3, True),
    "PMDiceLoss": (lambda x, y, eps=1e-6, to_onehot_y=False: PMDiceLoss(eps=eps, to_onehot_y=to_onehot_y)(x, y), 3, True),
    "eq4_dice_loss": (lambda x, y, **kw: eq4_dice_loss(x, y, **kw), 3, True),
    "logarithmic_dice_loss": (lambda x, y, **kw: logarithmic_dice_loss(x, y, **kw), 3, True),
    "focal_dice_loss": (lambda x, y, **kw: focal_dice_loss(x, y, **kw), 3, True),
    "negative_topk_dice_loss": (lambda x, y, **kw: negative_topk_dice_loss(x, y, **kw), 3, True),
    "topk_dice_loss": (lambda x, y, **kw: topk_dice_loss(x, y, **kw), 3, True),
    "cross_entropy_loss": (lambda x, y, **kw: cross_entropy_loss(x, y, **kw), 3, False),
    "focal_cross_entropy_loss": (lambda x, y, **kw: focal_cross_entropy_loss(x, y, **kw), 3, False),
    "topk_cross_entropy_loss": (lambda x, y, **kw: topk_cross_entropy_loss(x, y, **kw), 3, False),
}
SHAPE = (2, 5, 4)


def _good(channels):
    g = torch.Generator().manual_seed(0)
    probs = torch.rand(2, channels, *SHAPE, generator=g, dtype=torch.float64)
    if channels > 1:
        probs = probs / probs.sum(1, keepdim=True)
        labels = torch.randint(0, channels, (2, 1, *SHAPE), generator=g)
        target = torch.zeros_like(probs).scatter_(1, labels, 1.0)
    else:
        labels = (torch.rand(2, 1, *SHAPE, generator=g) > 0.5).long()
        target = labels.double()
    return probs, target, labels


def _bad(case, channels):
    """(input, target, keywords, expected error type, message pattern) for one bad-input case."""
    probs, target, labels = _good(channels)
    if case == "target shape":
        return probs, target[..., :3], {}, ValueError, r"(target|input).*shape"
    if case == "integer input":
        return (probs * 10).long(), target, {}, TypeError, r"^input: .*floating"
    if case == "not a tensor":
        return probs.tolist(), target, {}, TypeError, r"^input: expected a torch.Tensor"
    if case == "NaN input":
        probs[0, 0, 0, 0, 0] = float("nan")
        return probs, target, {}, ValueError, r"^input: contains NaN or Inf"
    if case == "Inf input":
        probs[1, 0, 1, 1, 1] = float("inf")
        return probs, target, {}, ValueError, r"^input: contains NaN or Inf"
    if case == "probabilities > 1":
        return probs * 3, target, {}, ValueError, r"^input: .*\[0, 1\]"
    if case == "probabilities < 0":
        return probs - 0.5, target, {}, ValueError, r"^input: .*\[0, 1\]"
    if case == "NaN target":
        target[0, 0, 0, 0, 0] = float("nan")
        return probs, target, {}, ValueError, r"^target: .*NaN"
    if case == "label value ≥ C":
        bad = labels.clone()
        bad[0, 0, 0, 0, 0] = max(channels, 2)
        kw = {"to_onehot_y": True} if channels > 1 else {}
        return probs, bad if channels > 1 else bad.double(), kw, ValueError, r"^target: .*(label|value|binary|\[0, 1\])"
    if case == "ε = 0 on an empty map":
        empty = torch.zeros_like(probs)
        return empty, torch.zeros_like(target), {"eps": 0.0}, ValueError, r"(eps|smooth_dr|ε).*0/0"
    raise AssertionError(case)


LOSS_CASES = ["target shape", "integer input", "not a tensor", "NaN input", "Inf input", "probabilities > 1",
              "probabilities < 0", "NaN target", "label value ≥ C", "ε = 0 on an empty map"]
LOSS_GRID = [(name, case) for name in LOSSES for case in LOSS_CASES
             if case != "ε = 0 on an empty map" or LOSSES[name][2]]


@pytest.mark.parametrize("name, case", LOSS_GRID, ids=[f"{n}-{c}" for n, c in LOSS_GRID])
def test_loss_rejects_bad_input(name, case):
    call, channels, _ = LOSSES[name]
    x, y, kw, error, pattern = _bad(case, channels)
    with pytest.raises(error, match=pattern):
        call(x, y, **kw)


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_accepts_good_input(name):
    """The control for the sweep: the same call on good input returns finite numbers."""
    call, channels, _ = LOSSES[name]
    probs, target, _ = _good(channels)
    out = call(probs, target)
    assert bool(torch.isfinite(out).all())


# -------------------------------------------------------------------------------------------- metrics
def _maps():
    g = torch.Generator().manual_seed(1)
    return torch.rand(3, 1, 4, 4, generator=g, dtype=torch.float64), (torch.rand(3, 1, 4, 4, generator=g) > .5).double()


def _metric_cases():
    p, t = _maps()
    nan = p.clone()
    nan[0, 0, 0, 0] = float("nan")
    inf = p.clone()
    inf[1, 0, 1, 1] = float("inf")
    two = t.clone()
    two[0, 0, 0, 0] = 2
    scores, positive = np.array([0.1, 0.9, 0.4]), np.array([False, True, True])
    return [
        ("dice_score", "shape", lambda: dice_score(p, t[:, :, :3]), ValueError, r"^pred_mask, target: shapes differ"),
        ("dice_score", "NaN", lambda: dice_score(nan, t), ValueError, r"^pred_mask: contains NaN"),
        ("dice_score", "label value ≥ 2", lambda: dice_score(p, two), ValueError, r"^target: expected a binary mask"),
        ("dice_score", "complex dtype", lambda: dice_score(p.to(torch.complex128), t), TypeError, r"^pred_mask: .*real"),
        ("dice_score", "not a tensor", lambda: dice_score(p.tolist(), t), TypeError, r"^pred_mask: expected a torch"),
        ("soft_dice_score", "shape", lambda: soft_dice_score(p, t[:2]), ValueError, r"^probs, target: shapes differ"),
        ("soft_dice_score", "Inf", lambda: soft_dice_score(inf, t), ValueError, r"^probs: contains NaN or Inf"),
        ("soft_dice_score", "probabilities > 1", lambda: soft_dice_score(p * 2, t), ValueError, r"^probs: .*\[0, 1\]"),
        ("soft_dice_score", "probabilities < 0", lambda: soft_dice_score(p - 1, t), ValueError, r"^probs: .*\[0, 1\]"),
        ("volume", "probabilities > 1", lambda: volume(p + 1), ValueError, r"^probs: .*\[0, 1\]"),
        ("volume", "NaN", lambda: volume(nan), ValueError, r"^probs: contains NaN"),
        ("volume", "voxel volume ≤ 0", lambda: volume(p, voxel_volume=0), ValueError, r"^voxel_volume:"),
        ("volume", "empty batch", lambda: volume(p[:0]), ValueError, r"^probs: expected a non-empty batch"),
        ("volume_error", "shape", lambda: volume_error(p, t[:, :, 1:]), ValueError, r"^probs, target: shapes differ"),
        ("volume_error", "NaN target", lambda: volume_error(p, t.masked_fill(t > 0, float("nan"))), ValueError,
         r"^target: contains NaN"),
        ("mean_cross_entropy", "probabilities > 1", lambda: mean_cross_entropy(p * 2, t), ValueError,
         r"^probs: .*\[0, 1\]"),
        ("mean_cross_entropy", "shape", lambda: mean_cross_entropy(p, t[:1]), ValueError, r"^probs, target: shapes"),
        ("mean_cross_entropy", "eps out of range", lambda: mean_cross_entropy(p, t, eps=0), ValueError, r"^eps:"),
        ("bootstrap_mean_test", "NaN", lambda: bootstrap_mean_test([1.0, float("nan"), 2.0]), ValueError, r"^values:"),
        ("bootstrap_mean_test", "one value", lambda: bootstrap_mean_test([1.0]), ValueError, r"^values:"),
        ("bootstrap_mean_test", "2-D", lambda: bootstrap_mean_test(np.ones((2, 2))), ValueError, r"^values:"),
        ("bootstrap_mean_test", "not numbers", lambda: bootstrap_mean_test(["a", "b"]), TypeError, r"^values:"),
        ("bootstrap_mean_test", "n_boot", lambda: bootstrap_mean_test([1.0, 2.0], n_boot=5), ValueError, r"^n_boot:"),
        ("roc_auc", "shape", lambda: roc_auc(scores, positive[:2]), ValueError, r"^scores, positive: need two 1-D"),
        ("roc_auc", "one class only", lambda: roc_auc(scores, np.ones(3, bool)), ValueError, r"^positive: both"),
        ("roc_auc", "NaN score", lambda: roc_auc([np.nan, 1, 2], positive), ValueError, r"^scores: contains NaN"),
        ("roc_auc", "labels not 0/1", lambda: roc_auc(scores, [0, 1, 2]), ValueError, r"^positive: expected booleans"),
        ("roc_curve", "shape", lambda: roc_curve(scores, positive[:1]), ValueError, r"^scores, positive: need two"),
        ("roc_curve", "Inf score", lambda: roc_curve([np.inf, 1, 2], positive), ValueError, r"^scores: contains"),
        ("surface_dice", "negative tolerance", lambda: surface_dice(t[0, 0] > 0, t[0, 0] > 0, -1.0), ValueError,
         r"^tolerance: the boundary tolerance"),
        ("surface_dice", "shape", lambda: surface_dice(t[0, 0] > 0, t[0, 0, :2] > 0), ValueError,
         r"^pred_mask, target_mask: need two 2-D or 3-D masks of one shape"),
        ("segmentation_metrics", "shape", lambda: segmentation_metrics(t[:, 0].long(), t[:, 0, :2].long(), 2),
         ValueError, r"^pred_labels, target_labels: shapes differ"),
        ("segmentation_metrics", "label value ≥ C", lambda: segmentation_metrics(t[:, 0].long(), two[:, 0].long(), 2),
         ValueError, r"^target_labels: expected integer labels in 0 … 1"),
        ("segmentation_metrics", "float labels", lambda: segmentation_metrics(p[:, 0], t[:, 0].long(), 2),
         ValueError, r"^pred_labels: expected integer labels"),
        ("segmentation_metrics", "num_classes", lambda: segmentation_metrics(t[:, 0].long(), t[:, 0].long(), 1),
         ValueError, r"^num_classes: need an integer ≥ 2"),
        ("roc_curve", "one class only", lambda: roc_curve(scores, np.zeros(3, bool)), ValueError, r"^positive: both"),
    ]


METRIC_CASES = _metric_cases()


@pytest.mark.parametrize("name, case, call, error, pattern", METRIC_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in METRIC_CASES])
def test_metric_rejects_bad_input(name, case, call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_metrics_on_empty_maps_are_defined_not_nan():
    """Both maps empty (the ε = 0 case of a metric): Dice and soft Dice give their documented value."""
    zero = torch.zeros(2, 1, 3, 3)
    assert dice_score(zero, zero).tolist() == [1.0, 1.0]
    assert soft_dice_score(zero, zero).tolist() == [1.0, 1.0]
    assert soft_dice_score(zero, zero, empty_value=0.0).tolist() == [0.0, 0.0]
    assert torch.isfinite(mean_cross_entropy(zero, zero)).all() and volume_error(zero, zero).tolist() == [0, 0]


# -------------------------------------------------------------------------------------------- loaders
def _truncated_nifti(path):
    write_nifti(path, np.zeros((8, 8, 8), np.int16))
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[: len(raw) // 2]))


def _loader_cases():
    def brats(tmp, fix=None):
        write_brats_subject(tmp, "HGG", "S1")
        if fix:
            fix(tmp / "HGG" / "S1")
        return tmp

    def acdc(tmp, fix=None, **kw):
        write_acdc_patient(tmp, "patient001", **kw)
        if fix:
            fix(tmp / "patient001")
        return tmp

    def seg_shape(folder):
        write_nifti(folder / "S1_seg.nii.gz", np.zeros((5, 4, 3), np.int16))

    def seg_values(folder):
        write_nifti(folder / "S1_seg.nii.gz", np.full((4, 4, 3), 3, np.int16))

    def acdc_gt_shape(folder):
        write_nifti(folder / "patient001_frame01_gt.nii.gz", np.zeros((5, 6, 2), np.int16))

    def acdc_gt_values(folder):
        write_nifti(folder / "patient001_frame01_gt.nii.gz", np.full((6, 6, 2), 7, np.int16))

    def first_brats(tmp):
        return load_brats_subject(brats_subjects(tmp)[0])

    def first_acdc(tmp):
        return load_acdc_patient(acdc_patients(tmp)[0])

    def kvasir(tmp, fix=None):
        write_kvasir(tmp)
        if fix:
            fix(tmp)
        return tmp

    def first_kvasir(tmp):
        return load_kvasir_pair(*kvasir_pairs(tmp)[0])

    def first_msseg(tmp, **kw):
        write_msseg2016(tmp, **kw)
        return load_lesion_subject(msseg2016_subjects(tmp)[0])

    return [
        ("kvasir_pairs", "unexpected layout", lambda t: ((t / "Kvasir").mkdir(), kvasir_pairs(t)), FileNotFoundError,
         r"^data_root: .* needs images/ and masks/"),
        ("kvasir_pairs", "missing mask", lambda t: kvasir_pairs(kvasir(t, lambda r: (r / "masks" / "b.jpg").unlink())),
         FileNotFoundError, r"Kvasir-SEG: no mask in .* for b.jpg"),
        ("load_kvasir_pair", "corrupt image", lambda t: first_kvasir(kvasir(
            t, lambda r: (r / "images" / "a.jpg").write_bytes(b"\xff\xd8 not a jpeg"))), ValueError,
         r"image file .*a.jpg' could not be read"),
        ("load_kvasir_pair", "truncated image", lambda t: first_kvasir(kvasir(
            t, lambda r: (r / "masks" / "a.jpg").write_bytes((r / "masks" / "a.jpg").read_bytes()[:60]))), ValueError,
         r"image file .*a.jpg' could not be read"),
        ("msseg2016_subjects", "unexpected layout", lambda t: ((t / "Patient_01").mkdir(), msseg2016_subjects(t)),
         FileNotFoundError, r"^data_root: no <patient>/Preprocessed_Data/"),
        ("msseg2016_subjects", "missing modality", lambda t: (write_msseg2016(t), (
            t / "Center_01/Patient_01/Preprocessed_Data/GADO_preprocessed.nii.gz").unlink(), msseg2016_subjects(t)),
         FileNotFoundError, r"lacks Preprocessed_Data/GADO_preprocessed.nii.gz"),
        ("load_lesion_subject", "image/label shape mismatch", lambda t: first_msseg(t, label_shape=(6, 5, 3)),
         ValueError, r"images and label differ in shape"),
        ("msseg2_subjects", "missing time point", lambda t: (write_msseg2(t), (
            t / "013" / "flair_time02_on_middle_space.nii.gz").unlink(), msseg2_subjects(t)), FileNotFoundError,
         r"lacks flair_time02_on_middle_space.nii.gz"),
        ("load_label_map", "missing file", lambda t: load_label_map(t / "nope.nii.gz"), FileNotFoundError,
         r"label file .*nope.nii.gz' does not exist"),
        ("load_label_map", "truncated NIfTI", lambda t: (_truncated_nifti(t / "x.nii.gz"), load_label_map(t / "x.nii.gz")),
         ValueError, r"label file .*x.nii.gz' could not be read"),
        ("load_label_map", "corrupt NIfTI", lambda t: ((t / "x.nii.gz").write_bytes(b"not nifti"),
                                                       load_label_map(t / "x.nii.gz")),
         ValueError, r"x.nii.gz' could not be read"),
        ("load_label_map", "fractional labels", lambda t: (np.save(t / "f.npy", np.full((2, 2), .5)),
                                                           load_label_map(t / "f.npy")),
         ValueError, r"non-integer"),
        ("load_image", "missing file", lambda t: load_image(t / "img.nii.gz"), FileNotFoundError,
         r"image file .*img.nii.gz' does not exist"),
        ("load_image", "truncated NIfTI", lambda t: (_truncated_nifti(t / "i.nii.gz"), load_image(t / "i.nii.gz")),
         ValueError, r"image file .*could not be read"),
        ("load_image", "NaN voxels", lambda t: (write_nifti(t / "n.nii.gz", np.full((2, 2, 2), np.nan, np.float32)),
                                                load_image(t / "n.nii.gz")),
         ValueError, r"contains NaN or Inf"),
        ("find_label_files", "missing folder", lambda t: find_label_files(t / "nope"), FileNotFoundError,
         r"^label_dir: .* is not a directory"),
        ("find_label_files", "no matching file", lambda t: find_label_files(t), FileNotFoundError,
         r"^label_dir: no file matching"),
        ("label_values", "all maps empty", lambda t: (write_nifti(t / "a_seg.nii.gz", np.zeros((2, 2, 2), np.int16)),
                                                      label_values([t / "a_seg.nii.gz"])),
         ValueError, r"^label_dir: every label map is empty"),
        ("parse_classes", "not integers", lambda t: parse_classes("1,two"), ValueError, r"^classes:"),
        ("brats_subjects", "missing folder", lambda t: brats_subjects(t / "nope"), FileNotFoundError,
         r"^data_root: .* is not a directory"),
        ("brats_subjects", "unexpected layout", lambda t: ((t / "subjects").mkdir(), brats_subjects(t)),
         FileNotFoundError, r"^data_root: .* has neither HGG/ nor LGG/"),
        ("brats_subjects", "empty grade folders", lambda t: ((t / "HGG").mkdir(), brats_subjects(t)),
         FileNotFoundError, r"^data_root: no subject folders"),
        ("brats_subjects", "missing modality", lambda t: brats_subjects(brats(t, lambda f: (f / "S1_t2.nii.gz").unlink())),
         FileNotFoundError, r"lacks \*_t2.nii.gz"),
        ("load_brats_subject", "image/label shape mismatch", lambda t: first_brats(brats(t, seg_shape)), ValueError,
         r"images and label differ in shape"),
        ("load_brats_subject", "unexpected label values", lambda t: first_brats(brats(t, seg_values)), ValueError,
         r"unexpected label values \[3\]"),
        ("load_brats_subject", "corrupt NIfTI", lambda t: first_brats(brats(
            t, lambda f: (f / "S1_flair.nii.gz").write_bytes(b"corrupt"))), ValueError, r"S1_flair.nii.gz' could not be read"),
        ("load_brats_subject", "truncated NIfTI", lambda t: first_brats(brats(
            t, lambda f: _truncated_nifti(f / "S1_seg.nii.gz"))), ValueError, r"S1_seg.nii.gz' could not be read"),
        ("acdc_patients", "missing folder", lambda t: acdc_patients(t / "nope"), FileNotFoundError,
         r"^data_root: .* is not a directory"),
        ("acdc_patients", "unexpected layout", lambda t: ((t / "HGG").mkdir(), acdc_patients(t)), FileNotFoundError,
         r"^data_root: no patientNNN/ folders"),
        ("acdc_patients", "no Info.cfg", lambda t: acdc_patients(acdc(t, lambda f: (f / "Info.cfg").unlink())),
         FileNotFoundError, r"has no Info.cfg"),
        ("acdc_patients", "Info.cfg without ED/ES", lambda t: acdc_patients(acdc(t, info="Group: NOR\n")), ValueError,
         r"needs integer 'ED:' and 'ES:'"),
        ("acdc_patients", "missing frame", lambda t: acdc_patients(acdc(
            t, lambda f: (f / "patient001_frame05_gt.nii.gz").unlink())), FileNotFoundError,
         r"lacks patient001_frame05_gt.nii.gz"),
        ("load_acdc_patient", "image/label shape mismatch", lambda t: first_acdc(acdc(t, acdc_gt_shape)), ValueError,
         r"patient001 ED: image .* and label .* differ"),
        ("load_acdc_patient", "unexpected label values", lambda t: first_acdc(acdc(t, acdc_gt_values)), ValueError,
         r"unexpected label values \[7\]"),
        ("load_acdc_patient", "corrupt NIfTI", lambda t: first_acdc(acdc(
            t, lambda f: (f / "patient001_frame01.nii.gz").write_bytes(b"\x1f\x8b junk"))), ValueError,
         r"patient001_frame01.nii.gz' could not be read"),
    ]


LOADER_CASES = _loader_cases()


@pytest.mark.parametrize("name, case, call, error, pattern", LOADER_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in LOADER_CASES])
def test_loader_rejects_bad_files(name, case, call, error, pattern, tmp_path):
    with pytest.raises(error, match=pattern):
        call(tmp_path)


# ------------------------------------------------------------------------------------ runner and CLI
TINY_CHAPTER = '''# %% tags=["parameters"]
profile = "ci"
device = "auto"
seed = 0
data_root = None
fail = False

# %%
if fail:
    raise RuntimeError("the chapter stopped here")
print("done", seed)
'''


@pytest.fixture
def tiny_chapters(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "01_tiny.py").write_text(TINY_CHAPTER)
    return folder


def _runner_cases():
    return [
        ("run_chapter", "unknown chapter", lambda d, t: run_chapter("07", directory=d, output=t / "o.ipynb"),
         ValueError, r"^chapter: no unique chapter '07'.*available: 01_tiny"),
        ("run_chapter", "unknown parameter", lambda d, t: run_chapter("01", {"sed": 1}, directory=d, output=t / "o.ipynb"),
         ValueError, r"^parameters: unknown name\(s\) \['sed'\]"),
        ("run_chapter", "unknown profile", lambda d, t: run_chapter("01", {"profile": "huge"}, directory=d,
                                                                   output=t / "o.ipynb"),
         ValueError, r"^profile: unknown profile 'huge'"),
        ("run_chapter", "bad value type (seed)", lambda d, t: run_chapter("01", {"seed": "abc"}, directory=d,
                                                                         output=t / "o.ipynb"),
         TypeError, r"^seed: parameter of 01_tiny expects an integer .*got 'abc'"),
        ("run_chapter", "bad value type (flag)", lambda d, t: run_chapter("01", {"fail": 1}, directory=d,
                                                                         output=t / "o.ipynb"),
         TypeError, r"^fail: parameter of 01_tiny expects True or False"),
        ("run_chapter", "bad value type (data_root)", lambda d, t: run_chapter("01", {"data_root": 3}, directory=d,
                                                                              output=t / "o.ipynb"),
         TypeError, r"^data_root: .*None or a string"),
        ("run_chapter", "unwritable output folder", lambda d, t: ((t / "file").write_text("x"), run_chapter(
            "01", directory=d, output=t / "file" / "o.ipynb")), PermissionError, r"^output: cannot write to"),
        ("run_chapter", "output not .ipynb", lambda d, t: run_chapter("01", directory=d, output=t / "o.txt"),
         ValueError, r"^output: .* must end in .ipynb"),
        ("run_chapter", "chapter raises", lambda d, t: run_chapter("01", {"fail": True}, directory=d,
                                                                   output=t / "o.ipynb", progress=False),
         ChapterFailed, r"^chapter: 01_tiny failed in cell \d+: RuntimeError: the chapter stopped here"),
    ]


RUNNER_CASES = _runner_cases()


@pytest.mark.parametrize("name, case, call, error, pattern", RUNNER_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in RUNNER_CASES])
def test_runner_rejects_bad_requests(name, case, call, error, pattern, tiny_chapters, tmp_path):
    with pytest.raises(error, match=pattern):
        call(tiny_chapters, tmp_path)
    assert not (tmp_path / "o.ipynb").exists()  # nothing half-written


def test_failed_chapter_is_kept_for_inspection_and_a_rerun_succeeds(tiny_chapters, tmp_path):
    out = tmp_path / "runs" / "tiny.ipynb"
    with pytest.raises(ChapterFailed):
        run_chapter("01", {"fail": True}, directory=tiny_chapters, output=out, progress=False)
    failed = out.with_name("tiny.failed.ipynb")
    assert not out.exists() and "the chapter stopped here" in failed.read_text()
    assert run_chapter("01", {"seed": 4}, directory=tiny_chapters, output=out, progress=False) == out
    assert "done 4" in out.read_text() and not failed.exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["tiny.ipynb"]  # no temporary files left


def test_a_cut_run_leaves_no_partial_file_and_a_rerun_resumes(tmp_path, monkeypatch):
    import _toy_study as toy

    cells = toy.STUDY.grid("ci")
    monkeypatch.setenv(toy.CUT_ENV, cells[2].key)  # the run is cut while the third cell trains
    with pytest.raises(KeyboardInterrupt):
        run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False)
    finished = sorted(p.name for p in (tmp_path / "per_training").iterdir())
    assert finished == sorted(f"{c.key}.csv" for c in cells[:2])  # finished ones only, no temporary file
    summary = run_study(toy.STUDY, "ci", workers=0, folder=tmp_path, progress=False)
    assert (summary.done_before, summary.ran) == (2, 2)
    assert ResultStore(tmp_path).read(cells)["n"].tolist() == [c.n for c in cells]


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "summary.csv"
    write_table(pd.DataFrame({"a": [1]}), path)

    def cut(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr("os.replace", cut)
    with pytest.raises(KeyboardInterrupt):
        write_table(pd.DataFrame({"a": [2]}), path)
    assert pd.read_csv(path)["a"].tolist() == [1] and [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


# Plain papermill (not dicecore run) sets a bad parameter: the chapter's first cell after the parameters stops it.
PAPERMILL_CASES = [
    ("unknown name", {"prfile": "paper"}, "ValueError",
     r"unknown name\(s\) \['prfile'\] for 01_dice_anatomy; its parameters are \['data_root', 'device', 'profile', 'seed'\]"),
    ("ill-typed value", {"seed": "one"}, "TypeError",
     r"seed: parameter of 01_dice_anatomy expects an integer \(default 0\), got 'one'"),
]


@pytest.fixture(scope="module")
def chapter_one_ipynb(tmp_path_factory):
    import jupytext

    path = tmp_path_factory.mktemp("papermill") / "01_dice_anatomy.ipynb"
    jupytext.write(jupytext.read(ROOT / "notebooks" / "01_dice_anatomy.py"), path, fmt="ipynb")
    return path


@pytest.mark.parametrize("case, parameters, error, pattern", PAPERMILL_CASES, ids=[c[0] for c in PAPERMILL_CASES])
def test_papermill_parameter_stops_the_first_cell(case, parameters, error, pattern, chapter_one_ipynb, tmp_path):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with pytest.raises(PapermillExecutionError) as failed:
        papermill.execute_notebook(str(chapter_one_ipynb), str(tmp_path / "out.ipynb"), parameters=parameters,
                                   cwd=str(tmp_path), kernel_name="python3", progress_bar=False)
    assert failed.value.ename == error and re.search(pattern, failed.value.evalue), failed.value.evalue
    nb = json.loads((tmp_path / "out.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    tags = [c["metadata"].get("tags", []) for c in code[:2]]
    assert tags == [["parameters"], ["injected-parameters"]]
    stopped = code[2]  # the first cell after the parameters
    assert "chapter_parameters_from" in "".join(stopped["source"])
    assert [o["ename"] for o in stopped["outputs"] if o["output_type"] == "error"] == [error]
    assert all(c.get("execution_count") is None for c in code[3:])  # nothing after it ran


CLI_CASES = [
    ("run", "unknown chapter", ["run", "42"], r"chapter: no unique chapter '42'"),
    ("run", "unknown parameter", ["run", "01", "-p", "seeed=1"], r"unknown name\(s\) \['seeed'\]"),
    ("run", "malformed parameter", ["run", "01", "-p", "profile"], r"not of the form name=value"),
    ("run", "three words to -p", ["run", "01", "-p", "seed", "1", "2"], r"not of the form name=value or name value"),
    ("run", "bad value type", ["run", "01", "-p", "seed=one"], r"seed: parameter of 01_dice_anatomy expects an integer"),
    ("epsilon", "missing folder", ["epsilon", "/nonexistent/labels"], r"label_dir: .* is not a directory"),
    ("epsilon", "bad classes", ["epsilon", ".", "--classes", "1,x"], r"classes: expected comma-separated"),
    ("epsilon", "bad batch size", ["epsilon", ".", "--batch-size", "0"], r"--batch-size: must be a positive"),
    ("bench", "bad shape", ["bench", "--shape", "2,x,4"], r"--shape: expected B,C,\*spatial"),
    ("bench", "too few dimensions", ["bench", "--shape", "2,4"], r"--shape: need B,C and at least one"),
]


@pytest.mark.parametrize("command, case, argv, pattern", CLI_CASES, ids=[f"{c[0]}-{c[1]}" for c in CLI_CASES])
def test_cli_error_is_one_line_without_traceback(command, case, argv, pattern, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dicecore {command}: error: "), err
    assert re.search(pattern, lines[0]) and "Traceback" not in err


# ------------------------------------------------------------------------------------------- counts
SWEEP = {
    "losses": len(LOSS_GRID),
    "metrics": len(METRIC_CASES),
    "loaders": len(LOADER_CASES),
    "runner and CLI": len(RUNNER_CASES) + len(CLI_CASES) + len(PAPERMILL_CASES) + 3,  # + failed chapter, cut run, cut write
}


def test_readme_states_the_counts():
    readme = (ROOT / "README.md").read_text()
    section = " ".join(readme[readme.index("## Reliability"):].split())
    total = sum(SWEEP.values())
    assert f"**{total} bad-input cases**" in section, (SWEEP, total)
    for what, n in SWEEP.items():
        assert f"{n} for {what}" in section, (what, n)


def test_sweep_covers_every_public_loss():
    import dicecore.losses as losses

    public = {n for n in losses.__all__ if n[0].islower() and n.endswith("_loss") or n.endswith("Loss")}
    assert public <= set(LOSSES), public - set(LOSSES)
    assert json.dumps(SWEEP)  # the counts are plain numbers
