"""Bertels, Robben, Vandermeulen, Suetens (2019), *Optimization with soft Dice can lead to a volumetric bias*,
BrainLes 2019 — its printed numbers, the one place the book takes them from (Chapter 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MODELS", "LOSSES", "UNET_DICE", "TABLE1", "CLAIMS"]

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


def _claims():
    from dicecore.claims import Claim

    ch2 = "02_volume_bias"
    rows = [
        ("B01", "§2.2, Eq. 8–9", "Under cross-entropy the risk-minimising prediction of a region is its true "
         "probability, p̂ = p: CE is an unbiased volume estimator.", ch2, "2.2", None),
        ("B02", "§2.2, Fig. 1 A", "Under soft Dice a single uncertain region is predicted exactly only at p_β ∈ "
         "{0, 1}; its optimum switches from p̂ = 0 to 1 at p_β = 0.5 (under-estimation below, over-estimation "
         "above).", ch2, "2.4", None),
        ("B03", "§2.2, Fig. 1 A4", "The volumetric bias is largest at p_β = 0.5 and grows with the volume ratio "
         "µ, while the error on the predicted uncertainty does not depend on µ.", ch2, "2.4", None),
        ("B04", "§2.2, Fig. 1 B–C", "With more independent uncertain regions N the p_β at which the optimum "
         "switches decreases: over-estimation becomes easier, and more so for a larger µ.", ch2, "2.4", None),
        ("B05", "§3.2, Table 1", "CE-trained models reach a significantly lower cross-entropy (higher "
         "log-likelihood) under all circumstances.", ch2, "2.5", None),
        ("B06", "§3.2, Table 1", "SD-trained models reach a significantly higher soft Dice score under all "
         "circumstances.", ch2, "2.5", None),
        ("B07", "§3.2, Table 1", "For the LR and ConvNet models, CE-trained models are unbiased in volume.", ch2,
         "2.5", None),
        ("B08", "§3.2, Table 1", "For the LR and ConvNet models, SD-trained models over-estimate the volume "
         "significantly.", ch2, "2.5", None),
        ("B09", "§3.2, Table 1", "On the low-uncertainty tasks (MOLARS, BRATS 2018) the U-Net avoids a "
         "significant volume bias.", ch2, "2.5", None),
        ("B10", "§3.2, Table 1", "On the high-uncertainty tasks (ISLES 2017, 2018) the SD-trained U-Net still "
         "over-estimates the volume.", ch2, "2.5", None),
        ("B11", "§3.2", "SD-trained U-Nets reach a significantly higher (hard) Dice score than CE-trained ones "
         "on all four tasks (the printed scores are in UNET_DICE).", ch2, "2.5", None),
        ("B12", "§3.2", "The CE-trained U-Net under-estimates the BRATS 2018 volume significantly, which may be "
         "due to optimisation difficulties under high class imbalance.", None, None,
         "the paper offers the cause as a possibility; the book's BraTS-like ΔV is in Table 1 (B09) but no "
         "experiment isolates class imbalance"),
        ("B13", "§4", "Where volume estimates matter and the inherent uncertainty is high or unknown, "
         "cross-entropy can be preferred.", None, None,
         "a recommendation that follows from B07–B10; it is judged through them"),
    ]
    return tuple(Claim(i, "bertels2019", s, c, ch, w, nt) for i, s, c, ch, w, nt in rows)


#: The paper's claims, each with the chapter section that checks it (or why the book does not).
CLAIMS = _claims()
