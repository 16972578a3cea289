"""Hosseini (2025), *Pixel-wise modulated Dice loss for medical image segmentation*, arXiv preprint — its
printed numbers, the one place the book takes them from (Chapter 5)."""

from __future__ import annotations

import pandas as pd

__all__ = ["METRICS", "TABLE1", "TABLE2", "TABLE3", "MSSEG_GAMMA", "CLAIMS"]

#: The metrics of Tables 1–3.
METRICS = ("mDice", "mIoU", "mNSD", "mPrec.", "mRec.")

#: Hosseini's Table 2 (ACDC) as printed, in percent — the five metrics and the Dice of each organ.
TABLE2 = pd.DataFrame([
    ("CE", 91.60, 84.88, 87.05, 92.36, 91.19, 90.61, 88.90, 95.29),
    ("Dice", 90.02, 82.73, 86.02, 88.72, 92.35, 86.06, 89.20, 94.80),
    ("Logarithmic Dice [38]", 89.60, 82.12, 85.23, 88.21, 92.11, 85.28, 88.92, 94.61),
    ("Focal Dice [40]", 88.72, 80.81, 83.38, 87.26, 91.47, 83.54, 88.28, 94.34),
    ("Focal Dice [41]", 90.34, 83.21, 86.41, 88.83, 92.87, 86.32, 89.53, 95.16),
    ("CE + Dice", 91.41, 84.63, 86.99, 91.62, 91.65, 90.10, 89.26, 94.87),
    ("Focal CE + Dice", 91.61, 84.93, 87.05, 91.78, 91.85, 90.30, 89.22, 95.30),
    ("TopK CE + Dice", 91.75, 85.12, 87.34, 92.16, 91.70, 90.54, 89.30, 95.40),
    ("TopK Dice [42]", 90.34, 83.22, 86.38, 88.77, 92.98, 86.30, 89.69, 95.04),
    ("CE + TopK Dice [42]", 91.75, 85.15, 87.38, 91.49, 92.42, 90.49, 89.40, 95.35),
    ("TopK CE + TopK Dice [42]", 91.84, 85.26, 87.53, 91.78, 92.26, 90.69, 89.45, 95.37),
    ("PM Dice", 91.88, 85.35, 87.92, 92.34, 91.82, 90.54, 89.43, 95.67),
    ("CE + PM Dice", 91.68, 85.03, 87.61, 92.48, 91.31, 90.35, 89.11, 95.57),
    ("Focal CE + PM Dice", 91.84, 85.28, 87.81, 92.48, 91.61, 90.58, 89.34, 95.60),
], columns=["loss", "mDice", "mIoU", "mNSD", "mPrec.", "mRec.", "RV", "MYO", "LV"])

#: Hosseini's Table 3 (MSSEG-2) as printed, in percent.
TABLE3 = pd.DataFrame([
    ("CE", 65.46, 49.06, 62.38, 72.13, 62.07), ("Dice", 66.41, 50.07, 63.67, 71.67, 63.82),
    ("Logarithmic Dice [38]", 65.94, 49.57, 62.96, 72.36, 62.47), ("Focal Dice [40]", 63.48, 46.88, 60.04, 67.85, 61.85),
    ("Focal Dice [41]", 66.80, 50.57, 64.30, 71.29, 64.90), ("CE + Dice", 67.23, 50.99, 64.57, 72.49, 64.71),
    ("Focal CE + Dice", 67.92, 51.77, 65.54, 74.87, 63.67), ("TopK CE + Dice", 67.16, 50.89, 64.62, 73.24, 63.62),
    ("TopK Dice [42]", 68.36, 52.44, 66.23, 70.66, 68.14), ("CE + TopK Dice [42]", 67.36, 51.26, 64.97, 70.78, 66.73),
    ("TopK CE + TopK Dice [42]", 68.44, 52.51, 66.25, 72.56, 66.39), ("PM Dice", 69.07, 53.12, 66.93, 75.15, 64.92),
    ("CE + PM Dice", 68.71, 52.80, 66.73, 76.46, 63.60), ("Focal CE + PM Dice", 68.72, 52.78, 66.33, 74.30, 65.40),
], columns=["loss", "mDice", "mIoU", "mNSD", "mPrec.", "mRec."])
#: Hosseini §4 — on MSSEG every PM Dice term uses γ_BG = 1, γ_FG = 2 (as (γ_BG, γ_FG)).
MSSEG_GAMMA = (1.0, 2.0)

#: Hosseini's Table 1 (Kvasir-SEG) as printed, in percent.
TABLE1 = pd.DataFrame([
    ("CE", 89.56, 83.76, 51.13, 92.68, 90.30), ("Dice", 88.76, 82.79, 50.84, 91.09, 90.33),
    ("Logarithmic Dice [38]", 88.89, 82.86, 49.49, 90.97, 90.75), ("Focal Dice [40]", 88.19, 81.46, 46.27, 88.78, 91.24),
    ("Focal Dice [41]", 89.12, 83.40, 51.22, 91.17, 90.74), ("CE + Dice", 89.94, 84.20, 52.34, 92.58, 90.67),
    ("Focal CE + Dice", 89.85, 84.29, 52.15, 92.20, 91.11), ("TopK CE + Dice", 90.11, 84.47, 52.56, 92.23, 91.17),
    ("TopK Dice [42]", 89.94, 84.11, 52.76, 91.62, 91.42), ("CE + TopK Dice [42]", 89.62, 83.99, 52.80, 91.71, 91.24),
    ("TopK CE + TopK Dice [42]", 89.39, 83.53, 52.75, 91.17, 90.97), ("PM Dice", 90.61, 85.37, 54.90, 92.61, 91.57),
    ("CE + PM Dice", 90.45, 85.20, 54.21, 92.64, 91.40), ("Focal CE + PM Dice", 90.58, 85.26, 54.14, 92.25, 91.68),
], columns=["loss", *METRICS])


def _claims():
    from dicecore.claims import Claim

    ch5 = "05_pm_dice"
    rows = [
        ("H01", "§2, Eq. 5", "With γ = 0 the PM Dice loss is the Dice loss of Eq. 4.", ch5, "5.1", None),
        ("H02", "§2, Fig. 2", "The Dice loss is low although a small polyp is almost missed; the modulating term "
         "is near 0 in easy areas and near 1 in difficult ones, and a larger γ raises the loss.", None, None,
         "Fig. 2 illustrates one image; §5.3 draws its analogue on a prediction constructed to show it, which "
         "cannot test it"),
        ("H03", "§2", "The modulating term focuses the training on difficult pixels: PM Dice puts more of its "
         "gradient on them than the Dice loss.", ch5, "5.4", None),
        ("H04", "§2", "Without the stop-gradient on m (m treated as a hyper-parameter) the performance would "
         "drop.", ch5, "5.6", None),
        ("H05", "§1–2", "The computational cost of the modulating term is minimal: unlike Focal Dice [41] and "
         "TopK Dice [42] it needs no ranking of the errors.", ch5, "5.10", None),
        ("H06", "§3.3, Tables 1–3", "PM Dice outperforms the other losses designed for difficulty imbalance on "
         "all three datasets (mDice).", ch5, "5.6", None),
        ("H07", "§3.3, Tables 1–3", "PM Dice gives the highest NSD on all three datasets (more accurate "
         "boundaries).", ch5, "5.6", None),
        ("H08", "§3.3", "The Dice loss generally gives higher recall, the CE loss higher precision.", ch5, "5.6",
         None),
        ("H09", "§3.3", "The compound CE + Dice usually improves on the Dice loss alone.", ch5, "5.6", None),
        ("H10", "§3.3", "PM Dice gives higher precision than the Dice loss (focusing on difficult areas raises "
         "the background's weight).", ch5, "5.6", None),
        ("H11", "§3.3, §4", "PM Dice needs no CE term: combining it with a CE-based loss is not required to "
         "improve it.", ch5, "5.6", None),
        ("H12", "§3.3", "PM Dice beats the Dice loss also when it replaces it in a compound loss (CE + PM Dice "
         "against CE + Dice).", ch5, "5.6", None),
        ("H13", "§3.3", "Focal CE + Dice and TopK CE + Dice usually give higher precision than CE + Dice.", ch5,
         "5.6", None),
        ("H14", "§3.3", "Focal Dice [41] and TopK Dice [42] give higher recall than the Dice loss.", ch5, "5.6",
         None),
        ("H15", "§3.3", "TopK CE + TopK Dice generally gives better results than CE + Dice.", ch5, "5.6", None),
        ("H16", "§3.3, Fig. 3", "On MSSEG, from γ = 0.5 on a larger γ (both classes) raises precision and lowers "
         "recall.", ch5, "5.8", None),
        ("H17", "§3.3, Fig. 3", "On MSSEG the best Dice score is reached at γ = 2.", ch5, "5.8", None),
        ("H18", "§3.3, Fig. 4", "With γ_FG = 2, a lower γ_BG lowers precision and raises recall; the best Dice "
         "is at γ_BG = 1.", ch5, "5.8", None),
    ]
    return tuple(Claim(i, "hosseini2025", s, c, ch, w, nt) for i, s, c, ch, w, nt in rows)


#: The paper's claims, each with the chapter section that checks it (or why the book does not).
CLAIMS = _claims()
