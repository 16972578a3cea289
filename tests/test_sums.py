"""The fused Dice sums and their closed-form gradient (dicecore.losses.sums), on both backends.

The Triton kernels run here in Triton's CPU interpreter (TRITON_INTERPRET=1): the same kernel code that runs
on a GPU, executed with NumPy. Equality on a real GPU is checked by ``benchmarks/gpu_check.py`` on the device
and recorded under ``benchmarks/results/``.
"""

import itertools
import os

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dicecore.losses import dice_loss, eq4_dice_loss, generalized_dice_loss, pm_dice_loss
from dicecore.losses.sums import dice_sums, group_by_phi, resolve_backend, triton_available

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


@pytest.fixture
def interpreted_triton(monkeypatch):
    """dicecore.losses.triton_dice with small blocks (several per image): compiled on a GPU, else interpreted."""
    if not triton_available():
        pytest.skip("the triton package is not installed")
    if DEVICE == "cpu" and os.environ.get("TRITON_INTERPRET") != "1":
        pytest.skip("TRITON_INTERPRET=1 must be set before triton is imported (tests/conftest.py does)")
    import dicecore.losses.triton_dice as td

    monkeypatch.setattr(td, "BLOCK", 64)
    return td


def _plain_sums(p, y, gamma, squared):
    """The four sums written out with autograd: the definition the fast path must match."""
    dims = tuple(range(2, p.ndim))
    m = torch.ones_like(p) if gamma is None else (y - p.detach()).abs() ** gamma.reshape(1, -1, *[1] * len(dims))
    k = 2 if squared else 1
    return (
        (m * y * p).sum(dims), (m * p**k).sum(dims), (m * y**k).sum(dims), y.sum(dims),
    )


def _case(seed, labels, shape=(2, 3, 5, 7, 9), dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    b, c, *spatial = shape
    p = torch.softmax(torch.randn(*shape, generator=g, dtype=dtype), 1)
    lab = torch.randint(0, c, (b, *spatial), generator=g)
    lab[0] = lab[0].clamp(max=c - 2)  # a class absent from image 0
    onehot = F.one_hot(lab, c).movedim(-1, 1).to(dtype)
    return p, (lab if labels else onehot), onehot


CASES = list(itertools.product((True, False), (False, True), (None, "scalar", "per-class")))


def _gamma(kind, c):
    if kind == "scalar":  # expanded to one per class: a stride-0 tensor the kernels must not read past
        return torch.tensor(2.0).expand(c)
    return None if kind is None else torch.tensor([0.0, 1.0, 2.5, 0.5][:c])


@pytest.mark.parametrize("labels, squared, gamma_kind", CASES)
def test_torch_backend_sums_and_gradient_match_autograd_through_the_definition(labels, squared, gamma_kind):
    p, target, onehot = _case(0, labels)
    gamma = _gamma(gamma_kind, p.shape[1])
    upstream_i, upstream_p = torch.randn(2, 2, 3, generator=torch.Generator().manual_seed(1), dtype=p.dtype)
    x, ref = p.clone().requires_grad_(True), p.clone().requires_grad_(True)
    got = dice_sums(x, target, squared=squared, gamma=gamma, backend="torch")
    want = _plain_sums(ref, onehot, gamma, squared)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    (got.intersection * upstream_i + got.prediction * upstream_p).sum().backward()
    (want[0] * upstream_i + want[1] * upstream_p).sum().backward()
    torch.testing.assert_close(x.grad, ref.grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("labels, squared, gamma_kind", CASES)
def test_triton_kernels_match_the_torch_backend(interpreted_triton, labels, squared, gamma_kind):
    p, target, _ = (t.to(DEVICE) for t in _case(2, labels, dtype=torch.float32))
    gamma = _gamma(gamma_kind, p.shape[1])
    upstream_i, upstream_p = torch.randn(2, 2, 3, generator=torch.Generator().manual_seed(3)).to(DEVICE)
    grads, sums = [], []
    for backend in ("torch", "triton"):
        x = p.clone().requires_grad_(True)
        s = dice_sums(x, target, squared=squared, gamma=gamma, backend=backend)
        (s.intersection * upstream_i + s.prediction * upstream_p).sum().backward()
        grads.append(x.grad)
        sums.append(s)
    for a, b in zip(*sums):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("gamma_kind", [None, "scalar"])
def test_triton_kernels_take_bfloat16_and_accumulate_in_float32(interpreted_triton, gamma_kind):
    p, lab, onehot = (t.to(DEVICE) for t in _case(4, True, dtype=torch.float32))
    gamma = _gamma(gamma_kind, p.shape[1])
    x = p.to(torch.bfloat16).requires_grad_(True)
    s = dice_sums(x, lab, squared=True, gamma=gamma, backend="triton")
    assert s.intersection.dtype == torch.float32
    r = x.detach().float().requires_grad_(True)
    want = _plain_sums(r, onehot.float(), gamma, True)
    torch.testing.assert_close(s.intersection, want[0], rtol=1e-5, atol=1e-4)
    s.prediction.sum().backward()
    want[1].sum().backward()
    assert x.grad.dtype == torch.bfloat16
    torch.testing.assert_close(x.grad.float(), r.grad, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("phi", ["I", "CI", "BI", "BCI"])
def test_losses_agree_on_every_route(interpreted_triton, phi):
    """dice_loss / generalized / PM / Eq. 4: autograd reference = torch closed form = Triton closed form."""
    g = torch.Generator().manual_seed(7)
    logits = torch.randn(3, 4, 6, 5, 4, generator=g).to(DEVICE)
    lab = torch.randint(0, 4, (3, 6, 5, 4), generator=g).to(DEVICE)
    lab[1][lab[1] == 2] = 0  # class 2 absent from image 1
    autograd, torch_, triton_ = {"closed_form_backward": False}, {"backend": "torch"}, {"backend": "triton"}
    calls = {"dice": (lambda x, **kw: dice_loss(x, lab, phi, 1e-5, activation="softmax", include_background=False,
                                                squared=phi in ("I", "CI"), **kw), (autograd, torch_, triton_))}
    if phi in ("CI", "BCI"):
        calls["gdl"] = (lambda x, **kw: generalized_dice_loss(x, lab, phi, activation="softmax", **kw),
                        (autograd, torch_, triton_))
    if phi == "I":
        calls["dice weighted"] = (lambda x, **kw: dice_loss(x, lab, "I", activation="softmax",
                                                            weight=[0.0, 1, 2, 3], **kw), (autograd, torch_, triton_))
        # PM and Eq. 4 have no autograd switch: their reference is test_pm_fast_path_equals_the_autograd_formula
        calls["pm"] = (lambda x, **kw: pm_dice_loss(x, lab, (1.0, 2.0, 0.0, 0.5), activation="softmax", **kw),
                       (torch_, triton_))
        calls["eq4"] = (lambda x, **kw: eq4_dice_loss(x, lab, activation="softmax", **kw), (torch_, triton_))
    for name, (fn, routes) in calls.items():
        results = []
        for kw in routes:
            x = logits.clone().requires_grad_(True)
            loss = fn(x, **kw)
            loss.backward()
            results.append((loss.detach(), x.grad))
        for value, grad in results[1:]:
            torch.testing.assert_close(value, results[0][0], rtol=1e-5, atol=1e-6, msg=f"{name}: value")
            torch.testing.assert_close(grad, results[0][1], rtol=1e-4, atol=1e-7, msg=f"{name}: gradient")


def test_pm_fast_path_equals_the_autograd_formula_in_float64():
    """PM Dice (Eq. 5) by the fused sums vs the same formula through autograd with m detached by hand."""
    from dicecore.losses.modulated import modulating_term, weighted_dice_scores

    p, lab, onehot = _case(9, True, shape=(2, 4, 6, 6))
    gamma = (0.5, 2.0, 1.0, 0.0)
    x, ref = p.clone().requires_grad_(True), p.clone().requires_grad_(True)
    pm_dice_loss(x, lab, gamma, average="all").backward()
    m = modulating_term(ref, onehot, gamma)  # detached
    (1 - weighted_dice_scores(ref, onehot, m, 1e-6)).mean().backward()
    torch.testing.assert_close(x.grad, ref.grad, rtol=1e-12, atol=1e-15)


def _saved_beyond_inputs(fn, *inputs):
    """Tensors autograd keeps from the forward pass of ``fn()`` that are not the inputs' own storage."""
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        fn()
    own = {t.untyped_storage().data_ptr() for t in inputs}
    return [t for t in saved if t.untyped_storage().data_ptr() not in own]


def test_what_is_saved_for_backward(interpreted_triton):
    """Triton: nothing full-size beyond the inputs. Torch: the one-hot target, once per call. Autograd: more."""
    p, lab, _ = (t.to(DEVICE) for t in _case(5, True, shape=(2, 4, 16, 16, 8), dtype=torch.float32))
    x = p.clone().requires_grad_(True)

    def calls(**kw):
        return lambda: (dice_loss(x, lab, "BI", squared=True, **kw) + pm_dice_loss(x, lab, 2.0, **kw)
                        + generalized_dice_loss(x, lab, **kw)).backward()

    extra = _saved_beyond_inputs(calls(backend="triton"), x, lab)
    assert all(t.numel() <= 2 * 4 for t in extra), [tuple(t.shape) for t in extra]
    big = [t for t in _saved_beyond_inputs(calls(backend="torch"), x, lab) if t.numel() > 2 * 4]
    assert len(big) == 3 and all(t.shape == x.shape for t in big)  # one one-hot per loss
    reference = _saved_beyond_inputs(
        lambda: dice_loss(x, lab, "BI", squared=True, closed_form_backward=False).backward(), x, lab)
    assert sum(t.numel() == x.numel() for t in reference) >= 1  # the one-hot, kept by the product ŷ·y


@settings(max_examples=25, deadline=None)
@given(b=st.integers(1, 3), c=st.integers(1, 4), n=st.integers(1, 40), squared=st.booleans(),
       gamma=st.one_of(st.none(), st.floats(0.0, 4.0)), seed=st.integers(0, 2**16))
def test_sums_property_any_shape(b, c, n, squared, gamma, seed):
    g = torch.Generator().manual_seed(seed)
    p = torch.rand(b, c, n, generator=g, dtype=torch.float64)
    y = (torch.rand(b, c, n, generator=g, dtype=torch.float64) > 0.6).double()
    gam = None if gamma is None else torch.full((c,), gamma)
    got = dice_sums(p, y, squared=squared, gamma=gam, backend="torch")
    for a, w in zip(got, _plain_sums(p, y, gam, squared)):
        torch.testing.assert_close(a, w, rtol=1e-12, atol=1e-12)


def test_group_by_phi_shapes_and_errors():
    v = torch.arange(6.0).reshape(2, 3)
    assert group_by_phi(v, "I").shape == (2, 3)
    torch.testing.assert_close(group_by_phi(v, "CI"), torch.tensor([3.0, 12.0]))
    torch.testing.assert_close(group_by_phi(v, "BI"), torch.tensor([3.0, 5.0, 7.0]))
    assert float(group_by_phi(v, "BCI")) == 15.0
    with pytest.raises(ValueError, match="phi: unknown"):
        group_by_phi(v, "X")


def test_backend_choice_and_its_errors(monkeypatch):
    cpu = torch.zeros(1, 2, 3)
    monkeypatch.delenv("DICECORE_BACKEND", raising=False)
    assert resolve_backend("auto", cpu) == "torch"  # never Triton on the CPU
    with pytest.raises(ValueError, match="backend: unknown value 'cuda'"):
        resolve_backend("cuda", cpu)
    monkeypatch.setenv("DICECORE_BACKEND", "fast")
    with pytest.raises(ValueError, match="DICECORE_BACKEND: unknown value 'fast'"):
        resolve_backend("auto", cpu)
    monkeypatch.setenv("DICECORE_BACKEND", "torch")
    assert resolve_backend("auto", cpu) == "torch"
    assert resolve_backend("torch", cpu) == "torch"
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    if triton_available():
        with pytest.raises(ValueError, match="backend: 'triton' runs on CUDA tensors"):
            dice_loss(torch.rand(1, 2, 4), torch.zeros(1, 4, dtype=torch.long), backend="triton")
    with pytest.raises(ValueError, match="backend: unknown value"):
        dice_loss(torch.rand(1, 2, 4), torch.zeros(1, 4, dtype=torch.long), backend="gpu")


def test_a_target_that_requires_grad_is_refused_by_the_fused_sums():
    p = torch.rand(1, 2, 4)
    with pytest.raises(ValueError, match="target: the fused sums differentiate only the prediction"):
        dice_sums(p, torch.rand(1, 2, 4, requires_grad=True))

