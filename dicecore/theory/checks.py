"""The exact checks of the papers' formulas and derivations: each measures something (a table a chapter also
shows) and turns it into a :class:`~dicecore.claims.Finding` on one claim of :mod:`dicecore.papers` through
:func:`dicecore.claims.exact`.

The chapters call these functions for their claims tables, and ``dicecore claims`` calls them for the
ledger, so a verdict on a formula is computed the same way in both (in seconds, no training):

* Chapter 1 (Tilborghs et al. 2022, §2): :func:`matches_monai` (T01), :func:`eq4_against_autograd` (T02),
  :func:`gradient_values` (T03), :func:`empty_map_gradients` and :func:`empty_map_findings` (T04, T05, T07),
  :func:`eq5_double_root` (T06);
* Chapter 2 (Bertels et al., §2): :func:`ce_optimum_error` (B01), :func:`switch_table` and
  :func:`switch_findings` (B02–B04);
* Chapter 3 (Sudre et al., §2.1): :func:`printed_gdl_gradient` (S01), :func:`gdl_gradient_share` (S02);
* Chapter 5 (Hosseini, §2): :func:`pm_dice_reduces_to_dice` (H01), :func:`pm_dice_gradient_focus` (H03),
  :func:`pm_dice_cost` (H05, read from the committed CPU benchmark ``benchmarks/modulation_cost.py``:
  scale ``cpu``).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd
import torch

from dicecore.claims import Finding, Verdict, exact, finding, not_run

__all__ = [
    "EXACT", "FLOAT64_TOLERANCE", "matches_monai", "eq4_against_autograd", "gradient_values",
    "empty_map_gradients", "empty_map_findings", "eq5_double_root", "ce_optimum_error", "switch_table",
    "switch_findings", "printed_gdl_gradient", "gdl_gradient_share", "pm_dice_reduces_to_dice",
    "pm_dice_gradient_focus", "MODULATION_STEP_MARGIN", "pm_dice_cost", "exact_findings",
]

#: The ``data`` of every exact finding.
EXACT = "synthetic tensors / exact expectations (no images, no training)"
#: An identity holds in float64 when the two sides agree to this (1e-10 — round-off of sums over ~10⁴ terms is
#: orders of magnitude smaller; a wrong formula is off by O(1) of the gradient scale).
FLOAT64_TOLERANCE = 1e-10
#: Empty-map gradients below this count as "negligible", above :data:`NON_NEGLIGIBLE` as a real push (the toy
#: batch's labelled-map gradient is ~1e-3; ε = 10⁻⁷ gives ~1e-11).
NEGLIGIBLE, NON_NEGLIGIBLE = 1e-9, 1e-4


def _verdict(holds: bool, evidence: str, rule: str, n: int = 1) -> Verdict:
    return Verdict("reproduced" if holds else "not reproduced", evidence, rule, n)


# --- Chapter 1: Tilborghs et al. 2022, §2 ---------------------------------------------------------------------

def matches_monai(pred: Optional[torch.Tensor] = None, labels: Optional[torch.Tensor] = None,
                  eps: float = 1e-5, seed: int = 0) -> Finding:
    """T01: :func:`~dicecore.losses.dice_loss` with Φ = I and BI against MONAI's ``DiceLoss(batch=False /
    True)`` on one batch of softmax predictions (random, one empty map, when not given)."""
    from monai.losses import DiceLoss

    from dicecore.losses import dice_loss

    if pred is None or labels is None:
        g = torch.Generator().manual_seed(seed)
        pred = torch.softmax(3 * torch.randn(4, 3, 32, 32, generator=g), dim=1)
        labels = torch.randint(0, 3, (4, 1, 32, 32), generator=g)
        labels[0][labels[0] == 2] = 0  # an empty map
    gaps = {phi: abs(dice_loss(pred, labels, phi, eps, to_onehot_y=True).item()
                     - DiceLoss(to_onehot_y=True, batch=phi == "BI", smooth_nr=eps, smooth_dr=eps)(pred, labels).item())
            for phi in ("I", "BI")}
    worst = max(gaps.values())
    return finding("T01", _verdict(worst < 1e-6, f"|dicecore − MONAI| = {gaps['I']:.1e} (Φ = I), {gaps['BI']:.1e} "
                                   "(Φ = BI); tests/test_dice.py repeats it over 144 settings",
                                   "exact within 1e-6 (float32)", 2), "exact", EXACT)


def eq4_against_autograd(n_trials: int = 8, seed: int = 0, device: str = "cpu") -> tuple[Finding, pd.DataFrame]:
    """T02: the closed-form Eq. 4 (:func:`~dicecore.grad.dice_loss_grad`) against autograd through Eq. 3 in
    float64, for every Φ, both relaxations and no/sigmoid/softmax activation; the finding and the table of the
    largest error per setting."""
    from dicecore.grad import autograd_dice_grad, dice_loss_grad
    from dicecore.losses import PHIS

    def error(phi, squared, activation, trial):
        g = torch.Generator().manual_seed(1000 * seed + trial)
        x = torch.randn(3, 4, 12, 12, generator=g, dtype=torch.float64)
        x = x if activation else torch.sigmoid(x)
        lab = torch.randint(0, 4, (3, 12, 12), generator=g)
        x, lab = x.to(device), lab.to(device)
        kw = dict(phi=phi, eps=1e-3, squared=squared, activation=activation)
        return (dice_loss_grad(x, lab, **kw) - autograd_dice_grad(x, lab, **kw)).abs().max().item()

    errors = pd.DataFrame([{"Φ": phi, "relaxation": "L2" if sq else "L1", "activation": str(act),
                            "error": max(error(phi, sq, act, t) for t in range(n_trials))}
                           for phi in PHIS for sq in (False, True) for act in (None, "sigmoid", "softmax")])
    n = len(errors) * n_trials
    verdict = exact(errors["error"].max(), 0.0, FLOAT64_TOLERANCE, what=f"max |Eq. 4 − autograd| over {n} "
                    "float64 batches")
    return finding("T02", Verdict(verdict.verdict, verdict.evidence + " (sympy: residual 0, §1.2)", verdict.rule, n),
                   "exact", EXACT), errors


def gradient_values(n_voxels: int = 400, seed: int = 0) -> tuple[Finding, dict]:
    """T03: the number of distinct gradient values in one subset under L1 (two: y = 0, 1) and L2 (one per
    voxel) on random predictions; the finding and ``{"L1": k, "L2": k}``."""
    from dicecore.grad import dice_loss_grad

    g = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 1, n_voxels, generator=g, dtype=torch.float64)
    lab = (torch.rand(1, 1, n_voxels, generator=g) < 0.3).double()
    distinct = {("L2" if sq else "L1"): torch.unique(dice_loss_grad(x, lab, "I", 1e-7, squared=sq)[0, 0]
                                                     .round(decimals=14)).numel() for sq in (False, True)}
    holds = distinct["L1"] == 2 and distinct["L2"] > 0.75 * n_voxels
    return finding("T03", _verdict(holds, f"{n_voxels} voxels: {distinct['L1']} distinct values (L1), "
                                   f"{distinct['L2']} (L2)", "exact count (values rounded to 1e-14)"),
                   "exact", EXACT), distinct


def empty_map_gradients(batch_sizes: Sequence[int] = (1, 2, 4, 8, 16, 32),
                        epsilons: Sequence[float] = (1e-7, 100.0)) -> pd.DataFrame:
    """B × the gradient at a voxel of the empty image of :func:`~dicecore.theory.epsilon.toy_batch` (image 0
    empty with 100 predicted voxels; the others 100 labelled voxels at 50 % overlap), per B, Φ and ε."""
    from dicecore.grad import dice_loss_grad
    from dicecore.theory.epsilon import toy_batch

    rows = []
    for b in batch_sizes:
        pred, lab = toy_batch(b, n_voxels=1000, label_volume=100, pred_volume=100, overlap=0.5)
        for phi in ("I", "BI"):
            for e in epsilons:
                grad = dice_loss_grad(pred, lab, phi, e)[0, 0, 0].item()  # a voxel of the empty image
                rows.append({"B": b, "Φ": phi, "ε": f"{e:g}", "B·grad": b * grad})
    return pd.DataFrame(rows)


def empty_map_findings(table: pd.DataFrame) -> list[Finding]:
    """T04, T05 and T07 from an :func:`empty_map_gradients` table (ε = 1e-07 and 100, B = 1 and larger)."""
    at = table.set_index(["B", "Φ", "ε"])["B·grad"]
    bs = sorted(table["B"].unique())
    rule = f"exact: negligible < {NEGLIGIBLE:g}, a push > {NON_NEGLIGIBLE:g}"
    i_max = max(at[b, "I", "1e-07"] for b in bs)
    bi_min = min(at[b, "BI", "1e-07"] for b in bs if b > 1)
    i_eps_min = min(at[b, "I", "100"] for b in bs)
    return [
        finding("T04", _verdict(i_max < NEGLIGIBLE, f"B·gradient in the empty image, DL_I at ε = 1e-7: at most "
                                f"{i_max:.1e} over B = {', '.join(map(str, bs))}", rule, len(bs)), "exact", EXACT),
        finding("T05", _verdict(bi_min > NON_NEGLIGIBLE and at[1, "BI", "1e-07"] == at[1, "I", "1e-07"],
                                f"DL_BI at ε = 1e-7: at least {bi_min:.1e} for B > 1; at B = 1 equal to DL_I "
                                f"({at[1, 'BI', '1e-07']:.1e})", rule, len(bs)), "exact", EXACT),
        finding("T07", _verdict(i_eps_min > NON_NEGLIGIBLE, f"DL_I at ε = v̂ = 100: at least {i_eps_min:.1e} at "
                                f"every B (DL_BI at B > 1: ≥ {bi_min:.1e})", rule, len(bs)), "exact", EXACT),
    ]


def eq5_double_root(v_hats: Sequence[float] = (10.0, 8789.0, 12412.0)) -> Finding:
    """T06: Eq. 5's roots at a = ½, b = 2 (:func:`~dicecore.theory.epsilon.eq5_epsilon`) equal v̂."""
    from dicecore.theory.epsilon import eq5_epsilon

    v = np.asarray(v_hats, dtype=float)
    lo, hi = eq5_epsilon(v, 0.5, 2.0)
    worst = float(np.max(np.abs(np.concatenate([lo / v, hi / v]) - 1)))
    verdict = exact(worst, 0.0, 1e-9, what="max |ε±/v̂ − 1| at a = ½, b = 2")
    return finding("T06", Verdict(verdict.verdict, verdict.evidence + f" (v̂ = {', '.join(f'{x:g}' for x in v)}; "
                                  "a double root)", verdict.rule, len(v)), "exact", EXACT)


# --- Chapter 2: Bertels et al., §2 ------------------------------------------------------------------------------

def ce_optimum_error(resolution: int = 2001) -> Finding:
    """B01: the CE-optimal prediction (:func:`~dicecore.theory.volume_bias.optimal_prediction`) against the
    true probability over 101 values off the p̂ grid and µ ∈ {0.25, 1, 4}; exact within half a grid step."""
    from dicecore.theory.volume_bias import optimal_prediction

    p = np.linspace(0.0013, 0.9987, 101)
    err = max(np.abs(optimal_prediction(p, mu, loss="cross_entropy", resolution=resolution) - p).max()
              for mu in (0.25, 1.0, 4.0))
    verdict = exact(err, 0.0, 0.5 / (resolution - 1) + 1e-12, what="max |p̂*_CE − p|")
    return finding("B01", Verdict(verdict.verdict, verdict.evidence + " (sympy: p̂ = p, §2.2)", verdict.rule, 303),
                   "exact", EXACT)


def switch_table(resolution: int = 2001, p_resolution: int = 401, mus: Sequence[float] = (0.25, 1.0, 4.0),
                 regions: Sequence[int] = (1, 4, 16)) -> pd.DataFrame:
    """Per (N, µ): the p_β at which the soft-Dice optimum switches from under- to over-estimation
    (:func:`~dicecore.theory.volume_bias.switching_point`) and the largest errors on each side."""
    from dicecore.theory.volume_bias import switching_point, volume_bias

    p_scan = np.linspace(0, 1, p_resolution)
    rows = []
    for n in regions:
        for mu in mus:
            vb = volume_bias(p_scan, mu, n, resolution=resolution)
            rows.append({"N": n, "µ": mu,
                         "switch p_β": switching_point(mu, n, resolution=resolution, p_resolution=p_resolution),
                         "max under-est. of p": -vb.uncertainty_error.min(),
                         "max over-est. of p": vb.uncertainty_error.max(),
                         "max |bias| (s_γ)": np.abs(vb.volume_bias).max()})
    return pd.DataFrame(rows)


def switch_findings(table: pd.DataFrame, p_resolution: int = 401) -> list[Finding]:
    """B02–B04 from a :func:`switch_table` (N = 1, 4, 16; µ = 0.25, 1, 4); the switching point is read to
    one p_β grid step."""
    s = table.set_index(["N", "µ"])
    mus = sorted(table["µ"].unique())
    step = 1 / (p_resolution - 1)
    switch = {k: float(v) for k, v in s["switch p_β"].items()}
    single = [switch[1, mu] for mu in mus]
    bias = [float(s.loc[(1, mu), "max |bias| (s_γ)"]) for mu in mus]
    err = [float(s.loc[(1, mu), "max over-est. of p"]) for mu in mus]
    falls_n = all(switch[16, mu] <= switch[4, mu] < switch[1, mu] for mu in mus)
    falls_mu = all(switch[n, mus[2]] < switch[n, mus[1]] < switch[n, mus[0]] for n in (4, 16))
    over = {n: float(s.loc[n, "max over-est. of p"].max()) for n in (1, 4, 16)}
    under = {n: float(s.loc[n, "max under-est. of p"].max()) for n in (1, 4, 16)}
    easier = over[16] >= over[4] >= over[1] and all(over[n] > under[n] for n in (4, 16))
    rule = f"exact expectations on a p̂ grid, switch read to ±{step:.4f}"
    return [
        finding("B02", _verdict(max(abs(v - 0.5) for v in single) <= 2 * step,
                                "N = 1: switch at p_β = " + ", ".join(f"{v:.3f}" for v in single)
                                + f" for µ = {', '.join(f'{m:g}' for m in mus)}", rule, len(mus)), "exact", EXACT),
        finding("B03", _verdict(bias[0] < bias[1] < bias[2] and np.ptp(err) < 0.01,
                                "N = 1: max |bias| " + " < ".join(f"{b:.2f}" for b in bias)
                                + f"; max uncertainty error {', '.join(f'{e:.3f}' for e in err)} (flat in µ)",
                                rule, len(mus)), "exact", EXACT),
        finding("B04", _verdict(falls_n and falls_mu and easier, "switch p_β at µ = 1 for N = 1, 4, 16: "
                                + ", ".join(f"{switch[n, 1.0]:.3f}" for n in (1, 4, 16))
                                + "; at N = 16 for µ = " + ", ".join(f"{m:g}: {switch[16, m]:.3f}" for m in mus)
                                + "; max over-estimation of p for N = 1, 4, 16: "
                                + ", ".join(f"{over[n]:.2f}" for n in (1, 4, 16)), rule, len(table)), "exact", EXACT),
    ]


# --- Chapter 3: Sudre et al., §2.1 -----------------------------------------------------------------------------

def printed_gdl_gradient(n_voxels: int = 500, seed: int = 1) -> tuple[Finding, dict]:
    """S01: the printed two-class GDL gradient (:func:`~dicecore.grad.sudre_gdl_gradient_printed`) against
    autograd on random maps with GDL_v weights; the finding and the three gradients (autograd, as printed,
    sign-corrected) for the chapter's plot."""
    from dicecore.grad import gdl_two_class_gradient, sudre_gdl_gradient_printed, two_class_gdl

    g = torch.Generator().manual_seed(seed)
    p = torch.rand(n_voxels, generator=g, dtype=torch.float64, requires_grad=True)
    r = (torch.rand(n_voxels, generator=g) > 0.85).double()
    w1, w2 = 1 / r.sum() ** 2, 1 / (1 - r).sum() ** 2
    two_class_gdl(p, r, w1, w2).backward()
    grads = {"autograd": p.grad, "as printed": sudre_gdl_gradient_printed(p.detach(), r, w1, w2),
             "sign corrected": gdl_two_class_gradient(p.detach(), r, w1, w2)}
    printed = (grads["as printed"] - grads["autograd"]).abs().max().item()
    corrected = (grads["sign corrected"] - grads["autograd"]).abs().max().item()
    verdict = exact(printed, 0.0, FLOAT64_TOLERANCE, what="max |printed − autograd|")
    return finding("S01", Verdict(verdict.verdict, verdict.evidence + f"; with the sign flipped {corrected:.0e}: the "
                                  "printed expression is the gradient of the score, −∂GDL/∂p_i (sympy agrees)",
                                  verdict.rule, n_voxels), "exact", EXACT), grads


def gdl_gradient_share(share: pd.DataFrame) -> Finding:
    """S02 from the foreground's share of the gradient per loss and foreground fraction (rows: fractions,
    ascending; columns include "GDL_v", "DL₂", "CE"): at the smallest fraction GDL_v keeps a larger share than
    DL₂, which keeps more than CE."""
    low = share.iloc[0]
    holds = low["GDL_v"] > low["DL₂"] > low["CE"]
    return finding("S02", _verdict(holds, f"foreground share of |∇loss| at f = {share.index[0]:.4f}: GDL_v "
                                   f"{low['GDL_v']:.3f}, DL₂ {low['DL₂']:.3f}, CE {low['CE']:.4f}",
                                   "exact (autograd on one image per fraction)", len(share)),
                   "exact", "one synthetic image per foreground fraction (p = 0.6 fg, 0.05 bg)")


# --- Chapter 5: Hosseini, §2 -----------------------------------------------------------------------------------

def pm_dice_reduces_to_dice(seed: int = 0) -> Finding:
    """H01: PM Dice (Eq. 5) at γ = 0 against the Dice loss of Eq. 4 on random float64 softmax maps."""
    from dicecore.losses.difficulty import eq4_dice_loss
    from dicecore.losses.modulated import pm_dice_loss

    g = torch.Generator().manual_seed(seed)
    p = torch.softmax(torch.randn(4, 3, 32, 32, generator=g, dtype=torch.float64), 1)
    y = torch.zeros_like(p).scatter_(1, torch.randint(0, 3, (4, 1, 32, 32), generator=g), 1.0)
    gap = (pm_dice_loss(p, y, gamma=0.0) - eq4_dice_loss(p, y)).abs().item()
    return finding("H01", exact(gap, 0.0, FLOAT64_TOLERANCE, what="|PM(γ = 0) − Eq. 4| (float64)"), "exact", EXACT)


def pm_dice_gradient_focus(n_maps: int = 50, size: int = 32, seed: int = 0) -> Finding:
    """H03: on ``n_maps`` random two-class predictions of random blobs, the share of the gradient's magnitude that
    falls on the difficult pixels (error ``|y − p|`` above 0.5) under PM Dice (γ = 1) against the Dice loss of Eq. 4; reproduced when
    PM Dice's share is the larger on every map."""
    from dicecore.losses.difficulty import eq4_dice_loss
    from dicecore.losses.modulated import pm_dice_loss

    g = torch.Generator().manual_seed(seed)
    wins, shares = 0, []
    for _ in range(n_maps):
        fg = (torch.nn.functional.avg_pool2d(torch.rand(1, 1, size, size, generator=g, dtype=torch.float64),
                                             5, 1, 2) > 0.55).double()
        y = torch.cat([1 - fg, fg], 1)
        logits = 4 * (2 * fg - 1) + 2.5 * torch.randn(1, 1, size, size, generator=g, dtype=torch.float64)
        q = torch.sigmoid(logits)
        share = {}
        for name, fn in (("Dice", eq4_dice_loss), ("PM Dice", pm_dice_loss)):
            p = torch.cat([1 - q, q], 1).requires_grad_(True)
            fn(p, y).backward()
            hard = (y - p.detach()).abs() > 0.5
            share[name] = (p.grad.abs()[hard].sum() / p.grad.abs().sum()).item()
        wins += share["PM Dice"] > share["Dice"]
        shares.append(share)
    mean = {k: float(np.mean([s[k] for s in shares])) for k in ("Dice", "PM Dice")}
    return finding("H03", _verdict(wins == n_maps, f"share of |∂L/∂p| on pixels with |y − p| > 0.5: PM Dice "
                                   f"{mean['PM Dice']:.0%}, Dice {mean['Dice']:.0%} (mean); PM Dice larger on {wins} "
                                   f"of {n_maps} random maps", "exact (autograd), on every map", n_maps),
                   "exact", f"{n_maps} random two-class {size}² maps and predictions")


#: H05's margin, the book's choice — PM Dice's training step at most this fraction slower than the Dice loss's.
MODULATION_STEP_MARGIN = 0.10


def pm_dice_cost(table: Optional[pd.DataFrame] = None, margin: float = MODULATION_STEP_MARGIN,
                 folder: Optional[str] = None) -> tuple[Finding, pd.DataFrame]:
    """H05 from the committed benchmark ``benchmarks/modulation_cost.py`` (``table``: its rounds; default the
    committed ``modulation_cost_cpu.csv`` in ``folder``), scale ``cpu``. The book's rule, judged round by round
    (each round a fresh one-thread process, each time relative to the Dice loss's in the same round):

    * *minimal*: a training step of Chapter 5's ``cpu`` network with PM Dice costs at most ``1 + margin`` times
      the step with the Dice loss of Eq. 4;
    * *unlike the ranking losses*: PM Dice alone (forward + backward, 8 × 2 × 256²) costs less than each
      loss that ranks the errors (TopK Dice [42], Focal Dice [41]).

    Reproduced when both hold in every round, not reproduced when one fails in every round, else
    inconclusive. Returns the finding and :func:`~dicecore.bench.modulation_cost_summary`'s table; without a
    committed benchmark, the finding is "not run" and the table empty."""
    from dicecore.bench import MODULATION_COST_LOSSES, modulation_cost_summary, read_results

    if not 0 < margin < 1:
        raise ValueError(f"margin: a fraction in (0, 1), got {margin!r}.")
    if table is None:
        table = read_results("modulation_cost_cpu", folder)
    if table is None or table.empty:
        return not_run("H05", "cpu", "the committed CPU benchmark", "python benchmarks/modulation_cost.py "
                       "(a few minutes on one core)"), pd.DataFrame()
    summary = modulation_cost_summary(table)
    ranking = [name for name in MODULATION_COST_LOSSES[2:] if name in set(table["loss"])]
    missing = {"Dice", "PM Dice"} - set(table["loss"])
    if missing or not ranking:
        raise ValueError(f"table: rounds without {sorted(missing) or 'a ranking loss'}; pass the CSV that "
                         "benchmarks/modulation_cost.py writes.")
    wide = table.pivot_table(index=["round", "workload"], columns="loss", values="× Dice").reset_index()
    step = wide[wide["workload"].str.startswith("training step")].set_index("round")
    alone = wide[wide["workload"].str.startswith("loss alone")].set_index("round")
    minimal = step["PM Dice"] <= 1 + margin
    unranked = (alone[ranking].gt(alone["PM Dice"], axis=0)).all(axis=1)
    holds = (minimal & unranked.reindex(minimal.index, fill_value=False))
    verdict = ("reproduced" if holds.all() else
               "not reproduced" if (~minimal).all() or (~unranked).all() else "inconclusive")

    def span(frame, column):
        return f"{frame[column].median():.2f}× ({frame[column].min():.2f}–{frame[column].max():.2f})"

    evidence = (f"a training step of the cpu network: PM Dice {span(step, 'PM Dice')} the Dice loss's, "
                + ", ".join(f"{name} {span(step, name)}" for name in ranking)
                + "; the loss alone at 8 × 2 × 256²: PM Dice " + span(alone, "PM Dice") + ", "
                + ", ".join(f"{name} {span(alone, name)}" for name in ranking)
                + f" (median of {len(step)} rounds, range)")
    rule = (f"in every round PM Dice's step ≤ {1 + margin:.2f}× Dice's (the book's margin) and PM Dice alone "
            "cheaper than each ranking loss")
    return finding("H05", Verdict(verdict, evidence, rule, len(step)), "cpu",
                   "the committed CPU benchmark (one thread per process)"), summary


def exact_findings(quick: bool = True) -> list[Finding]:
    """Every finding of the ledger that needs no training, computed now (``quick``: the ``ci`` resolutions, a
    few seconds): the exact checks, and H05 read from its committed benchmark."""
    from dicecore.theory.imbalance import gradient_balance

    out = [matches_monai(), eq4_against_autograd(4 if quick else 40)[0], gradient_values()[0],
           *empty_map_findings(empty_map_gradients()), eq5_double_root(), ce_optimum_error(),
           *switch_findings(switch_table()), printed_gdl_gradient()[0]]
    from dicecore.losses import generalized_dice_loss, two_class_dice_loss

    def two(q):
        return torch.cat([1 - q, q], dim=1)

    losses = {"CE": lambda q, t: torch.nn.functional.binary_cross_entropy(q, t),
              "DL₂": lambda q, t: two_class_dice_loss(q, t),
              "GDL_v": lambda q, t: generalized_dice_loss(two(q), two(t))}
    fractions = np.logspace(np.log10(2e-4), np.log10(0.5), 4)
    share = pd.DataFrame({k: [gradient_balance(fn, f)["fg_share"] for f in fractions] for k, fn in losses.items()},
                         index=fractions)
    return out + [gdl_gradient_share(share), pm_dice_reduces_to_dice(), pm_dice_gradient_focus(), pm_dice_cost()[0]]
