"""Sudre, Li, Vercauteren, Ourselin, Cardoso (2017), *Generalised Dice overlap as a deep learning loss function
for highly unbalanced segmentations*, DLMIA 2017 — its printed numbers, the one place the book takes them from
(Chapter 3)."""

from __future__ import annotations

import pandas as pd

__all__ = ["LOSSES", "TABLE1", "GRID", "CLAIMS"]

#: The four losses of Tables 2–3, in the paper's column order.
LOSSES = ("WCE", "DL2", "SS", "GDL_v")

#: Sudre et al., Table 1 — the median foreground fraction ("imbalance ratio") of each network's patches.
TABLE1 = pd.DataFrame([(net, patch, ratio) for net, ratios in (
    ("unet", (0.52, 0.33, 0.15)), ("twopath", (0.29, 0.25, 0.16)), ("deepmedic", (0.20, 0.01, 0.002)),
    ("highresnet", (0.02, 0.01, 0.003))) for patch, ratio in zip("SML", ratios)],
    columns=["network", "patch", "imbalance ratio"])


def _cells(network: str, rows: str) -> list[tuple]:
    """Rows of a printed table, ``patch lr WCE DL2 SS GDL_v`` as "median iqr" pairs."""
    out = []
    for line in rows.strip().splitlines():
        patch, lr, *values = line.split()
        for loss, k in zip(LOSSES, range(0, 8, 2)):
            out.append((network, patch, 10.0 ** int(lr), loss, float(values[k]), float(values[k + 1])))
    return out


#: Sudre et al., Tables 2 (2-D — UNet, TwoPathCNN) and 3 (3-D — DeepMedic, HighResNet), training DSC over the
#: last 200 iterations, median and IQR, as printed.
GRID = pd.DataFrame(
    _cells("unet", """
        S -5 .71 .17 .73 .13 .37 .17 .75 .14
        S -4 .77 .18 .76 .13 .74 .16 .80 .12
        S -3 .70 .17 .72 .15 .39 .16 .72 .15
        M -5 .71 .23 .70 .22 .65 .25 .74 .19
        M -4 .73 .18 .70 .22 .61 .25 .72 .19
        M -3 .68 .23 .67 .21 .70 .26 .69 .22
        L -5 .63 .46 .62 .40 .49 .42 .56 .44
        L -4 .68 .34 .64 .44 .18 .24 .66 .39
        L -3 .59 .39 .57 .53 .16 .22 .59 .45""")
    + _cells("twopath", """
        S -5 .56 .48 0 0 .53 .41 .49 .44
        S -4 .80 .12 .79 .11 .81 .12 .80 .12
        S -3 0 0 0 0 .77 .11 .72 .15
        M -5 0 0 .73 .18 .69 .21 .73 .19
        M -4 .77 .16 .76 .17 .71 .18 .76 .17
        M -3 0 0 .71 .22 .67 .21 .72 .19
        L -5 .62 .50 .50 .41 .50 .38 .56 .35
        L -4 .64 .42 .59 .43 .52 .38 .64 .35
        L -3 .77 .12 .77 .14 .79 .12 .79 .11""")
    + _cells("deepmedic", """
        S -5 .49 .17 .44 .19 .42 .14 .46 .17
        S -4 .58 .20 .60 .15 .61 .22 .61 .18
        S -3 .61 .12 .59 .14 .63 .15 .60 .15
        M -5 .05 .07 .05 .07 .05 .06 .04 .06
        M -4 .09 .11 .07 .09 .08 .09 .08 .10
        M -3 .45 .31 .42 .31 .17 .24 .48 .32
        L -5 .01 .03 .01 .03 .01 .03 .01 .03
        L -4 .01 .04 .02 .04 .02 .04 .01 .04
        L -3 .21 .33 .18 .30 .05 .12 .20 .33""")
    + _cells("highresnet", """
        S -5 0 0 0 0 .06 .15 .47 .32
        S -4 0 0 .71 .18 .34 .20 .74 .15
        S -3 0 0 0 0 0 0 0 0
        M -5 0 0 .60 .27 .15 .13 .64 .19
        M -4 0 0 .71 .20 .20 .20 .69 .20
        M -3 0 0 0 0 0 0 .65 .23
        L -5 0 0 .54 .27 .03 .06 .50 .32
        L -4 0 0 .57 .32 .08 .19 .60 .30
        L -3 0 0 .62 .18 .22 .15 .49 .34"""),
    columns=["network", "patch", "lr", "loss", "median", "IQR"])


def _claims():
    from dicecore.claims import Claim

    ch3 = "03_generalised_dice"
    rows = [
        ("S01", "§2.1", "For two classes the gradient of the GDL with respect to p_i is the printed closed "
         "form.", ch3, "3.2", None),
        ("S02", "§2.1", "With w_l = 1/(Σ_n r_ln)² (GDL_v) each label's contribution is corrected by the inverse "
         "of its volume, so the foreground is not swamped under severe imbalance.", ch3, "3.3", None),
        ("S03", "§3.1, Table 1", "Larger patches generally give more unbalanced training sets (a smaller "
         "foreground share per patch).", ch3, "3.4", None),
        ("S04", "§3.2", "In 2-D, WCE and DL₂ cope worse with a fast learning rate (10⁻³) than SS and GDL_v on "
         "TwoPathCNN.", ch3, "3.4", None),
        ("S05", "§3.2", "In 2-D, the efficiency of SS is network dependent.", ch3, "3.4", None),
        ("S06", "§3.2–3.3", "An intermediate learning rate (10⁻⁴) leads to the best training across all "
         "cases.", ch3, "3.4", None),
        ("S07", "§3.2", "In 2-D, smaller patches with larger batches perform better, with a similar pattern for "
         "every loss.", ch3, "3.4", None),
        ("S08", "§3.2–3.3, Figs. 1–3", "GDL_v is the most robust of the four losses to the learning rate and the "
         "patch size.", ch3, "3.4", None),
        ("S09", "§3.3", "DeepMedic, strongly dependent on its hyper-parameters, is agnostic to the choice of "
         "loss.", ch3, "3.5", None),
        ("S10", "§3.3", "In 3-D, with higher imbalance, WCE was unable to train (HighResNet).", ch3, "3.5", None),
        ("S11", "§3.3", "In 3-D, SS drops significantly in performance compared with GDL_v.", ch3, "3.5", None),
        ("S12", "§3.3", "In 3-D, DL₂ performs like GDL_v at low learning rates but fails at higher ones.", ch3,
         "3.5", None),
        ("S13", "§3.3", "In 3-D at a learning rate of 10⁻⁴, smaller patches (larger batches) give a higher "
         "performance.", ch3, "3.5", None),
        ("S14", "§3.3", "At 10⁻⁵ the loss reaches no plateau within 3000 iterations.", None, None,
         "needs 3000-iteration 3-D trainings and their loss curves; the book's trainings are shorter and it "
         "keeps no loss curve per cell"),
        ("S15", "§3.3, Fig. 4", "GDL_v captures punctate lesions better.", None, None,
         "one example volume in the paper; §3.5 draws the analogue (Fig. 4) as an illustration, which cannot "
         "test it"),
        ("S16", "§4", "A mild imbalance is handled by most losses; as the imbalance grows, the overlap-based "
         "losses are more robust.", None, None,
         "summarises S04–S12, whose settings differ in network and data as well as in imbalance; no "
         "experiment of the paper or the book varies the imbalance alone in training"),
    ]
    return tuple(Claim(i, "sudre2017", s, c, ch, w, nt) for i, s, c, ch, w, nt in rows)


#: The paper's claims, each with the chapter section that checks it (or why the book does not).
CLAIMS = _claims()
