"""Chapter 4's 3-D study (dicecore.experiments.missing_empty_3d); its training loop is tested in test_train.py."""

import numpy as np
import pandas as pd
import pytest
import torch

from dicecore.experiments import missing_empty_3d as study, missing_empty_3d_report as report
from dicecore.experiments.study import ResultStore, run_study
from dicecore.losses import dice_loss, marginal_dice_loss


def _cell(dataset, labelling, config, batch_size=2, fold=0, profile="ci", **kw):
    kw.setdefault("iterations", study.grid_length(profile, dataset))
    return study.MissingEmptyCell(dataset=dataset, labelling=labelling, config=config, batch_size=batch_size,
                                  fold=fold, profile=profile, **kw)


def test_the_grid_is_the_papers():
    grid = study.STUDY.grid("paper")
    brats = [t for t in grid if t.dataset == "brats"]
    acdc = [t for t in grid if t.dataset == "acdc"]
    assert len(brats) == 5 * 2 * (3 * 4 - 1)  # BI at B = 1 is I
    assert not [t for t in brats if t.config == "BI" and t.batch_size == 1]
    assert len(acdc) == 5 * (3 + 5) and {t.batch_size for t in acdc} == {2}
    assert {t.config for t in acdc if t.labelling == "full"} == {"I", "BI", "Iε"}
    assert len({t.key for t in grid}) == len(grid)
    assert grid[0].key == ("dataset-brats__labelling-full__config-I__batch_size-1__fold-0__iterations-1500__"
                           "phantom-2__profile-paper__seed-0")
    assert "config-Ieps" in _cell("brats", "full", "Iε").key
    with pytest.raises(ValueError, match="config: 'marginal' is trained on partially labelled ACDC only"):
        _cell("brats", "partial", "marginal")
    with pytest.raises(ValueError, match="dataset: 'brats' or 'acdc'"):
        _cell("isles", "full", "I")
    with pytest.raises(ValueError, match="labelling: 'full' or 'partial'"):
        _cell("brats", "some", "I")
    with pytest.raises(ValueError, match="profile: one of"):
        study.cells("huge")
    with pytest.raises(ValueError, match="datasets: 'brats' and/or 'acdc'"):
        study.grid_cells("ci", datasets=("kvasir",))
    # the cpu profile: BraTS-like and ACDC-like at 1600 iterations, BraTS-like at B ∈ {1, 2, 4}, and the
    # training-length checks (fold 0), whose 1600-iteration cells are the grid's own
    grid = study.grid_cells("cpu")
    assert len(grid) == 5 * 2 * (3 * 3 - 1) + 5 * (3 + 5) == 120
    assert {(c.dataset, c.iterations) for c in grid} == {("brats", 1600), ("acdc", 1600)}
    check = study.length_check_cells("cpu", dataset="brats")
    assert sorted({c.iterations for c in check}) == [400, 1600, 3200] and {c.fold for c in check} == {0}
    assert {c.config for c in check} == {"I", "BI", "Iε"} and {c.labelling for c in check} == {"partial"}
    acdc = study.length_check_cells("cpu", dataset="acdc")  # ACDC-like: 400, 800, the grid's 1600 and 3200
    assert sorted({c.iterations for c in acdc}) == [400, 800, 1600, 3200] and {c.dataset for c in acdc} == {"acdc"}
    assert study.length_check_cells("cpu") == check + acdc
    assert len(study.STUDY.grid("cpu")) == 120 + 6 + 9  # BraTS-like's 400 and 3200 cells, ACDC-like's 400, 800, 3200
    assert study.length_check_cells("paper") == [] and study.length_check_cells("ci", dataset="acdc") == []
    with pytest.raises(ValueError, match="dataset: 'brats' or 'acdc', got 'kvasir'"):
        study.length_check_cells("cpu", dataset="kvasir")
    with pytest.raises(ValueError, match="dataset: 'brats' or 'acdc'"):
        study.grid_length("cpu", "kvasir")


# --- data -------------------------------------------------------------------------------------------------

def test_cohorts_folds_and_partial_labels():
    brats = study.cohort("brats", "ci")
    assert brats["images"].shape == (10, 4, 60, 60, 40) and brats["voxel_ml"] == pytest.approx(0.064)
    np.testing.assert_allclose(brats["images"].mean(axis=(2, 3, 4)), 0, atol=1e-4)
    acdc = study.cohort("acdc", "ci")
    assert acdc["images"].shape == (16, 1, 96, 96, 24) and list(acdc["group"][:2]) == ["ED", "ES"]
    for data, folds in ((brats, 2), (acdc, 2)):
        held = [set(data["subject"][study.split(data, folds, f)[1]]) for f in range(folds)]
        assert set.union(*held) == set(data["subject"]) and not set.intersection(*held)
        tr, te = study.split(data, folds, 0)
        assert not set(data["subject"][tr]) & set(data["subject"][te])  # both frames of a subject together
    tr, te = study.split(brats, 2, 0)
    assert {"HGG", "LGG"} <= set(brats["group"][te])  # stratified by grade
    with pytest.raises(ValueError, match="fold: need 0 ≤ fold < 2"):
        study.split(brats, 2, 2)
    labels = study.training_labels(brats, tr, "brats", "partial")
    lgg = brats["group"][tr] == "LGG"
    assert labels[lgg].sum() == 0 and (labels[~lgg] == brats["labels"][tr][~lgg]).all()
    labels = study.training_labels(acdc, tr, "acdc", "partial")
    es = acdc["group"][tr] == "ES"
    assert not (labels[es] == 2).any() and (labels[~es] == 2).any()


def test_the_cohort_cache_is_reused_and_a_corrupt_one_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("DICECORE_CACHE", str(tmp_path))
    study.cohort.cache_clear()
    first = study.cohort("acdc", "ci")
    (folder,) = (tmp_path / "cohorts").iterdir()
    study.cohort.cache_clear()
    again = study.cohort("acdc", "ci")  # read back from the folder
    np.testing.assert_array_equal(first["images"], again["images"])
    assert isinstance(again["images"], np.memmap)
    (folder / "labels.npy").write_bytes(b"garbage")
    study.cohort.cache_clear()
    with pytest.raises(ValueError, match="cohort: the cached cohort in .* cannot be read .*delete that folder"):
        study.cohort("acdc", "ci")
    with pytest.raises(ValueError, match="dataset: 'brats' or 'acdc'"):
        study.cohort("isles", "ci")
    study.cohort.cache_clear()


def test_training_epsilon_is_the_mean_foreground_volume():
    labels = np.zeros((4, 3, 3, 2), np.uint8)
    labels[0, 0, 0, 0] = 1
    labels[1, :2, :, 0] = 1  # 6 voxels
    np.testing.assert_allclose(study.training_epsilon(labels, "brats", np.array(["HGG"] * 4)), [7 / 4])
    acdc = np.zeros((2, 2, 2, 1), np.uint8)
    acdc[0] = 2  # ED: 4 myocardium voxels
    acdc[1, 0] = 3  # ES: 2 LV voxels
    eps = study.training_epsilon(acdc, "acdc", np.array(["ED", "ES"]))
    np.testing.assert_allclose(eps, [0, 3 * 4 / 4, 1 * 2 / 4])  # RV, MYO, LV, weighted ED : ES = 3 : 1


# --- losses and networks ----------------------------------------------------------------------------------

def test_per_class_epsilon_dice_is_dl_i_when_the_epsilons_agree():
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 6, 6, 3)
    labels = torch.randint(0, 4, (2, 1, 6, 6, 3))
    onehot = torch.nn.functional.one_hot(labels[:, 0], 4).movedim(-1, 1).float()
    ours = study._per_class_eps_dice(logits, onehot, [5.0, 5.0, 5.0])
    ref = dice_loss(logits, labels, "I", 5.0, activation="softmax", to_onehot_y=True, include_background=False)
    torch.testing.assert_close(ours, ref)
    mixed = study._per_class_eps_dice(logits, onehot, [1e-7, 5.0, 50.0])
    by_hand = torch.stack([dice_loss(torch.softmax(logits, 1)[:, c:c + 1], onehot[:, c:c + 1], "I", e)
                           for c, e in ((1, 1e-7), (2, 5.0), (3, 50.0))]).mean()
    torch.testing.assert_close(mixed, by_hand)


def test_the_marginal_loss_leaves_the_es_myocardium_unannotated():
    labels = torch.zeros(2, 1, 4, 4, 2)
    labels[:, 0, :2] = 3  # LV
    labels[:, 0, 2, :2] = 2  # myocardium (in the ED frame; relabelled background in ES below)
    labels[1, 0][labels[1, 0] == 2] = 0
    flag = torch.tensor([0.0, 1.0]).reshape(2, 1, 1, 1, 1).expand(2, 1, 4, 4, 2)
    target = torch.cat([labels, flag], 1)
    torch.manual_seed(1)
    logits = torch.randn(2, 4, 4, 4, 2)
    loss = study.loss_function(_cell("acdc", "partial", "marginal"))(logits, target)
    annotated = torch.tensor([[True, True, True, True], [True, True, False, True]])
    ref = marginal_dice_loss(logits, labels.long(), annotated, 1e-7, activation="softmax", to_onehot_y=True,
                             include_background=False)
    torch.testing.assert_close(loss, ref)
    leaf = study.loss_function(_cell("acdc", "partial", "leaf"))
    assert not torch.isclose(loss, leaf(logits, target))  # no RV here: leaf drops its empty maps, marginal not
    target[:, 0, 3, 3] = 1  # an RV in both frames: now every annotated structure is present in every frame
    marginal = study.loss_function(_cell("acdc", "partial", "marginal"))
    # with the background out of the loss, merging the ES myocardium into it (marginal) and dropping its
    # empty map (leaf) remove the same term: the two losses are one function here
    torch.testing.assert_close(marginal(logits, target), leaf(logits, target))
    for config in ("I", "BI", "leaf"):  # the other losses read the label map and ignore the flag
        value = study.loss_function(_cell("acdc", "partial", config))(logits, target)
        assert torch.isfinite(value)


def test_networks_keep_the_spatial_shape():
    net = study.build_network("brats", 4, (4, 8, 16, 32))
    assert net(torch.zeros(1, 4, 40, 40, 24)).shape == (1, 1, 40, 40, 24)
    net = study.build_network("acdc", 1, (4, 8, 16, 32))
    assert net(torch.zeros(2, 1, 96, 96, 24)).shape == (2, 4, 96, 96, 24)
    assert isinstance(net.input_block.norm1, torch.nn.BatchNorm3d)  # the ACDC variant: batch norm
    assert tuple(net.input_block.conv1.conv.kernel_size) == (3, 3, 1)  # 3 × 3 × 1 at full resolution
    torch.manual_seed(0)
    start = torch.softmax(net.eval()(torch.randn(1, 1, 96, 96, 24)), 1)
    assert (start.argmax(1) == 0).float().mean() > 0.95  # foreground maps start near empty (prior bias)


def test_whole_volumes_not_divisible_by_the_down_sampling_are_padded_for_prediction():
    net = study.build_network("brats", 4, (4, 8, 16, 32))  # down-samples by 8
    volumes = np.random.default_rng(0).standard_normal((2, 4, 30, 30, 20)).astype(np.float32)  # the cpu BraTS-like
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):  # v2 volume is 60 × 60 × 40: not /8
        study._predict(net, volumes, "brats", "cpu")
    pred = study._predict(net, volumes, "brats", "cpu", divisor=8)
    assert pred.shape == (2, 30, 30, 20) and set(np.unique(pred)) <= {0, 1}
    even = volumes[:, :, :24, :24, :16]  # already divisible: padding changes nothing
    np.testing.assert_array_equal(study._predict(net, even, "brats", "cpu", divisor=8),
                                  study._predict(net, even, "brats", "cpu"))


# --- one training, and the tables ---------------------------------------------------------------------------

def test_one_training_end_to_end_is_reproducible(tmp_path):
    task = _cell("brats", "partial", "Iε")
    paths = ResultStore(tmp_path).paths(task)
    a = study.run_cell(task, paths)
    b = study.run_cell(task)
    cols = ["entry", "group", "dice", "pred_ml", "dV_ml"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert set(a["structure"]) == {"WT"} and set(a["group"]) == {"HGG", "LGG"}
    assert float(a["epsilon"].iloc[0]) > 0
    ex = np.load(paths.example)
    assert ex["HGG_pred"].shape == (60, 60) and "LGG_z" in ex
    assert paths.checkpoint.is_file()  # kept until the runner has written the result


# --- your own copy of the data ------------------------------------------------------------------------------

def test_real_data_cohorts_from_the_public_layouts(tmp_path):
    from _layouts import write_acdc_patient, write_brats_subject

    root = tmp_path / "data"
    for grade, sid in (("HGG", "Brats18_A_1"), ("HGG", "Brats18_A_2"), ("LGG", "Brats18_B_1"), ("LGG", "Brats18_B_2")):
        seg = np.zeros((24, 28, 20), np.int16)
        seg[8:16, 8:16, 8:16] = 2  # an 8 mm cube of tumour: 2 × 2 × 2 voxels at 4 mm
        write_brats_subject(root / "brats", grade, sid, shape=(24, 28, 20), seg=seg)
    for k in range(2):
        write_acdc_patient(root / "acdc", f"patient00{k + 1}")
    brats = study.cohort("brats", "ci", 0, str(root))
    assert brats["images"].shape == (4, 4, 60, 60, 40) and list(brats["group"]) == ["HGG", "HGG", "LGG", "LGG"]
    assert brats["labels"].sum(axis=(1, 2, 3)).tolist() == [8, 8, 8, 8] and brats["voxel_ml"] == pytest.approx(0.064)
    acdc = study.cohort("acdc", "ci", 0, str(root))
    assert acdc["images"].shape == (4, 1, 96, 96, 24) and list(acdc["group"]) == ["ED", "ES", "ED", "ES"]
    assert set(np.unique(acdc["labels"])) <= {0, 2, 3}
    phantom = _cell("brats", "partial", "I")
    real = study.cells("ci", data_root=str(root))[study.cells("ci").index(phantom)]
    assert real.key.startswith(phantom.key.split("__profile-")[0] + "__data_root-")  # a hash of the folder
    out = study.run_cell(real)
    assert len(out) == 2 and set(out["group"]) == {"HGG", "LGG"}  # one subject of each grade held out
    with pytest.raises(FileNotFoundError, match="data_root: .*acdc.* is not a folder"):
        study.cohort("acdc", "ci", 0, str(tmp_path / "elsewhere"))
    study.cohort.cache_clear()


def test_the_command_line_runs_resumes_and_records_a_partly_run_grid(tmp_path):
    import json

    from dicecore.cli import main

    args = ["study", "04", "--profile", "ci", "--only", "dataset=brats", "--only", "fold=0", "--only",
            "iterations=4", "--workers", "0", "--results", str(tmp_path), "-q"]
    assert main(args) == 0
    record = json.loads((tmp_path / "provenance.json").read_text())
    # the grid's 36 cells and the training-length check's 3 longer ones
    assert record["cells"] == 10 and record["cells_in_grid"] == len(study.STUDY.grid("ci")) == 36 + 3
    assert record["runs"][0]["cells"].startswith("dataset=brats, fold=0, iterations=4: 10 ran")
    assert record["profile"] == "ci"
    assert len(list((tmp_path / "examples").glob("*.npz"))) == 10
    assert not list((tmp_path / "checkpoints").glob("*.pt"))  # removed once each result was written
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "per_training").iterdir()}
    assert main(args) == 0  # resumes: nothing left to train, nothing rewritten
    assert before == {p.name: p.stat().st_mtime_ns for p in (tmp_path / "per_training").iterdir()}
    assert len(json.loads((tmp_path / "provenance.json").read_text())["runs"]) == 1  # a run that ran nothing
    rows = report.figure3_rows(tmp_path / "examples", "ci", "brats", 2)
    assert [r[0] for r in rows] == ["HGG (held out)", "LGG (held out)"]
    name, image, reference, panels = rows[1]
    assert set(panels) == {"GT_train", "I", "BI", "Iε"} and panels["GT_train"].sum() == 0  # LGG: emptied
    assert image.shape == (4, 60, 60) and reference.shape == (60, 60) and reference.sum() > 0


def test_the_length_check_is_the_grid_cells_at_other_lengths(tmp_path):
    cells = study.length_check_cells("ci")
    assert [(c.config, c.iterations) for c in cells] == [(c, n) for n in (4, 8) for c in ("I", "BI", "Iε")]
    grid = {c.key for c in study.grid_cells("ci")}
    assert {c.key for c in cells} & grid == {c.key for c in cells[:3]}  # the reference length is the grid's
    assert len(study.cells("ci")) == len(grid) + 3
    with pytest.raises(ValueError, match="iterations: need ≥ 1"):
        _cell("brats", "partial", "I", iterations=0)
    run_study(study.STUDY, "ci", cells=[c for c in cells if c.config == "I"], workers=0, folder=tmp_path,
              progress=False)
    rows = ResultStore(tmp_path).read(cells)
    pd.testing.assert_frame_equal(study.grid_rows(rows), rows[rows.iterations == 4], check_dtype=False)
    table = report.length_check(rows)
    assert list(zip(table.config, table.group)) == [("I", "HGG"), ("I", "LGG")]
    assert list(table.columns[2:4]) == ["4", "8"] and table[["4", "8"]].stack().between(0, 1).all()
    assert (table["last doubling"] == table["8"] - table["4"]).all()
