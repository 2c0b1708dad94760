"""Hostile acts whose weight lasts while they stand: sanctions (and counter-sanctions, the same
type with the roles swapped) and annexation. Both are the scenario's history: applied as given,
not a type's choice (``hostile``, sim/mechanisms/negotiation.py: is_conciliatory), and read by
the observers through the choice model of sim/mechanisms/types.py (docs/model.md §7.4).

Both hold a standing load on the observers' threat of the senders while the move is in force
(:class:`HeldLoad`): each month the decaying irritant load (sim/mechanisms/beliefs.py, decayed by
``dynamics.irritant_decay`` at the end of the month) is topped up so that this effect's share of
it, at the end of the month, is ``load`` times the effect's strength (the move's phase-in). The
share is tracked per replicate, so it is exact whatever the ramp; once the move stops acting
(lifted sanctions, a returned territory) the top-ups stop and the share decays like any
irritant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sim.core.params import check, param
from sim.errors import ConfigError
from sim.mechanisms.effects.base import Effect, actor_ids, check_fields


class HeldLoad:
    """Mixin of a standing effect that holds ``load`` * strength on I[o, s] (o in observers, s in
    senders) while it acts. Its per-replicate state is its share of the load at the end of last
    month, ``held``; where it does not act, that share decays with the load."""

    standing: ClassVar[bool] = True

    def prepare(self, spec) -> dict[str, float]:
        return {"keep": 1.0 - spec.dynamics.irritant_decay}

    def new_state(self, R: int) -> dict[str, np.ndarray]:
        return {"held": np.zeros(R)}

    def current_strength(self, standing, strength, draws, step):
        standing.state["held"][strength <= 0.0] *= standing.data["keep"]
        return strength

    def hold(self, world, strength, observers, senders, load: float) -> None:
        """Add load * strength / keep - held before the month's decay (keep = 1 - delta), so the
        share is load * strength after it: load * delta / (1 - delta) a month once in force.
        Nothing can be held if delta = 1."""
        standing = next(s for s in world.structures.standing if s.effect is self)
        held, keep = standing.state["held"], standing.data["keep"]
        rows = np.flatnonzero(strength > 0.0)
        if rows.size == 0 or keep <= 0.0:
            return
        target = load * strength[rows]
        world.add_irritant(rows, observers, senders, (target / keep - held[rows])[:, None, None])
        held[rows] = target


@dataclass(frozen=True)
class Sanctions(HeldLoad, Effect):
    """Economic sanctions: a costly hostile act by the senders against the targets (Drezner 2003:
    'the threat or act by a sender government or governments to disrupt economic exchange with
    the target state, unless the target acquiesces to an articulated demand'). The senders
    forgo trade and investment worth ``cost``, which is what makes the act informative: the
    observers (the targets, expanded, and any listed ``observers``) read it as the mirror image
    of a conciliatory act of that cost, log LR -llr(cost), and their threat of the senders rises
    by reassurance * cost (sim/mechanisms/signals.py). While in force the sanctions hold a
    standing load ``load`` on the observers' threat of the senders (HeldLoad). Counter-sanctions
    are the same type with senders and targets swapped."""

    type: ClassVar[str] = "sanctions"
    hostile: ClassVar[bool] = True  # the scenario's history, not a type's choice (negotiation.is_conciliatory)
    fields: ClassVar[tuple[str, ...]] = ("senders", "targets", "observers", "cost", "load")
    senders: tuple[int, ...] = ()
    targets: tuple[int, ...] = ()
    observers: tuple[int, ...] = ()  # the targets expanded, then any listed observers (expanded)
    cost: float = param(0.2, low=0.0, high=5.0, doc="the senders' own cost of the sanctions (trade and investment "
                        "forgone), on the choice model's cost scale: observers read the act at -llr(cost) and their "
                        "threat of the senders rises by reassurance * cost (docs/model.md §7.1, §7.4)",
                        source="Kydd (2005): only costly acts separate types; Langlois and Langlois (2010): sanctions "
                        "are costly to the sanctioner, and that cost is part of a rational sanctioning strategy; "
                        "per move, each with its reason (configs/history/*.yaml)")
    load: float = param(0.05, low=0.0, high=1.0, doc="standing irritant load on the observers' threat of the "
                        "senders, held while the sanctions are in force (it decays at dynamics.irritant_decay once "
                        "they are lifted)", source="judgement; per move, each with its reason (configs/history/*.yaml)")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Sanctions:
        check_fields(cfg, key, cls.fields)
        senders = actor_ids(cfg, "senders", key, roster)
        targets = actor_ids(cfg, "targets", key, roster)
        hit = tuple(roster.expand(list(targets), f"{key}.targets"))
        sent = set(roster.expand(list(senders), f"{key}.senders"))
        if sent & set(hit):
            raise ConfigError(f"{key}.targets", "an actor cannot sanction itself (or its own bloc)",
                              "actors outside the senders and their blocs")
        extra = actor_ids(cfg, "observers", key, roster, required=False)
        observers = tuple(dict.fromkeys(hit + tuple(roster.expand(list(extra), f"{key}.observers"))))
        return cls(senders=tuple(roster.index(s) for s in senders), targets=tuple(roster.index(t) for t in targets),
                   observers=observers, **check(cls, cfg, f"{key}."))

    def on_enact(self, world, rows, move, draws) -> None:
        world.emit_signal(rows, self.senders, self.observers, self.cost, hostile=True)

    def monthly(self, world, strength, draws, move) -> None:
        self.hold(world, strength, self.observers, self.senders, self.load)


@dataclass(frozen=True)
class Annexation(HeldLoad, Effect):
    """An annexation: the annexer takes a territory of the victim state by force and makes it its
    own (US Department of State, Office of the Historian, glossary: 'the forcible acquisition of
    a territory by one state at the expense of another'). Not a crisis: an act, applied as given.
    Every observer that is not a client (nor the annexer's own group, sim/mechanisms/signals.py)
    reads it as the breaking of a restraint a security seeker keeps and an expansionist breaks:
    the refusal of a conciliatory act of cost ``restraint_cost``, log LR llr^-(restraint_cost; 1)
    (sim/mechanisms/types.py), and its threat of the annexer rises by reassurance * severity.
    The victim's own log-odds that the annexer is trustworthy fall to the lower trust bound (its
    trust collapses), with the same threat rise. While the annexation stands (the move in force)
    every non-client observer, the victim included, keeps a standing load ``load`` on its threat
    of the annexer (HeldLoad): the non-recognition of the annexed territory."""

    type: ClassVar[str] = "annexation"
    hostile: ClassVar[bool] = True
    fields: ClassVar[tuple[str, ...]] = ("annexer", "victim", "territory", "clients", "restraint_cost", "severity", "load")
    annexer: int = -1
    victim: int = -1
    territory: str = ""
    clients: tuple[int, ...] = ()  # expanded: they do not read the act as hostile
    observers: tuple[int, ...] = ()  # every actor but the annexer, the victim and the clients
    restraint_cost: float = param(0.4, low=0.0, high=5.0, doc="the restraint an annexation breaks, on the choice "
                                  "model's cost scale: non-client observers read the annexation as the refusal of a "
                                  "conciliatory act of this cost, llr^-(restraint_cost; 1) (docs/model.md §7.0)",
                                  source="Kydd (2005): an act a security seeker almost always takes and an "
                                  "expansionist often refuses is the most telling when refused; 0.4 is where a "
                                  "refusal is read most strongly under the default choice model (-4.0, docs/model.md "
                                  "§7.0), the strongest evidence one act can carry short of the trembling-hand bound")
    severity: float = param(0.5, low=0.0, high=5.0, doc="immediate rise of every non-client observer's threat of "
                            "the annexer, times dynamics.reassurance (as a hostile act of this severity)",
                            source="judgement; per move, with its reason (configs/history/*.yaml)")
    load: float = param(0.1, low=0.0, high=1.0, doc="standing irritant load on every non-client observer's threat "
                        "of the annexer while the annexation stands", source="judgement; per move, with its reason "
                        "(configs/history/*.yaml)")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Annexation:
        check_fields(cfg, key, cls.fields)
        annexer = _one_actor(cfg, "annexer", key, roster)
        victim = _one_actor(cfg, "victim", key, roster)
        states = [a.id for a in roster.actors if a.kind == "state"]
        if roster.actors[victim].kind != "state":
            raise ConfigError(f"{key}.victim", f"{roster.ids[victim]} is not a state", states)
        if victim == annexer:
            raise ConfigError(f"{key}.victim", "an actor cannot annex its own territory", "a state other than the annexer")
        territory = cfg.get("territory")
        if not isinstance(territory, str) or not territory.strip():
            raise ConfigError(f"{key}.territory", f"{territory!r} is not the name of a territory", "e.g. Crimea")
        listed = actor_ids(cfg, "clients", key, roster, required=False)
        clients = tuple(roster.expand(list(listed), f"{key}.clients"))
        for pos, c in enumerate(listed):
            if victim in roster.expand([c], f"{key}.clients[{pos}]") or roster.index(c) == annexer:
                raise ConfigError(f"{key}.clients[{pos}]", f"{c} cannot be a client (the victim or the annexer)",
                                  "actors that endorse the annexation")
        observers = tuple(i for i in range(roster.n) if i not in (annexer, victim) and i not in clients)
        return cls(annexer=annexer, victim=victim, territory=territory.strip(), clients=clients, observers=observers,
                   **check(cls, cfg, f"{key}."))

    def on_enact(self, world, rows, move, draws) -> None:
        low, high = world.logit_bounds
        refused = float(world.choice.refused(self.restraint_cost))
        world.emit_signal(rows, (self.annexer,), self.observers, self.severity, hostile=True, evidence=refused)
        world.emit_signal(rows, (self.annexer,), (self.victim,), self.severity, hostile=True, evidence=low - high)
        ids = world.spec.ids
        world.log.add("annexation", world.step_count, rows, move=move.id,
                      actor=ids[self.annexer], counterpart=ids[self.victim], detail=self.territory, value=refused,
                      reason=f"{ids[self.annexer]} annexes {self.territory} ({ids[self.victim]})")

    def monthly(self, world, strength, draws, move) -> None:
        self.hold(world, strength, self.observers + (self.victim,), (self.annexer,), self.load)


def _one_actor(cfg: dict, field: str, key: str, roster) -> int:
    value = cfg.get(field)
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        raise ConfigError(f"{key}.{field}", f"{value!r} is not one actor id", roster.ids)
    return roster.index(value, f"{key}.{field}")
