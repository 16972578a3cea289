"""Random keyword combinations and tensors for comparing dicecore's MONAI drop-ins with MONAI (hypothesis).

Only the settings where dicecore deliberately differs are left out (documented on the classes): softmax or
``include_background=False`` on a single channel (MONAI warns and ignores them; dicecore raises), and
``smooth_dr = 0`` (MONAI may return NaN; dicecore raises).
"""

from __future__ import annotations

import warnings

import torch
from hypothesis import strategies as st

ACTIVATIONS = ("probabilities", "sigmoid", "softmax", "other_act")


@st.composite
def cases(draw, loss: str):
    """(keywords, input, target) for ``loss`` = "dice" or "generalized"."""
    n_spatial = draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 4)),
             *[draw(st.integers(2, 5)) for _ in range(n_spatial)])
    b, c, spatial = shape[0], shape[1], shape[2:]
    activation = draw(st.sampled_from(ACTIVATIONS if c > 1 else ("probabilities", "sigmoid", "other_act")))
    include_background = draw(st.booleans()) if c > 1 else True
    to_onehot_y = draw(st.booleans())
    soft_label = draw(st.booleans())
    kw = dict(include_background=include_background, to_onehot_y=to_onehot_y,
              sigmoid=activation == "sigmoid", softmax=activation == "softmax",
              other_act=torch.sigmoid if activation == "other_act" else None,
              reduction=draw(st.sampled_from(("mean", "sum", "none"))),
              smooth_nr=draw(st.sampled_from((0.0, 1e-5, 0.5))), smooth_dr=draw(st.sampled_from((1e-5, 1e-3, 1.0))),
              batch=draw(st.booleans()), soft_label=soft_label)
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    if activation == "probabilities":
        x = torch.softmax(x, 1) if c > 1 else torch.sigmoid(x)
    labels = torch.randint(0, max(c, 2), (b, 1, *spatial), generator=gen)
    ignore = None
    if loss == "dice":
        kw.update(squared_pred=draw(st.booleans()), jaccard=draw(st.booleans()))
        n_kept = c - (0 if include_background else 1)
        kw["weight"] = draw(st.sampled_from((None, "scalar", "per class")))
        if kw["weight"] == "scalar":
            kw["weight"] = 0.7
        elif kw["weight"] == "per class":
            kw["weight"] = [0.5 + k for k in range(n_kept)]
        ignore = draw(st.sampled_from((None, 0, c - 1, 255 if to_onehot_y and c > 1 else -1)))
        kw["ignore_index"] = ignore
    else:
        kw["w_type"] = draw(st.sampled_from(("square", "simple", "uniform")))
    if c == 1:
        target = labels.to(torch.float64)  # a binary mask, with or without to_onehot_y (a no-op for MONAI)
        if ignore not in (None, 0, 1):
            kw["ignore_index"] = None
    elif to_onehot_y:
        target = labels
        if ignore == 255:  # a sentinel label value, as for unlabelled voxels
            target = torch.where(torch.rand(labels.shape, generator=gen) < 0.2, torch.full_like(labels, 255), labels)
    else:
        target = torch.zeros(shape, dtype=torch.float64).scatter_(1, labels, 1.0)
        if soft_label:  # genuinely soft labels: a smoothed one-hot
            target = 0.8 * target + 0.2 * torch.softmax(torch.randn(shape, generator=gen, dtype=torch.float64), 1)
    return kw, x, target


def monai_value(cls, kw, x, target):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**kw)(x, target)
