"""The effect base class, the structure record and the config helpers every effect type uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sim.errors import ConfigError


def actor_ids(cfg: dict, field: str, key: str, roster, required: bool = True) -> tuple[str, ...]:
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


def topics_of(cfg: dict, key: str, crisis_types) -> tuple[str, ...] | None:
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


def deals_with(topics: tuple[str, ...] | None, site_ids: tuple[str, ...], slot) -> bool:
    """Whether a structure with these topics (None: all) and sites (empty: any) deals with ``slot``."""
    return (topics is None or slot.type in topics) and (not site_ids or slot.site in site_ids)


def default_name(key: str) -> str:
    """A structure without a name is named after its place, e.g. 'nrc.effects[0]' (unique)."""
    return key.removeprefix("moves.")


def on_record(move, draws):
    """The uniforms with which senders choose a one-off act at enactment. In a history move
    (``history: true``) the act is on the record: every sender took it, whatever its type, so
    observers read it taken (with its likelihood ratio) in every replicate, as they read the
    record's hostile acts. The draws are still consumed, so no other stream shifts."""
    return draws * 0.0 if move.history else draws


def check_fields(cfg: dict, key: str, allowed: tuple[str, ...]) -> None:
    for name in cfg:
        if name not in allowed and name != "type":
            raise ConfigError(f"{key}.{name}", "unknown field for this effect type", allowed)


@dataclass
class Standing:
    """One structure an agreed move leaves (a channel, clause, commitment, mission, ...): its
    effect, per-run constants from ``effect.prepare``, per-replicate mutable state from
    ``effect.new_state``, its current (R,) strength, 0 where not in force, and its (R,) level:
    the strength is the move's ramp times the level (sim/mechanisms/structures.py)."""

    key: tuple[int, int]  # (move index, effect index)
    move: Any
    effect: Effect
    data: Any
    state: Any
    strength: np.ndarray
    level: np.ndarray  # (R,) the level decided for it (levelled types: the declared level, then `level` decisions; else 1)


@dataclass(frozen=True)
class Effect:
    type: ClassVar[str] = ""
    fields: ClassVar[tuple[str, ...]] = ()
    n_draws: ClassVar[int] = 0  # uniforms drawn for it every month (whether used or not)
    n_enact_draws: ClassVar[int] = 0  # uniforms for its choices at enactment (from the move's attempt draws)
    standing: ClassVar[bool] = False  # leaves a structure with a strength (sim/mechanisms/structures.py)
    count_as: ClassVar[str | None] = None  # summary column counting these structures in force
    response_order: ClassVar[int] = 0  # crisis responses run by this order, then by move order
    # A standing structure with a ``level`` in [0, 1] (channels, missions): its strength is ramp x
    # level; a ``level`` decision sets it, and a later definition of the same name upgrades it
    # rather than adding a second structure (sim/mechanisms/structures.py, docs/model.md §7.4).
    levelled: ClassVar[bool] = False
    # Its monthly action only queues acts (world.queue_act_each), read together at the next
    # world.flush_acts: the structures' month flushes before any other effect with a monthly action
    # acts (it may read beliefs) and at its end, so the numbers are those of acting at once
    # (sim/mechanisms/signals.py). An effect that does not override ``monthly`` is skipped.
    queues_acts: ClassVar[bool] = False

    # ------------------------------------------------------------ every effect
    def on_enact(self, world, rows: np.ndarray, move, draws: np.ndarray) -> None:
        """Act once when the move enters into force in replicates ``rows``; ``draws`` is
        (len(rows), n_enact_draws)."""

    def monthly(self, world, strength: np.ndarray, draws: np.ndarray, move) -> None:
        """Act every month; ``strength`` is (R,) in [0, 1], zero where not in force."""

    def check_sites(self, slots, key: str) -> None:
        """Cross-check against the compiled crisis slots (a ConfigError naming ``key``)."""

    def resolve(self, structures: dict[str, tuple[Effect, ...]], key: str) -> Effect:
        """Cross-check against the levelled structures of the run (name -> their definitions, in
        move order) when the config is compiled; return this effect, completed if it refers to
        one (a ConfigError naming ``key`` if it names none)."""
        return self

    def members_covered(self, spec) -> tuple[int, ...]:
        """A levelled structure's actors, composites expanded: who read a decision on its level."""
        return ()

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
        ``rows[h]`` (one entry per hit) that gets through; the smallest counts. Or, for a structure
        that covers a fixed set of pairs, the sparse form (flat pair indices, (h,) share through
        them), 1 elsewhere: the same numbers without building and scanning (h, n, n) arrays."""
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

    def concerned_by(self, involved: tuple[int, ...]) -> bool:
        """Whether an escalation among ``involved`` can concern it (else after_escalation is not called)."""
        return True

    def human_security_gain(self, standing: Standing, territory_position: dict[int, int], n_territories: int):
        """(R, territories) gain of the territories' human-security target; gains add up."""
        return None
