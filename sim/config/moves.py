"""Policy moves as data: who proposes, whose consent is needed, what it costs and what it does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from sim.mechanisms.effects import Effect, compile_effect
from sim.config.schema import MoveConfig
from sim.core.params import check, declared
from sim.errors import ConfigError, check_range


@dataclass(frozen=True)
class Party:
    """A party whose consent a move needs, and who decides for it (itself, or its members)."""

    index: int
    deciders: tuple[int, ...]
    rule: str
    quota: float
    weights: tuple[float, ...]


@dataclass(frozen=True)
class MoveSpec:
    id: str
    index: int
    title: str
    option: int | None
    paper: str
    reference: str
    proposer: int
    parties: tuple[Party, ...]
    start: int
    cost: float
    gain: np.ndarray
    exposure: float
    domestic_cost: float
    phase_in: int
    retry: bool
    history: bool
    in_force: bool
    ratifiers: tuple[int, ...]
    ratification_cost: float
    requires: tuple[str, ...]
    excludes: tuple[str, ...]
    effects: tuple[Effect, ...]

    @property
    def unilateral(self) -> bool:
        return not self.parties

    @property
    def deciders(self) -> tuple[int, ...]:
        """Every actor that votes, once, in order of first appearance (an actor that is a party
        and a member of another party, like Russia in the CSTO, casts one vote for both)."""
        return tuple(dict.fromkeys(d for p in self.parties for d in p.deciders))

    @property
    def n_deciders(self) -> int:
        """Votes drawn per attempt: one per decider, then one per ratifier."""
        return len(self.deciders) + len(self.ratifiers)

    def cost_share(self, decider: int, capability) -> float:
        """The share of the move's cost a decider bears: all of it for a party deciding alone;
        inside a composite party, in proportion to capability (burden sharing, Olson and
        Zeckhauser 1966). An actor in several parties bears its largest share."""
        best = 0.0
        for p in self.parties:
            if decider in p.deciders:
                total = sum(float(capability[m]) for m in p.deciders)
                share = 1.0 if len(p.deciders) == 1 or total <= 0 else float(capability[decider]) / total
                best = max(best, share)
        return best

    @property
    def n_attempt_draws(self) -> int:
        """Uniforms per attempt: the votes (n_deciders), the proposer's choice to table, then the
        acts its effects carry out by choice at enactment."""
        return self.n_deciders + 1 + sum(e.n_enact_draws for e in self.effects)

    @property
    def n_monthly_draws(self) -> int:
        return sum(e.n_draws for e in self.effects)

    def counterparts(self, party: Party, decider: int, roster) -> list[int]:
        """Actors whose trustworthiness the decider is exposed to: the proposer and the other
        parties, minus any party the decider itself belongs to."""
        out = []
        for q in [self.proposer] + [p.index for p in self.parties]:
            if q == party.index or q == decider or decider in roster.leaves(roster.actors[q].id):
                continue
            if q not in out:
                out.append(q)
        return out


def compile_move(move_id: str, index: int, cfg: Mapping, roster, crisis_types, horizon: int) -> MoveSpec:
    key = f"moves.{move_id}"
    proposer = roster.index(cfg.get("proposer"), f"{key}.proposer")
    parties = []
    consent = list(cfg.get("consent") or [])
    if len(set(consent)) != len(consent):
        raise ConfigError(f"{key}.consent", "a party is listed twice", roster.ids)
    for pos, aid in enumerate(consent):
        idx = roster.index(aid, f"{key}.consent[{pos}]")
        actor = roster.actors[idx]
        deciders = tuple(roster.leaves(actor.id))  # itself, or its members down to non-composites
        weights = tuple(max(roster.actors[d].capability, 1e-6) for d in deciders)
        parties.append(Party(idx, deciders, actor.rule, actor.quota if actor.rule == "majority" else 1.0, weights))
    p = check(MoveConfig, cfg, f"{key}.")
    gain = np.full(roster.n, p["gain"])
    gain_param = declared(MoveConfig)["gain"]  # gain_by values take gain's range
    for aid, g in dict(cfg.get("gain_by") or {}).items():
        gain[roster.index(aid, f"{key}.gain_by")] = check_range(f"{key}.gain_by.{aid}", g, gain_param.low, gain_param.high)
    start = p["start"]
    if start > horizon and not p["in_force"]:  # a structure in force at the start has no tabling month
        raise ConfigError(f"{key}.start", f"month {start} is beyond the scenario horizon of {horizon} months",
                          f"an integer in [1, {horizon}]")
    effects = cfg.get("effects") or []
    if not isinstance(effects, list | tuple):
        raise ConfigError(f"{key}.effects", "must be a list of effects", "a list of {type: ...} mappings")
    compiled = tuple(compile_effect(e, f"{key}.effects[{k}]", roster, crisis_types) for k, e in enumerate(effects))
    if p["in_force"]:
        _check_in_force(compiled, key)
    return MoveSpec(
        id=move_id,
        index=index,
        title=str(cfg.get("title", move_id)),
        option=cfg.get("option"),
        paper=str(cfg.get("paper", "")),
        reference=str(cfg.get("reference", "")),
        proposer=proposer,
        parties=tuple(parties),
        start=start,
        cost=p["cost"],
        gain=gain,
        exposure=p["exposure"],
        domestic_cost=p["domestic_cost"],
        phase_in=p["phase_in"],
        retry=p["retry"],
        history=p["history"],
        in_force=p["in_force"],
        ratifiers=_ratifiers(cfg.get("ratify") or [], roster, key),
        ratification_cost=p["ratification_cost"],
        requires=tuple(str(x) for x in cfg.get("requires") or []),
        excludes=tuple(str(x) for x in cfg.get("excludes") or []),
        effects=compiled,
    )


def _check_in_force(effects, key: str) -> None:
    """A move in force at the start leaves standing structures only: a one-off act (a signal, an
    irritant, a level decision) before month 0 is history already in the scenario's initial beliefs."""
    from sim.mechanisms.effects import EFFECT_TYPES

    if not effects:
        raise ConfigError(f"{key}.effects", "a move in force at the start needs at least one standing structure",
                          sorted(t for t, c in EFFECT_TYPES.items() if c.standing))
    for k, e in enumerate(effects):
        if not e.standing:
            raise ConfigError(f"{key}.effects[{k}].type", f"a move in force at the start (in_force: true) carries "
                              f"standing structures only; a {e.type!r} act before month 0 belongs in the scenario's "
                              "initial beliefs, or in a dated move (in_force: false, with its start)",
                              sorted(t for t, c in EFFECT_TYPES.items() if c.standing))


def _ratifiers(names, roster, key: str) -> tuple[int, ...]:
    """Actors that must ratify; a composite ratifies through each of its members' parliaments."""
    out: list[int] = []
    for k, aid in enumerate(names):
        roster.index(aid, f"{key}.ratify[{k}]")
        out.extend(i for i in roster.leaves(aid) if i not in out)
    return tuple(out)


def check_combination(moves: tuple[MoveSpec, ...], available: list[str]) -> None:
    """Reject combinations that contradict themselves: a move together with one it excludes,
    a move without one it requires, or two moves defining the same structure differently."""
    ids = [m.id for m in moves]
    for m in moves:
        for k, other in enumerate(m.requires):
            if other not in ids:
                raise ConfigError(f"moves.{m.id}.requires[{k}]", f"{m.id} requires {other!r}, which is not selected",
                                  f"add it, e.g. option=[{','.join(ids + [other])}]")
        for k, other in enumerate(m.excludes):
            if other in ids:
                raise ConfigError(f"moves.{m.id}.excludes[{k}]", f"{m.id} and {other} contradict each other",
                                  f"one of them, not both (selected: {', '.join(ids)})")
    named: dict[tuple[str, str], tuple[str, object]] = {}
    levelled: dict[str, tuple[str, str]] = {}  # name -> (type, move) of structures with a level
    for m in moves:
        for k, e in enumerate(m.effects):
            name = getattr(e, "name", "")
            if not name:
                continue
            if e.levelled:
                # one structure per name: a later definition upgrades it (sim/mechanisms/structures.py),
                # so two types may not share a name
                first = levelled.setdefault(name, (e.type, m.id))
                if first[0] != e.type:
                    raise ConfigError(f"moves.{m.id}.effects[{k}].name",
                                      f"{e.type} {name!r}: move {first[1]} already has a {first[0]} of that name (a "
                                      "channel or mission named like one already defined is that structure, upgraded)",
                                      "another name, or the same type")
                continue
            key = (e.type, name)
            if key in named and named[key][1] != e:
                raise ConfigError(f"moves.{m.id}.effects[{k}].name",
                                  f"{e.type} {name!r} is also defined differently by move {named[key][0]}",
                                  "a unique name per structure, or identical definitions")
            named.setdefault(key, (m.id, e))


def resolve_structures(moves: tuple[MoveSpec, ...]) -> tuple[MoveSpec, ...]:
    """Resolve the effects that name another move's structure (a ``level`` decision) against the
    levelled structures of this combination: each effect's ``resolve`` checks the name (a
    ConfigError naming its key and the structures there are) and returns itself, completed."""
    table: dict[str, list[Effect]] = {}
    for m in moves:
        for e in m.effects:
            if e.levelled and getattr(e, "name", ""):
                table.setdefault(e.name, []).append(e)
    frozen = {name: tuple(defs) for name, defs in table.items()}
    out = []
    for m in moves:
        effects = tuple(e.resolve(frozen, f"moves.{m.id}.effects[{k}]") for k, e in enumerate(m.effects))
        out.append(m if all(a is b for a, b in zip(effects, m.effects)) else replace(m, effects=effects))
    return tuple(out)
