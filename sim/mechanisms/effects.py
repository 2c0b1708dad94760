"""The generic effect types a policy move is made of. Moves are data; these classes are the
only place where an agreed move acts on the world.

Each type validates its own config (``from_config``) and acts through the engine's small API:
``emit_signal``, ``add_irritant`` and the structure arrays. ``on_enact`` runs in the month the
move enters into force; ``monthly`` runs every month while it is in force, with ``strength``
ramping from 0 to 1 over the move's phase-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sim.errors import ConfigError, check_range


def _ids(cfg: dict, field: str, key: str, roster, required: bool = True) -> tuple[str, ...]:
    value = cfg.get(field)
    if value is None or (isinstance(value, list) and not value):
        if required:
            raise ConfigError(f"{key}.{field}", "missing or empty", roster.ids)
        return ()
    if isinstance(value, str):
        value = [value]
    for pos, aid in enumerate(value):
        roster.index(aid, f"{key}.{field}[{pos}]")
    return tuple(value)


def _default_name(key: str) -> str:
    """A structure without a name is named after its place, e.g. 'nrc.effects[0]' (unique)."""
    return key.removeprefix("moves.")


def _check_fields(cfg: dict, key: str, allowed: tuple[str, ...]) -> None:
    for name in cfg:
        if name not in allowed and name != "type":
            raise ConfigError(f"{key}.{name}", "unknown field for this effect type", allowed)


@dataclass(frozen=True)
class Effect:
    type: ClassVar[str] = ""
    fields: ClassVar[tuple[str, ...]] = ()
    n_draws: ClassVar[int] = 0

    def on_enact(self, eng, rows: np.ndarray, move) -> None:
        """Act once when the move enters into force in replicates ``rows``."""

    def monthly(self, eng, strength: np.ndarray, draws: np.ndarray, move) -> None:
        """Act every month; ``strength`` is (R,) in [0, 1], zero where not in force."""


@dataclass(frozen=True)
class Signal(Effect):
    """A public act that observers read as evidence about the senders' type (Kydd 2005)."""

    type: ClassVar[str] = "signal"
    fields: ClassVar[tuple[str, ...]] = ("senders", "observers", "cost", "hostile")
    senders: tuple[int, ...] = ()
    observers: tuple[int, ...] | None = None
    cost: float = 0.1
    hostile: bool = False

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Signal:
        _check_fields(cfg, key, cls.fields)
        senders = _ids(cfg, "senders", key, roster)
        observers = _ids(cfg, "observers", key, roster, required=False)
        return cls(
            senders=tuple(roster.index(s) for s in senders),
            observers=tuple(roster.expand(observers, f"{key}.observers")) if observers else None,
            cost=check_range(f"{key}.cost", cfg.get("cost", 0.1), 0.0, 5.0),
            hostile=bool(cfg.get("hostile", False)),
        )

    def on_enact(self, eng, rows, move) -> None:
        eng.emit_signal(rows, self.senders, self.observers, self.cost, hostile=self.hostile)


@dataclass(frozen=True)
class Irritant(Effect):
    """A grievance: a hostile signal plus a lasting (decaying) load on the observers' threat
    perception of the senders (Kosovo's recognition, missile defence, enlargement)."""

    type: ClassVar[str] = "irritant"
    fields: ClassVar[tuple[str, ...]] = ("senders", "observers", "cost", "load")
    senders: tuple[int, ...] = ()
    observers: tuple[int, ...] = ()
    cost: float = 0.1
    load: float = 0.1

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Irritant:
        _check_fields(cfg, key, cls.fields)
        return cls(
            senders=tuple(roster.index(s) for s in _ids(cfg, "senders", key, roster)),
            observers=tuple(roster.expand(_ids(cfg, "observers", key, roster), f"{key}.observers")),
            cost=check_range(f"{key}.cost", cfg.get("cost", 0.1), 0.0, 5.0),
            load=check_range(f"{key}.load", cfg.get("load", 0.1), 0.0, 1.0),
        )

    def on_enact(self, eng, rows, move) -> None:
        eng.emit_signal(rows, self.senders, self.observers, self.cost, hostile=True)
        eng.add_irritant(rows, self.observers, self.senders, self.load)


@dataclass(frozen=True)
class Channel(Effect):
    """A standing dialogue forum. While open: members exchange a small conciliatory contact
    each month, and crises between members lose ``crisis_dampening`` of their trust damage and
    escalation risk. An escalation involving a member can suspend it (sim/mechanisms/crises.py)."""

    type: ClassVar[str] = "channel"
    fields: ClassVar[tuple[str, ...]] = ("name", "members", "contact_cost", "crisis_dampening")
    name: str = ""
    members: tuple[int, ...] = ()
    covered: tuple[int, ...] = ()
    contact_cost: float = 0.003
    crisis_dampening: float = 0.5
    n_draws: ClassVar[int] = 1

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Channel:
        _check_fields(cfg, key, cls.fields)
        members = _ids(cfg, "members", key, roster)
        if len(members) < 2:
            raise ConfigError(f"{key}.members", "a channel needs at least two members", roster.ids)
        return cls(
            name=str(cfg.get("name") or _default_name(key)),
            members=tuple(roster.index(m) for m in members),
            covered=tuple(roster.expand(members, f"{key}.members")),
            contact_cost=check_range(f"{key}.contact_cost", cfg.get("contact_cost", 0.003), 0.0, 1.0),
            crisis_dampening=check_range(f"{key}.crisis_dampening", cfg.get("crisis_dampening", 0.5), 0.0, 1.0),
        )

    def pair_mask(self, n: int) -> np.ndarray:
        mask = np.zeros((n, n), dtype=bool)
        idx = list(self.covered)
        mask[np.ix_(idx, idx)] = True
        np.fill_diagonal(mask, False)
        return mask

    def monthly(self, eng, strength, draws, move) -> None:
        rows = np.flatnonzero(strength > 0)
        if rows.size and self.contact_cost > 0:
            eng.emit_matrix(rows, eng.contact_weights(self), self.contact_cost * strength[rows])


@dataclass(frozen=True)
class Clause(Effect):
    """A written mutual-assistance commitment among parties against listed crisis types. When
    a covered crisis strikes a party, the others assist: a costly conciliatory signal that the
    victim and everyone else observe (sim/mechanisms/crises.py)."""

    type: ClassVar[str] = "clause"
    fields: ClassVar[tuple[str, ...]] = ("name", "parties", "covers", "assistance_cost")
    name: str = ""
    parties: tuple[int, ...] = ()
    covered: tuple[int, ...] = ()
    covers: tuple[str, ...] = ()
    assistance_cost: float = 0.4

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Clause:
        _check_fields(cfg, key, cls.fields)
        parties = _ids(cfg, "parties", key, roster)
        covers = cfg.get("covers") or []
        if not covers:
            raise ConfigError(f"{key}.covers", "a clause must cover at least one crisis type", crisis_types)
        for pos, c in enumerate(covers):
            if c not in crisis_types:
                raise ConfigError(f"{key}.covers[{pos}]", f"unknown crisis type {c!r}", crisis_types)
        return cls(
            name=str(cfg.get("name") or _default_name(key)),
            parties=tuple(roster.index(p) for p in parties),
            covered=tuple(roster.expand(parties, f"{key}.parties")),
            covers=tuple(covers),
            assistance_cost=check_range(f"{key}.assistance_cost", cfg.get("assistance_cost", 0.4), 0.0, 5.0),
        )


@dataclass(frozen=True)
class Commitment(Effect):
    """A mutual restraint on posture between two groups (ending hostile contingency planning).
    While in force, posture i->j across the groups is capped at ``posture_ceiling`` (ramping
    down over the phase-in) and compliance is verified monthly (a small conciliatory signal).
    Each month it is breached with probability ``breach_rate * max P[i, j]`` over its pairs: the
    actor under the highest threat among the pairs resumes planning, a hostile signal of
    ``breach_cost``, and the move ends."""

    type: ClassVar[str] = "commitment"
    fields: ClassVar[tuple[str, ...]] = ("name", "between", "posture_ceiling", "verification_cost", "breach_rate", "breach_cost")
    name: str = ""
    side_a: tuple[int, ...] = ()
    side_b: tuple[int, ...] = ()
    posture_ceiling: float = 0.05
    verification_cost: float = 0.005
    breach_rate: float = 0.02
    breach_cost: float = 0.5
    n_draws: ClassVar[int] = 1

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Commitment:
        _check_fields(cfg, key, cls.fields)
        between = cfg.get("between")
        if not isinstance(between, list | tuple) or len(between) != 2:
            raise ConfigError(f"{key}.between", "must be two lists of actors", "[[A, ...], [B, ...]]")
        sides = []
        for s, group in enumerate(between):
            group = [group] if isinstance(group, str) else list(group)
            for pos, aid in enumerate(group):
                roster.index(aid, f"{key}.between[{s}][{pos}]")
            sides.append(tuple(roster.index(a) for a in group))
        if set(sides[0]) & set(sides[1]):
            raise ConfigError(f"{key}.between", "an actor is on both sides", "two disjoint groups")
        return cls(
            name=str(cfg.get("name") or _default_name(key)),
            side_a=sides[0],
            side_b=sides[1],
            posture_ceiling=check_range(f"{key}.posture_ceiling", cfg.get("posture_ceiling", 0.05), 0.0, 1.0),
            verification_cost=check_range(f"{key}.verification_cost", cfg.get("verification_cost", 0.005), 0.0, 1.0),
            breach_rate=check_range(f"{key}.breach_rate", cfg.get("breach_rate", 0.02), 0.0, 1.0),
            breach_cost=check_range(f"{key}.breach_cost", cfg.get("breach_cost", 0.5), 0.0, 5.0),
        )

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(observer, target) index arrays of the restrained postures, both directions."""
        a = [(i, j) for i in self.side_a for j in self.side_b] + [(j, i) for i in self.side_a for j in self.side_b]
        return np.array([p[0] for p in a]), np.array([p[1] for p in a])

    def monthly(self, eng, strength, draws, move) -> None:
        from sim.mechanisms.structures import commitment_month

        commitment_month(eng, self, strength, draws[:, 0], move)


@dataclass(frozen=True)
class Reassurance(Effect):
    """A declaration that addresses a grievance: a conciliatory signal, and the observers'
    standing irritant load towards the senders falls by ``relief`` (not below zero) for good
    (NATO's Strategic Concept taking Russian perceptions into account)."""

    type: ClassVar[str] = "reassurance"
    fields: ClassVar[tuple[str, ...]] = ("senders", "observers", "cost", "relief")
    senders: tuple[int, ...] = ()
    observers: tuple[int, ...] = ()
    cost: float = 0.1
    relief: float = 0.05

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Reassurance:
        _check_fields(cfg, key, cls.fields)
        senders = _ids(cfg, "senders", key, roster)
        return cls(
            senders=tuple(roster.index(s) for s in senders),
            observers=tuple(roster.expand(_ids(cfg, "observers", key, roster), f"{key}.observers")),
            cost=check_range(f"{key}.cost", cfg.get("cost", 0.1), 0.0, 5.0),
            relief=check_range(f"{key}.relief", cfg.get("relief", 0.05), 0.0, 1.0),
        )

    def on_enact(self, eng, rows, move) -> None:
        eng.emit_signal(rows, self.senders, self.observers, self.cost)
        eng.relieve_irritant(rows, self.observers, eng.spec.roster.expand([eng.ids[s] for s in self.senders], "senders"),
                             self.relief)


@dataclass(frozen=True)
class Mission(Effect):
    """Joint crisis management on the ground (a joint EU-Russia mission in Kyrgyzstan, a
    peace-keeping mission implementing a settlement). For crises at its sites, while in force:
    the hazard falls by ``hazard_reduction``, the damage and escalation risk by ``management``
    (times strength), and each managed crisis is joint work, a conciliatory signal of
    ``cooperation_cost`` among the parties."""

    type: ClassVar[str] = "mission"
    fields: ClassVar[tuple[str, ...]] = ("name", "parties", "sites", "management", "hazard_reduction", "cooperation_cost")
    name: str = ""
    parties: tuple[int, ...] = ()
    sites: tuple[int, ...] = ()
    management: float = 0.5
    hazard_reduction: float = 0.0
    cooperation_cost: float = 0.1

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Mission:
        _check_fields(cfg, key, cls.fields)
        return cls(
            name=str(cfg.get("name") or _default_name(key)),
            parties=tuple(roster.index(p) for p in _ids(cfg, "parties", key, roster)),
            sites=tuple(roster.expand(_ids(cfg, "sites", key, roster), f"{key}.sites")),
            management=check_range(f"{key}.management", cfg.get("management", 0.5), 0.0, 1.0),
            hazard_reduction=check_range(f"{key}.hazard_reduction", cfg.get("hazard_reduction", 0.0), 0.0, 1.0),
            cooperation_cost=check_range(f"{key}.cooperation_cost", cfg.get("cooperation_cost", 0.1), 0.0, 5.0),
        )

    def covers(self, slot) -> bool:
        return bool(set(slot.involved) & set(self.sites))


@dataclass(frozen=True)
class HumanSecurity(Effect):
    """Raises the human-security target of the populations of the listed non-recognised
    territories by ``gain`` (times strength): documents usable across Europe, mobility."""

    type: ClassVar[str] = "human_security"
    fields: ClassVar[tuple[str, ...]] = ("territories", "gain")
    territories: tuple[int, ...] = ()
    gain: float = 0.2

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> HumanSecurity:
        _check_fields(cfg, key, cls.fields)
        territories = [a.id for a in roster.actors if a.kind == "territory"]
        chosen = _ids(cfg, "territories", key, roster, required=False) or tuple(territories)
        for pos, t in enumerate(chosen):
            if t not in territories:
                raise ConfigError(f"{key}.territories[{pos}]", f"{t} is not a territory", territories)
        return cls(territories=tuple(roster.index(t) for t in chosen),
                   gain=check_range(f"{key}.gain", cfg.get("gain", 0.2), -1.0, 1.0))


@dataclass(frozen=True)
class Conflict(Effect):
    """A scheduled war: the crisis at ``site`` strikes and escalates into open conflict at
    once (the August 2008 war), with all the consequences of an escalation."""

    type: ClassVar[str] = "conflict"
    fields: ClassVar[tuple[str, ...]] = ("site", "crisis_type")
    site: str = ""
    crisis_type: str = ""

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Conflict:
        _check_fields(cfg, key, cls.fields)
        site = cfg.get("site")
        if not site:
            raise ConfigError(f"{key}.site", "missing", "a crisis site, e.g. a territory id such as SOS")
        kind = cfg.get("crisis_type", "frozen_conflict_flareup")
        if kind not in crisis_types:
            raise ConfigError(f"{key}.crisis_type", f"unknown crisis type {kind!r}", crisis_types)
        return cls(site=str(site), crisis_type=str(kind))

    def on_enact(self, eng, rows, move) -> None:
        eng.force_conflict(rows, self, move)


EFFECT_TYPES: dict[str, type[Effect]] = {
    t.type: t for t in (Signal, Irritant, Reassurance, Channel, Clause, Commitment, Mission, HumanSecurity, Conflict)
}


def compile_effect(cfg: Any, key: str, roster, crisis_types) -> Effect:
    """Build one effect from its config mapping; the ``type`` field picks the class."""
    if not isinstance(cfg, dict):
        raise ConfigError(key, f"an effect must be a mapping, got {cfg!r}", "{type: ..., ...}")
    kind = cfg.get("type")
    if kind not in EFFECT_TYPES:
        raise ConfigError(f"{key}.type", f"unknown effect type {kind!r}", EFFECT_TYPES)
    return EFFECT_TYPES[kind].from_config(cfg, key, roster, crisis_types)
