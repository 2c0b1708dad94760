"""Paired comparisons of arms against a baseline run on the same seeds.

With common random numbers replicate r of every arm shares its seed, so the effect of an arm
is estimated from the per-replicate differences d_r = y_arm,r - y_base,r: mean, standard error
and a t-based 95% confidence interval. Pairing removes the crisis noise both arms share and
narrows the interval compared with independent samples.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd


def t_critical(df: int, level: float = 0.95) -> float:
    """Two-sided Student-t critical value (Cornish-Fisher expansion; exact enough for df >= 3)."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    if df <= 0:
        return math.nan
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


def paired_effect(arm: np.ndarray, base: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Mean difference arm - base over paired replicates, with its confidence interval."""
    d = np.asarray(arm, dtype=np.float64) - np.asarray(base, dtype=np.float64)
    n = d.size
    mean = float(d.mean()) if n else math.nan
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    half = t_critical(n - 1, level) * se if n > 1 else math.nan
    return {"effect": mean, "se": se, "ci_low": mean - half, "ci_high": mean + half, "n": n,
            "significant": bool(n > 1 and (mean - half > 0 or mean + half < 0))}


def effects_table(finals: pd.DataFrame, baseline: str, outcomes: list[str], level: float = 0.95) -> pd.DataFrame:
    """One row per (arm, outcome): paired effect against ``baseline`` with CI, the arm's and the
    baseline's means, and the share of replicates in which the arm's own move was agreed."""
    base = finals[finals["arm"] == baseline].set_index("replicate").sort_index()
    rows = []
    for arm, g in finals.groupby("arm", sort=False):
        if arm == baseline:
            continue
        g = g.set_index("replicate").sort_index()
        common = g.index.intersection(base.index)
        agreed_cols = [c for c in g.columns if c.startswith("agreed_")]
        agreed = float(g.loc[common, agreed_cols].all(axis=1).mean()) if agreed_cols else math.nan
        for outcome in outcomes:
            eff = paired_effect(g.loc[common, outcome].to_numpy(), base.loc[common, outcome].to_numpy(), level)
            rows.append({"arm": arm, "outcome": outcome, **eff,
                         "arm_mean": float(g.loc[common, outcome].mean()),
                         "baseline_mean": float(base.loc[common, outcome].mean()), "agreed_share": agreed})
    return pd.DataFrame(rows)
