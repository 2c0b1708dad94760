"""Random crises: where they can strike, how often, and what they do to beliefs and structures.

Each *site* of each crisis type is a slot that may fire once a month with hazard
``base_rate * (1 + threat_sensitivity * tension)``. A crisis is read through blame: parties to a
conflict blame the other side fully; everyone else (or, for a non-conflict crisis, the victims)
blames each involved actor in proportion to its own mistrust of it. Open channels covering a
pair dampen the damage; a mutual-assistance clause covering the crisis type turns it into
assistance; unmanaged conflicts may escalate and suspend channels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim import structures
from sim.errors import ConfigError, check_range


@dataclass(frozen=True)
class CrisisSlot:
    type: str
    site: str
    label: str
    victim_label: str
    victims: tuple[int, ...]
    side_a: tuple[int, ...]
    side_b: tuple[int, ...]
    base_rate: float
    threat_sensitivity: float
    severity: float
    blame: float
    escalation: float
    escalation_severity: float
    threat_shock: float
    tension_ab: np.ndarray  # flat (i * n + j) indices of side_a -> side_b pairs (or victims' rows)
    tension_ba: np.ndarray  # flat indices of side_b -> side_a pairs
    fixed_blame: np.ndarray  # (n, n) 1 where i and j are on opposite sides
    attributive: np.ndarray  # (n, n) 1 where i blames j in proportion to (1 - T[i, j])

    @property
    def conflict(self) -> bool:
        return bool(self.side_a and self.side_b)

    @property
    def involved(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(self.side_a + self.side_b + self.victims))


def compile_crises(cfg: Mapping, roster) -> tuple[tuple[CrisisSlot, ...], tuple[str, ...]]:
    """Validate the ``crises`` section; return the slots and the crisis type names."""
    types = dict(cfg.get("types") or {})
    slots: list[CrisisSlot] = []
    n = roster.n
    for name, t in types.items():
        key = f"crises.types.{name}"
        params = dict(
            base_rate=check_range(f"{key}.base_rate", t.get("base_rate", 0.01), 0.0, 1.0),
            threat_sensitivity=check_range(f"{key}.threat_sensitivity", t.get("threat_sensitivity", 0.0), 0.0, 100.0),
            severity=check_range(f"{key}.severity", t.get("severity", 0.3), 0.0, 5.0),
            blame=check_range(f"{key}.blame", t.get("blame", 0.5), 0.0, 1.0),
            escalation=check_range(f"{key}.escalation", t.get("escalation", 0.0), 0.0, 1.0),
            escalation_severity=check_range(f"{key}.escalation_severity", t.get("escalation_severity", 1.0), 0.0, 5.0),
            threat_shock=check_range(f"{key}.threat_shock", t.get("threat_shock", 0.1), 0.0, 1.0),
        )
        for s, site in enumerate(t.get("sites") or []):
            skey = f"{key}.sites[{s}]"
            site = dict(site)
            if "conflict" in site:
                terr = roster[roster.actors[roster.index(site["conflict"], f"{skey}.conflict")].id]
                if terr.kind != "territory":
                    raise ConfigError(f"{skey}.conflict", f"{terr.id} is not a territory", [a.id for a in roster.actors if a.kind == "territory"])
                sides = [[terr.parent], [terr.id, terr.patron]]
                victims = [terr.parent]
                site_id = terr.id
                label = f"{terr.id} ({terr.parent} vs {terr.id}, {terr.patron})"
            else:
                sides = site.get("sides") or [[], []]
                victims = site.get("victims") or []
                if not victims and not any(sides):
                    raise ConfigError(skey, "a site needs victims, sides or a conflict", roster.ids)
                label = ", ".join(victims) if victims else " vs ".join(",".join(s) for s in sides)
                site_id = str(site.get("name") or label)
            if len(sides) != 2:
                raise ConfigError(f"{skey}.sides", "must be two lists of actors", "[[A, ...], [B, ...]]")
            a = tuple(roster.expand(sides[0], f"{skey}.sides[0]"))
            b = tuple(roster.expand(sides[1], f"{skey}.sides[1]"))
            v = tuple(roster.expand(victims, f"{skey}.victims"))
            fixed = np.zeros((n, n))
            attributive = np.zeros((n, n))
            if a and b:
                fixed[np.ix_(a, b)] = 1.0
                fixed[np.ix_(b, a)] = 1.0
                third = [i for i in range(n) if i not in a and i not in b]
                attributive[np.ix_(third, a + b)] = 1.0
            else:
                others = [j for j in range(n) if j not in v]
                attributive[np.ix_(v, others)] = 1.0
            np.fill_diagonal(fixed, 0.0)
            np.fill_diagonal(attributive, 0.0)
            if a and b:
                ab = np.array([i * n + j for i in a for j in b], dtype=np.int64)
                ba = np.array([j * n + i for i in a for j in b], dtype=np.int64)
            else:
                ab = np.array([i * n + j for i in v for j in range(n)], dtype=np.int64)
                ba = ab
            slots.append(CrisisSlot(type=name, site=site_id, tension_ab=ab, tension_ba=ba, label=label, victim_label=",".join(victims) or "-", victims=v, side_a=a, side_b=b,
                                    fixed_blame=fixed, attributive=attributive, **params))
    return tuple(slots), tuple(types)


def tension(slot: CrisisSlot, threat: np.ndarray) -> np.ndarray:
    """(R,) mean threat between the sides (conflict), else the victims' mean threat perception."""
    flat = threat.reshape(threat.shape[0], -1)
    if slot.conflict:
        return 0.5 * (flat[:, slot.tension_ab].mean(axis=1) + flat[:, slot.tension_ba].mean(axis=1))
    if slot.tension_ab.size == 0:  # one-sided site without victims: no tension to measure
        return np.zeros(threat.shape[0])
    return flat[:, slot.tension_ab].mean(axis=1)


def blame_weights(slot: CrisisSlot, trust: np.ndarray, attribution_bias: float) -> np.ndarray:
    """(k, n, n) weights w[i, j] of how much observer i blames j for the crisis:
    1 across a conflict's sides, (1 - T[i, j]) ** attribution_bias for onlookers (and victims of
    non-conflict crises): friends are given the benefit of the doubt, the distrusted are blamed."""
    return slot.fixed_blame + slot.attributive * (1.0 - trust) ** attribution_bias


def process_month(eng, step: int, draws: np.ndarray) -> None:
    """Fire, respond to and escalate this month's crises. ``draws`` is (R, 2 * n_slots)."""
    n_slots = len(eng.spec.slots)
    for s, slot in enumerate(eng.spec.slots):
        if slot.base_rate <= 0:
            continue
        tens = tension(slot, eng.state.threat)
        rate = slot.base_rate * (1.0 + slot.threat_sensitivity * tens) * (1.0 - eng.structures.hazard_reduction(s))
        hazard = 1.0 - np.exp(-rate)
        rows = np.flatnonzero(draws[:, s] < hazard)
        if rows.size:
            strike(eng, s, slot, rows, step, tens[rows], draws[rows, n_slots + s], p=hazard[rows], u=draws[rows, s])


def strike(eng, s: int, slot: CrisisSlot, rows: np.ndarray, step: int, tens: np.ndarray, u_escalation: np.ndarray | None,
           p=np.nan, u=np.nan, reason: str = "") -> None:
    """A crisis at slot ``s`` in replicates ``rows``: blame, threat shock, joint management,
    assistance, then the escalation check (escalation where ``u_escalation`` < its probability;
    no check when ``u_escalation`` is None)."""
    eng.counters["crises"][rows] += 1
    managed = eng.structures.mission_management(rows, s)  # (k,) share of damage and escalation risk absorbed
    weights = blame_weights(slot, eng.state.trust[rows], eng.spec.attribution_bias) * (1.0 - managed)[:, None, None]
    damp = eng.structures.channel_dampening(rows, eng.n)
    eng.emit_matrix(rows, weights * damp, slot.severity * slot.blame, hostile=True)
    eng.shock_threat(rows, weights * damp, slot.threat_shock)
    eng.human_security_shock(rows, slot, slot.severity * (1.0 - managed))
    assisted = structures.clause_assistance(eng, rows, slot, step)
    structures.mission_cooperation(eng, rows, s, step)
    eng.log.add("crisis", step, rows, actor=slot.victim_label, counterpart=slot.label, detail=slot.type, p=p, draw=u,
                value=1.0 - damp.min(axis=(1, 2)) * (1.0 - managed), reason=reason or _crisis_reason(slot, assisted))
    if u_escalation is None or not slot.conflict or slot.escalation <= 0:
        return
    cover = np.maximum(eng.structures.channel_coverage(rows, slot), managed)
    p_esc = np.clip(slot.escalation * (1.0 + tens) * (1.0 - cover), 0.0, 1.0)
    escalated = u_escalation < p_esc
    eng.log.add("escalation_check", step, rows, actor=slot.label, detail=slot.type, p=p_esc, draw=u_escalation,
                value=cover, reason=np.where(escalated, "escalated", "contained"))
    escalate(eng, slot, rows[escalated], step)


def escalate(eng, slot: CrisisSlot, rows: np.ndarray, step: int, reason: str = "") -> None:
    """Open conflict: heavy blame and threat shock, human security loss, channels suspended."""
    if rows.size == 0:
        return
    eng.counters["escalations"][rows] += 1
    weights = blame_weights(slot, eng.state.trust[rows], eng.spec.attribution_bias)
    eng.emit_matrix(rows, weights, slot.escalation_severity, hostile=True)
    eng.shock_threat(rows, weights, slot.threat_shock * slot.escalation_severity / max(slot.severity, 1e-9))
    eng.human_security_shock(rows, slot, slot.escalation_severity)
    eng.log.add("escalation", step, rows, actor=slot.label, detail=slot.type, value=slot.escalation_severity,
                reason=reason or f"unmanaged {slot.type} escalated into open conflict: {slot.label}")
    structures.suspend_channels(eng, rows, slot.involved, step)


def _crisis_reason(slot: CrisisSlot, assisted) -> str:
    text = f"{slot.type} at {slot.label}"
    if assisted:
        text += f"; assistance under {', '.join(assisted)}"
    return text
