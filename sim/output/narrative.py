"""A short, readable story of one replicate, built from the event log and the trust record."""

from __future__ import annotations

import pandas as pd

STORY_KINDS = ("in_force", "level", "declined", "outcome", "enacted", "annexation", "abandoned", "crisis", "escalation",
               "suspension", "breach", "grit_ended", "managed", "assistance", "intervention")
# events told in their own words (their ``reason``)
TOLD_AS_RECORDED = ("suspension", "breach", "grit_ended", "level", "in_force", "managed", "assistance")


def short_name(spec, actor_id: str) -> str:
    """'Russia', 'NATO', 'EFL': names for states and territories, ids for factions and composites."""
    if actor_id not in spec.ids:
        return actor_id
    a = spec.roster[actor_id]
    return a.name.split(" (")[0] if a.kind in ("state", "territory") else a.id


def _trust_at(dyads: pd.DataFrame, step: int, observer: str, target: str) -> float | None:
    row = dyads[(dyads["step"] == step) & (dyads["observer"] == observer) & (dyads["target"] == target)]
    return float(row["trust"].iloc[0]) if len(row) else None


def _outcome_line(spec, ev: pd.DataFrame, outcome: pd.Series, dyads: pd.DataFrame | None) -> str:
    move = spec.move(str(outcome["move"]))
    step = int(outcome["step"])
    here = ev[(ev["step"] == step) & (ev["move"] == move.id)]
    # this attempt's proposal, votes and decisions, read once (the first of each, as recorded)
    first: dict[tuple[str, str], float] = {}
    for kind, actor, value in zip(here["kind"].astype(str), here["actor"].astype(str), here["value"], strict=True):
        first.setdefault((kind, actor), float(value))
    proposer = spec.ids[move.proposer]
    attempt = next((v for (k, _), v in first.items() if k == "proposal"), None)
    tries = f" (attempt {int(attempt)})" if attempt is not None and attempt > 1 else ""
    parts = [f"{outcome['date']}: {short_name(spec, proposer)} proposed '{move.title}'{tries}"]
    for party in move.parties:
        pid = spec.ids[party.index]
        if len(party.deciders) > 1:
            decided = first.get(("decision", pid))
            if decided is not None:
                objectors = [spec.ids[d] for d in party.deciders if first.get(("vote", spec.ids[d]), 1.0) < 0.5]
                text = f"{short_name(spec, pid)} {'agreed' if decided > 0.5 else 'could not agree'}"
                if objectors:
                    text += f" ({', '.join(objectors)} objected)"
                parts.append(text)
        else:
            vote = first.get(("vote", pid))
            if vote is not None:
                parts.append(f"{short_name(spec, pid)} {'accepted' if vote > 0.5 else 'rejected'}")
    agreed = outcome["value"] > 0.5
    line = "; ".join(parts) + (" -> agreed" if agreed else " -> rejected")
    others = [spec.ids[p.index] for p in move.parties if p.index != move.proposer]
    others = (["RUS"] if "RUS" in others else []) + [o for o in others if o != "RUS" and not spec.roster[o].is_composite] + others
    if agreed and others and dyads is not None and len(dyads):
        before = _trust_at(dyads, step - 1, others[0], proposer)
        after = _trust_at(dyads, step, others[0], proposer)
        if before is not None and after is not None:
            line += f"; trust {short_name(spec, others[0])}->{short_name(spec, proposer)} {before:.2f} -> {after:.2f}"
    return line


def _act_line(spec, act: pd.Series, dyads: pd.DataFrame | None) -> str:
    """A move that entered into force without a negotiation (``unilateral: true``): the reset, New
    START's signature, sanctions, a recognition, as the historical replay or a scenario schedules it."""
    move = spec.move(str(act["move"]))
    actor = str(act["actor"])
    line = f"{act['date']}: {short_name(spec, actor)}: '{move.title}' enters into force (scheduled, not negotiated)"
    observer = "USA" if actor == "RUS" else "RUS"
    if dyads is not None and len(dyads) and observer in spec.ids and actor != observer:
        step = int(act["step"])
        before, after = _trust_at(dyads, step - 1, observer, actor), _trust_at(dyads, step, observer, actor)
        if before is not None and after is not None:
            line += f"; trust {short_name(spec, observer)}->{short_name(spec, actor)} {before:.2f} -> {after:.2f}"
    return line


def narrative(spec, events: pd.DataFrame, dyads: pd.DataFrame | None = None, replicate: int = 0) -> list[str]:
    """Lines such as '2010-06: NATO proposed reactivate the NATO-Russia Council; Russia accepted
    -> agreed; trust Russia->NATO 0.21 -> 0.26', in time order, for one replicate."""
    ev = events[events["replicate"] == replicate]
    dy = dyads[dyads["replicate"] == replicate] if dyads is not None and len(dyads) else None
    kinds = ev["kind"].astype(str)
    # an enactment that follows a negotiation is told by its outcome, an annexation by its own line
    telling = ev[kinds.isin(["outcome", "annexation"])]
    told_elsewhere = set(zip(telling["step"], telling["move"].astype(str), strict=True))
    lines = []
    for _, e in ev[kinds.isin(STORY_KINDS)].iterrows():
        kind = e["kind"]
        if kind == "outcome":
            lines.append(_outcome_line(spec, ev, e, dy))
        elif kind == "enacted":
            if (e["step"], str(e["move"])) not in told_elsewhere:
                lines.append(_act_line(spec, e, dy))
        elif kind == "intervention":
            lines.append(f"{e['date']}: INTERVENTION - {e['reason']}")
        elif kind == "annexation":
            lines.append(f"{e['date']}: {e['reason']} (scheduled, not negotiated)")
        elif kind == "declined":
            lines.append(f"{e['date']}: {short_name(spec, str(e['actor']))} did not table "
                         f"'{spec.move(str(e['move'])).title}' (its cost {float(e['value']):.2f} is more than its type would pay)")
        elif kind == "abandoned":
            lines.append(f"{e['date']}: {short_name(spec, str(e['actor']))} abandoned '{spec.move(str(e['move'])).title}' ({e['reason']})")
        elif kind == "crisis":
            lines.append(f"{e['date']}: crisis - {str(e['reason']).replace('_', ' ')}")
        elif kind == "escalation":
            lines.append(f"{e['date']}: ESCALATION - {e['counterpart'] if e['counterpart'] else e['actor']}: the crisis turned into open conflict")
        elif kind in TOLD_AS_RECORDED:
            lines.append(f"{e['date']}: {e['reason']}")
    return lines
