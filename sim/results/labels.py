"""Words for figures and printed tables: what an outcome column measures, in which direction and on
which scale, with actors' full names; and numbers that never hide a small effect as +0.000."""

from __future__ import annotations

import math
import re

from sim.output.outcomes import OUTCOMES

WEST = "the West"  # the ``WEST`` of the affected states' columns (output.west)
# scale of an outcome's final value by its kind (state means and levels are in [0, 1])
SCALE = {"state_mean": "0-1", "level": "0-1", "count": "count over the run", "stock": "count at the horizon"}
# what the where-agreed effect is, said wherever it is shown (tables, figures, docs)
AGREED_CAVEAT = ("where agreed: runs in which the option was agreed, each paired with the baseline run on the same "
                 "seed; agreement is not random (it depends on the run's draws of types and crises), so this is the "
                 "mean difference among those runs, not a causal effect of agreement")
DIRECTION = {"better": "higher is better", "worse": "higher is worse", "neutral": ""}


def _declaration(column: str):
    """The declared outcome a column belongs to (its name, or the pattern it fills in)."""
    for name, o in OUTCOMES.items():
        if name == column:
            return o
        if o.over is None:
            continue
        if name == "{count}":  # the structures in force, one column per effect type's count
            if re.fullmatch(r"[a-z]+_(in_force|open|programmes)", column):
                return o
            continue
        if re.fullmatch(re.sub(r"\\\{\w+\\\}", "[A-Za-z0-9]+", re.escape(name)), column):
            return o
    return None


def actor_name(actor_id: str, names: dict[str, str] | None = None) -> str:
    if actor_id == "WEST":
        return WEST
    return (names or {}).get(actor_id, actor_id)


def outcome_label(column: str, names: dict[str, str] | None = None, final: bool = True) -> str:
    """'Russia's trust in NATO (0-1, higher is better)': what the column measures, with full
    names, its scale and direction (``final``: a count is the run's total, else per month)."""
    o = _declaration(column)
    m = re.fullmatch(r"(trust|threat)_([A-Za-z0-9]+)_([A-Za-z0-9]+)", column)
    if m and o is not None:
        what, a, b = m.groups()
        a, b = actor_name(a, names), actor_name(b, names)
        text = f"{a}'s trust in {b}" if what == "trust" else f"threat {a} perceives from {b}"
    elif o is not None:
        text = o.description.split(" (")[0].split(":")[0].replace(" this month", "")
        if o.name == "{count}":
            text = column.replace("_", " ")
        elif o.name == "human_security_{territory}":
            text = f"human security in {actor_name(column.rsplit('_', 1)[1], names)}"
        text = {"mean_trust": "mean trust between actors", "mean_threat": "mean threat perception between actors",
                "mean_posture": "mean military posture", "belief_error": "belief error, Brier score of trust "
                "against true types"}.get(column, text)
    else:
        return column.replace("_", " ")
    scale = SCALE[o.kind] if final else {"count": "count per month", "stock": "count"}.get(o.kind, SCALE[o.kind])
    return f"{text} ({', '.join(p for p in (scale, DIRECTION[o.direction]) if p)})"


def number(x: float, digits: int = 3) -> str:
    """Signed, in ``digits`` significant digits: +0.148, -0.00312, +2.1e-05; 'n/a' for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return "+0" if x == 0 else f"{x:+.{digits}g}"


def effect_text(effect: float, low: float, high: float, significant=False) -> str:
    """'+0.148 [+0.037, +0.28]*': an effect with its confidence interval, * when it excludes 0."""
    try:
        mark = "*" if significant else " "
    except TypeError:  # pd.NA: no interval
        mark = " "
    return f"{number(effect)} [{number(low)}, {number(high)}]{mark}"
