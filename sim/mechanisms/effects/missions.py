"""Joint missions at crisis sites and human-security gains for the non-recognised territories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sim.core.params import check, param
from sim.errors import ConfigError
from sim.mechanisms.effects.base import (
    Effect,
    actor_ids,
    check_fields,
    default_name,
    deals_with,
    topics_of,
)


@dataclass(frozen=True)
class Mission(Effect):
    """Joint crisis management on the ground (a joint EU-Russia mission in Kyrgyzstan, a
    peace-keeping mission implementing a settlement). For crises of its ``topics`` (crisis
    types, or all) at its sites, while in force:
    the hazard falls by ``hazard_reduction``, the damage and escalation risk by ``management``
    (times strength), and each managed crisis is joint work, a conciliatory signal of
    ``cooperation_cost`` among the parties. All of it scales with the strength, the move's ramp
    times the mission's ``level``; a mission of the same name as one in force upgrades it."""

    type: ClassVar[str] = "mission"
    fields: ClassVar[tuple[str, ...]] = ("name", "parties", "sites", "topics", "management", "hazard_reduction",
                                         "cooperation_cost", "level")
    standing: ClassVar[bool] = True
    levelled: ClassVar[bool] = True
    count_as: ClassVar[str | None] = "missions_in_force"
    response_order: ClassVar[int] = 1
    name: str = ""
    parties: tuple[int, ...] = ()
    covered: tuple[int, ...] = ()  # the parties, composites expanded
    sites: tuple[int, ...] = ()
    topics: tuple[str, ...] | None = None  # crisis types it manages; None: all
    management: float = param(0.5, low=0.0, high=1.0, doc="share of damage and escalation risk of crises at its sites "
                              "absorbed at full strength", source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    hazard_reduction: float = param(0.0, low=0.0, high=1.0, doc="share of the hazard of crises at its sites removed",
                                    source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    cooperation_cost: float = param(0.1, low=0.0, high=5.0, doc="cost of each party's joint-work signal per managed crisis",
                                    source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    level: float = param(1.0, low=0.0, high=1.0, doc="the level at which the mission works (1: its full mandate; "
                         "0: suspended); its strength is the move's ramp times this, so hazard cut, management and the "
                         "joint-work signals scale with it", source="per structure: the stage's missions "
                         "(scenarios/baseline_2010.yaml) with their sources; 1 for the options' missions")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Mission:
        check_fields(cfg, key, cls.fields)
        parties = actor_ids(cfg, "parties", key, roster)
        return cls(
            name=str(cfg.get("name") or default_name(key)),
            parties=tuple(roster.index(p) for p in parties),
            covered=tuple(roster.expand(parties, f"{key}.parties")),
            sites=tuple(roster.expand(actor_ids(cfg, "sites", key, roster), f"{key}.sites")),
            topics=topics_of(cfg, key, crisis_types),
            **check(cls, cfg, f"{key}."),
        )

    def members_covered(self, spec) -> tuple[int, ...]:
        return self.covered

    def covers(self, slot) -> bool:
        return bool(set(slot.involved) & set(self.sites)) and deals_with(self.topics, (), slot)

    def prepare(self, spec) -> np.ndarray:
        """(S,) the crisis slots at its sites."""
        return np.array([self.covers(s) for s in spec.slots], dtype=bool)

    def hazard_cut(self, standing):
        if not self.hazard_reduction:
            return None
        return self.hazard_reduction * standing.strength[:, None] * standing.data[None, :]

    def absorbed(self, standing, rows):
        return self.management * standing.strength[rows, None] * standing.data[None, :]

    def respond(self, world, standing, rows, slot, slot_index, step):
        """A crisis at its site is managed jointly: each party's work is a conciliatory signal of
        cooperation_cost * strength seen by the other parties."""
        if not standing.data[slot_index]:
            return None
        s = standing.strength[rows]
        on = rows[s > 0]
        if on.size == 0:
            return None
        ids, roster = world.spec.ids, world.spec.roster
        for p in self.parties if self.cooperation_cost > 0 else ():
            others = tuple(q for q in roster.expand([ids[q] for q in self.parties], "mission")
                           if q not in roster.expand([ids[p]], "mission"))
            world.emit_signal(on, (p,), others, self.cooperation_cost * s[s > 0])
        world.log.add("managed", step, on, move=standing.move.id, actor=self.name, value=self.management * s[s > 0],
                      reason=f"{self.name} manages the crisis jointly ({', '.join(ids[p] for p in self.parties)})")
        return None


@dataclass(frozen=True)
class HumanSecurity(Effect):
    """Raises the human-security target of the populations of the listed non-recognised
    territories by ``gain`` (times strength): documents usable across Europe, mobility."""

    type: ClassVar[str] = "human_security"
    fields: ClassVar[tuple[str, ...]] = ("territories", "gain")
    standing: ClassVar[bool] = True
    territories: tuple[int, ...] = ()
    gain: float = param(0.2, low=-1.0, high=1.0, doc="rise of the territories' human-security target at full strength",
                        source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> HumanSecurity:
        check_fields(cfg, key, cls.fields)
        territories = [a.id for a in roster.actors if a.kind == "territory"]
        chosen = actor_ids(cfg, "territories", key, roster, required=False) or tuple(territories)
        for pos, t in enumerate(chosen):
            if t not in territories:
                raise ConfigError(f"{key}.territories[{pos}]", f"{t} is not a territory", territories)
        return cls(territories=tuple(roster.index(t) for t in chosen), **check(cls, cfg, f"{key}."))

    def human_security_gain(self, standing, territory_position, n_territories):
        s = standing.strength
        if not s.any():
            return None
        add = np.zeros(n_territories)
        add[[territory_position[t] for t in self.territories]] = self.gain
        return s[:, None] * add[None, :]
