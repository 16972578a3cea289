"""Tilborghs, Bertels, Robben, Vandermeulen, Maes (2022), *The Dice loss in the context of missing or empty
labels: introducing Φ and ε*, MICCAI 2022 — its printed numbers, the one place the book takes them from
(Chapters 1 and 4)."""

from __future__ import annotations

import pandas as pd

__all__ = ["GROUPS", "EPSILON", "TABLE1", "PARTIAL_LOSSES", "AUC"]

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
