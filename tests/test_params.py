"""dicecore.params: profiles, devices, seeds."""

import pytest
import torch

from dicecore.params import PROFILES, chapter_parameters, resolve_device


def test_defaults_resolve_and_seed():
    p = chapter_parameters()
    assert p.profile == "ci" and p.device == torch.device("cpu") and p.data_root is None and not p.is_paper
    a = torch.rand(3)
    chapter_parameters(seed=0)
    assert torch.equal(torch.rand(3), a)


def test_unknown_profile_is_an_error():
    with pytest.raises(ValueError, match="profile: unknown profile 'fast'"):
        chapter_parameters(profile="fast")
    assert PROFILES == ("ci", "paper")


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
