"""Bertels, Robben, Vandermeulen, Suetens (2019), *Optimization with soft Dice can lead to a volumetric bias*,
BrainLes 2019 — its printed numbers, the one place the book takes them from (Chapter 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MODELS", "LOSSES", "UNET_DICE", "TABLE1"]

#: The paper's three models, of increasing capacity, and its two losses (cross-entropy, soft Dice).
MODELS = ("LR", "ConvNet", "U-Net")
#: Cross-entropy and soft Dice, as the paper names them.
LOSSES = ("CE", "SD")

def _table1():
    # Bertels et al., Table 1 (as printed): rows metric, columns LR-CE, LR-SD, ConvNet-CE, ConvNet-SD, U-Net-CE, U-Net-SD
    printed = {
        "MOLARS (2D)": {"CE": [0.240, 5.534, 0.194, 1.456, 0.024, 0.103],
                        "1-SD": [0.068, 0.153, 0.150, 0.270, 0.865, 0.931],
                        "dV": [-0.069, 302.3, -0.276, 87.09, 0.092, -0.187]},
        "BRATS 2018 (3D)": {"CE": [0.039, 0.173, 0.030, 0.069, 0.012, 0.027],
                            "1-SD": [0.080, 0.355, 0.196, 0.715, 0.585, 0.820],
                            "dV": [-2.841, 276.4, 3.936, 19.93, -6.778, -1.905]},
        "ISLES 2017 (3D)": {"CE": [0.025, 0.155, 0.018, 0.069, 0.014, 0.066],
                            "1-SD": [0.099, 0.255, 0.114, 0.321, 0.188, 0.340],
                            "dV": [15.71, 82.42, -4.227, 23.83, -2.875, 13.44]},
        "ISLES 2018 (3D)": {"CE": [0.055, 0.225, 0.044, 0.139, 0.029, 0.128],
                            "1-SD": [0.136, 0.329, 0.200, 0.449, 0.362, 0.518],
                            "dV": [0.773, 34.03, -0.374, 12.44, -0.878, 5.442]},
    }
    cols = [(m, l) for m in MODELS for l in LOSSES]
    rows = []
    for dataset_name, metrics in printed.items():
        for k, (m, l) in enumerate(cols):
            rows.append({"dataset": dataset_name, "model": m, "loss": l, **{met: v[k] for met, v in metrics.items()},
                         "dice": UNET_DICE[dataset_name][LOSSES.index(l)] if m == "U-Net" else np.nan})
    return pd.DataFrame(rows)


#: The U-Net's hard Dice (Eq. 1) that the paper gives in its text (§3.2), (CE-trained, SD-trained).
UNET_DICE = {"MOLARS (2D)": (0.924, 0.932), "BRATS 2018 (3D)": (0.763, 0.826),
                   "ISLES 2017 (3D)": (0.177, 0.343), "ISLES 2018 (3D)": (0.454, 0.527)}


#: The paper's Table 1, as printed (ΔV in 10² pixels for MOLARS, ml otherwise), with the U-Net's hard Dice
#: from its text. The paper's own numbers.
TABLE1 = _table1()
