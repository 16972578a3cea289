"""dicecore.train: one loop, three schedules, resumable from a checkpoint, one predict."""

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from dicecore.models import network
from dicecore.train import Constant, EpochBatches, Plateau, Polynomial, fit, predict, validation_loss


def _toy(n=12):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 8, 8, generator=g)
    return x, (x > 0.3).float()


def _bce(logits, y):
    return F.binary_cross_entropy_with_logits(logits, y)


def _plateau_training(x, y, **kw):
    model = network("logistic-regression", 1, dims=2)
    batches = EpochBatches(x[:8], y[:8], 4)
    schedule = Plateau(kw.pop("lr", 0.5), lambda m: validation_loss(m, _bce, x[8:], y[8:], 4),
                       every=batches.per_epoch, patience=kw.pop("patience", 5), stop_patience=kw.pop("stop", 10))
    return model, fit(model, kw.pop("loss", _bce), batches, schedule, 40 * batches.per_epoch, **kw)


def test_plateau_learns_and_ends_with_the_best_validation_weights():
    x, y = _toy()
    model, hist = _plateau_training(x, y)
    val = hist["val_loss"].dropna()
    assert isinstance(hist, pd.DataFrame) and val.iloc[-1] < val.iloc[0]
    assert ((predict(model, x[8:]) > 0.5).float() == y[8:]).float().mean() > 0.9
    assert validation_loss(model, _bce, x[8:], y[8:], 4) == pytest.approx(val.min(), rel=1e-5)


def test_plateau_divides_the_rate_and_stops_early():
    x, y = _toy()
    never_better = lambda logits, t: (logits * 0).sum() + 1.0  # noqa: E731
    model = network("logistic-regression", 1, dims=2)
    batches = EpochBatches(x, y, 4)
    schedule = Plateau(1e-2, lambda m: 1.0, every=batches.per_epoch, patience=2, stop_patience=6)
    hist = fit(model, never_better, batches, schedule, 50 * batches.per_epoch)
    assert hist["val_loss"].notna().sum() == 7  # the best at epoch 0, then six epochs without improvement
    assert len(hist) == 7 * batches.per_epoch and hist["lr"].iloc[-1] < 1e-2


def test_epoch_batches_visit_every_sample_once_per_epoch():
    x = torch.arange(10.0).reshape(10, 1)
    batches = EpochBatches(x, x, 4)
    gen = torch.Generator().manual_seed(0)
    seen = torch.cat([batches(gen)[0] for _ in range(batches.per_epoch)]).flatten()
    assert batches.per_epoch == 3 and sorted(seen.tolist()) == list(range(10))
    with pytest.raises(ValueError, match="batch_size"):
        EpochBatches(x, x, 0)


def test_constant_and_polynomial_rates():
    model = torch.nn.Conv2d(1, 2, 1)
    x, y = torch.randn(4, 1, 4, 4), torch.randint(0, 2, (4, 4, 4))
    poly = fit(model, F.cross_entropy, lambda g: (x, y), Polynomial(1e-2), 5)
    assert len(poly) == 5 and poly["train_loss"].iloc[-1] < poly["train_loss"].iloc[0]
    assert poly["lr"].tolist() == pytest.approx([1e-2 * (1 - k / 5) ** 0.9 for k in range(5)])
    const = fit(torch.nn.Conv2d(1, 2, 1), F.cross_entropy, lambda g: (x, y), Constant(1e-2), 3,
                record=lambda logits, labels: {"n": logits.shape[0]})
    assert list(const.columns) == ["iteration", "train_loss", "lr", "n"] and (const["lr"] == 1e-2).all()


def test_bad_settings_and_a_diverged_loss_are_named():
    x, y = _toy()
    model = network("logistic-regression", 1, dims=2)
    with pytest.raises(FloatingPointError, match="loss: became nan at iteration 0"):
        fit(model, lambda l, t: l.sum() * float("nan"), EpochBatches(x, y, 4), Constant(1e-2), 2)
    broken = network("logistic-regression", 1, dims=2)
    with torch.no_grad():
        next(broken.parameters()).fill_(float("nan"))  # what a step with an infinite gradient leaves
    with pytest.raises(FloatingPointError, match="model: its output became non-finite at iteration 0"):
        fit(broken, _bce, EpochBatches(x, y, 4), Constant(1e-2), 2)
    with pytest.raises(ValueError, match="length: need ≥ 1"):
        fit(model, _bce, EpochBatches(x, y, 4), Constant(1e-2), 0)
    with pytest.raises(ValueError, match="schedule: need lr > 0"):
        fit(model, _bce, EpochBatches(x, y, 4), Polynomial(0.0), 2)
    with pytest.raises(ValueError, match="factor must be > 1"):
        fit(model, _bce, EpochBatches(x, y, 4), Plateau(1e-2, lambda m: 0.0, 1, 1, 1, factor=1.0), 2)
    with pytest.raises(TypeError, match="schedule: expected Constant, Polynomial or Plateau"):
        fit(model, _bce, EpochBatches(x, y, 4), 1e-2, 2)
    with pytest.raises(ValueError, match="checkpoint_every: need ≥ 1"):
        fit(model, _bce, EpochBatches(x, y, 4), Constant(1e-2), 2, checkpoint_every=0)
    with pytest.raises(ValueError, match="activation"):
        predict(model, x, activation="tanh")


def _random_batches():
    x, y = _toy(8)

    def sample(gen):
        idx = torch.randint(8, (2,), generator=gen)
        return x[idx], y[idx]
    return sample


def _cut_at(n):
    def record(logits, y, calls=[0]):  # noqa: B006 — counts the iterations of this run only
        calls[0] += 1
        if calls[0] == n:
            raise KeyboardInterrupt  # the command was cut during this iteration
        return {}
    return record


@pytest.mark.parametrize("kind", ["polynomial", "plateau"])
def test_a_cut_training_resumes_to_the_same_weights(tmp_path, kind):
    x, y = _toy()

    def run(checkpoint=None, record=None):
        torch.manual_seed(0)
        model = network("logistic-regression", 1, dims=2)
        if kind == "polynomial":
            batches, schedule = _random_batches(), Polynomial(1e-2)
        else:
            batches = EpochBatches(x[:8], y[:8], 3)
            schedule = Plateau(0.5, lambda m: validation_loss(m, _bce, x[8:], y[8:], 4), every=batches.per_epoch,
                               patience=1, stop_patience=50)
        history = fit(model, _bce, batches, schedule, 7, seed=3, checkpoint=checkpoint, checkpoint_every=2,
                      record=record)
        return model, history

    reference, uncut = run()
    ckpt = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        run(ckpt, _cut_at(6))
    assert ckpt.is_file()  # written after iterations 2 and 4
    model, resumed = run(ckpt)  # a fresh process: new weights, resumed from the file
    for a, b in zip(reference.parameters(), model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    pd.testing.assert_frame_equal(uncut, resumed)


def test_a_corrupt_or_foreign_checkpoint_names_the_file_and_the_fix(tmp_path):
    model, sample = network("logistic-regression", 1, dims=2), _random_batches()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="checkpoint: cannot resume from .*bad.pt.*delete the file"):
        fit(model, _bce, sample, Polynomial(1e-2), 3, checkpoint=bad)
    ckpt = tmp_path / "other.pt"
    fit(model, _bce, sample, Polynomial(1e-2), 5, checkpoint=ckpt, checkpoint_every=2)
    with pytest.raises(ValueError, match="written for 5 iterations, this run has 9"):
        fit(model, _bce, sample, Polynomial(1e-2), 9, checkpoint=ckpt)


def test_amp_is_ignored_on_the_cpu():
    def run(**kw):
        torch.manual_seed(0)
        return fit(network("logistic-regression", 1, dims=2), _bce, _random_batches(), Polynomial(1e-2), 3, seed=1, **kw)

    pd.testing.assert_frame_equal(run(amp=True), run())


def test_cpu_training_flushes_subnormal_floats_and_restores_the_setting():
    tiny = torch.tensor([1e-40])  # subnormal in float32

    def record(logits, labels):
        return {"subnormal_kept": bool((tiny * 1.0).item() != 0)}

    x, y = _toy()
    history = fit(network("logistic-regression", 1, dims=2), _bce, EpochBatches(x, y, 4), Polynomial(1e-2), 3,
                  record=record)
    assert not history["subnormal_kept"].any()  # flushed during training (a collapsed softmax is fast)
    assert (tiny * 1.0).item() != 0  # and the process's setting is back afterwards


def test_predict_pads_whole_images_for_valid_convolutions_and_down_sampling():
    torch.manual_seed(0)
    x = torch.randn(3, 1, 11, 13)
    valid = torch.nn.Conv2d(1, 2, 3)  # loses one voxel each side: context 1
    out = predict(valid, x, batch_size=2, activation=None, context=1)
    by_hand = valid(torch.nn.functional.pad(x, [1, 1, 1, 1], mode="replicate"))
    assert out.shape == (3, 2, 11, 13) and torch.allclose(out, by_hand, atol=1e-6)
    # a network that halves and doubles twice needs sides divisible by 4: padded at the far end, cropped back
    unet_like = torch.nn.Sequential(torch.nn.MaxPool2d(2), torch.nn.MaxPool2d(2), torch.nn.Upsample(scale_factor=4))
    with pytest.raises(RuntimeError):
        torch.cat([predict(unet_like, x, activation=None), x], 1)  # 11 × 13 comes back as 8 × 12
    out = predict(unet_like, x, activation=None, divisor=4)
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, [0, 3, 0, 1], mode="replicate")  # to 12 × 16
    assert torch.equal(out, unet_like(padded)[..., :11, :13])
    with pytest.raises(ValueError, match="context, divisor"):
        predict(valid, x, divisor=0)
