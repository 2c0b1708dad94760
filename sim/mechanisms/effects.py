"""The generic effect types a policy move is made of. Moves are data; these classes are the
only place where an agreed move acts on the world, and each type owns all of its behaviour.

An effect type is one class: it validates its own config (``from_config``) and acts through the
:class:`~sim.core.world.World` interface in a few hooks, all optional (the base class does
nothing):

- ``on_enact``: once, in the month the move enters into force, with ``n_enact_draws`` uniforms
  per replicate for the acts it carries out by choice (sim/mechanisms/types.py);
- ``monthly``: every month while in force, with ``strength`` ramping 0 -> 1 over the phase-in;
- crisis hooks of a *standing* type (``standing = True``: it leaves a structure whose strength
  the registry in :mod:`sim.mechanisms.structures` tracks): ``hazard_cut``, ``damage_through``
  (dampening), ``escalation_cover``, ``absorbed``, ``respond`` (a response to a crisis) and
  ``after_escalation``; ``human_security_gain``;
- ``check_sites``: cross-checks against the crisis sites when the config is compiled.

Register a new type by adding it to ``EFFECT_TYPES`` at the bottom (docs/contributing.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sim.core.params import check, param
from sim.errors import ConfigError
from sim.mechanisms import crises


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


ALL_TOPICS = "all"


def _topics(cfg: dict, key: str, crisis_types) -> tuple[str, ...] | None:
    """The crisis types a structure deals with: a list of known types (empty: none of the
    model's crises, e.g. the Middle East Quartet), or ``all`` (None). Absent means ``all``; the
    shipped options state it explicitly."""
    value = cfg.get("topics", ALL_TOPICS)
    allowed = [ALL_TOPICS, *crisis_types]
    if value == ALL_TOPICS:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{key}.topics", f"{value!r} is not a list of crisis types or 'all'", allowed)
    for pos, t in enumerate(value):
        if t not in crisis_types:
            raise ConfigError(f"{key}.topics[{pos}]", f"unknown crisis type {t!r}", allowed)
    return tuple(value)


def _on_topic(topics: tuple[str, ...] | None, site_ids: tuple[str, ...], slot) -> bool:
    """Whether a structure with these topics (None: all) and sites (empty: any) deals with ``slot``."""
    return (topics is None or slot.type in topics) and (not site_ids or slot.site in site_ids)


def _default_name(key: str) -> str:
    """A structure without a name is named after its place, e.g. 'nrc.effects[0]' (unique)."""
    return key.removeprefix("moves.")


def _check_fields(cfg: dict, key: str, allowed: tuple[str, ...]) -> None:
    for name in cfg:
        if name not in allowed and name != "type":
            raise ConfigError(f"{key}.{name}", "unknown field for this effect type", allowed)


@dataclass
class Standing:
    """One structure an agreed move leaves (a channel, clause, commitment, mission, ...): its
    effect, per-run constants from ``effect.prepare``, per-replicate mutable state from
    ``effect.new_state`` and its current (R,) strength, 0 where not in force."""

    key: tuple[int, int]  # (move index, effect index)
    move: Any
    effect: Effect
    data: Any
    state: Any
    strength: np.ndarray


@dataclass(frozen=True)
class Effect:
    type: ClassVar[str] = ""
    fields: ClassVar[tuple[str, ...]] = ()
    n_draws: ClassVar[int] = 0  # uniforms drawn for it every month (whether used or not)
    n_enact_draws: ClassVar[int] = 0  # uniforms for its choices at enactment (from the move's attempt draws)
    standing: ClassVar[bool] = False  # leaves a structure with a strength (sim/mechanisms/structures.py)
    count_as: ClassVar[str | None] = None  # summary column counting these structures in force
    response_order: ClassVar[int] = 0  # crisis responses run by this order, then by move order

    # ------------------------------------------------------------ every effect
    def on_enact(self, world, rows: np.ndarray, move, draws: np.ndarray) -> None:
        """Act once when the move enters into force in replicates ``rows``; ``draws`` is
        (len(rows), n_enact_draws)."""

    def monthly(self, world, strength: np.ndarray, draws: np.ndarray, move) -> None:
        """Act every month; ``strength`` is (R,) in [0, 1], zero where not in force."""

    def check_sites(self, slots, key: str) -> None:
        """Cross-check against the compiled crisis slots (a ConfigError naming ``key``)."""

    # --------------------------------------------------- standing structures
    def prepare(self, spec) -> Any:
        """Constants of this structure for a run (pair masks, slot masks), kept in ``Standing.data``."""
        return None

    def new_state(self, R: int) -> Any:
        """Per-replicate mutable state of this structure (``Standing.state``)."""
        return None

    def current_strength(self, standing: Standing, strength: np.ndarray, draws: np.ndarray, step: int) -> np.ndarray:
        """This month's strength given the move's ramp (a suspended channel is at 0)."""
        return strength

    def hazard_cut(self, standing: Standing) -> np.ndarray | None:
        """(R, S) share of each crisis slot's hazard removed; the strongest structure counts."""
        return None

    def damage_through(self, standing: Standing, rows: np.ndarray, slots: np.ndarray) -> np.ndarray | None:
        """(h, n, n) share of the damage to each pair of the crisis at slot ``slots[h]`` in replicate
        ``rows[h]`` (one entry per hit) that gets through; the smallest counts."""
        return None

    def escalation_cover(self, standing: Standing, rows: np.ndarray) -> np.ndarray | None:
        """(k, S) cut in each slot's escalation risk; the largest counts."""
        return None

    def absorbed(self, standing: Standing, rows: np.ndarray) -> np.ndarray | None:
        """(k, S) share of each slot's damage and escalation risk absorbed; the largest counts."""
        return None

    def respond(self, world, standing: Standing, rows: np.ndarray, slot, slot_index: int, step: int) -> np.ndarray | None:
        """Respond to the crisis ``slot`` striking replicates ``rows``; return a (len(rows),) mask of
        the rows in which this structure came to the victims' help (named in the crisis event)."""
        return None

    def after_escalation(self, world, standing: Standing, rows: np.ndarray, involved, step: int) -> None:
        """React to an escalation involving actors ``involved`` in replicates ``rows``."""

    def human_security_gain(self, standing: Standing, territory_position: dict[int, int], n_territories: int):
        """(R, territories) gain of the territories' human-security target; gains add up."""
        return None


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
        _check_fields(cfg, key, cls.fields)
        senders = _ids(cfg, "senders", key, roster)
        observers = _ids(cfg, "observers", key, roster, required=False)
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
        read as evidence too); a hostile act is the scenario's (historical) event, read as the
        mirror image of a conciliatory act of the same cost."""
        if self.hostile:
            world.emit_signal(rows, self.senders, self.observers, self.cost, hostile=True)
        else:
            world.act(rows, self.senders, self.observers, self.cost, draws)


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
        _check_fields(cfg, key, cls.fields)
        return cls(
            senders=tuple(roster.index(s) for s in _ids(cfg, "senders", key, roster)),
            observers=tuple(roster.expand(_ids(cfg, "observers", key, roster), f"{key}.observers")),
            **check(cls, cfg, f"{key}."),
        )

    def on_enact(self, world, rows, move, draws) -> None:
        world.emit_signal(rows, self.senders, self.observers, self.cost, hostile=True)
        world.add_irritant(rows, self.observers, self.senders, self.load)


_CHANNEL_OBSERVERS: dict = {}  # (channel, actor ids) -> each member's observers (Channel._observers)


@dataclass(frozen=True)
class Channel(Effect):
    """A standing dialogue forum. While open: members exchange a small conciliatory contact
    each month, and crises of its ``topics`` (crisis types, or all) at its ``sites`` (site ids,
    or any) lose ``crisis_dampening`` of their trust damage between members and of their
    escalation risk. An escalation involving a member can suspend it (sim/mechanisms/crises.py)."""

    type: ClassVar[str] = "channel"
    fields: ClassVar[tuple[str, ...]] = ("name", "members", "topics", "sites", "contact_cost", "crisis_dampening")
    standing: ClassVar[bool] = True
    count_as: ClassVar[str | None] = "channels_open"
    name: str = ""
    members: tuple[int, ...] = ()
    covered: tuple[int, ...] = ()
    topics: tuple[str, ...] | None = None  # crisis types it deals with; None: all
    sites: tuple[str, ...] = ()  # crisis site ids it deals with; empty: any
    contact_cost: float = param(0.003, low=0.0, high=1.0, doc="cost of each month's conciliatory contact among members",
                                source="judgement; each option sets its own value with its reason (configs/option/*.yaml); each member attends by its type at this cost, so attendance reveals little and a skip much (sim/mechanisms/types.py)")
    crisis_dampening: float = param(0.5, low=0.0, high=1.0, doc="share of a crisis's damage between members, and of "
                                    "escalation risk, the channel absorbs at full strength", source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")

    @property
    def n_draws(self) -> int:
        return 1 + len(self.members)  # the suspension draw, then each member's attendance

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Channel:
        _check_fields(cfg, key, cls.fields)
        members = _ids(cfg, "members", key, roster)
        if len(members) < 2:
            raise ConfigError(f"{key}.members", "a channel needs at least two members", roster.ids)
        sites = cfg.get("sites") or []
        if isinstance(sites, str) or not isinstance(sites, list | tuple):
            raise ConfigError(f"{key}.sites", f"{sites!r} is not a list of crisis site ids", "e.g. [TRN]")
        return cls(
            name=str(cfg.get("name") or _default_name(key)),
            members=tuple(roster.index(m) for m in members),
            covered=tuple(roster.expand(members, f"{key}.members")),
            topics=_topics(cfg, key, crisis_types),
            sites=tuple(str(x) for x in sites),
            **check(cls, cfg, f"{key}."),
        )

    def check_sites(self, slots, key: str) -> None:
        """Each listed site must be a site of one of its topics' crisis slots."""
        known = sorted({s.site for s in slots if self.topics is None or s.type in self.topics})
        for pos, site in enumerate(self.sites):
            if site not in known:
                raise ConfigError(f"{key}.sites[{pos}]", f"no crisis site {site!r} of the channel's topics", known)

    def pair_mask(self, n: int) -> np.ndarray:
        mask = np.zeros((n, n), dtype=bool)
        idx = list(self.covered)
        mask[np.ix_(idx, idx)] = True
        np.fill_diagonal(mask, False)
        return mask

    def monthly(self, world, strength, draws, move) -> None:
        """Each member chooses by its type whether to attend this month's contacts (an act of
        contact_cost * strength, sim/mechanisms/types.py); the covered actors outside its group
        read the choice, attended or skipped. Cheap contacts reveal little each month, but a
        security seeker almost never skips them."""
        rows = np.flatnonzero(strength > 0)
        if rows.size == 0 or self.contact_cost <= 0:
            return
        cost = self.contact_cost * strength[rows]
        for k, (m, observers) in enumerate(zip(self.members, self._observers(world))):
            if observers:
                world.act(rows, (m,), observers, cost, draws[rows, 1 + k:2 + k])

    def _observers(self, world) -> list[tuple[int, ...]]:
        """Per member, the covered actors outside its group (computed once per channel and roster)."""
        key = (self, world.spec.ids)
        if key not in _CHANNEL_OBSERVERS:
            ids, roster = world.spec.ids, world.spec.roster
            _CHANNEL_OBSERVERS[key] = [tuple(i for i in self.covered if i not in set(roster.expand([ids[m]], "channel")))
                                       for m in self.members]
        return _CHANNEL_OBSERVERS[key]

    def prepare(self, spec) -> dict[str, np.ndarray]:
        """The pairs it covers, and per crisis slot the share of the conflict's sides that sit
        in it (0 for one-sided slots): the channel cuts escalation risk in that proportion."""
        on_topic = np.array([_on_topic(self.topics, self.sites, s) for s in spec.slots], dtype=bool)
        share = np.array([len((set(s.side_a) | set(s.side_b)) & set(self.covered)) / max(len(set(s.side_a) | set(s.side_b)), 1)
                          for s in spec.slots]) * on_topic
        return {"pairs": self.pair_mask(spec.roster.n), "share": share, "on_topic": on_topic}

    def new_state(self, R: int) -> dict[str, np.ndarray]:
        return {"suspended_until": np.zeros(R, dtype=np.int64), "draws": np.ones(R)}

    def current_strength(self, standing, strength, draws, step):
        """Closed (0) while suspended; this month's uniform decides a suspension after an escalation."""
        standing.state["draws"] = draws[:, 0]
        return np.where(standing.state["suspended_until"] >= step, 0.0, strength)

    def damage_through(self, standing, rows, slots):
        s = standing.strength[rows] * standing.data["on_topic"][slots]
        if not s.any():
            return None
        return 1.0 - self.crisis_dampening * s[:, None, None] * standing.data["pairs"]

    def escalation_cover(self, standing, rows):
        share = standing.data["share"]
        if not share.any():
            return None
        return self.crisis_dampening * standing.strength[rows, None] * share[None, :]

    def after_escalation(self, world, standing, rows, involved, step) -> None:
        """An escalation may freeze the channel if it includes a belligerent, with probability
        suspension_base * (1 - mean trust among its members), for suspension_months."""
        if not set(involved) & set(self.covered):
            return
        spec, strength = world.spec, standing.strength
        open_ = strength[rows] > 0
        mem = list(self.members)
        sub = world.state.trust[rows][:, mem][:, :, mem]
        mean_trust = (sub.sum(axis=(1, 2)) - np.trace(sub, axis1=1, axis2=2)) / (len(mem) * (len(mem) - 1))
        p = spec.suspension_base * (1.0 - mean_trust)
        u = standing.state["draws"][rows]
        hit_mask = open_ & (u < p)
        hit = rows[hit_mask]
        standing.state["suspended_until"][hit] = step + spec.suspension_months
        strength[hit] = 0.0
        world.log.add("suspension", step, hit, move=standing.move.id, actor=self.name, p=p[hit_mask], draw=u[hit_mask],
                      reason=f"channel {self.name} suspended for {spec.suspension_months} months after escalation")


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


@dataclass(frozen=True)
class Grit(Effect):
    """Osgood's (1962) GRIT, Graduated Reciprocation in Tension-reduction: the ``initiator``
    announces a programme of ``max_steps`` small unilateral conciliatory steps towards the
    ``target`` (the move's tabling is the announcement) and takes one every ``interval`` months,
    continuing while the target reciprocates. Each step is the initiator's choice by its type, an
    act of ``step_cost`` (times strength) seen by everyone; where it is taken, the target chooses
    by its type whether to reciprocate with an act of the same cost, seen by everyone. Both
    choices, taken or refused, are read as evidence (sim/mechanisms/types.py), so a reciprocated
    programme builds trust both ways and an unreciprocated one tells the initiator about the
    target. After ``patience`` consecutive unreciprocated steps the initiator stops; after the
    last announced step the programme is complete. Either way the move ends ('grit_ended')."""

    type: ClassVar[str] = "grit"
    fields: ClassVar[tuple[str, ...]] = ("name", "initiator", "target", "step_cost", "interval", "patience", "max_steps")
    standing: ClassVar[bool] = True
    count_as: ClassVar[str | None] = "grit_programmes"
    n_draws: ClassVar[int] = 2  # the initiator's step, the target's reciprocation
    name: str = ""
    initiator: int = -1
    target: int = -1
    step_cost: float = param(0.2, low=0.0, high=5.0, doc="cost of each unilateral step and of each reciprocation (times strength)",
                             source="Osgood (1962): steps small enough not to endanger the initiator if unreciprocated, "
                             "yet costly enough to be read as genuine (Kydd 2005); judgement; each option sets its own "
                             "value with its reason (configs/option/grit.yaml)")
    interval: int = param(2, low=1, high=1200, doc="months between steps (the first one interval after the announcement)",
                          source="Osgood (1962): steps announced in advance and carried out on schedule; judgement "
                          "(configs/option/grit.yaml)")
    patience: int = param(3, low=1, high=1200, doc="consecutive unreciprocated steps after which the initiator stops",
                          source="Osgood (1962): steps continued over a period even without reciprocation; judgement "
                          "(configs/option/grit.yaml)")
    max_steps: int = param(12, low=1, high=1200, doc="steps announced: the programme is complete after the last one",
                           source="judgement (configs/option/grit.yaml)")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Grit:
        _check_fields(cfg, key, cls.fields)
        ends = {}
        for end in ("initiator", "target"):
            value = cfg.get(end)
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{key}.{end}", f"{value!r} is not one actor id", roster.ids)
            ends[end] = roster.index(value, f"{key}.{end}")
        a, b = cfg["initiator"], cfg["target"]
        side = set(roster.expand([a], f"{key}.initiator"))
        if side & set(roster.expand([b], f"{key}.target")):
            others = [x for x in roster.ids if not side & set(roster.expand([x], f"{key}.target"))]
            raise ConfigError(f"{key}.target", f"{b} is the initiator {a} or overlaps it (a member or a bloc of it): "
                              "GRIT is between two sides", others)
        return cls(name=str(cfg.get("name") or _default_name(key)), **ends, **check(cls, cfg, f"{key}."))

    def new_state(self, R: int) -> dict[str, np.ndarray]:
        """Steps taken or skipped so far, and the unreciprocated steps since the last reciprocation."""
        return {"steps": np.zeros(R, dtype=np.int64), "unreciprocated": np.zeros(R, dtype=np.int64)}

    def monthly(self, world, strength, draws, move) -> None:
        """Every ``interval`` months in force: the initiator's step by type; where taken, the
        target's reciprocation by type; the programme stops after ``patience`` unreciprocated
        steps in a row or after ``max_steps`` steps."""
        t = world.step_count
        since = t - world.book.enacted_at[:, move.index]
        rows = np.flatnonzero((strength > 0) & (since > 0) & (since % self.interval == 0))
        if rows.size == 0:
            return
        # this run's record of the programme (the effect itself is frozen config, shared by runs)
        standing = next(s for s in world.structures.standing if s.effect is self)
        steps, unrec = standing.state["steps"], standing.state["unreciprocated"]
        ids = world.spec.ids
        a, b = ids[self.initiator], ids[self.target]
        cost = self.step_cost * strength[rows]
        steps[rows] += 1
        stepped = world.act(rows, (self.initiator,), None, cost, draws[rows, 0:1])
        world.log.add("grit_step", t, rows, move=move.id, actor=a, counterpart=b, value=cost * stepped,
                      reason=np.where(stepped, f"{a} takes a unilateral conciliatory step towards {b} ({self.name})",
                                      f"{a} skips an announced step towards {b} ({self.name})"))
        sel = rows[stepped]
        if sel.size:
            back = world.act(sel, (self.target,), None, cost[stepped], draws[sel, 1:2])
            world.log.add("grit_reciprocation", t, sel, move=move.id, actor=b, counterpart=a, value=cost[stepped] * back,
                          reason=np.where(back, f"{b} reciprocates {a}'s step ({self.name})",
                                          f"{b} does not reciprocate {a}'s step ({self.name})"))
            unrec[sel[back]] = 0
            unrec[sel[~back]] += 1
        stopped = rows[unrec[rows] >= self.patience]
        done = rows[(steps[rows] >= self.max_steps) & (unrec[rows] < self.patience)]
        for ending, reason in ((stopped, f"{a} stops: {self.patience} steps in a row unreciprocated by {b}"),
                               (done, f"programme complete: all {self.max_steps} announced steps are due")):
            if ending.size:
                world.end_move(ending, move)
                world.log.add("grit_ended", t, ending, move=move.id, actor=a, counterpart=b, value=steps[ending],
                              reason=reason)


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
        _check_fields(cfg, key, cls.fields)
        senders = _ids(cfg, "senders", key, roster)
        return cls(
            senders=tuple(roster.index(s) for s in senders),
            observers=tuple(roster.expand(_ids(cfg, "observers", key, roster), f"{key}.observers")),
            **check(cls, cfg, f"{key}."),
        )

    @property
    def n_enact_draws(self) -> int:
        return len(self.senders)

    def on_enact(self, world, rows, move, draws) -> None:
        """The declaration is the senders' choice by type; the grievance is relieved where all
        of them made it."""
        made = world.act(rows, self.senders, self.observers, self.cost, draws)
        if made.any():
            world.relieve_irritant(rows[made], self.observers,
                                   world.spec.roster.expand([world.spec.ids[s] for s in self.senders], "senders"),
                                   self.relief)


@dataclass(frozen=True)
class Mission(Effect):
    """Joint crisis management on the ground (a joint EU-Russia mission in Kyrgyzstan, a
    peace-keeping mission implementing a settlement). For crises of its ``topics`` (crisis
    types, or all) at its sites, while in force:
    the hazard falls by ``hazard_reduction``, the damage and escalation risk by ``management``
    (times strength), and each managed crisis is joint work, a conciliatory signal of
    ``cooperation_cost`` among the parties."""

    type: ClassVar[str] = "mission"
    fields: ClassVar[tuple[str, ...]] = ("name", "parties", "sites", "topics", "management", "hazard_reduction", "cooperation_cost")
    standing: ClassVar[bool] = True
    count_as: ClassVar[str | None] = "missions_in_force"
    response_order: ClassVar[int] = 1
    name: str = ""
    parties: tuple[int, ...] = ()
    sites: tuple[int, ...] = ()
    topics: tuple[str, ...] | None = None  # crisis types it manages; None: all
    management: float = param(0.5, low=0.0, high=1.0, doc="share of damage and escalation risk of crises at its sites "
                              "absorbed at full strength", source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    hazard_reduction: float = param(0.0, low=0.0, high=1.0, doc="share of the hazard of crises at its sites removed",
                                    source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")
    cooperation_cost: float = param(0.1, low=0.0, high=5.0, doc="cost of each party's joint-work signal per managed crisis",
                                    source="judgement; each option sets its own value with its reason (configs/option/*.yaml)")

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Mission:
        _check_fields(cfg, key, cls.fields)
        return cls(
            name=str(cfg.get("name") or _default_name(key)),
            parties=tuple(roster.index(p) for p in _ids(cfg, "parties", key, roster)),
            sites=tuple(roster.expand(_ids(cfg, "sites", key, roster), f"{key}.sites")),
            topics=_topics(cfg, key, crisis_types),
            **check(cls, cfg, f"{key}."),
        )

    def covers(self, slot) -> bool:
        return bool(set(slot.involved) & set(self.sites)) and _on_topic(self.topics, (), slot)

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
        _check_fields(cfg, key, cls.fields)
        territories = [a.id for a in roster.actors if a.kind == "territory"]
        chosen = _ids(cfg, "territories", key, roster, required=False) or tuple(territories)
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
        _check_fields(cfg, key, cls.fields)
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
        _check_fields(cfg, key, cls.fields)
        senders = tuple(roster.index(s) for s in _ids(cfg, "senders", key, roster))
        targets = tuple(roster.expand(_ids(cfg, "targets", key, roster), f"{key}.targets"))
        if set(senders) & set(targets):
            raise ConfigError(f"{key}.targets", "an actor cannot arm against itself", "actors other than the senders")
        return cls(senders=senders, targets=targets, **check(cls, cfg, f"{key}."))

    def on_enact(self, world, rows, move, draws) -> None:
        world.raise_posture_floor(rows, self.senders, self.targets, self.level)


EFFECT_TYPES: dict[str, type[Effect]] = {
    t.type: t for t in (Signal, Irritant, Reassurance, Channel, Clause, Commitment, Mission, HumanSecurity, Conflict,
                        Arming, Grit)
}


def compile_effect(cfg: Any, key: str, roster, crisis_types) -> Effect:
    """Build one effect from its config mapping; the ``type`` field picks the class."""
    if not isinstance(cfg, dict):
        raise ConfigError(key, f"an effect must be a mapping, got {cfg!r}", "{type: ..., ...}")
    kind = cfg.get("type")
    if kind not in EFFECT_TYPES:
        raise ConfigError(f"{key}.type", f"unknown effect type {kind!r}", EFFECT_TYPES)
    return EFFECT_TYPES[kind].from_config(cfg, key, roster, crisis_types)
