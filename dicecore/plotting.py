"""Figures shared by the chapters (kept here, tested, so the notebooks stay short)."""

from __future__ import annotations

import numpy as np

from dicecore.losses.dice import _check_phi

__all__ = ["PHI_TITLES", "phi_subset_index", "draw_partition"]

PHI_TITLES = {"I": "image-wise $DL_{I}$", "CI": "class-wise $DL_{CI}$",
              "BI": "batch-wise $DL_{BI}$", "BCI": "all-wise $DL_{BCI}$"}


def phi_subset_index(phi: str, batch_size: int, num_classes: int) -> np.ndarray:
    """Which subset φ each (b, c) cell belongs to, as a (B, C) integer array (0 … |Φ|−1)."""
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
    ax.axis("off")
    n_subsets = int(index.max()) + 1
    ax.set_title(f"{PHI_TITLES[phi]}\n|Φ| = {n_subsets}", fontsize=9)

