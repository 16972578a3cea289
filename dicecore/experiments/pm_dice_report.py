"""Chapter 5's report (Hosseini Tables 1–3, Figs. 3–4): what the chapter shows of its study's trainings
(:mod:`dicecore.experiments.pm_dice`) — ours beside the paper's tables, the γ sweeps, the readings of what
collapsed or diverged, and the verdicts on Hosseini's claims (H04, H06–H18).

Every comparison of two losses is paired by seed (:func:`~dicecore.claims.superiority`, at least three
seeds); a training that collapsed to all-background, or two at the ceiling, make a comparison untestable.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from dicecore import claims
from dicecore.experiments.pm_dice import (ABLATIONS, LENGTH_CHECK, METRICS, ORGANS, PARTS, STUDY, length_check_cells,
                                         part_cells, per_seed, summarise)
from dicecore.experiments.study import ResultStore, learning_curve, superseded
from dicecore.papers import hosseini2025

__all__ = [
    "committed_parts", "example_predictions", "organ_dice", "beside_paper", "DIFFICULTY_LOSSES",
    "findings", "gamma_findings", "collapse_onset", "collapsed", "collapsed_trainings", "table3_reading",
    "diverged_trainings",
    "collapse_reading", "sweep_tables", "committed_report", "committed_findings", "length_check", "length_states", "unsettled_at_grid_length",
]


def committed_parts(folder, profile: str, back: int = 0) -> dict[str, tuple[pd.DataFrame, int, int]]:
    """The trainings of ``profile`` committed under ``folder`` (a partly run grid is fine): ``{part: (rows,
    trainings present, trainings in the part)}`` for each part with at least one; ``{}`` when none has.
    ``back``: the trainings on phantoms that many versions older than today's (a superseded generation,
    :func:`~dicecore.experiments.study.superseded`), never mixed with today's."""
    store = ResultStore(folder)
    out = {}
    for part in PARTS:
        todo = part_cells(profile, part) if back == 0 else superseded(part_cells(profile, part), back)
        done, total = store.count(todo)
        if done:
            out[part] = (store.read(todo), done, total)
    return out



def example_predictions(trainings, store: ResultStore, label=None) -> dict[str, np.ndarray]:
    """``{name: predicted label maps (k, H, W)}`` saved by :func:`~dicecore.experiments.pm_dice.run_cell` in ``store``
    (:meth:`~dicecore.experiments.study.ResultStore.read_example`), the first seed of each name.

    ``label(cell)`` names a training (default: its loss); a training it names ``None`` is left out.
    """
    out = {}
    for cell in trainings:
        name = cell.loss if label is None else label(cell)
        saved = None if name is None or name in out else store.read_example(cell)
        if saved is not None:
            out[name] = saved["pred"]
    return out



def organ_dice(per_image: pd.DataFrame, by=("loss",)) -> pd.DataFrame:
    """Dice of each ACDC-like organ (RV, MYO, LV), mean over frames then seeds, in percent (Table 2's
    last columns)."""
    by = list(by)
    per_seed = per_image.groupby([*by, "seed", "class"], sort=False)["dice"].mean().mul(100).reset_index()
    table = per_seed.groupby([*by, "class"], sort=False)["dice"].mean().unstack("class")
    return table.rename(columns=ORGANS)[[ORGANS[c] for c in sorted(ORGANS) if c in table.columns]].reset_index()



def beside_paper(ours: pd.DataFrame, paper: pd.DataFrame, columns) -> pd.DataFrame:
    """One cell per (loss, metric): ``"ours / paper"`` in percent (``—`` where a side has no value), so that a
    table with the paper's numbers beside ours fits a page. Rows: ``ours``' losses, in its order."""
    merged = ours.merge(paper, on="loss", how="left", suffixes=("", " paper"))

    def fmt(v):
        return "—" if pd.isna(v) else f"{v:.1f}"

    out = pd.DataFrame({"loss": merged["loss"]})
    for c in columns:
        out[c] = [f"{fmt(a)} / {fmt(b)}" for a, b in zip(merged[c], merged[f"{c} paper"])]
    return out



#: The losses Hosseini calls "designed to tackle the difficulty imbalance" (§1) — every row of Tables 1–3 that
#: re-weights, ranks or re-shapes the Dice or CE terms, PM Dice's own compounds left out.
DIFFICULTY_LOSSES = ("Logarithmic Dice [38]", "Focal Dice [40]", "Focal Dice [41]", "Focal CE + Dice",
                     "TopK CE + Dice", "TopK Dice [42]", "CE + TopK Dice [42]", "TopK CE + TopK Dice [42]")



#: The metrics are in percent, so a comparison at the ceiling has both arms within this many points of 100.
CEILING_POINTS = 100 * claims.CEILING_DISTANCE



def _compare(seeds: pd.DataFrame, a: str, b: str, metric: str, *, key: str = "loss", what: str = "") -> claims.Verdict:
    """"``a`` beats ``b`` on ``metric``", paired by seed (:func:`~dicecore.claims.superiority`; in a partly run
    grid, the seeds both ran); untestable when either collapsed to all-background (recall < 1 %) or both sit at
    the ceiling."""
    recall = seeds.pivot_table(index="seed", columns=key, values="mRec.", dropna=False).reindex(columns=[a, b])
    ran = recall.dropna().index  # the seeds both trainings ran (recall is defined for every training)
    wide = seeds.pivot_table(index="seed", columns=key, values=metric, dropna=False).reindex(index=ran, columns=[a, b])
    label = what or f"{metric} {a} − {b}"
    gone = [x for x in (a, b) if not recall.loc[ran, x].min() >= 1.0]
    if gone:
        return claims.Verdict("untestable", f"{label}: {', '.join(gone)} collapsed to all-background (recall "
                              "< 1 %)", "a collapsed training compares nothing", len(wide))
    at_ceiling = claims.ceiling({a: float(wide[a].mean()), b: float(wide[b].mean())}, maximum=100.0,
                                distance=CEILING_POINTS)
    return at_ceiling or claims.superiority(wide[a].to_numpy(), wide[b].to_numpy(), what=label)



def findings(per_image: pd.DataFrame, scale: str, data: str) -> list[claims.Finding]:
    """Hosseini's claims on Tables 1–3 (H04, H06–H15) judged on one task's per-image rows (:func:`~dicecore.experiments.pm_dice.run_cell`):
    each comparison is paired by seed (:func:`~dicecore.claims.superiority`, at least three seeds); "needs no
    CE term" is an equivalence of CE + PM Dice and PM Dice within :data:`~dicecore.claims.DICE_MARGIN` (in
    points); a claim whose losses were not trained is left out (the chapter's table says "not run")."""
    seeds = per_seed(per_image)
    have = set(seeds["loss"])
    out = []

    def add(claim_id, verdicts, what):
        if verdicts:
            out.append(claims.finding(claim_id, claims.combine(verdicts, what), scale, data))

    def each(pairs, metric):
        return [_compare(seeds, a, b, metric) for a, b in pairs if {a, b} <= have]

    add("H04", each([("PM Dice", "PM Dice, gradient through m")], "mDice"), "the stop-gradient")
    add("H06", each([("PM Dice", other) for other in DIFFICULTY_LOSSES], "mDice"), "PM Dice against each")
    others = [x for x in have if x != "PM Dice" and x not in ABLATIONS]
    add("H07", each([("PM Dice", other) for other in sorted(others)], "mNSD"), "PM Dice against each")
    add("H08", each([("Dice", "CE")], "mRec.") + each([("CE", "Dice")], "mPrec."), "recall, precision")
    add("H09", each([("CE + Dice", "Dice")], "mDice"), "compound against Dice")
    add("H10", each([("PM Dice", "Dice")], "mPrec."), "precision")
    if {"PM Dice", "CE + PM Dice"} <= have:
        wide = seeds.pivot_table(index="seed", columns="loss", values="mDice")[["CE + PM Dice", "PM Dice"]].dropna()
        out.append(claims.finding("H11", claims.equivalence(
            wide["CE + PM Dice"].to_numpy(), wide["PM Dice"].to_numpy(), margin=100 * claims.DICE_MARGIN,
            what="mDice CE + PM Dice − PM Dice (points)"), scale, data))
    add("H12", each([("CE + PM Dice", "CE + Dice")], "mDice"), "compound against compound")
    add("H13", each([("Focal CE + Dice", "CE + Dice"), ("TopK CE + Dice", "CE + Dice")], "mPrec."), "precision")
    add("H14", each([("Focal Dice [41]", "Dice"), ("TopK Dice [42]", "Dice")], "mRec."), "recall")
    add("H15", each([("TopK CE + TopK Dice [42]", "CE + Dice")], "mDice"), "mDice")
    return out



def gamma_findings(per_slice: pd.DataFrame, scale: str, data: str) -> list[claims.Finding]:
    """Figs. 3–4 (H16–H18) from the γ sweeps' per-slice rows (``gamma`` "g, g" for γ_BG = γ_FG = g, "g, 2"
    for γ_FG = 2): each trend is a per-seed gap tested by :func:`~dicecore.claims.superiority`; settings that
    collapsed to all-background make a comparison untestable."""
    seeds = per_seed(per_slice, by=("gamma",))
    parts = seeds["gamma"].str.split(", ")
    seeds = seeds.assign(value=parts.str[0].astype(float))  # (before selecting: on an empty selection, assign
    # adds rows)
    both, bg = seeds[parts.str[0] == parts.str[1]], seeds[parts.str[1] == "2"]
    out = []
    live = sorted(v for v in both["value"].unique() if v >= 0.5)
    if len(live) >= 2:
        lo, hi = both[both.value == live[0]]["gamma"].iloc[0], both[both.value == live[-1]]["gamma"].iloc[0]
        out.append(claims.finding("H16", claims.combine(
            [_compare(both, hi, lo, "mPrec.", key="gamma", what=f"precision γ = {live[-1]:g} − {live[0]:g}"),
             _compare(both, lo, hi, "mRec.", key="gamma", what=f"recall γ = {live[0]:g} − {live[-1]:g}")],
            "the trend from γ = 0.5"), scale, data))
    if (both["value"] == 2.0).any() and both["value"].nunique() > 1:
        two = both[both.value == 2.0]["gamma"].iloc[0]
        out.append(claims.finding("H17", claims.combine(
            [_compare(both, two, g, "mDice", key="gamma", what=f"mDice γ = 2 − γ = {g.split(',')[0]}")
             for g in both["gamma"].unique() if g != two], "γ = 2 against each"), scale, data))
    values = sorted(bg["value"].unique())
    if len(values) >= 2:
        lo, hi = bg[bg.value == values[0]]["gamma"].iloc[0], bg[bg.value == values[-1]]["gamma"].iloc[0]
        parts_h18 = [
            _compare(bg, hi, lo, "mPrec.", key="gamma", what=f"precision γ_BG = {values[-1]:g} − {values[0]:g}"),
            _compare(bg, lo, hi, "mRec.", key="gamma", what=f"recall γ_BG = {values[0]:g} − {values[-1]:g}")]
        if 1.0 in values:
            one = bg[bg.value == 1.0]["gamma"].iloc[0]
            parts_h18 += [_compare(bg, one, g, "mDice", key="gamma", what=f"mDice γ_BG = 1 − {g.split(',')[0]}")
                          for g in bg["gamma"].unique() if g != one]
        out.append(claims.finding("H18", claims.combine(parts_h18, "γ_FG = 2"), scale, data))
    return out




def collapse_onset(history: pd.DataFrame, below: float = 0.01) -> Optional[int]:
    """The first iteration of an :func:`~dicecore.experiments.pm_dice.early_foreground` history whose lesion
    pixels get a mean foreground probability under ``below``; ``None`` when none does."""
    hit = history.loc[history["p_foreground"] < below, "iteration"]
    return int(hit.iloc[0]) if len(hit) else None


def collapsed(table: pd.DataFrame) -> list[str]:
    """Settings whose network predicted (almost) no foreground at all: recall below 1 %."""
    return [str(g) for g, r in zip(table["gamma"], table["mRec."]) if not r >= 1.0]



def collapsed_trainings(per_slice: pd.DataFrame, by: str = "gamma") -> tuple[list[str], int]:
    """The single trainings that collapsed (recall below 1 %, as :func:`collapsed`), each as "γ_BG, γ_FG (seed
    s)" for a γ sweep (``by="gamma"``) or "loss (seed s)" (``by="loss"``), and how many trainings there are —
    with several seeds a setting's mean can hide a collapse in one of them."""
    seeds = per_seed(per_slice, by=(by,))
    dead = [f"{g} (seed {s})" for g, s, r in zip(seeds[by], seeds["seed"], seeds["mRec."]) if not r >= 1.0]
    return dead, len(seeds)



def table3_reading(per_slice: pd.DataFrame) -> str:
    """One sentence on a lesion-task Table 3 (:func:`~dicecore.experiments.pm_dice.summarise` of its trainings): how many trainings
    collapsed or diverged, in which losses, and the mDice range of the losses with a CE term, beside the
    paper's Table 3 range — and, where every one of them lies above that range, that the phantom is then easier
    for a network than MSSEG-2 was for the paper's, so that the table compares the losses with each other only."""
    seeds = per_seed(per_slice)
    dead = seeds[~(seeds["mRec."] >= 1.0)]  # collapsed, as collapsed_trainings
    counts = dead.groupby("loss", sort=False).size()
    n_diverged = len(diverged_trainings(per_slice))
    table = summarise(per_slice).set_index("loss")["mDice"]
    with_ce = table[[("CE" in loss) for loss in table.index]]
    paper = hosseini2025.TABLE3["mDice"]
    parts = [f"{len(dead)} of {len(seeds)} trainings collapsed to background, lesion recall under 1 %"
             + (f" ({n_diverged} of them after diverging)" if n_diverged else "")
             + (": " + ", ".join(f"{loss} in {k} of {per_slice['seed'].nunique()} seeds" for loss, k in counts.items())
                if len(dead) else "")]
    if len(with_ce):
        learned = not set(with_ce.index) & set(counts.index)
        parts.append(f"the {len(with_ce)} loss{'es' if len(with_ce) > 1 else ''} with a CE term "
                     f"{'learned in every seed' if learned else 'did not all learn'}, "
                     f"at {with_ce.min():.0f}–{with_ce.max():.0f} % mDice (the paper's Table 3: "
                     f"{paper.min():.0f}–{paper.max():.0f} % for every loss)")
        if with_ce.min() > paper.max():
            parts.append("every one above the paper's range: at this scale the phantom's lesions are easier for a "
                         "network than MSSEG-2's were for the paper's, so this table compares the losses with each "
                         "other, not with the paper's level")
    return "; ".join(parts)



def diverged_trainings(per_image: pd.DataFrame) -> list[str]:
    """The trainings whose network diverged (:func:`~dicecore.experiments.pm_dice.run_cell` scores them as predicting background), each as
    "loss (seed s)", with "γ_BG, γ_FG" after the loss where a γ was set; ``[]`` for results from before
    divergence was recorded."""
    if "diverged" not in per_image:
        return []
    dead = per_image[per_image["diverged"].eq(True)].drop_duplicates(["loss", "gamma", "seed"])
    return [f"{loss}{'' if gamma == 'default' else f', {gamma}'} (seed {seed})"
            for loss, gamma, seed in zip(dead["loss"], dead["gamma"], dead["seed"])]



def collapse_reading(both: pd.DataFrame, background: pd.DataFrame) -> str:
    """One sentence on the γ sweeps' collapses (:func:`collapsed` on :func:`sweep_tables`' two tables):
    which settings collapsed, and whether a larger lesion γ escaped where γ = 0 did not."""
    table = pd.concat([both, background]).drop_duplicates("gamma")
    dead = collapsed(table)
    if not dead:
        return "no setting collapsed"
    if len(dead) == len(table):
        return "every setting collapsed, the plain Dice loss and every γ alike: none learned the lesions"
    plain_dead = any(all(float(v) == 0 for v in g.split(",")) for g in dead)
    escaped = [g for g in table["gamma"] if g not in dead]
    pairs = lambda gammas: ", ".join(f"({g})" for g in gammas)  # noqa: E731
    return (f"{len(dead)} of {len(table)} settings (γ_BG, γ_FG) collapsed, {pairs(dead)}; "
            + (f"the plain Dice loss did, and {pairs(escaped)} escaped" if plain_dead else
               "the plain Dice loss did not"))



def sweep_tables(per_image: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The γ-sweep summary split into Fig. 3's rows (γ_BG = γ_FG) and Fig. 4's rows (γ_FG = 2)."""
    table = summarise(per_image, by=("gamma",))
    parts = table["gamma"].str.split(", ")
    first = parts.str[0].astype(float)
    table = table.assign(_order=first)  # (assigned before selecting: on an empty selection, assign adds rows)
    both = table[parts.str[0] == parts.str[1]].sort_values("_order")
    background = table[parts.str[1] == "2"].sort_values("_order")
    return (both.drop(columns="_order").reset_index(drop=True),
            background.drop(columns="_order").reset_index(drop=True))



#: Each table part: the paper's table, its name, and the columns shown beside it.
_PAPER_TABLES = {"kvasir_like": (hosseini2025.TABLE1, "Table 1 (Kvasir-SEG)", METRICS),
                 "acdc_like": (hosseini2025.TABLE2, "Table 2 (ACDC)", (*METRICS, "RV", "MYO", "LV")),
                 "msseg_like": (hosseini2025.TABLE3, "Table 3 (MSSEG-2)", METRICS)}



_PART_DATA = {"kvasir_like": "Kvasir-like phantom", "acdc_like": "ACDC-like phantom",
              "msseg_like": "MSSEG-like slices", "gamma_sweep": "MSSEG-like slices"}



def committed_report(found: dict, profile: str = "paper", phantoms: str = "", ceiling: float = 99.0) -> dict:
    """What the chapter shows of committed results (:func:`committed_parts`): ``tables``, a list of (caption,
    ours-beside-the-paper table) for each of Tables 1–3 with trainings; ``sweep``, the two tables of
    :func:`sweep_tables` or None; ``findings``, the verdicts on every claim those trainings can test (one per
    claim, the parts merged, each part's data labelled with how many of its trainings ran); ``saturated``, the
    parts on which every trained loss reaches ``ceiling`` % mDice or more — a phantom too easy at that scale
    to tell the losses apart; ``diverged``, per part, its trainings that diverged (:func:`diverged_trainings`).
    ``phantoms`` (e.g. :meth:`~dicecore.experiments.study.Committed.phantom_label`) labels the data of every
    finding."""
    tables, sweep, found_claims, saturated = [], None, [], []
    diverged = {part: diverged_trainings(rows) for part, (rows, _, _) in found.items()}
    for part, (rows, done, total) in found.items():
        seeds = int(rows["seed"].nunique())
        data = (f"{_PART_DATA[part]}{', ' + phantoms if phantoms else ''} ({done} of {total} trainings, {seeds} "
                f"seed{'s' if seeds > 1 else ''})")
        if part == "gamma_sweep":
            sweep = sweep_tables(rows)
            found_claims += gamma_findings(rows, profile, data)
            continue
        table = summarise(rows)
        if (table["mDice"] >= ceiling).all():
            saturated.append(part)
        if part == "acdc_like":
            table = table.merge(organ_dice(rows), on="loss")
        paper, name, columns = _PAPER_TABLES[part]
        tables.append((f"ours ({done} of {total} trainings) / the paper's {name}, percent",
                       beside_paper(table, paper, columns)))
        found_claims += findings(rows, profile, data)
    return {"tables": tables, "sweep": sweep, "findings": claims.merge(found_claims), "saturated": saturated,
            "diverged": {part: dead for part, dead in diverged.items() if dead}}



def committed_findings(shown, folder=None) -> list[claims.Finding]:
    """The verdicts of :func:`committed_report` on a study's committed results (``shown``,
    :func:`~dicecore.experiments.study.committed`; parts read from ``folder``, the study's results folder by
    default)."""
    from dicecore.paths import results_dir

    return shown.tag(committed_report(committed_parts(folder or results_dir(STUDY.chapter), shown.profile, shown.back),
                                      shown.profile, shown.phantom_label())["findings"])


def length_check(folder, profile: str = "cpu", metric: str = "mDice") -> pd.DataFrame:
    """The committed training-length check (:func:`~dicecore.experiments.pm_dice.length_check_cells`): per task
    and loss of :data:`~dicecore.experiments.pm_dice.LENGTH_CHECK`, its ``reference`` length and the grid's
    (``grid length``, iterations), the first seed's ``metric`` (percent) trained 1, 2, 4 and 8 times the
    reference (columns "1", "2", "4", "8"), the change per doubling between the two longest run, and whether
    it is within :data:`~dicecore.claims.DICE_MARGIN` (in points) —
    :func:`~dicecore.experiments.study.learning_curve`. Empty when the profile has no check or none ran."""
    check = length_check_cells(profile)
    rows = ResultStore(folder).read(check)
    if rows.empty:
        return pd.DataFrame()
    reference = LENGTH_CHECK["reference"]
    grid_length = {c.task: c.iterations for part in ("kvasir_like", "acdc_like", "msseg_like")
                   for c in part_cells(profile, part)[:1]}
    per = per_seed(rows, by=("task", "loss", "iterations"))
    per["times"] = per["iterations"] // per["task"].map(reference)
    table = learning_curve(per, ["task", "loss"], metric, length="times", margin=100 * claims.DICE_MARGIN)
    table.insert(2, "reference", table["task"].map(reference))
    table.insert(3, "grid length", table["task"].map(grid_length))
    return table


def _lengths_run(table: pd.DataFrame) -> list[int]:
    """The length columns of a :func:`length_check` table (multiples of the reference) with a value."""
    return sorted(int(c) for c in table.columns if str(c).isdigit() and table[c].notna().any())


def length_states(table: pd.DataFrame, ceiling: float = 100 - CEILING_POINTS) -> dict[str, str]:
    """Per task of :func:`length_check`'s table: "flattened at N" when every loss's last doubling (up to N
    iterations) moved it within the margin, "still rising at N" when one did not, and "at the ceiling by N"
    when a loss reached ``ceiling`` percent at N iterations or before (a phantom a converged network segments
    almost perfectly cannot rank the losses); "not checked" when no loss ran at two lengths."""
    out = {}
    for task, d in table.groupby("task", sort=False):
        times = _lengths_run(d)
        checked = d["flattened"].dropna()
        reference = int(d["reference"].iloc[0])
        if checked.empty:
            out[task] = "not checked"
            continue
        state = f"{'flattened' if checked.astype(bool).all() else 'still rising'} at {max(times) * reference}"
        top = [k for k in times if (d[str(k)] >= ceiling).any()]
        if top:
            state += f", at the ceiling (≥ {ceiling:g} %) by {top[0] * reference}"
        out[task] = state
    return out


def unsettled_at_grid_length(table: pd.DataFrame, margin: float = 100 * claims.DICE_MARGIN) -> dict[str, float]:
    """The tasks of :func:`length_check`'s table whose networks had not settled at the grid's length: task →
    the largest change of mDice (points, either sign) over the doubling after the grid's length (the last
    doubling where the grid trains the longest length checked), for the tasks where it exceeds ``margin``."""
    out = {}
    for task, d in table.groupby("task", sort=False):
        times = _lengths_run(d)
        at = int(d["grid length"].iloc[0]) // int(d["reference"].iloc[0])
        if at not in times or len(times) < 2:
            continue
        after = times[times.index(at) + 1] if at != times[-1] else None
        pair = (at, after) if after else (times[-2], at)
        change = (d[str(pair[1])] - d[str(pair[0])]) / np.log2(pair[1] / pair[0])
        worst = float(change.abs().max())
        if worst > margin:
            out[task] = float(change[change.abs().idxmax()])
    return out
