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

from sim.results.labels import AGREED_CAVEAT  # noqa: F401  (re-exported: the caveat the tables carry)


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
    mean = float(d.mean()) if n else math.nan  # no pairs (an option never agreed): no effect, not 0
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    half = t_critical(n - 1, level) * se if n > 1 else math.nan
    return {"effect": mean, "se": se, "ci_low": mean - half, "ci_high": mean + half, "n": n,
            "significant": bool(n > 1 and (mean - half > 0 or mean + half < 0))}


# the columns of an effects table and their dtypes, declared once (the writer casts to them)
EFFECT_COLUMNS: dict[str, str] = {
    "arm": "string", "outcome": "string",
    # intention to treat: the option tabled, agreed or not, against the baseline on every seed
    "effect": "float64", "se": "float64", "ci_low": "float64", "ci_high": "float64", "n": "int64",
    "significant": "boolean", "arm_mean": "float64", "baseline_mean": "float64", "agreed_share": "float64",
    # where agreed: only the runs in which the arm's move(s) were agreed, against the baseline on the same seeds
    "effect_agreed": "float64", "se_agreed": "float64", "ci_low_agreed": "float64", "ci_high_agreed": "float64",
    "n_agreed": "int64", "significant_agreed": "boolean",
}


def agreed_mask(g: pd.DataFrame, arm: str) -> pd.Series | None:
    """Per run of one arm: whether its move was agreed (``agreed_ARM``; else every ``agreed_*``
    column the arm has values in: all its moves agreed). None if the arm tabled no move."""
    cols = [f"agreed_{arm}"] if f"agreed_{arm}" in g.columns else \
        [c for c in g.columns if c.startswith("agreed_") and g[c].notna().any()]
    if not cols:
        return None
    return g[cols].astype("boolean").fillna(False).all(axis=1).astype(bool)


def effects_table(finals: pd.DataFrame, baseline: str, outcomes: list[str], level: float = 0.95) -> pd.DataFrame:
    """One row per (arm, outcome): the intention-to-treat effect (the arm's move tabled, agreed
    or not) against ``baseline`` paired by seed, with CI, the arm's and the baseline's means and
    the share of runs in which the arm's move was agreed; and the effect where agreed (the same
    pairing, only over the runs where it was agreed: see ``AGREED_CAVEAT``)."""
    base = finals[finals["arm"] == baseline].set_index("replicate").sort_index()
    rows = []
    for arm, g in finals.groupby("arm", sort=False, observed=True):
        if arm == baseline:
            continue
        g = g.set_index("replicate").sort_index()
        common = g.index.intersection(base.index)
        mask = agreed_mask(g.loc[common], str(arm))
        agreed = float(mask.mean()) if mask is not None else math.nan
        where = common[mask.to_numpy()] if mask is not None else common[:0]
        for outcome in outcomes:
            eff = paired_effect(g.loc[common, outcome].to_numpy(), base.loc[common, outcome].to_numpy(), level)
            sub = paired_effect(g.loc[where, outcome].to_numpy(), base.loc[where, outcome].to_numpy(), level)
            rows.append({"arm": arm, "outcome": outcome, **eff,
                         "arm_mean": float(g.loc[common, outcome].mean()),
                         "baseline_mean": float(base.loc[common, outcome].mean()), "agreed_share": agreed,
                         **{f"{k}_agreed": v for k, v in sub.items()}})
    return pd.DataFrame(rows, columns=list(EFFECT_COLUMNS)).astype(EFFECT_COLUMNS)
