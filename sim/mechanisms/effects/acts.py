"""One-off acts at enactment: signals and reassurances chosen by type, and the scenario's
hostile history (irritants, wars, build-ups)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sim.core.params import check, param
from sim.errors import ConfigError
from sim.mechanisms import crises
from sim.mechanisms.effects.base import Effect, actor_ids, check_fields, on_record


@dataclass(frozen=True)
class Signal(Effect):
    """A public act that observers read as evidence about the senders' type (Kydd 2005)."""

    type: ClassVar[str] = "signal"
    fields: ClassVar[tuple[str, ...]] = ("senders", "observers", "cost", "hostile")
    senders: tuple[int, ...] = ()
    observers: tuple[int, ...] | None = None
    cost: float = param(0.1, low=0.0, high=5.0, doc="cost of the act: how much evidence it carries (§7.1)",
                        source="Kydd (2005): only costly acts separate types; judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    hostile: bool = param(False, doc="a hostile act (lowers trust, raises threat) rather than a conciliatory one",
                          source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Signal:
        check_fields(cfg, key, cls.fields)
        senders = actor_ids(cfg, "senders", key, roster)
        observers = actor_ids(cfg, "observers", key, roster, required=False)
        return cls(
            senders=tuple(roster.index(s) for s in senders),
            observers=tuple(roster.expand(observers, f"{key}.observers")) if observers else None,
            **check(cls, cfg, f"{key}."),
        )

    @property
    def n_enact_draws(self) -> int:
        return 0 if self.hostile else len(self.senders)

    def on_enact(self, world, rows, move, draws) -> None:
        """A conciliatory act is each sender's choice by its type (it may renege, which observers
        read as evidence too), except on the record (a history move: taken, ``on_record``); a
        hostile act is the scenario's (historical) event, read as the mirror image of a
        conciliatory act of the same cost."""
        if self.hostile:
            world.emit_signal(rows, self.senders, self.observers, self.cost, hostile=True)
        else:
            world.act(rows, self.senders, self.observers, self.cost, on_record(move, draws))


@dataclass(frozen=True)
class Irritant(Effect):
    """A grievance: a hostile signal plus a lasting (decaying) load on the observers' threat
    perception of the senders (Kosovo's recognition, missile defence, enlargement)."""

    type: ClassVar[str] = "irritant"
    hostile: ClassVar[bool] = True  # the scenario's history, not a type's choice (negotiation.is_conciliatory)
    fields: ClassVar[tuple[str, ...]] = ("senders", "observers", "cost", "load")
    senders: tuple[int, ...] = ()
    observers: tuple[int, ...] = ()
    cost: float = param(0.1, low=0.0, high=5.0, doc="cost of the hostile act (§7.1)", source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    load: float = param(0.1, low=0.0, high=1.0, doc="decaying irritant load added to the observers' threat of the senders",
                        source="judgement; each option sets its own value with its reason (configs/option/*.yaml) (configs/irritant/*.yaml for the irritants)")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Irritant:
        check_fields(cfg, key, cls.fields)
        return cls(
            senders=tuple(roster.index(s) for s in actor_ids(cfg, "senders", key, roster)),
            observers=tuple(roster.expand(actor_ids(cfg, "observers", key, roster), f"{key}.observers")),
            **check(cls, cfg, f"{key}."),
        )

    def on_enact(self, world, rows, move, draws) -> None:
        world.emit_signal(rows, self.senders, self.observers, self.cost, hostile=True)
        world.add_irritant(rows, self.observers, self.senders, self.load)


@dataclass(frozen=True)
class Reassurance(Effect):
    """A declaration that addresses a grievance: a conciliatory signal, and the observers'
    standing irritant load towards the senders falls by ``relief`` (not below zero) for good
    (NATO's Strategic Concept taking Russian perceptions into account)."""

    type: ClassVar[str] = "reassurance"
    fields: ClassVar[tuple[str, ...]] = ("senders", "observers", "cost", "relief")
    senders: tuple[int, ...] = ()
    observers: tuple[int, ...] = ()
    cost: float = param(0.1, low=0.0, high=5.0, doc="cost of the conciliatory declaration (§7.1)", source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    relief: float = param(0.05, low=0.0, high=1.0, doc="lasting fall of the observers' standing irritant floor towards the senders",
                          source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Reassurance:
        check_fields(cfg, key, cls.fields)
        senders = actor_ids(cfg, "senders", key, roster)
        return cls(
            senders=tuple(roster.index(s) for s in senders),
            observers=tuple(roster.expand(actor_ids(cfg, "observers", key, roster), f"{key}.observers")),
            **check(cls, cfg, f"{key}."),
        )

    @property
    def n_enact_draws(self) -> int:
        return len(self.senders)

    def on_enact(self, world, rows, move, draws) -> None:
        """The declaration is the senders' choice by type (on the record in a history move:
        made, ``on_record``); the grievance is relieved where all of them made it."""
        made = world.act(rows, self.senders, self.observers, self.cost, on_record(move, draws))
        if made.any():
            world.relieve_irritant(rows[made], self.observers,
                                   world.spec.roster.expand([world.spec.ids[s] for s in self.senders], "senders"),
                                   self.relief)


@dataclass(frozen=True)
class Conflict(Effect):
    """A scheduled war: the crisis at ``site`` strikes and escalates into open conflict at
    once (the August 2008 war), with all the consequences of an escalation."""

    type: ClassVar[str] = "conflict"
    hostile: ClassVar[bool] = True
    fields: ClassVar[tuple[str, ...]] = ("site", "crisis_type")
    site: str = ""
    crisis_type: str = ""

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Conflict:
        check_fields(cfg, key, cls.fields)
        site = cfg.get("site")
        if not site:
            raise ConfigError(f"{key}.site", "missing", "a crisis site, e.g. a territory id such as SOS")
        kind = cfg.get("crisis_type", "frozen_conflict_flareup")
        if kind not in crisis_types:
            raise ConfigError(f"{key}.crisis_type", f"unknown crisis type {kind!r}", crisis_types)
        return cls(site=str(site), crisis_type=str(kind))

    def on_enact(self, world, rows, move, draws) -> None:
        crises.strike(world, rows, self.site, self.crisis_type,
                      reasons=(f"scheduled: {move.title}", f"{move.title}: open war at {{label}}"))

    def check_sites(self, slots, key: str) -> None:
        if not any(s.site == self.site and s.type == self.crisis_type for s in slots):
            allowed = sorted({s.site for s in slots if s.type == self.crisis_type})
            raise ConfigError(f"{key}.site", f"no {self.crisis_type} site {self.site!r}", allowed)


@dataclass(frozen=True)
class Arming(Effect):
    """A military build-up or hostile contingency planning aimed at the targets: the Richardson
    floor of each sender's posture towards each target rises to ``level`` for good, so the
    posture climbs towards it month by month, and every month's rise is an act the targets
    observe (Jervis' spiral: sim/numerics/kernels.py threat_posture_step, docs/model.md §7.2).
    It is the scenario's history, not a type's choice."""

    type: ClassVar[str] = "arming"
    fields: ClassVar[tuple[str, ...]] = ("senders", "targets", "level")
    hostile: ClassVar[bool] = True
    senders: tuple[int, ...] = ()
    targets: tuple[int, ...] = ()
    level: float = param(0.9, low=0.0, high=1.0, doc="the senders' posture floor towards the targets after the build-up",
                         source="per move; 0.9: the issue's build-up test (NATO's posture towards Russia from 0.3 to 0.9)")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Arming:
        check_fields(cfg, key, cls.fields)
        senders = tuple(roster.index(s) for s in actor_ids(cfg, "senders", key, roster))
        targets = tuple(roster.expand(actor_ids(cfg, "targets", key, roster), f"{key}.targets"))
        if set(senders) & set(targets):
            raise ConfigError(f"{key}.targets", "an actor cannot arm against itself", "actors other than the senders")
        return cls(senders=senders, targets=targets, **check(cls, cfg, f"{key}."))

    def on_enact(self, world, rows, move, draws) -> None:
        world.raise_posture_floor(rows, self.senders, self.targets, self.level)
