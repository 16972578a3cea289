# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Anatomy of the Dice loss: Φ and ε
#
# *Paper: Tilborghs, Bertels, Robben, Vandermeulen & Maes, "The Dice loss in the context of missing or
# empty labels: introducing Φ and ε", MICCAI 2022 {cite}`tilborghs2022dice`, §1–2.*
#
# "Dice loss" names a family, not one function. Two choices that papers rarely report decide what it
# does: **Φ**, the subsets of the batch × class × voxel domain over which the sums are taken, and **ε**,
# the smoothing term. This chapter writes the loss down with both made explicit (Eq. 3), derives its
# gradient (Eq. 4) and checks it, and follows the gradient to the paper's central observation: with an
# image-wise Φ and a tiny ε the loss *cannot see* an empty label map, while a batch-wise Φ, or a large
# ε, makes it learn to predict empty maps. Everything here is exact arithmetic on small tensors; no
# network is trained here; Chapter 4 of the book trains them.
#
# Every formula below links to the function that implements it and to the test that checks it.
# Notation follows the paper; see {doc}`/book/notation`.

# %% tags=["parameters"]
profile = "ci"  # "ci" (CPU, small) or "paper" (more random trials)
device = "auto"  # "auto", "cpu" or "cuda"
seed = 0
data_root = None  # unused here: this chapter needs no data

# %%
from dicecore.book.params import chapter_parameters_from

params = chapter_parameters_from(globals(), "01_dice_anatomy")  # checks every parameter; seeds everything

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sympy as sp
import torch
from monai.losses import DiceLoss as MonaiDiceLoss

from dicecore.book.claims_tables import show_claims
from dicecore.book.prose import glue_numbers
from dicecore.book.provenance import page_provenance
from dicecore.book.style import book_style
from dicecore.claims import claims_table
from dicecore.grad import dice_loss_grad
from dicecore.losses import PHIS, dice_loss, phi_count
from dicecore.papers import tilborghs2022
from dicecore.plotting import draw_partition, plot_eq5_solutions
from dicecore.theory import checks
from dicecore.theory.epsilon import (
    background_gradient, empty_map_gradient, eq5_epsilon, heuristic_epsilon,
)

book_style()
n_trials = 40 if params.is_paper else 8  # random batches per gradient check
findings = []  # the book's verdicts on the paper's claims (dicecore.claims), filled as we go

# %% tags=["remove-input"]
page_provenance("01_dice_anatomy", params,
                data="none: exact arithmetic on small random tensors (no images, no training)",
                writes_results=False)

# %% [markdown]
# ## 1.1 The loss over a partition Φ (Eq. 3)
#
# With $y_{b,c,i}$ the label and $\tilde y_{b,c,i}$ the predicted probability of class $c$ at voxel $i$
# of batch element $b$, $\omega=(b,c,i)\in\Omega=\mathcal B\times\mathcal C\times\mathcal I$, and a
# partition $\Phi$ of $\Omega$ into subsets $\phi$, the paper writes the soft Dice loss as
#
# $$
# \mathrm{DL}(Y,\tilde Y) = 1 - \frac{1}{|\Phi|}\sum_{\phi\in\Phi}
#   \frac{2\sum_{\varphi\in\phi} y_\varphi\tilde y_\varphi + \epsilon}
#        {\sum_{\varphi\in\phi}(y_\varphi+\tilde y_\varphi) + \epsilon}. \qquad (3)
# $$
#
# Implemented by {py:func}`dicecore.losses.dice_loss` (`dicecore/losses/dice.py`), tested in
# `tests/test_dice.py`. The four partitions of the paper's Fig. 1 always sum over the voxels $\mathcal I$
# and differ in whether a subset also spans the classes and/or the batch:

# %%
fig, axes = plt.subplots(2, 2, figsize=(8, 4.6))
for ax, phi in zip(axes.flat, PHIS):
    draw_partition(ax, phi, batch_size=3, num_classes=3, n_pixels=4)
fig.suptitle("Fig. 1 (analogue): one subset φ in blue, B = C = 3, I = 4")
plt.show()

# %% [markdown]
# The choice matters for the value. On one batch of soft predictions the four Φ give four different
# losses; with ε the same, `phi="I"` and `phi="BI"` are exactly MONAI's `DiceLoss(batch=False)` and
# `DiceLoss(batch=True)` (checked here and over a grid of settings in `tests/test_dice.py`):

# %%
g = torch.Generator().manual_seed(params.seed)
pred = torch.softmax(3 * torch.randn(4, 3, 32, 32, generator=g), dim=1)
labels = torch.randint(0, 3, (4, 1, 32, 32), generator=g)
labels[0][labels[0] == 2] = 0  # class 2 absent from image 0: an empty map

ours = {phi: dice_loss(pred, labels, phi, 1e-5, to_onehot_y=True).item()
        for phi in PHIS}
monai = {phi: MonaiDiceLoss(to_onehot_y=True, batch=phi == "BI")(pred, labels)
         for phi in ("I", "BI")}
monai = {phi: value.item() for phi, value in monai.items()}
pd.DataFrame({"|Φ|": {phi: phi_count(phi, 4, 3) for phi in PHIS},
              "dicecore DL": ours, "MONAI DiceLoss": monai}).rename_axis("Φ")

# %%
findings.append(checks.matches_monai(pred, labels))  # claim T01 (dicecore.theory.checks)

# %% [markdown]
# ## 1.2 The gradient (Eq. 4), derived and checked
#
# Within one subset write $N_\phi = 2\sum_\phi y\tilde y + \epsilon$ and $D_\phi = \sum_\phi (y+\tilde y) + \epsilon$.
# Because the subsets are disjoint, $\tilde y_\omega$ appears only in the term of its own subset
# $\phi^\omega$, and the quotient rule with $\partial N/\partial\tilde y_\omega = 2y_\omega$,
# $\partial D/\partial\tilde y_\omega = 1$ gives the paper's
#
# $$
# \frac{\partial\,\mathrm{DL}}{\partial\tilde y_\omega} = -\frac{1}{|\Phi|}\left(
#   \frac{2y_\omega}{D_{\phi^\omega}} - \frac{N_{\phi^\omega}}{D_{\phi^\omega}^2}\right). \qquad (4)
# $$
#
# For the squared (L2, V-Net {cite}`milletari2016vnet`) relaxation $D_\phi=\sum_\phi(y^2+\tilde y^2)+\epsilon$ and
# $\partial D/\partial\tilde y_\omega = 2\tilde y_\omega$, so the second term is multiplied by $2\tilde y_\omega$.
# First symbolically, for two subsets of three voxels each:

# %%
y = sp.symbols("y1:7", nonnegative=True)
p = sp.symbols("p1:7", positive=True)
eps = sp.symbols("epsilon", positive=True)
subsets = [range(0, 3), range(3, 6)]


def sdsc(ix, squared=False):
    den = sum(y[i] ** 2 + p[i] ** 2 if squared else y[i] + p[i] for i in ix)
    return (2 * sum(y[i] * p[i] for i in ix) + eps) / (den + eps)


for squared in (False, True):
    DL = 1 - (sdsc(subsets[0], squared) + sdsc(subsets[1], squared)) / 2
    first = subsets[0]
    N = 2 * sum(y[i] * p[i] for i in first) + eps
    D = sum(y[i] ** 2 + p[i] ** 2 if squared else y[i] + p[i] for i in first) + eps
    dD = 2 * p[0] if squared else 1
    eq4 = -sp.Rational(1, 2) * (2 * y[0] / D - N / D**2 * dD)
    residual = sp.simplify(sp.diff(DL, p[0]) - eq4)
    cross = sp.simplify(sp.diff(sdsc(subsets[1], squared), p[0]))
    print(f"{'L2' if squared else 'L1'}: dDL/dp1 − Eq. 4 = {residual}, "
          f"dsDSC(φ2)/dp1 = {cross}")

# %% [markdown]
# Then numerically: {py:func}`dicecore.grad.dice_loss_grad` implements Eq. 4 in closed form for every Φ,
# both relaxations and optional sigmoid/softmax (chained to the logits); here it is compared with autograd
# through the sums of Eq. 3 in float64 on random batches (`tests/test_grad.py` does the same with
# hypothesis-generated inputs, and against autograd through MONAI's `DiceLoss`).
#
# Eq. 4 is not only a check: it is how {py:func}`~dicecore.losses.dice_loss` back-propagates
# ({py:func}`~dicecore.grad.eq4_gradient`). Because the gradient in a subset is $a_\phi y_\omega + b_\phi$,
# one elementwise pass over the labels produces it, and nothing of full size has to be kept from the
# forward pass — one full-size allocation fewer per call than autograd through the sums (see
# {doc}`/book/reproduce` for the benchmark).

# %%
t02, errors = checks.eq4_against_autograd(n_trials, params.seed, str(params.device))
print(f"max |Eq. 4 − autograd|, {n_trials} random float64 batches per cell:")
errors.pivot_table(index=["Φ", "relaxation"], columns="activation",
                   values="error").map("{:.1e}".format)

# %%
findings.append(t02)  # claim T02

# %% [markdown]
# ### Two values per φ under L1, one per voxel under L2
#
# Eq. 4 contains $y_\omega$ but not $\tilde y_\omega$: under the L1 relaxation every voxel of a subset
# gets one of **two** gradient values, one for $y_\omega=0$ and one for $y_\omega=1$, whatever its own
# prediction. The loss acts globally on the subset's predicted mass. Under V-Net's L2 relaxation the
# second term carries $\tilde y_\omega$, so the gradient differs per voxel. One image, one class:

# %%
g = torch.Generator().manual_seed(params.seed)
x = torch.rand(1, 1, 400, generator=g, dtype=torch.float64)
lab = (torch.rand(1, 1, 400, generator=g) < 0.3).double()
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
distinct = {}
for ax, squared in zip(axes, (False, True)):
    name = "L2 (V-Net)" if squared else "L1"
    grad = dice_loss_grad(x, lab, "I", 1e-7, squared=squared)[0, 0]
    for val, colour in ((0, "tab:red"), (1, "tab:blue")):
        m = lab[0, 0] == val
        ax.scatter(x[0, 0][m], grad[m], s=6, c=colour, label=f"y = {val}")
    distinct[name[:2]] = torch.unique(grad.round(decimals=14)).numel()
    ax.set(xlabel="prediction $\\tilde y_\\omega$",
           ylabel="$\\partial DL/\\partial \\tilde y_\\omega$",
           title=f"{name}: {distinct[name[:2]]} distinct values in one φ")
    ax.legend()
plt.show()

# %%
findings.append(checks.gradient_values(seed=params.seed)[0])  # claim T03: the same count, as a verdict

# %% [markdown]
# ## 1.3 Empty and missing maps
#
# Take a subset whose labels are all zero: a class absent from an image ("empty"), or present but not
# annotated ("missing"). Then $N_\phi=\epsilon$, $D_\phi=\sum_\phi\tilde y+\epsilon$ and Eq. 4 at every
# voxel of the subset is
#
# $$
# \frac{\partial\,\mathrm{DL}}{\partial\tilde y_\omega} = \frac{1}{|\Phi|}\,\frac{\epsilon}{(\sum_{\phi}\tilde y + \epsilon)^2}
# $$
#
# ({py:func}`~dicecore.theory.epsilon.empty_map_gradient`), against $\frac{1}{|\Phi|}\frac{2\sum_\phi y\tilde y+\epsilon}{(\sum_\phi(y+\tilde y)+\epsilon)^2}$ at a
# background voxel of a labelled subset ({py:func}`~dicecore.theory.epsilon.background_gradient`). With
# $\epsilon=10^{-7}$ and a few hundred predicted voxels the empty-map push is eight to nine orders of magnitude
# weaker: the image-wise loss **ignores** what the network predicts in an empty map. That is useful
# when maps are *missing* (nothing wrong is learnt) and harmful when they are truly *empty* (false
# positives are never penalised).

# %%
v = np.logspace(0, 5, 200)
fig, ax = plt.subplots(figsize=(6.5, 4))
for e in (1e-7, 1.0, 1e2, 1e3, 1e4):
    ax.loglog(v, empty_map_gradient(v, e), label=f"empty map, ε = {e:g}")
ax.loglog(v, background_gradient(0.5 * v, 2 * v), "k--",
          label="labelled map (a = ½, b = 2), ε ≈ 0")
ax.set(xlabel="predicted volume $\\sum_\\phi \\tilde y$ (voxels)",
       ylabel="$|\\Phi| \\partial DL/\\partial\\tilde y_\\omega$ at y = 0",
       title="How hard an empty map pushes its predictions down",
       ylim=(1e-16, 1))
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The batch-wise partition changes the picture. With $\Phi=$ BI one subset holds the class over the whole
# batch, so an image whose map is empty shares $N_\phi, D_\phi$ with images that do contain the class,
# and its false positives get the full labelled-map gradient. {py:func}`~dicecore.theory.epsilon.toy_batch`
# builds such a batch: image 0 has an empty map and a predicted mass of 100 voxels; the others have 100
# labelled voxels predicted with 50 % overlap. Below, the gradient at a voxel of the empty image, times $B$
# so that the $1/|\Phi|$ normalisation of the image-wise loss does not hide the effect:

# %%
batch_sizes = [1, 2, 4, 8, 16, 32]
empty = checks.empty_map_gradients(batch_sizes, epsilons=(1e-7, 100.0))

styles = {("I", "1e-07"): "o-", ("BI", "1e-07"): "s-",
          ("I", "100"): "^--", ("BI", "100"): "v:"}
fig, ax = plt.subplots(figsize=(6.5, 4))
for (phi, e), d in empty.groupby(["Φ", "ε"]):
    ax.loglog(d["B"], d["B·grad"], styles[phi, e], label=f"DL_{phi}, ε = {e}")
ax.set(xlabel="batch size B", ylabel="B · gradient in the empty image",
       title="An empty map in a batch: image-wise vs batch-wise")
ax.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
ax.legend(fontsize=8)
plt.show()
table = empty.pivot_table(index="B", columns=["Φ", "ε"], values="B·grad")
table.map("{:.2e}".format)

# %% [markdown]
# Read the rows: with B = 1 the two partitions coincide ($\mathrm{DL_{BI}} = \mathrm{DL_I}$), and with
# ε = 1e-7 the push is negligible. With B > 1, $\mathrm{DL_{BI}}$ jumps to the labelled-map gradient —
# the network is taught that this map should be empty — while $\mathrm{DL_I}$ stays blind at every B.
# Raising ε to about the predicted volume (here 100) gives $\mathrm{DL_I}$ the same push without a
# large batch: this is the paper's $\mathbb I_\epsilon$ configuration, quantified next.

# %%
findings += checks.empty_map_findings(empty)  # claims T04, T05, T07

# %% [markdown]
# ## 1.4 Choosing ε: Eq. 5 in general
#
# The paper asks for the ε at which the image-wise empty-map gradient equals the batch-wise one with an
# infinite batch and negligible ε. Writing the intersection as $a\hat v$ and the union as $b\hat v$, with
# $\hat v=\sum_\phi\tilde y$,
#
# $$\frac{2a\hat v}{(b\hat v)^2} = \frac{\epsilon}{(\hat v+\epsilon)^2}. \qquad (5)$$
#
# The paper solves it only at $a=\tfrac12, b=2$. In general, with $k = 2a/b^2$, Eq. 5 is the quadratic
# $k\epsilon^2 + (2k-1)\hat v\epsilon + k\hat v^2 = 0$, so
#
# $$\epsilon_\pm = \hat v\,\frac{1-2k\pm\sqrt{1-4k}}{2k},\qquad \epsilon_+\epsilon_- = \hat v^2,$$
#
# ({py:func}`~dicecore.theory.epsilon.eq5_epsilon`, tested in `tests/test_epsilon.py`). Two facts follow that the
# paper does not state. A real solution exists only when $k\le\tfrac14$, i.e. $8a\le b^2$; and the
# right-hand side $\epsilon/(\hat v+\epsilon)^2$, as a function of ε, peaks at $\epsilon=\hat v$ with value
# $1/(4\hat v)$. So the paper's $a=\tfrac12, b=2$ ($k=\tfrac14$) is exactly the boundary case: a double root
# at $\epsilon=\hat v$, which is also the ε that makes the image-wise loss push empty maps *hardest*.
# When the overlap is better than that (e.g. $a>\tfrac12$ at $b=2$) no ε can match the batch-wise push.

# %%
fig, axes = plt.subplot_mosaic([["upper", "lower"], ["crossing", "crossing"]],
                               figsize=(10, 8))
plot_eq5_solutions([axes["upper"], axes["lower"], axes["crossing"]])
plt.show()

# %%
v_hats = np.array([10.0, *(tilborghs2022.EPSILON["BraTS whole tumour", k] for k in ("partial", "full"))])
lo, hi = eq5_epsilon(v_hats, 0.5, 2.0)

lo3, hi3 = eq5_epsilon(100.0, 0.3, 2.0)
print(f"a = 0.3, b = 2, v̂ = 100:  ε₋ = {lo3:.2f}, ε₊ = {hi3:.2f}, "
      f"ε₋·ε₊ = {lo3 * hi3:.1f} = v̂²")
print("a = 0.6, b = 2:  ε± = %s, %s (no real root)"
      % eq5_epsilon(100.0, 0.6, 2.0))
findings.append(checks.eq5_double_root(v_hats))  # claim T06
print("a = 1/2, b = 2:")
pd.DataFrame({"v̂": v_hats, "ε₋": lo, "ε₊": hi}).round(6)

# %% [markdown]
# In practice the paper sets $\epsilon = \hat v \approx \mathbb E\sum_{\phi}y$, the expected foreground volume
# per subset over the training labels, empty maps included
# ({py:func}`~dicecore.theory.epsilon.heuristic_epsilon`). On a small label set of random spheres
# (MONAI's synthetic image helper), with every fourth map emptied as partial labelling would:

# %%
from monai.data.synthetic import create_test_image_3d

rng = np.random.RandomState(params.seed)
n_subjects = 40 if params.is_paper else 12
spheres = [create_test_image_3d(48, 48, 32, num_objs=3, rad_max=8, rad_min=4,
                                num_seg_classes=1, random_state=rng)[1]
           for _ in range(n_subjects)]
full = (np.stack(spheres)[:, None] > 0).astype(np.float32)  # (N, C=1, H, W, D)
partial = full.copy()
partial[::4] = 0.0  # every fourth map emptied
pd.DataFrame({
    labelling: {"Φ = I": heuristic_epsilon(lab, "I")[0],
                "Φ = BI, B = 2": heuristic_epsilon(lab, "BI", batch_size=2)[0]}
    for labelling, lab in (("full", full), ("partial (¼ empty)", partial))
}).round(1).rename_axis("heuristic ε (voxels)")

# %% tags=["remove-cell"]
glue_numbers("{:,.0f}", paper_eps_full=tilborghs2022.EPSILON["BraTS whole tumour", "full"],
             paper_eps_partial=tilborghs2022.EPSILON["BraTS whole tumour", "partial"])

# %% [markdown]
# The paper's own values, computed on BraTS 2018 at 2 mm, are ε = {glue:text}`paper_eps_full` (full) and
# {glue:text}`paper_eps_partial` (partial) for the whole tumour; Chapter 4 computes ours on the BraTS-like
# phantom beside them.
#
# ## Claims checked in this chapter
#
# Every claim of the paper's §2 from the book's ledger of the four papers' claims ({doc}`/book/claims`): the
# evidence in numbers, the verdict by the rules of {py:mod}`dicecore.claims` (here: exact, each identity
# within a stated tolerance), computed by the cells above through {py:mod}`dicecore.theory.checks`. The
# paper's §3–4 claims (T08–T14) are judged in Chapter 4.

# %% tags=["remove-input"]
show_claims(claims_table(findings, "01_dice_anatomy"))
