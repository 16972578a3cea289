"""dicecore.book.params: profiles, devices, seeds."""

import pytest
import torch

from dicecore.book.params import PROFILES, chapter_parameters, resolve_device


def test_defaults_resolve_and_seed():
    p = chapter_parameters()
    assert p.profile == "ci" and p.device == torch.device("cpu") and p.data_root is None and not p.is_paper
    a = torch.rand(3)
    chapter_parameters(seed=0)
    assert torch.equal(torch.rand(3), a)


def test_unknown_profile_is_an_error():
    with pytest.raises(ValueError, match="profile: unknown profile 'fast'"):
        chapter_parameters(profile="fast")
    from dicecore.experiments.study import PROFILES as STUDY_PROFILES

    assert PROFILES == STUDY_PROFILES == ("ci", "cpu", "paper")  # the chapters' and the studies' names agree


def test_which_profiles_write_the_committed_results():
    assert [chapter_parameters(profile=p).writes_results for p in PROFILES] == [False, True, True]
    assert [chapter_parameters(profile=p).is_paper for p in PROFILES] == [False, False, True]


def test_bad_seed_device_and_data_root(tmp_path):
    with pytest.raises(ValueError, match="seed"):
        chapter_parameters(seed=-1)
    with pytest.raises(ValueError, match="seed"):
        chapter_parameters(seed=1.5)
    with pytest.raises(ValueError, match="device"):
        resolve_device("gpu0")
    with pytest.raises(TypeError, match="device"):
        resolve_device(0)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
    with pytest.raises(FileNotFoundError, match="data_root"):
        chapter_parameters(data_root=tmp_path / "missing")
    assert chapter_parameters(data_root=str(tmp_path)).data_root == tmp_path


# --- chapter_parameters_from: what a chapter's first cell checks (whoever set the values) -------------

def _namespace(**values):
    import math  # a module, a function and IPython's names are not parameters

    return {"In": [], "Out": {}, "get_ipython": print, "_i1": "", "math": math, "sqrt": math.sqrt,
            **dict(profile="ci", device="cpu", seed=0, data_root=None), **values}


def test_namespace_parameters_are_checked_against_the_chapter():
    from dicecore.book.params import chapter_parameters_from

    p = chapter_parameters_from(_namespace(seed=3), "01_dice_anatomy")
    assert p.seed == 3 and p.profile == "ci"
    with pytest.raises(ValueError, match=r"unknown name\(s\) \['prfile'\] for 01_dice_anatomy; its parameters are "
                                         r"\['data_root', 'device', 'profile', 'seed'\]"):
        chapter_parameters_from(_namespace(prfile="paper"), "01_dice_anatomy")
    with pytest.raises(TypeError, match="seed: parameter of 01_dice_anatomy expects an integer"):
        chapter_parameters_from(_namespace(seed="one"), "01_dice_anatomy")
    with pytest.raises(TypeError, match="workers: parameter of 02_volume_bias expects an integer"):
        chapter_parameters_from(_namespace(workers=2.5), "02_volume_bias")
    with pytest.raises(ValueError, match="profile: unknown profile 'huge'"):
        chapter_parameters_from(_namespace(profile="huge"), "01_dice_anatomy")


def test_namespace_without_a_checkout_checks_what_it_can(monkeypatch, tmp_path):
    from dicecore.book.params import chapter_parameters_from

    monkeypatch.setattr("dicecore.book.chapters.notebooks_dir", lambda: tmp_path)  # no chapter files here
    assert chapter_parameters_from(_namespace(extra=1), "01_dice_anatomy").profile == "ci"
    with pytest.raises(ValueError, match="profile: unknown profile"):
        chapter_parameters_from(_namespace(profile="huge"), "01_dice_anatomy")
    ns = _namespace()
    del ns["seed"]
    with pytest.raises(ValueError, match=r"must define \['seed'\]"):
        chapter_parameters_from(ns, "01_dice_anatomy")
