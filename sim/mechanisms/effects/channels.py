"""Channels: standing forums whose members attend by type and which manage the crises of
their topics and sites."""

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
    deals_with,
    default_name,
    topics_of,
)
from sim.numerics import kernels

_CHANNEL_OBSERVERS: dict = {}  # (channel, actor ids) -> each member's observers (Channel._observers)
_MEMBER_BLOCKS: dict = {}  # (members, n) -> flat indices of the members' pairs (members_mean_trust)


def members_mean_trust(trust: np.ndarray, rows: np.ndarray, members: tuple[int, ...]) -> np.ndarray:
    """(len(rows),) mean trust among ``members`` (off the diagonal) in replicates ``rows``.

    Each replicate's pairs are summed in one fixed order (row-major over the members) by a
    compiled loop, so a replicate's mean does not depend on which other replicates are listed
    (numpy's sum over a gathered block follows its memory layout, which changes with the number
    of rows: one replicate alone and the same replicate among others differed in the last bits)."""
    R, n = trust.shape[0], trust.shape[1]
    out = np.empty(rows.size)
    kernels.pair_means(trust.reshape(R, n * n), np.asarray(rows, dtype=np.int64), _member_pairs(members, n), out)
    return out


def _member_pairs(members: tuple[int, ...], n: int) -> np.ndarray:
    """Flat indices of the members' off-diagonal pairs, row-major (cached)."""
    key = (members, n)
    if key not in _MEMBER_BLOCKS:
        _MEMBER_BLOCKS[key] = np.array([i * n + j for i in members for j in members if i != j], dtype=np.int64)
    return _MEMBER_BLOCKS[key]


@dataclass(frozen=True)
class Channel(Effect):
    """A standing dialogue forum. While open: members exchange a small conciliatory contact
    each month, and crises of its ``topics`` (crisis types, or all) at its ``sites`` (site ids,
    or any) lose ``crisis_dampening`` of their trust damage between members and of their
    escalation risk. An escalation involving a member can suspend it (sim/mechanisms/crises.py).
    Everything it does scales with its strength, the move's ramp times its ``level``: a forum
    frozen or kept at a low level (the NRC in 2010) is not an absent one. A channel of the same
    name as one already in force upgrades it (sim/mechanisms/structures.py)."""

    type: ClassVar[str] = "channel"
    fields: ClassVar[tuple[str, ...]] = ("name", "members", "topics", "sites", "contact_cost", "crisis_dampening", "level")
    standing: ClassVar[bool] = True
    levelled: ClassVar[bool] = True
    queues_acts: ClassVar[bool] = True  # the members' contacts (monthly): read with the month's other channels'
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
    level: float = param(1.0, low=0.0, high=1.0, doc="the level at which the forum works (1: regular meetings at full "
                         "level; low: ambassadors only, informal or stalled talks; 0: frozen); its strength is the "
                         "move's ramp times this, so dampening, escalation cover and the cost of each month's contact "
                         "(hence what attending or skipping reveals) scale with it",
                         source="per structure: the formats of the stage (scenarios/baseline_2010.yaml), each with its "
                         "public source; 1 for the options' forums at full level")

    @property
    def n_draws(self) -> int:
        return 1 + len(self.members)  # the suspension draw, then each member's attendance

    @classmethod
    def from_config(cls, cfg: dict, key: str, roster, crisis_types) -> Channel:
        check_fields(cfg, key, cls.fields)
        members = actor_ids(cfg, "members", key, roster)
        if len(members) < 2:
            raise ConfigError(f"{key}.members", "a channel needs at least two members", roster.ids)
        sites = cfg.get("sites") or []
        if isinstance(sites, str) or not isinstance(sites, list | tuple):
            raise ConfigError(f"{key}.sites", f"{sites!r} is not a list of crisis site ids", "e.g. [TRN]")
        return cls(
            name=str(cfg.get("name") or default_name(key)),
            members=tuple(roster.index(m) for m in members),
            covered=tuple(roster.expand(members, f"{key}.members")),
            topics=topics_of(cfg, key, crisis_types),
            sites=tuple(str(x) for x in sites),
            **check(cls, cfg, f"{key}."),
        )

    def check_sites(self, slots, key: str) -> None:
        """Each listed site must be a site of one of its topics' crisis slots."""
        known = sorted({s.site for s in slots if self.topics is None or s.type in self.topics})
        for pos, site in enumerate(self.sites):
            if site not in known:
                raise ConfigError(f"{key}.sites[{pos}]", f"no crisis site {site!r} of the channel's topics", known)

    def members_covered(self, spec) -> tuple[int, ...]:
        return self.covered

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
        security seeker almost never skips them. The acts are queued and read with the month's
        other channels' in one pass (Effect.queues_acts)."""
        if self.contact_cost <= 0:
            return
        # open where the strength is positive: a mask with every replicate's cost and draws (no gathers)
        world.queue_act_each(strength > 0, self.members, self._observers(world), self.contact_cost * strength,
                             draws[:, 1:])

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
        topical = np.array([deals_with(self.topics, self.sites, s) for s in spec.slots], dtype=bool)
        share = np.array([len((set(s.side_a) | set(s.side_b)) & set(self.covered)) / max(len(set(s.side_a) | set(s.side_b)), 1)
                          for s in spec.slots]) * topical
        pairs = self.pair_mask(spec.roster.n)
        return {"pairs": pairs, "pair_index": np.flatnonzero(pairs), "share": share, "on_topic": topical}

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
        # sparse form (Effect.damage_through): 1 - dampening * strength through its pairs, 1 elsewhere
        return standing.data["pair_index"], 1.0 - self.crisis_dampening * s

    def escalation_cover(self, standing, rows):
        share = standing.data["share"]
        if not share.any():
            return None
        return self.crisis_dampening * standing.strength[rows, None] * share[None, :]

    def concerned_by(self, involved) -> bool:
        """Only an escalation that includes one of its actors can suspend it."""
        return bool(set(involved) & set(self.covered))

    def after_escalation(self, world, standing, rows, involved, step) -> None:
        """An escalation may freeze the channel if it includes a belligerent, with probability
        suspension_base * (1 - mean trust among its members), for suspension_months."""
        spec, strength, draws = world.spec, standing.strength, standing.state["draws"]
        # one compiled pass over the escalation's rows: open (strength > 0), and the draw below
        # p = suspension_base (1 - mean trust among members), the mean taken only where the draw is
        # below suspension_base (p is below it); the mean is members_mean_trust's, in the same order
        hit, p = np.empty(rows.size, dtype=np.int64), np.empty(rows.size)
        trust = world.state.trust
        count = kernels.suspensions(trust.reshape(trust.shape[0], -1), np.asarray(rows, dtype=np.int64), strength, draws,
                                    _member_pairs(self.members, trust.shape[1]), spec.suspension_base, hit, p)
        if count == 0:  # nothing suspended, nothing to log
            return
        hit = hit[:count]
        standing.state["suspended_until"][hit] = step + spec.suspension_months
        strength[hit] = 0.0
        if world.log.enabled:
            world.log.add("suspension", step, hit, move=standing.move.id, actor=self.name, p=p[:count], draw=draws[hit],
                          reason=f"channel {self.name} suspended for {spec.suspension_months} months after escalation")
