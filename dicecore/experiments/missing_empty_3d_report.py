"""Chapter 4's report (Tilborghs, Bertels et al. 2022, Table 1, Figs. 2–3, §4.2): what the chapter shows of
its 3-D study's trainings (:mod:`dicecore.experiments.missing_empty_3d`) — Table 1 beside the paper's, the
detection of LGG / ES volumes (Fig. 2's AUC), the partial-label losses on ACDC-like, the training-length
check, Fig. 3's example slices, and the verdicts on the paper's claims (T09–T14).

Every comparison of two configurations is paired over the same held-out entries
(:func:`~dicecore.claims.superiority`, at least five folds); a configuration counts as having learned empty
maps when its LGG DSC drops by :data:`EMPTY_MAP_DROP` or more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from dicecore import claims
from dicecore.data.brain import BratsLike
from dicecore.data.cohorts import pool
from dicecore.data.heart import AcdcLike
from dicecore.data.labels import partial_acdc_label, partial_brats_label
from dicecore.experiments.missing_empty_3d import (CONFIGS, PROFILES, STRUCTURES, MissingEmptyCell, cohort,
                                                   grid_length, grid_rows, scored_rows, with_bi_at_b1)
from dicecore.experiments.study import learning_curve
from dicecore.metrics import bootstrap_mean_test, roc_auc
from dicecore.papers import tilborghs2022

__all__ = [
    "table1", "detection_entries", "detection_auc", "partial_losses_table", "findings", "AUC_LEVEL",
    "EMPTY_MAP_DROP", "learnt_empty_maps", "length_check", "too_short_for_t10", "committed_findings",
    "example_frame", "figure3_rows", "acdc_walls", "walls_of", "es_wall_extrapolation", "extrapolates",
    "extrapolation_sentence", "EXTRAPOLATION_SHARE",
]


def length_check(per_entry: pd.DataFrame, dataset: str = "brats",
                 margin: float = claims.DICE_MARGIN) -> pd.DataFrame:
    """The training-length check of ``dataset`` read (:func:`~dicecore.experiments.missing_empty_3d.length_check_cells`;
    pass its rows, or any partially labelled rows at B = 2 of several lengths): per configuration and group
    (HGG or ED: learning the structure; LGG or ES: learning to leave it out), the mean DSC of the check's folds
    at each length, its change per doubling between the two longest, and whether that change is within
    ± ``margin`` (:func:`dicecore.experiments.study.learning_curve`)."""
    if dataset not in STRUCTURES:
        raise ValueError(f"dataset: 'brats' or 'acdc', got {dataset!r}.")
    d = scored_rows(per_entry[(per_entry.dataset == dataset) & (per_entry.labelling == "partial")
                              & (per_entry.batch_size == 2)])
    per_training = (d.groupby(["config", "group", "iterations", "fold"], as_index=False)["dice"].mean())
    table = learning_curve(per_training, by=["config", "group"], metric="dice", margin=margin)
    order = {c: k for k, c in enumerate(CONFIGS)}  # I, BI, Iε, as Table 1
    return table.sort_values("config", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)


def example_frame(dataset: str, profile: str, entry: int, seed: int = 0,
                  data_root: Optional[str] = None) -> tuple[np.ndarray, np.ndarray]:
    """One cohort entry (a phantom's rebuilt alone, not the whole cohort): (image (C, X, Y, Z) scaled to
    [0, 1] per channel for display, full label map (X, Y, Z))."""
    cfg = PROFILES[profile][dataset]
    if data_root is not None:
        data = cohort(dataset, profile, seed, data_root)
        img, lab = np.asarray(data["images"][entry]), data["labels"][entry]
    elif dataset == "brats":
        img, lab, _ = BratsLike(cfg["n_hgg"], cfg["n_lgg"], seed).subject(entry)
        img = pool(img, cfg["downsample"])
        lab = (pool(lab.astype(np.float32), cfg["downsample"]) >= 0.5).astype(np.uint8)
    else:
        img, lab = AcdcLike(cfg["n_subjects"], tuple(cfg["shape"]), tuple(cfg["spacing"]), seed).subject(
            entry // 2)["ED" if entry % 2 == 0 else "ES"]
        img = img[None]
    lo = img.min(axis=(1, 2, 3), keepdims=True)
    hi = img.max(axis=(1, 2, 3), keepdims=True)
    return ((img - lo) / (hi - lo + 1e-6)).astype(np.float32), lab



def figure3_rows(examples_dir, profile: str, dataset: str, batch_size: int, fold: int = 0, seed: int = 0,
                 configs=("I", "BI", "Iε"), data_root: Optional[str] = None) -> list:
    """Fig. 3's panels from the committed example slices of the partially labelled trainings of one fold:
    for each example entry (HGG and LGG, or ED and ES) ``(name, image, reference, {row: prediction})`` for
    :func:`dicecore.plotting.plot_visual_comparison`, the rows being the training label (GT_train: empty
    for LGG, no myocardium at ES) and each configuration's prediction."""
    rows = {}
    for config in configs:
        trained = "I" if (config == "BI" and batch_size == 1) else config  # BI at B = 1 is I's training
        key = MissingEmptyCell(dataset=dataset, labelling="partial", config=trained, batch_size=batch_size, fold=fold,
                               iterations=grid_length(profile, dataset), data_root=data_root,
                               profile=profile, seed=seed).key
        path = Path(examples_dir) / f"{key}.npz"
        if not path.is_file():
            continue
        ex = np.load(path)
        for group in STRUCTURES[dataset][:2]:
            if f"{group}_pred" not in ex:
                continue
            entry, z = int(ex[f"{group}_entry"]), int(ex[f"{group}_z"])
            if group not in rows:
                image, label = example_frame(dataset, profile, entry, seed, data_root)
                train = partial_brats_label(label, group) if dataset == "brats" else partial_acdc_label(label, group)
                rows[group] = (f"{group} (held out)", image[..., z].swapaxes(-1, -2)[..., ::-1, :],
                               label[..., z].T[::-1], {"GT_train": train[..., z].T[::-1]})
            rows[group][3][config] = ex[f"{group}_pred"].T[::-1]
    return list(rows.values())



def table1(summary: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Table 1's layout for one dataset: rows (labelling, B), columns (metric, group, configuration), each
    cell "ours / paper", ours in *…* where inferior to full labelling (p < 0.05), "not run" where missing."""
    always, sometimes, _ = STRUCTURES[dataset]
    paper = tilborghs2022.TABLE1[tilborghs2022.TABLE1.dataset == dataset].set_index(["labelling", "B", "config", "group"])
    ours = summary[summary.dataset == dataset].set_index(["labelling", "B", "config", "group"])
    rows = {}
    for labelling, b in paper.index.droplevel([2, 3]).unique():
        cells = {}
        for metric, fmt in (("dice", "{:.2f}"), ("dV_ml", "{:.0f}")):
            for group in (always, sometimes):
                for config in ("I", "BI", "Iε"):
                    ref = paper.loc[(labelling, b, config, group), metric]
                    key = (labelling, b, config, group)
                    if key in ours.index:
                        v = fmt.format(ours.loc[key, metric])
                        if ours.loc[key, "dice_worse" if metric == "dice" else "dV_worse"]:
                            v = f"*{v}*"
                        cells[("DSC" if metric == "dice" else "ΔV [ml]", group, config)] = f"{v} / {fmt.format(ref)}"
                    else:
                        cells[("DSC" if metric == "dice" else "ΔV [ml]", group, config)] = f"not run / {fmt.format(ref)}"
        rows[(labelling, b)] = cells
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    table.index = pd.MultiIndex.from_tuples(table.index, names=["labelling", "B"])
    return table



def detection_entries(per_entry: pd.DataFrame) -> pd.DataFrame:
    """Fig. 2's data: under partial labels, each held-out entry's predicted volume (``pred_ml``) of the
    scored structure, with ``positive`` True for the always-labelled group (HGG, or ED for the myocardium)."""
    d = scored_rows(with_bi_at_b1(per_entry))
    d = d[d.labelling == "partial"]
    return d.assign(positive=d["group"] == d["dataset"].map({k: v[0] for k, v in STRUCTURES.items()}))



def detection_auc(per_entry: pd.DataFrame) -> pd.DataFrame:
    """Fig. 2: under partial labels, the AUC of detecting the always-labelled group (HGG, or ED for the
    myocardium) from the predicted volume of the scored structure, per dataset, configuration and B."""
    rows = []
    for (dataset, config, b), g in detection_entries(per_entry).groupby(["dataset", "config", "batch_size"],
                                                                        sort=False):
        positive = g["positive"].to_numpy()
        if positive.all() or not positive.any():
            continue
        rows.append({"dataset": dataset, "config": config, "B": b, "AUC": roc_auc(g["pred_ml"].to_numpy(), positive),
                     "n": len(g)})
    return pd.DataFrame(rows)



def partial_losses_table(per_entry: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """§4's comparison on partially labelled ACDC: mean DSC of I, marginal and leaf Dice per structure and
    phase, the paper's value, and whether marginal or leaf differs from I (paired bootstrap, p < ``alpha``)."""
    d = per_entry[(per_entry.dataset == "acdc") & (per_entry.labelling == "partial")
                  & per_entry.config.isin(["I", "marginal", "leaf"])]
    rows = []
    for (structure, phase), g in d.groupby(["structure", "group"], sort=False):
        row = {"structure": structure, "phase": phase}
        base = g[g.config == "I"].set_index(["entry", "fold"])["dice"]
        differs = []
        for config in ("I", "marginal", "leaf"):
            gc = g[g.config == config].set_index(["entry", "fold"])["dice"]
            row[config] = gc.mean() if len(gc) else float("nan")
            common = gc.index.intersection(base.index)
            if config != "I" and len(common) >= 2:
                t = bootstrap_mean_test((gc.loc[common] - base.loc[common]).to_numpy(), seed=0)
                if t["p_value"] < alpha:
                    differs.append(config)
        row["paper (all three)"] = tilborghs2022.PARTIAL_LOSSES.get((structure, phase), float("nan"))
        row["differs from I (p < 0.05)"] = ", ".join(differs) or "none"
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=["structure", "phase", "I", "marginal", "leaf", "paper (all three)",
                                     "differs from I (p < 0.05)"])
    out = pd.DataFrame(rows)
    rank = {(st, ph): k for k, (st, ph) in enumerate(tilborghs2022.PARTIAL_LOSSES)}
    return out.iloc[np.argsort([rank.get(k, 99) for k in zip(out.structure, out.phase)], kind="stable")] \
        .reset_index(drop=True)



#: "About 0.9" (Fig. 2) read as an AUC of at least 0.85 — the book's reading of the paper's rounding.
AUC_LEVEL = 0.85



#: A network "learnt empty maps" for a group when that group's DSC drops by more than this (the book's
#: threshold; the paper's drops under partial labels are 0.64–0.83, its other differences at most 0.07).
EMPTY_MAP_DROP = 0.5



def learnt_empty_maps(summary: pd.DataFrame, dataset: str, batch_size: int) -> dict[str, str]:
    """T10's reading of Table 1's means (:func:`~dicecore.experiments.missing_empty_3d.summarise`) at one B, for
    BI and Iε: "has learnt to leave LGG out" (ES for ACDC) when the emptied group's mean DSC under partial labels
    is at least :data:`EMPTY_MAP_DROP` below the same configuration's with full labels — the claims table's
    rule, on the means rather than paired — "still segments LGG" when not, "not judged" when either labelling
    is missing."""
    sometimes = STRUCTURES[dataset][1]
    means = summary.set_index(["dataset", "labelling", "B", "config", "group"])["dice"]
    out = {}
    for config in ("BI", "Iε"):
        partial = means.get((dataset, "partial", batch_size, config, sometimes))
        full = means.get((dataset, "full", batch_size, config, sometimes))
        out[config] = ("not judged" if partial is None or full is None else
                       f"has learnt to leave {sometimes} out" if full - partial >= EMPTY_MAP_DROP else
                       f"still segments {sometimes}")
    return out


def _paired(d: pd.DataFrame, a: dict, b: dict, value: str = "dice") -> tuple[np.ndarray, np.ndarray]:
    """The ``value`` of the rows matching ``a`` and of those matching ``b``, paired by held-out entry and fold."""
    def pick(sel):
        rows = d
        for k, v in sel.items():
            rows = rows[rows[k] == v]
        return rows.set_index(["entry", "fold"])[value]
    x, y = pick(a), pick(b)
    common = x.index.intersection(y.index)
    return x.loc[common].to_numpy(), y.loc[common].to_numpy()



def too_short_for_t10(per_entry: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Where the training-length check shows that Table 1's grid is too short for T10: per (dataset,
    configuration) of BI and Iε whose sometimes-emptied group's DSC (LGG, ES) falls by :data:`EMPTY_MAP_DROP` or
    more between the grid's length and the check's longest (:func:`length_check` on ``per_entry``'s rows), a
    sentence saying so. Empty where no check beyond the grid's length is committed."""
    out = {}
    if "iterations" not in per_entry:  # rows written before the length was recorded: no check among them
        return out
    grid = grid_rows(per_entry)
    for dataset in STRUCTURES:
        lengths = grid.loc[grid["dataset"] == dataset, "iterations"].unique()
        rows = per_entry[per_entry["dataset"] == dataset]
        if len(lengths) != 1 or rows.empty:
            continue
        longest = rows["iterations"].max()  # the check's folds are those trained that long
        rows = rows[rows["fold"].isin(rows.loc[rows["iterations"] == longest, "fold"].unique())]
        table = length_check(rows, dataset).set_index(["config", "group"])
        columns = sorted(int(c) for c in table.columns if str(c).isdigit())
        if str(lengths[0]) not in table or columns[-1] <= lengths[0]:
            continue
        sometimes = STRUCTURES[dataset][1]
        for config in ("BI", "Iε"):
            if (config, sometimes) not in table.index:
                continue
            at_grid, longest = table.loc[(config, sometimes), [str(lengths[0]), str(columns[-1])]]
            if at_grid - longest >= EMPTY_MAP_DROP:
                out[(dataset, config)] = (f"the grid's {lengths[0]} iterations are too short to judge it: on the "
                                          f"length check's fold(s) the partially labelled {config}'s {sometimes} "
                                          f"DSC falls from {at_grid:.2f} to {longest:.2f} at {columns[-1]}")
    return out


#: T09's ACDC-like part is read as the phantom's, not the loss's, when at least this share of the held-out ES
#: walls is thicker than every ED wall outside their fold and the ES DSC lost grows with that thickness
#: (:func:`es_wall_extrapolation`, :func:`extrapolates`).
EXTRAPOLATION_SHARE = 0.5


def acdc_walls(profile: str, seed: int = 0) -> pd.DataFrame:
    """The ACDC-like cohort's myocardial wall per subject (:meth:`dicecore.data.heart.AcdcLike.geometry`, no
    images built): ``subject``, ``wall_ed_mm``, ``wall_es_mm``."""
    cfg = PROFILES[profile]["acdc"]
    c = AcdcLike(cfg["n_subjects"], tuple(cfg["shape"]), tuple(cfg["spacing"]), seed)
    return pd.DataFrame([{"subject": i, **{k: c.geometry(i)[k] for k in ("wall_ed_mm", "wall_es_mm")}}
                         for i in range(len(c))])


def walls_of(rows: pd.DataFrame, profile: str) -> Optional[pd.DataFrame]:
    """:func:`acdc_walls` of the phantom cohort ``rows`` were trained on (their one seed); ``None`` where they hold
    no ACDC-like phantom rows (your own data has no drawn walls) or several seeds."""
    phantom = rows[(rows.dataset == "acdc") & (rows["data_root"].isna() if "data_root" in rows else True)]
    seeds = phantom["seed"].unique() if "seed" in phantom else [0]
    return acdc_walls(profile, int(seeds[0])) if len(phantom) and len(seeds) == 1 else None


def es_wall_extrapolation(per_entry: pd.DataFrame, walls: pd.DataFrame, config: str = "I",
                          batch_size: int = 2) -> Optional[dict]:
    """Whether the ES myocardium that ``config`` loses under partial labels (T09) is the ED labels not covering
    the ES walls. Per held-out ES frame of ACDC-like: the DSC with full labels minus that with partial labels
    (``loss``), its wall thickness (``wall_es_mm``, from ``walls``, :func:`acdc_walls`) and the thickest ED wall
    among the subjects outside its fold (``thickest_ed_mm``: the ED walls a partially labelled network saw).

    Returns ``None`` without paired frames; else ``entries`` (that table), ``n``, ``rho`` and ``p`` (Spearman's
    rank correlation of the loss with the ES wall, two-sided), ``share_beyond`` (the share of held-out ES
    walls thicker than ``thickest_ed_mm``), and the mean loss of the frames within and beyond it
    (``loss_within`` over ``n_within`` frames, ``loss_beyond``; NaN where none)."""
    from scipy import stats

    d = scored_rows(grid_rows(per_entry))
    d = d[(d.dataset == "acdc") & (d.group == "ES") & (d.config == config) & (d.batch_size == batch_size)]
    wide = d.pivot_table(index=["subject", "fold"], columns="labelling", values="dice").dropna()
    if wide.empty or not {"full", "partial"} <= set(wide.columns):
        return None
    missing = set(wide.index.get_level_values("subject")) - set(walls["subject"])
    if missing:
        raise ValueError(f"walls: no wall thickness for subjects {sorted(missing)[:5]}; pass acdc_walls() of the "
                         "profile the rows were trained on.")
    wall = walls.set_index("subject")
    entries = (wide.assign(loss=wide["full"] - wide["partial"]).reset_index()
               .merge(wall[["wall_es_mm"]], left_on="subject", right_index=True))
    held_out = entries.groupby("fold")["subject"].agg(set)
    entries["thickest_ed_mm"] = [wall.loc[~wall.index.isin(held_out[f]), "wall_ed_mm"].max() for f in entries["fold"]]
    rho, p = stats.spearmanr(entries["loss"], entries["wall_es_mm"])
    beyond = entries["wall_es_mm"] > entries["thickest_ed_mm"]
    return dict(entries=entries, n=len(entries), rho=float(rho), p=float(p), share_beyond=float(beyond.mean()),
                loss_within=float(entries.loc[~beyond, "loss"].mean()), n_within=int((~beyond).sum()),
                loss_beyond=float(entries.loc[beyond, "loss"].mean()))


def extrapolates(reading: Optional[dict], alpha: float = 0.05) -> bool:
    """True when :func:`es_wall_extrapolation`'s ``reading`` shows the phantom, not the loss, behind an ES
    DSC lost under partial labels: at least :data:`EXTRAPOLATION_SHARE` of the held-out ES walls lie beyond every
    ED wall trained on, and the loss grows with the wall (ρ > 0 at p < ``alpha``)."""
    return (reading is not None and reading["share_beyond"] >= EXTRAPOLATION_SHARE and reading["rho"] > 0
            and reading["p"] < alpha)


def extrapolation_sentence(reading: dict) -> str:
    """:func:`es_wall_extrapolation`'s ``reading`` in words (the claims table's evidence and Chapter 4's prose)."""
    return (f"the ES DSC lost grows with the held-out ES wall's thickness (Spearman ρ = {reading['rho']:.2f}, "
            f"p = {reading['p']:.1g}, n = {reading['n']}) and {100 * reading['share_beyond']:.0f} % of those walls "
            "are thicker than every ED wall outside their fold (they lose "
            + (f"{reading['loss_beyond']:.2f} on average, the {reading['n_within']} within "
               f"{reading['loss_within']:.2f})" if reading["n_within"] else f"{reading['loss_beyond']:.2f} on average)")
            + ": on this phantom, unlike ACDC, the ED labels a partially labelled network learns the myocardium from "
            "do not cover the ES walls (ES_WALL_THICKENING)")


def findings(per_entry: pd.DataFrame, scale: str, data: str,
             walls: Optional[pd.DataFrame] = None) -> list[claims.Finding]:
    """Table 1, Fig. 2 and §4's claims (T09–T14) judged on the 3-D grid's per-entry rows (:func:`~dicecore.experiments.missing_empty_3d.run_cell`;
    Table 1's trainings, :func:`~dicecore.experiments.missing_empty_3d.grid_rows`). Pairs are held-out entries (subjects × phases) matched between
    the two arms, at least :data:`~dicecore.claims.MIN_FOLDS`: "as well as" and "alike" are
    :func:`~dicecore.claims.equivalence` within :data:`~dicecore.claims.DICE_MARGIN` of DSC, "worse" is
    :func:`~dicecore.claims.superiority`, Fig. 2's AUC is read against :data:`AUC_LEVEL`. A T10 part that is
    not reproduced on the grid but whose training-length check (rows at other lengths in ``per_entry``) shows the
    grid too short for it (:func:`too_short_for_t10`) is inconclusive, not a failure of the claim; so is an
    ACDC-like T09 part that fails where ``walls`` (:func:`acdc_walls`) show the ES walls lie beyond the ED walls
    trained on (:func:`extrapolates`)."""
    too_short = too_short_for_t10(per_entry)
    per_entry = grid_rows(per_entry)  # Table 1's trainings; the check's other lengths were read just above
    d = scored_rows(with_bi_at_b1(per_entry))
    n_min, margin = claims.MIN_FOLDS, claims.DICE_MARGIN
    parts = {k: [] for k in ("T09", "T10", "T11", "T12", "T14")}
    for dataset, g in d.groupby("dataset", sort=False):
        always, sometimes, structure = STRUCTURES[dataset]
        name = "BraTS-like" if dataset == "brats" else "ACDC-like"
        for b in sorted(g["batch_size"].unique()):
            at = dict(dataset=dataset, batch_size=b)
            for config in ("I", "BI", "Iε"):
                part = dict(at, config=config, labelling="partial")
                full = dict(at, config=config, labelling="full")
                x, y = _paired(g, dict(part, group=sometimes), dict(full, group=sometimes))
                if not len(x):
                    continue
                label = f"{name} {config} B={b}"
                if config == "I" or (config == "BI" and b == 1):
                    t09 = claims.equivalence(x, y, margin=margin, what=f"{label}: {sometimes} DSC partial − full")
                    wall = (es_wall_extrapolation(per_entry, walls, config, b)
                            if dataset == "acdc" and walls is not None and t09.verdict != "reproduced" else None)
                    if extrapolates(wall):
                        t09 = claims.Verdict("inconclusive", f"{t09.evidence}; {extrapolation_sentence(wall)}",
                                             t09.rule, t09.n)
                    parts["T09"].append(t09)
                else:
                    t10 = claims.superiority(y, x, min_n=n_min, min_effect=EMPTY_MAP_DROP,
                                             what=f"{label}: {sometimes} DSC full − partial")
                    if t10.verdict == "not reproduced" and (dataset, config) in too_short:
                        t10 = claims.Verdict("inconclusive", f"{t10.evidence}; {too_short[(dataset, config)]}",
                                             t10.rule, t10.n)
                    parts["T10"].append(t10)
                    xa, ya = _paired(g, dict(part, group=always), dict(full, group=always))
                    if len(xa):
                        parts["T11"].append(claims.superiority(ya, xa, min_n=n_min, what=f"{label}: {always} DSC "
                                                               "full − partial"))
            for config in ("BI", "Iε"):
                for group in (always, sometimes):
                    x, y = _paired(g, dict(at, config=config, labelling="full", group=group),
                                   dict(at, config="I", labelling="full", group=group))
                    if len(x) and not (config == "BI" and b == 1):
                        parts["T12"].append(claims.equivalence(x, y, margin=margin, what=f"{name} full B={b}: "
                                                               f"{group} DSC {config} − I"))
    acdc = per_entry[(per_entry.dataset == "acdc") & (per_entry.labelling == "partial")]
    for (structure, phase), g in acdc.groupby(["structure", "group"], sort=False):
        for config in ("marginal", "leaf"):
            x, y = _paired(g, dict(config=config), dict(config="I"))
            if len(x):
                parts["T14"].append(claims.equivalence(x, y, margin=margin, what=f"{structure} {phase}: DSC "
                                                       f"{config} − I"))
    what = {"T09": "I (any B), BI (B = 1)", "T10": "BI (B > 1), Iε", "T11": "BI (B > 1), Iε",
            "T12": "full labels", "T14": "ACDC-like, partial labels"}
    out = [claims.finding(k, claims.combine(v, what[k]), scale, data) if v else
           claims.not_run(k, scale, data, f"needs the {what[k]} cells of both labellings")
           for k, v in parts.items()]
    aucs = detection_auc(per_entry)
    learners = aucs[((aucs.config == "BI") & (aucs.B > 1)) | (aucs.config == "Iε")]
    if len(learners):
        low = learners[learners.AUC < AUC_LEVEL]
        verdict = "reproduced" if low.empty else "not reproduced" if len(low) == len(learners) else "partly"
        out.append(claims.finding("T13", claims.Verdict(
            verdict, "AUC " + "; ".join(f"{r.dataset} {r.config} B={r.B}: {r.AUC:.2f}" for r in learners.itertuples()),
            f"AUC ≥ {AUC_LEVEL} (the paper's \"around 0.9\")", int(learners["n"].sum())), scale, data))
    else:
        out.append(claims.not_run("T13", scale, data, "needs partially labelled BI (B > 1) or Iε cells"))
    return sorted(out, key=lambda f: f.claim)



def committed_findings(shown) -> list[claims.Finding]:
    """:func:`findings` on the committed grid (``shown``, :func:`~dicecore.experiments.study.committed`; Table 1
    judged on the grid's trainings, the training-length check's other lengths read by :func:`too_short_for_t10`)."""
    folds_run = ", ".join(str(int(f)) for f in sorted(grid_rows(shown.rows)["fold"].unique()))
    return shown.tag(findings(shown.rows, shown.profile, f"BraTS-like and ACDC-like {shown.phantom_label()}, 3-D, "
                              f"folds {folds_run}", walls=walls_of(shown.rows, shown.profile)))
