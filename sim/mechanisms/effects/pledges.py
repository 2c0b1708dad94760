"""Pledges kept or broken by type: mutual-assistance clauses and restraint commitments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sim.core.params import check, param
from sim.errors import ConfigError
from sim.mechanisms.effects.base import Effect, actor_ids, check_fields, default_name


@dataclass(frozen=True)
class Clause(Effect):
    """A written mutual-assistance commitment among parties against listed crisis types. When
    a covered crisis strikes a party, the others assist: a costly conciliatory signal that the
    victim and everyone else observe (sim/mechanisms/crises.py)."""

    type: ClassVar[str] = "clause"
    fields: ClassVar[tuple[str, ...]] = ("name", "parties", "covers", "assistance_cost")
    standing: ClassVar[bool] = True
    count_as: ClassVar[str | None] = "clauses_in_force"
    response_order: ClassVar[int] = 0  # assistance first, then joint missions
    name: str = ""
    parties: tuple[int, ...] = ()
    covered: tuple[int, ...] = ()
    covers: tuple[str, ...] = ()
    assistance_cost: float = param(0.4, low=0.0, high=5.0, doc="cost of the helpers' assistance signal when a covered "
                                   "crisis strikes a party", source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Clause:
        check_fields(cfg, key, cls.fields)
        parties = actor_ids(cfg, "parties", key, roster)
        covers = cfg.get("covers") or []
        if not covers:
            raise ConfigError(f"{key}.covers", "a clause must cover at least one crisis type", crisis_types)
        for pos, c in enumerate(covers):
            if c not in crisis_types:
                raise ConfigError(f"{key}.covers[{pos}]", f"unknown crisis type {c!r}", crisis_types)
        return cls(
            name=str(cfg.get("name") or default_name(key)),
            parties=tuple(roster.index(p) for p in parties),
            covered=tuple(roster.expand(parties, f"{key}.parties")),
            covers=tuple(covers),
            **check(cls, cfg, f"{key}."),
        )

    @property
    def n_draws(self) -> int:
        return len(self.parties)  # each party's choice to assist this month, if a covered crisis strikes

    def new_state(self, R: int) -> dict[str, np.ndarray]:
        return {"draws": np.ones((R, len(self.parties)))}

    def current_strength(self, standing, strength, draws, step):
        standing.state["draws"] = draws
        return strength

    def respond(self, world, standing, rows, slot, slot_index, step):
        """If the crisis type is covered and all its victims are covered parties, each other party
        chooses by its type whether to assist (an act of assistance_cost * strength): observers
        read those that do and those that renege. Returns the rows where all helpers assisted."""
        victims = set(slot.victims)
        if not victims or slot.type not in self.covers or not victims <= set(self.covered):
            return None
        ids, roster = world.spec.ids, world.spec.roster
        s = standing.strength[rows]
        cols = [k for k, p in enumerate(self.parties) if not victims & set(roster.expand([ids[p]], "clause"))]
        helping = [self.parties[k] for k in cols]
        on = s > 0
        if not (helping and on.any()):
            return None
        sel = rows[on]
        assisted = world.act(sel, helping, None, self.assistance_cost * s[on], standing.state["draws"][sel][:, cols])
        world.log.add("assistance", step, sel, move=standing.move.id, actor=",".join(ids[p] for p in helping),
                      counterpart=",".join(ids[v] for v in slot.victims), value=self.assistance_cost * s[on] * assisted,
                      reason=np.where(assisted, f"{self.name}: assistance against {slot.type}",
                                      f"{self.name}: a party reneged on assistance against {slot.type}"))
        out = np.zeros(rows.size, dtype=bool)
        out[np.flatnonzero(on)[assisted]] = True
        return out


@dataclass(frozen=True)
class Commitment(Effect):
    """A mutual restraint on posture between two groups (ending hostile contingency planning).
    While in force, posture i->j across the groups is capped at ``posture_ceiling`` (ramping
    down over the phase-in) and compliance is verified monthly (each side's restraint, an act of
    ``verification_cost``, read by the other). Each month the actor under the highest threat
    among the pairs keeps it with probability p_type(verification_cost) (1 - breach_rate * max P):
    expansionists break restraints more often, and fear breaks them too. A breach resumes
    planning (threat rises by reassurance * breach_cost; trust falls by the likelihood ratio of
    the broken restraint) and the move ends."""

    type: ClassVar[str] = "commitment"
    fields: ClassVar[tuple[str, ...]] = ("name", "between", "posture_ceiling", "verification_cost", "breach_rate", "breach_cost")
    standing: ClassVar[bool] = True
    count_as: ClassVar[str | None] = "commitments_in_force"
    name: str = ""
    side_a: tuple[int, ...] = ()
    side_b: tuple[int, ...] = ()
    posture_ceiling: float = param(0.05, low=0.0, high=1.0, doc="cap on restrained postures at full strength",
                                   source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    verification_cost: float = param(0.005, low=0.0, high=1.0, doc="cost of each month's mutual verification signals",
                                     source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    breach_rate: float = param(0.02, low=0.0, high=1.0, doc="monthly breach probability per unit of the highest threat "
                               "among the restrained pairs", source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    breach_cost: float = param(0.5, low=0.0, high=5.0, doc="severity of the breach: the threat it adds (reassurance * "
                               "breach_cost); the trust it costs is the likelihood ratio of the broken restraint", source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    n_draws: ClassVar[int] = 1

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Commitment:
        check_fields(cfg, key, cls.fields)
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
            name=str(cfg.get("name") or default_name(key)),
            side_a=sides[0],
            side_b=sides[1],
            **check(cls, cfg, f"{key}."),
        )

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(observer, target) index arrays of the restrained postures, both directions."""
        a = [(i, j) for i in self.side_a for j in self.side_b] + [(j, i) for i in self.side_a for j in self.side_b]
        return np.array([p[0] for p in a]), np.array([p[1] for p in a])

    def monthly(self, world, strength, draws, move) -> None:
        """Cap the restrained postures, verify compliance (mutual small signals), draw a breach."""
        u = draws[:, 0]
        t = world.step_count
        rows = np.flatnonzero(strength > 0)
        if rows.size == 0:
            return
        obs, tgt = self.pairs()
        world.cap_posture(rows, obs, tgt, 1.0 - strength[rows, None] * (1.0 - self.posture_ceiling))
        if self.verification_cost > 0:
            world.emit_signal(rows, self.side_a, self.side_b, self.verification_cost * strength[rows])
            world.emit_signal(rows, self.side_b, self.side_a, self.verification_cost * strength[rows])
        pair_threat = world.state.threat[rows[:, None], obs[None, :], tgt[None, :]]
        who = obs[pair_threat.argmax(axis=1)]  # the actor under the highest threat is tempted first
        # it keeps the restraint (a monthly act of cost verification_cost, chosen by its type)
        # unless fear overrides it: P(keep) = p_type(c) (1 - breach_rate * max P)
        fearless = 1.0 - self.breach_rate * pair_threat.max(axis=1)
        c = self.verification_cost * strength[rows]
        p = 1.0 - world.choice.probability(c, world.state.seeker[rows, who]) * fearless
        broke = u[rows] < p
        if broke.any():
            ids = world.spec.ids
            for breacher in np.unique(who[broke]):
                mask = broke & (who == breacher)
                sel = rows[mask]
                world.emit_signal(sel, (int(breacher),), None, self.breach_cost, hostile=True,
                                  evidence=world.choice.refused(c[mask], fearless[mask]))
                world.end_move(sel, move)
                world.log.add("breach", t, sel, move=move.id, actor=ids[breacher], p=p[mask], draw=u[sel],
                              reason=f"{ids[breacher]} resumes contingency planning: {self.name} breached")
