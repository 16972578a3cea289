"""Tilborghs, Bertels, Robben, Vandermeulen, Maes (2022), *The Dice loss in the context of missing or empty
labels: introducing Φ and ε*, MICCAI 2022 — its printed numbers, the one place the book takes them from
(Chapters 1 and 4)."""

from __future__ import annotations

import pandas as pd

__all__ = ["GROUPS", "EPSILON", "TABLE1", "PARTIAL_LOSSES", "AUC", "CLAIMS"]

#: Per dataset of Table 1, the always-labelled and the sometimes-emptied group.
GROUPS = {"brats": ("HGG", "LGG"), "acdc": ("ED", "ES")}

#: ε printed in the paper (§3) — BraTS whole tumour and ACDC structures, in voxels.
EPSILON = {
    ("BraTS whole tumour", "partial"): 8789, ("BraTS whole tumour", "full"): 12412,
    ("ACDC myocardium", "partial"): 13741, ("ACDC myocardium", "full"): 19893,
    ("ACDC LV cavity", "full"): 21339, ("ACDC RV", "full"): 18993,
}


def _table1() -> pd.DataFrame:
    # Tilborghs, Bertels et al. 2022, Table 1 as printed: per row (dataset, labelling, B) the DSC of the
    # always-labelled group for I, BI, Iε, then the sometimes-empty group, then ΔV [ml] in the same order.
    printed = {
        ("brats", "full", 1): (.89, .89, .89, .89, .89, .89, -4, -4, -7, -8, -7, -9),
        ("brats", "full", 2): (.89, .89, .89, .89, .88, .88, -5, -5, -7, -9, -10, -12),
        ("brats", "full", 4): (.89, .89, .89, .88, .90, .89, -6, -5, -7, -11, -7, -11),
        ("brats", "full", 8): (.89, .89, .89, .89, .88, .89, -6, -4, -6, -12, -10, -9),
        ("brats", "partial", 1): (.89, .89, .83, .88, .88, .23, -5, -5, -12, -11, -12, -88),
        ("brats", "partial", 2): (.89, .83, .82, .88, .24, .16, -6, -12, -13, -12, -89, -96),
        ("brats", "partial", 4): (.89, .82, .83, .88, .20, .20, -6, -12, -12, -15, -93, -94),
        ("brats", "partial", 8): (.89, .82, .83, .88, .20, .23, -6, -12, -12, -14, -94, -90),
        ("acdc", "full", 2): (.88, .88, .87, .89, .89, .89, -1, 0, -2, -3, 0, -3),
        ("acdc", "partial", 2): (.88, .80, .80, .88, .08, .06, 0, -11, -14, -5, -129, -131),
    }
    rows = []
    for (dataset, labelling, b), v in printed.items():
        always, sometimes = GROUPS[dataset]
        for k, config in enumerate(("I", "BI", "Iε")):
            for j, group in enumerate((always, sometimes)):
                rows.append({"dataset": dataset, "labelling": labelling, "B": b, "config": config, "group": group,
                             "dice": v[3 * j + k], "dV_ml": v[6 + 3 * j + k]})
    return pd.DataFrame(rows)


#: The paper's Table 1 (BraTS — HGG / LGG whole tumour; ACDC — myocardium at ED / ES), long form.
TABLE1 = _table1()
#: §4 — mean DSC of I, marginal and leaf Dice on ACDC (no significant difference between them), per
#: structure and phase; RV at ES is printed as a range 0.86–0.87.
PARTIAL_LOSSES = {("MYO", "ED"): 0.88, ("MYO", "ES"): 0.88, ("LV", "ED"): 0.96, ("LV", "ES"): 0.92,
                  ("RV", "ED"): 0.93, ("RV", "ES"): 0.865}
#: The AUC of detecting HGG / MYO_ED from the predicted volume under partial labels (§4, Fig. 2).
AUC = 0.9


def _claims():
    from dicecore.claims import Claim

    ch1, ch4 = "01_dice_anatomy", "04_missing_vs_empty"
    rows = [
        ("T01", "§2, Eq. 3", "The Dice loss is one minus the mean soft Dice over the subsets φ of a partition Φ, "
         "with ε added to numerator and denominator; the image-wise (I) and batch-wise (BI) partitions are the "
         "common implementations.", ch1, "1.1", None),
        ("T02", "§2, Eq. 4", "Eq. 4 is the derivative of the Dice loss (Eq. 3) with respect to a prediction "
         "ỹ_ω, for any partition Φ.", ch1, "1.2", None),
        ("T03", "§2.2", "Under the L1 relaxation the derivative within a subset φ takes only two values (y_ω = 0 "
         "or 1); under V-Net's L2 relaxation it differs at every voxel.", ch1, "1.2", None),
        ("T04", "§2.2", "With a negligible ε the derivative is negligible in a subset whose labels are all "
         "empty or missing, so the image-wise DL_I ignores missing labels.", ch1, "1.3", None),
        ("T05", "§2.2–2.3", "The batch-wise DL_BI with B > 1 gives empty maps a non-zero gradient (it can learn "
         "them); with B = 1 it equals DL_I.", ch1, "1.3", None),
        ("T06", "§2.3, Eq. 5", "Equating the empty-map derivative of DL_I with that of DL_BI at an infinite batch "
         "gives, at a ≈ ½ and b ≈ 2, ε ≈ v̂ (the predicted volume).", ch1, "1.4", None),
        ("T07", "§2.3", "Setting ε to the expected label volume gives DL_I, at any batch size, the push on empty "
         "maps that DL_BI has with a large batch.", ch1, "1.3", None),
        ("T08", "§3", "The heuristic ε is smaller with the LGG maps emptied than with full labels (BraTS whole "
         "tumour; the printed values are in EPSILON).", ch4, "4.3", None),
        ("T09", "§4, Table 1", "Trained on partial labels, I (any B) and BI (B = 1) segment the sometimes-emptied "
         "group (LGG, MYO_ES) as well as when trained on full labels: missing labels are ignored.", ch4, "4.6", None),
        ("T10", "§4, Table 1", "Trained on partial labels, BI (B > 1) and Iε learn to output empty maps for the "
         "sometimes-emptied group (LGG, MYO_ES), whose DSC against the full labels falls far below the fully "
         "labelled one.", ch4, "4.6", None),
        ("T11", "§4, Table 1", "With BI (B > 1) and Iε under partial labels the always-labelled group is segmented "
         "consistently worse than under full labels, as some of it is taken for the other group.", ch4, "4.6", None),
        ("T12", "§4, Table 1", "Under full labels I, BI and Iε perform alike at every batch size.", ch4, "4.6",
         None),
        ("T13", "§4, Fig. 2", "Under partial labels the predicted volume detects the always-labelled group (HGG, "
         "MYO_ED) with an AUC of about 0.9.", ch4, "4.6", None),
        ("T14", "§4", "On ACDC, I performs like the marginal and the leaf Dice loss (no significant difference "
         "for any structure or phase).", ch4, "4.6", None),
        ("T15", "§5", "Adapting ε for Iε changes the derivative for y_ω = 1 only a little compared with "
         "y_ω = 0.", None, None, "the paper infers it from its Table 1, not from the derivative; the book checks "
         "Table 1's pattern (T10, T11) and leaves the size of the y_ω = 1 change unmeasured"),
        ("T16", "§2.1", "Most work reduces over the image only (DL_I); [11] found DL_BI superior for head and "
         "neck organs at risk.", None, None, "a statement about the literature, not about the loss"),
        ("T17", "§6", "The choice of Φ and ε is non-trivial and greatly influences the Dice loss in the "
         "presence of missing or empty labels.", None, None,
         "the conclusion restates T04, T05, T09 and T10; it is judged through them"),
    ]
    return tuple(Claim(i, "tilborghs2022", s, c, ch, w, nt) for i, s, c, ch, w, nt in rows)


#: The paper's claims, each with the chapter section that checks it (or why the book does not).
CLAIMS = _claims()
