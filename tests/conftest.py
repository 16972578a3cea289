import os

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
torch.set_num_threads(1)
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
# Without a GPU, Triton kernels run in Triton's CPU interpreter (tests/test_sums.py). The flag must be set before
# triton is first imported, which is why it is set here and not in a fixture.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")
# Generated cohorts (dicecore.data.cohorts.cohort) are cached on disk; the tests keep theirs
# out of the user's cache, in one folder per test session.
if "DICECORE_CACHE" not in os.environ:
    import tempfile

    os.environ["DICECORE_CACHE"] = tempfile.mkdtemp(prefix="dicecore-cache-")


@pytest.fixture
def rng():
    return torch.Generator().manual_seed(1234)



def pytest_collection_modifyitems(config, items):
    """The book build first: it is the longest test by far (most of ``make test``), so with ``--dist loadfile
    --no-loadscope-reorder`` one worker starts it at once while the other takes every other file. (xdist's
    default order puts the files with most tests first, which started the build minutes late.)"""
    items.sort(key=lambda item: item.nodeid.split("::")[0] != "tests/test_book.py")  # stable: else as collected


@pytest.fixture
def pm_dice_tiny(monkeypatch):
    """Chapter 5's ci profile at a tiny size, as the profile "tiny" (32-pixel frames, 6 iterations)."""
    from dicecore.experiments import pm_dice

    cfg = dict(pm_dice.PROFILES["ci"], frame=32, crop=16, n_train=8, n_test=4, iterations=6, batch_size=2)
    monkeypatch.setitem(pm_dice.PROFILES, "tiny", cfg)
    return "tiny"
