"""Figures shared by the chapters (kept here, tested, so the notebooks stay short)."""

from __future__ import annotations

import numpy as np

from dicecore.losses.dice import _check_phi

__all__ = [
    "plot_modulating_maps",
    "PHI_TITLES", "MU_COLOURS", "phi_subset_index", "draw_partition", "plot_eq5_solutions",
    "plot_soft_dice_landscape", "plot_volume_bias", "plot_task_example", "plot_benchmark", "BENCH_COLOURS",
    "error_overlay", "plot_visual_comparison", "ERROR_COLOURS", "CLASS_COLOURS", "plot_grid_heatmaps",
    "plot_held_out_dsc", "plot_volume_errors", "LOSS_COLOURS",
    "plot_detection_roc", "plot_gamma_sweeps", "plot_early_foreground", "plot_learning_curves",
    "plot_es_wall_extrapolation",
]

#: Panel titles for each Φ.
PHI_TITLES = {"I": "image-wise $DL_{I}$", "CI": "class-wise $DL_{CI}$",
              "BI": "batch-wise $DL_{BI}$", "BCI": "all-wise $DL_{BCI}$"}


def phi_subset_index(phi: str, batch_size: int, num_classes: int) -> np.ndarray:
    """Which subset φ each (b, c) cell belongs to, as a (B, C) integer array (``0 … |Φ|−1``)."""
    _check_phi(phi)
    b, c = np.meshgrid(np.arange(batch_size), np.arange(num_classes), indexing="ij")
    return {"I": b * num_classes + c, "CI": b, "BI": c, "BCI": np.zeros_like(b)}[phi]


def draw_partition(ax, phi: str, batch_size: int = 3, num_classes: int = 3, n_pixels: int = 4,
                   highlight: int = 0) -> None:
    """Draw Ω = B × C × I as rows of images (one strip of I pixels per (b, c)) with one φ in blue.

    The 2-D analogue of Fig. 1 of Tilborghs et al. (2022): every cell of the subset ``highlight`` is blue;
    the other subsets are drawn in alternating greys so the partition itself stays visible.
    """
    import matplotlib.patches as mpatches

    index = phi_subset_index(phi, batch_size, num_classes)
    greys = ["#d9d9d9", "#f2f2f2"]
    gap = 0.6
    for b in range(batch_size):
        for c in range(num_classes):
            k = index[b, c]
            colour = "#1f77b4" if k == highlight else greys[k % 2]
            x0 = c * (n_pixels + gap)
            y0 = (batch_size - 1 - b) * 1.6
            for i in range(n_pixels):
                ax.add_patch(mpatches.Rectangle((x0 + i, y0), 1, 1, facecolor=colour, edgecolor="k", lw=0.6))
    for c in range(num_classes):
        ax.text(c * (n_pixels + gap) + n_pixels / 2, batch_size * 1.6 - 0.3, f"c={c + 1}", ha="center", fontsize=8)
    for b in range(batch_size):
        ax.text(-0.4, (batch_size - 1 - b) * 1.6 + 0.5, f"b={b + 1}", ha="right", va="center", fontsize=8)
    ax.set_xlim(-2.0, num_classes * (n_pixels + gap))
    ax.set_ylim(-0.4, batch_size * 1.6 + 0.2)
    ax.set_aspect("equal")
    ax.grid(False)
    ax.axis("off")
    n_subsets = int(index.max()) + 1
    ax.set_title(f"{PHI_TITLES[phi]}\n|Φ| = {n_subsets}", fontsize=9)



def plot_eq5_solutions(axes, n: int = 200) -> None:
    """Three panels for Eq. 5: log₁₀ ε₊/v̂ and ε₋/v̂ over (a, b), and the two sides of Eq. 5 against ε.

    Grey: overlaps that cannot happen (the intersection a·v̂ exceeds the prediction v̂ or the label
    (b − 1)·v̂). White inside the possible region: no real root (8a > b²).
    """
    import matplotlib.colors as mcolors

    from dicecore.theory.epsilon import empty_map_gradient, eq5_epsilon

    a, b = np.meshgrid(np.linspace(0.02, 1.0, n), np.linspace(1.0, 3.0, n))
    lower, upper = eq5_epsilon(1.0, a, b)
    impossible = a > np.minimum(1.0, b - 1.0)
    norm = mcolors.Normalize(-2.0, 2.0)
    for ax, root, name in ((axes[0], upper, "ε₊ / v̂"), (axes[1], lower, "ε₋ / v̂")):
        shown = np.where(impossible, np.nan, np.log10(root))
        im = ax.pcolormesh(a, b, shown, shading="auto", cmap="viridis", norm=norm)
        ax.contourf(a, b, impossible.astype(float), levels=[0.5, 1.5], colors=["0.8"])
        edge = np.linspace(0.02, 1.0, 100)
        ax.plot(edge, np.sqrt(8 * edge), "k--", lw=1, label="8a = b²: double root, ε = v̂")
        ax.plot(0.5, 2.0, "r*", ms=13, label="paper: a = ½, b = 2 → ε = v̂")
        ax.set(xlim=(0.02, 1.0), ylim=(1.0, 3.0), xlabel="a  (intersection = a·v̂)",
               ylabel="b  (union = b·v̂)", title=f"log₁₀ {name}")
        ax.grid(False)
        ax.figure.colorbar(im, ax=ax, label="log₁₀")
        ax.legend(fontsize=7, loc="upper left")
    eps = np.logspace(-2, 2, 400)
    ax = axes[2]
    ax.semilogx(eps, empty_map_gradient(1.0, eps), color="k", label="image-wise, empty map: ε/(v̂+ε)²")
    for (a_, b_), colour in zip(((0.5, 2.0), (0.3, 2.0), (0.15, 2.0)), ("tab:red", "tab:blue", "tab:green")):
        level = 2 * a_ / b_**2
        ax.axhline(level, ls="--", lw=1, color=colour, label=f"batch-wise 2a/b²: a = {a_}, b = {b_}")
        lo, hi = eq5_epsilon(1.0, a_, b_)
        ax.plot([lo, hi], [level, level], "o", color=colour)
    ax.set(xlabel="ε / v̂", ylabel="gradient × |Φ| v̂", title="Eq. 5: the roots are the crossings")
    ax.legend(fontsize=7, loc="lower center")


#: The colours of Bertels et al.'s Fig. 1 — µ = 0.25 blue, µ = 1 black, µ = 4 red.
MU_COLOURS = {0.25: "tab:blue", 1.0: "black", 4.0: "tab:red"}


def plot_soft_dice_landscape(ax, n_regions: int, mu: float, p_betas=(0.0, 0.25, 0.5, 0.75, 1.0),
                             resolution: int = 401) -> None:
    """E[SD] against p̂ for several p_β (opacity rising with p_β), one µ: Fig. 1, columns 1–3."""
    from dicecore.theory.volume_bias import expected_soft_dice, optimal_prediction

    colour = MU_COLOURS.get(mu, "tab:green")
    q = np.linspace(0.0, 1.0, resolution)
    for k, p in enumerate(p_betas):
        alpha = 0.2 + 0.8 * k / max(len(p_betas) - 1, 1)
        ax.plot(q, expected_soft_dice(q, p, mu, n_regions), color=colour, alpha=alpha, label=f"p_β = {p:g}")
        best = optimal_prediction(p, mu, n_regions)
        ax.plot(best, expected_soft_dice(best, p, mu, n_regions), "o", color=colour, alpha=alpha, ms=4)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="p̂", ylabel="E[SD]", title=f"N = {n_regions}, µ = {mu:g}")


def plot_volume_bias(ax, n_regions: int, mus=(0.25, 1.0, 4.0), resolution: int = 201) -> None:
    """Volumetric bias (solid) and error in predicted uncertainty (dashed) against p_β: Fig. 1, column 4."""
    from dicecore.theory.volume_bias import volume_bias

    p = np.linspace(0.0, 1.0, resolution)
    for mu in mus:
        vb = volume_bias(p, mu, n_regions)
        colour = MU_COLOURS.get(mu, "tab:green")
        ax.plot(p, vb.volume_bias, "-", color=colour, label=f"µ = {mu:g}: V(Ŷ) − V(Y)")
        ax.plot(p, vb.uncertainty_error, "--", color=colour, label=f"µ = {mu:g}: p̂* − p_β")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xlim=(0, 1), xlabel="p_β", ylabel="bias (units of s_γ) / error", title=f"N = {n_regions}: bias")


def plot_task_example(ax_image, ax_label, images: np.ndarray, label: np.ndarray, title: str = "") -> None:
    """One subject: the first input channel and the label (middle slice for 3-D), side by side."""
    img, lab = images[0], label[0]
    if img.ndim == 3:
        k = int(np.argmax(lab.reshape(-1, lab.shape[-1]).sum(0))) if lab.any() else img.shape[-1] // 2
        img, lab = img[..., k], lab[..., k]
    ax_image.imshow(img.T, cmap="gray", origin="lower")
    ax_label.imshow(img.T, cmap="gray", origin="lower")
    ax_label.imshow(np.ma.masked_where(lab.T < 0.5, lab.T), cmap="autumn", alpha=0.6, origin="lower")
    for ax in (ax_image, ax_label):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    ax_image.set_title(title, fontsize=9)
    ax_label.set_title("label", fontsize=9)


def plot_modulating_maps(axes, example, gammas=(0.0, 0.5, 1.0, 2.0, 5.0), losses=None):
    """Hosseini's Fig. 2 layout: the frame with its reference outline, the predicted probability, then the
    foreground modulating term ``m = |y − p̂|^γ`` for each γ (γ = 0 is plain Dice: m = 1 everywhere).

    ``axes``: at least 2 + len(gammas) axes, any shape (extra ones are hidden); ``example``: a
    :class:`dicecore.data.polyps.PolypExample`; ``losses``: optional PM Dice values, one per γ, written in
    the titles. Returns the last map's image, for a colour bar.
    """
    from scipy import ndimage

    axes = list(np.ravel(axes))
    for extra in axes[2 + len(gammas):]:
        extra.set_visible(False)
    axes = axes[:2 + len(gammas)] if len(axes) >= 2 + len(gammas) else axes
    if len(axes) != 2 + len(gammas):
        raise ValueError(f"axes: need {2 + len(gammas)} axes (frame, prediction, one per γ), got {len(axes)}.")
    outline = example.mask.astype(bool) & ~ndimage.binary_erosion(example.mask.astype(bool))
    frame = example.image.transpose(1, 2, 0).copy()
    frame[outline] = (0.1, 0.9, 0.2)
    axes[0].imshow(frame)
    axes[0].set_title("frame, reference outline", fontsize=9)
    axes[1].imshow(example.probability, cmap="magma", vmin=0, vmax=1)
    axes[1].set_title("prediction p (polyp)", fontsize=9)
    error = np.abs(example.mask - example.probability)
    image = None
    for k, (ax, g) in enumerate(zip(axes[2:], gammas)):
        image = ax.imshow(np.ones_like(error) if g == 0 else error**g, cmap="magma", vmin=0, vmax=1)
        title = f"m, γ = {g:g}" + (" (Dice)" if g == 0 else "")
        if losses is not None:
            title += f"\nloss {losses[k]:.3f}"
        ax.set_title(title, fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    return image


#: One colour per implementation in the benchmark plots.
BENCH_COLOURS = {"dicecore fast": "#1b9e77", "dicecore fast, validated": "#66c2a5",
                 "dicecore reference (autograd)": "#999999", "nnU-Net-style": "#377eb8", "monai.DiceLoss": "#d95f02",
                 "dicecore GDL fast": "#1b9e77", "monai.GeneralizedDiceLoss": "#d95f02",
                 "dicecore PM Dice fast": "#7570b3"}


def plot_benchmark(table, path=None):
    """One panel per shape: forward + backward median time of each implementation (log scale), the memory
    roofline of that shape as a dashed line. ``table`` is :func:`dicecore.bench.run_benchmark`'s. Returns the
    figure; with ``path`` also saves it as PNG (atomically)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogLocator, NullFormatter, StrMethodFormatter

    from dicecore.results import atomic_write_bytes

    shapes = list(dict.fromkeys(table["shape"]))
    order = list(dict.fromkeys(table["implementation"]))
    ncols = min(len(shapes), 2)  # two panels a row: the book's column is narrow
    nrows = -(-len(shapes) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols + 2.0, (0.3 * len(order) + 1.0) * nrows + 0.5),
                             squeeze=False, layout="constrained")
    for extra in axes.ravel()[len(shapes):]:
        extra.set_visible(False)
    for k, (ax, shape) in enumerate(zip(axes.ravel(), shapes)):
        rows = table[table["shape"] == shape].set_index("implementation")
        y = np.arange(len(order))[::-1]
        ms = np.array([float(rows.loc[n, "median_ms"]) if n in rows.index else np.nan for n in order])
        ax.barh(y, np.nan_to_num(ms), color=[BENCH_COLOURS.get(n, "#444444") for n in order])
        roofline = float(rows["roofline_ms"].iloc[0])
        ax.axvline(roofline, color="k", ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_xlim(min(v for v in (roofline, np.nanmin(ms)) if v > 0) * 0.6, np.nanmax(ms) * 4)
        ax.xaxis.set_major_locator(LogLocator(numticks=4))
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        for yy, v in zip(y, ms):
            ax.text(v * 1.08, yy, "n/a" if np.isnan(v) else f"{v:.3g}", va="center", fontsize=7)
        ax.set_yticks(y, order if k % ncols == 0 else [], fontsize=8)
        ax.set_title(shape.replace("x", "×"), fontsize=9)
        ax.set_xlabel("ms (log scale)", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(False)
    device = str(table["device"].iloc[0])
    fig.suptitle(f"Dice-family losses, forward + backward on {device}: median time (lower is better);\n"
                 "dashed: the memory roofline", fontsize=10)
    if path is not None:
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        atomic_write_bytes(path, buf.getvalue())
    return fig


#: Colours of Fig. 5 — false positives red and false negatives blue (the paper's), true positives light grey;
#: for the multi-class task one colour per predicted class and its errors in red.
ERROR_COLOURS = {"tp": (0.85, 0.85, 0.85), "fp": (0.86, 0.1, 0.1), "fn": (0.12, 0.35, 0.9)}
#: One colour per class (background black), for multi-class predictions.
CLASS_COLOURS = [(0.0, 0.0, 0.0), (0.95, 0.75, 0.1), (0.2, 0.75, 0.35), (0.6, 0.35, 0.9)]


def error_overlay(image: np.ndarray, reference: np.ndarray, prediction: np.ndarray, alpha: float = 0.75) -> np.ndarray:
    """RGB picture of one prediction over its frame (Hosseini Fig. 5).

    ``image`` ``(C, H, W)`` (1 channel grey, 3 RGB, else the first), ``reference`` and ``prediction`` ``(H, W)``
    label maps. Two classes: true positives light grey, false positives red, false negatives blue. More
    classes: each predicted structure in its colour (:data:`CLASS_COLOURS`), every wrongly labelled pixel red.
    """
    if reference.shape != prediction.shape or image.shape[-2:] != reference.shape:
        raise ValueError(f"image, reference, prediction: spatial shapes differ: {image.shape[-2:]}, "
                         f"{reference.shape}, {prediction.shape}.")
    base = image.transpose(1, 2, 0) if image.shape[0] == 3 else np.repeat(image[:1].transpose(1, 2, 0), 3, axis=2)
    out = 0.55 * base.astype(float)
    paint = np.zeros(reference.shape + (3,))
    mask = np.zeros(reference.shape, bool)
    if max(int(reference.max()), int(prediction.max())) <= 1:
        for key, where in (("tp", (prediction == 1) & (reference == 1)), ("fp", (prediction == 1) & (reference == 0)),
                           ("fn", (prediction == 0) & (reference == 1))):
            paint[where], mask = ERROR_COLOURS[key], mask | where
    else:
        for c in range(1, len(CLASS_COLOURS)):
            where = prediction == c
            paint[where], mask = CLASS_COLOURS[c], mask | where
        wrong = prediction != reference
        paint[wrong], mask = ERROR_COLOURS["fp"], mask | wrong
    out[mask] = (1 - alpha) * out[mask] + alpha * paint[mask]
    return np.clip(out, 0, 1)


def plot_visual_comparison(rows, losses, panel: float = 1.9):
    """Fig. 5's grid: one column per task ``(name, image, reference, {loss: prediction})`` in ``rows``, its
    frame with the reference on top, then one row per loss in ``losses`` (:func:`error_overlay`; a loss a
    task has no prediction for is left blank). Tall rather than wide, to fit a page's column."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(losses) + 1, len(rows), squeeze=False, layout="constrained",
                             figsize=(panel * len(rows) + 1.2, panel * (len(losses) + 1)))
    for col, (name, image, reference, predictions) in enumerate(rows):
        axes[0, col].imshow(error_overlay(image, reference, reference))
        axes[0, col].set_title(name, fontsize=9)
        for k, loss in enumerate(losses, start=1):
            if loss in predictions:
                axes[k, col].imshow(error_overlay(image, reference, predictions[loss]))
            else:
                axes[k, col].set_facecolor("white")
                axes[k, col].set_frame_on(False)
    for k, label in enumerate(["reference", *losses]):
        axes[k, 0].set_ylabel(label.replace(", ", ",\n"), fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    return fig


def plot_grid_heatmaps(results, value: str = "dsc_median", losses=None):
    """Sudre et al.'s Figs. 1–2 as small multiples: for each loss, ``value`` over effective patch size (rows)
    × learning rate (columns), one cell per trained setting (the paper interpolates isolines; a grid of a
    few cells is shown as it is). ``results``: :func:`dicecore.experiments.generalised_dice.run_cell` rows."""
    import matplotlib.pyplot as plt

    losses = list(dict.fromkeys(results["loss"])) if losses is None else list(losses)
    sizes = sorted(results["effective_patch"].unique())
    lrs = sorted(results["lr"].unique())
    fig, axes = plt.subplots(1, len(losses), figsize=(2.3 * len(losses) + 1.0, 0.55 * len(sizes) + 1.6),
                             squeeze=False, layout="constrained")
    image = None
    for ax, loss in zip(axes[0], losses):
        grid = (results[results["loss"] == loss].pivot_table(index="effective_patch", columns="lr", values=value)
                .reindex(index=sizes, columns=lrs))
        image = ax.imshow(grid.to_numpy(), cmap="viridis", vmin=0, vmax=1, origin="lower", aspect="auto")
        for (i, j), v in np.ndenumerate(grid.to_numpy()):
            ax.text(j, i, "—" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if not np.isnan(v) and v < 0.6 else "black")
        ax.set_xticks(range(len(lrs)), [f"{lr:g}" for lr in lrs], fontsize=8)
        ax.set_yticks(range(len(sizes)), [str(s) for s in sizes], fontsize=8)
        ax.set(title=loss, xlabel="learning rate")
        ax.grid(False)
    axes[0][0].set_ylabel("effective patch size")
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label=value.replace("_", " "))
    return fig


def plot_held_out_dsc(results, losses, patch_order=("S", "M", "L")):
    """Sudre et al.'s Fig. 3 layout: held-out DSC of each loss across patch sizes (left) and learning rates
    (right), averaged over the other factor. ``results``: the training grid's rows (``test_dsc``)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True, layout="constrained")
    for ax, by in zip(axes, ("patch", "lr")):
        table = results.pivot_table(index=by, columns="loss", values="test_dsc")[list(losses)]
        if by == "patch":
            table = table.reindex([p for p in patch_order if p in table.index])
        table.index = [f"{v:g}" if by == "lr" else v for v in table.index]
        table.plot.bar(ax=ax, rot=0, legend=False)
        ax.set(xlabel="patch" if by == "patch" else "learning rate", ylabel="held-out DSC", ylim=(0, 1))
    axes[1].legend(fontsize=8, loc="lower right")
    return fig


#: CE-trained vs SD-trained models in Chapter 2's figures.
LOSS_COLOURS = {"CE": "#1f77b4", "SD": "#d62728"}


def plot_volume_errors(per_subject, task_names, models, titles=None):
    """Bertels et al.'s Table 1, ΔV row, as a figure: per held-out subject, the soft prediction's volume
    error in % of the true volume, one panel per task, CE- and SD-trained models side by side per model
    (box and points). A cell that has not run is marked "not run". ``per_subject``: the rows of
    :func:`dicecore.experiments.volume_bias.run_cell`."""
    import matplotlib.pyplot as plt

    titles = titles or {}
    fig, axes = plt.subplots(1, len(task_names), figsize=(2.6 * len(task_names) + 0.6, 3.4), squeeze=False,
                             layout="constrained")
    rng = np.random.default_rng(0)
    for ax, task in zip(axes[0], task_names):
        d = per_subject[per_subject["task"] == task]
        not_run = []
        for i, model in enumerate(models):
            for k, (loss, colour) in enumerate(LOSS_COLOURS.items()):
                x = i + (k - 0.5) * 0.36
                cell = d[(d["model"] == model) & (d["loss"] == loss)]
                if cell.empty:
                    not_run.append(x)
                    continue
                rel = 100 * cell["dV"].to_numpy() / np.maximum(cell["true_volume"].to_numpy(), 1)
                ax.boxplot(rel, positions=[x], widths=0.3, showfliers=False, patch_artist=True,
                           boxprops=dict(facecolor=colour, alpha=0.25, edgecolor=colour),
                           medianprops=dict(color=colour), whiskerprops=dict(color=colour),
                           capprops=dict(color=colour))
                ax.scatter(x + rng.uniform(-0.08, 0.08, len(rel)), rel, s=6, color=colour, alpha=0.7, zorder=3)
        ax.axhline(0, color="black", lw=0.8)
        if d.empty:
            ax.set_ylim(-1, 1)
        for x in not_run:
            ax.text(x, np.mean(ax.get_ylim()), "not run", rotation=90, ha="center", va="center", fontsize=7,
                    color="0.5")
        ax.set_xticks(range(len(models)), models)
        ax.set_xlim(-0.6, len(models) - 0.4)
        ax.set_title(titles.get(task, task), fontsize=9)
        ax.grid(False, axis="x")
    axes[0][0].set_ylabel("ΔV (% of the true volume)")
    handles = [plt.Line2D([], [], marker="s", ls="", color=c, alpha=0.6, label=f"{loss}-trained")
               for loss, c in LOSS_COLOURS.items()]
    fig.legend(handles=handles, loc="outside upper center", ncol=2, fontsize=8, frameon=False)
    return fig


def plot_detection_roc(entries, aucs, panels, shown=(("I", 2), ("BI", 2), ("BI", 4), ("BI", 8), ("Iε", 1),
                                                    ("Iε", 2), ("Iε", 4), ("Iε", 8))):
    """Tilborghs et al.'s Fig. 2: ROC curves of detecting the always-labelled group from the predicted
    volume, one panel per dataset, colour by configuration and line style by B, the AUC in the legend.

    ``entries``: :func:`dicecore.experiments.missing_empty_3d_report.detection_entries`; ``aucs``: its
    ``detection_auc`` (dataset, config, B, AUC); ``panels``: ((dataset, title), ...); ``shown``: the
    (configuration, B) curves drawn (default: I at one B — its B do not differ in kind — and every other)."""
    import matplotlib.pyplot as plt

    from dicecore.metrics import roc_curve

    colours = {"I": "C0", "BI": "C1", "Iε": "C2"}
    dashes = {1: (1, 1), 2: (), 4: (5, 2), 8: (2, 1, 2, 1)}
    auc_at = aucs.set_index(["dataset", "config", "B"])["AUC"] if len(aucs) else {}
    fig, axes = plt.subplots(1, len(panels), figsize=(4.75 * len(panels), 4.4), squeeze=False,
                             layout="constrained")
    for ax, (dataset, title) in zip(axes[0], panels):
        d = entries[entries["dataset"] == dataset]
        for (config, b), dc in d.groupby(["config", "batch_size"], sort=True):
            if (config, b) not in shown or (dataset, config, b) not in auc_at:
                continue
            fpr, tpr = roc_curve(dc["pred_ml"], dc["positive"])
            ax.plot(fpr, tpr, drawstyle="steps-post", color=colours.get(config, "k"), dashes=dashes.get(b, ()),
                    lw=1.6, label=f"{config}, B = {b}: AUC {auc_at[(dataset, config, b)]:.2f}")
        ax.plot([0, 1], [0, 1], "k:", lw=1)
        ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title=title)
        if len(ax.lines) > 1:
            ax.legend(fontsize=7.5, loc="lower right")
        else:
            ax.text(0.5, 0.5, "not run yet", ha="center", transform=ax.transAxes)
    return fig


def plot_gamma_sweeps(both, background):
    """Hosseini et al.'s Figs. 3–4: mDice, precision and recall (percent) against γ for both classes
    (left) and against γ_BG with γ_FG = 2 (right). ``both``, ``background``: the two tables of
    :func:`dicecore.experiments.pm_dice_report.sweep_tables` (``gamma`` as "γ_BG, γ_FG")."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.3), sharey=True, layout="constrained")
    for ax, table, xlabel, title in ((axes[0], both, "γ (both classes)", "Fig. 3 (analogue)"),
                                     (axes[1], background, "γ_BG (γ_FG = 2)", "Fig. 4 (analogue)")):
        x = [float(v.split(",")[0]) for v in table["gamma"]]
        for metric, colour in (("mDice", "k"), ("mPrec.", "#d62728"), ("mRec.", "#1f77b4")):
            ax.plot(x, table[metric], "o-", color=colour, label=metric)
        ax.set(xlabel=xlabel, xticks=x, title=title)
        if not x:
            ax.text(0.5, 0.5, "not run yet", ha="center", transform=ax.transAxes)
    axes[0].set(ylabel="percent")
    axes[1].legend(fontsize=8)
    return fig


def plot_early_foreground(histories):
    """The first iterations of trainings (:func:`dicecore.experiments.pm_dice.early_foreground`): the mean
    foreground probability on the batch's foreground pixels against the iteration, one panel per learning rate,
    one line per loss. ``histories``: ``{(learning rate, loss label): history}``."""
    import matplotlib.pyplot as plt

    rates = list(dict.fromkeys(lr for lr, _ in histories))
    fig, axes = plt.subplots(1, max(len(rates), 1), figsize=(3.6 * max(len(rates), 1), 3.0), sharey=True,
                             layout="constrained", squeeze=False)
    for ax, lr in zip(axes[0], rates):
        for (rate, label), history in histories.items():
            if rate == lr:
                ax.plot(history["iteration"], history["p_foreground"], label=label)
        ax.set(xlabel="iteration", title=f"learning rate {lr:g}", ylim=(-0.02, 1.0))
    axes[0][0].set(ylabel="mean p(foreground)\non foreground pixels")
    axes[0][-1].legend(fontsize=8)
    return fig


def plot_learning_curves(table, ylabel: str = "mDice (%)", xlabel: str = "iterations", panel: str = "task",
                         line: str = "loss"):
    """The training-length check: one panel per ``panel`` value (a task, a group), the metric against the
    training length (log₂ axis), one line per ``line`` value (a loss, a configuration) —
    :func:`dicecore.experiments.study.learning_curve`'s table (length columns named by their number, e.g.
    iterations or multiples of a grid's length, as ``xlabel`` says)."""
    import matplotlib.pyplot as plt

    for column in (panel, line):
        if column not in table:
            raise ValueError(f"table: no column {column!r} (panel={panel!r}, line={line!r}); it has "
                             f"{list(table.columns)}.")
    panels = list(dict.fromkeys(table[panel]))
    lengths = sorted(int(c) for c in table.columns if str(c).isdigit())
    fig, axes = plt.subplots(1, max(len(panels), 1), figsize=(3.2 * max(len(panels), 1), 3.0), sharey=True,
                             layout="constrained", squeeze=False)
    for ax, name in zip(axes[0], panels):
        for row in table[table[panel] == name].itertuples(index=False):
            values = dict(zip(table.columns, row))
            x = [n for n in lengths if values[str(n)] == values[str(n)]]  # the lengths this line ran
            ax.plot(x, [values[str(n)] for n in x], "o-", label=values[line])
        ax.set_xscale("log", base=2)
        ax.set(xticks=lengths, xticklabels=[f"{n}" for n in lengths], xlabel=xlabel, title=name)
    axes[0][0].set(ylabel=ylabel)
    axes[0][-1].legend(fontsize=8)
    return fig


def plot_es_wall_extrapolation(reading, margin: float = None):
    """Chapter 4's check of T09 on ACDC-like: per held-out ES frame, the myocardium DSC lost under partial labels
    (full − partial) against its wall thickness, with the thickest ED wall the network trained on (one per fold;
    the median marked) and T09's margin — :func:`dicecore.experiments.missing_empty_3d_report.es_wall_extrapolation`'s
    ``reading``; ``margin`` defaults to :data:`dicecore.claims.DICE_MARGIN`."""
    import matplotlib.pyplot as plt

    from dicecore.claims import DICE_MARGIN

    margin = DICE_MARGIN if margin is None else margin
    e = reading["entries"]
    fig, ax = plt.subplots(figsize=(5.0, 3.4), layout="constrained")
    beyond = e["wall_es_mm"] > e["thickest_ed_mm"]
    ax.scatter(e.loc[~beyond, "wall_es_mm"], e.loc[~beyond, "loss"], s=22, color="C0",
               label="ES wall within the ED walls trained on")
    ax.scatter(e.loc[beyond, "wall_es_mm"], e.loc[beyond, "loss"], s=22, color="C3",
               label="ES wall thicker than every ED wall trained on")
    ax.axvline(float(e["thickest_ed_mm"].median()), color="0.4", ls="--", lw=1)
    ax.text(float(e["thickest_ed_mm"].median()), ax.get_ylim()[0], " thickest ED wall trained on (median)",
            va="bottom", fontsize=7.5, color="0.3")
    ax.axhline(margin, color="0.6", ls=":", lw=1)
    ax.text(ax.get_xlim()[1], margin, f"T09's margin {margin:g} ", va="bottom", ha="right", fontsize=7.5, color="0.4")
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set(xlabel="held-out ES wall thickness (mm)", ylabel="ES myocardium DSC, full − partial",
           title=f"DL$_I$ under partial labels: Spearman ρ = {reading['rho']:.2f} (n = {reading['n']})")
    ax.title.set_fontsize(9.5)
    ax.legend(fontsize=7.5, loc="upper left", framealpha=0.9)
    return fig
