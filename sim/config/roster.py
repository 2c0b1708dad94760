"""Compile the roster config into index arrays the vectorised kernels use.

Composite actors (alliances, unions, organisations) are rows of the belief matrices like any
other actor, but their *views* are derived from their members' views each month, and they
decide by their members' votes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# agents.strategies imports only sim.negotiation (numpy), never sim.spec or sim.model: no cycle
from agents.strategies import STRATEGIES
from sim.config.schema import KINDS, RULES, ActorConfig
from sim.core.params import check
from sim.errors import ConfigError

COMPOSITE_KINDS = ("alliance", "union", "organisation")


@dataclass(frozen=True)
class ActorSpec:
    """Immutable description of one actor."""

    id: str
    index: int
    name: str
    kind: str
    capability: float
    hawkishness: float
    stubbornness: float
    strategy: str
    members: tuple[str, ...]
    rule: str
    quota: float
    influence: bool
    parent: str | None
    patron: str | None

    @property
    def is_composite(self) -> bool:
        return self.kind in COMPOSITE_KINDS


@dataclass(frozen=True)
class Roster:
    """All actors with lookup helpers and the per-actor parameter vectors."""

    actors: tuple[ActorSpec, ...]
    capability: np.ndarray
    hawkishness: np.ndarray
    stubbornness: np.ndarray

    @cached_property
    def ids(self) -> tuple[str, ...]:
        """The actors' ids in index order (built once: channels key their caches by it every month)."""
        return tuple(a.id for a in self.actors)

    @property
    def n(self) -> int:
        return len(self.actors)

    def index(self, actor_id: str, key: str = "actor") -> int:
        for a in self.actors:
            if a.id == actor_id:
                return a.index
        raise ConfigError(key, f"unknown actor {actor_id!r}", self.ids)

    def __getitem__(self, actor_id: str) -> ActorSpec:
        return self.actors[self.index(actor_id)]

    def composites(self) -> list[ActorSpec]:
        return [a for a in self.actors if a.is_composite]

    def leaves(self, actor_id: str) -> list[int]:
        """Indices of the deciding members of ``actor_id`` (itself if not composite), recursively."""
        a = self[actor_id]
        if not a.is_composite:
            return [a.index]
        out: list[int] = []
        for m in a.members:
            for i in self.leaves(m):
                if i not in out:
                    out.append(i)
        return out

    def blocs_of(self, actors) -> list[int]:
        """Indices of the alliances and unions that contain any of ``actors`` (indices),
        recursively, other than those actors themselves (member attribution, §7.1)."""
        return blocs_of(self, actors)

    def expand(self, actor_ids, key: str) -> list[int]:
        """Indices of the given actors plus, for composites, all their members (recursively)."""
        out: list[int] = []
        for pos, aid in enumerate(actor_ids):
            idx = self.index(aid, f"{key}[{pos}]")
            stack = [idx]
            while stack:
                i = stack.pop()
                if i not in out:
                    out.append(i)
                    stack.extend(self.index(m) for m in self.actors[i].members)
        return out


def compile_roster(cfg: Mapping) -> Roster:
    """Validate the ``roster`` config section and build a :class:`Roster`."""
    if not cfg:
        raise ConfigError("roster", "the roster is empty", "at least two actors")
    ids = list(cfg.keys())
    default_kind, default_rule = ActorConfig.kind, ActorConfig.rule  # the declared defaults
    non_composite = [i for i in ids if cfg[i].get("kind", default_kind) not in COMPOSITE_KINDS]
    actors = []
    for index, aid in enumerate(ids):
        a = cfg[aid]
        key = f"roster.{aid}"
        kind = a.get("kind", default_kind)
        if kind not in KINDS:
            raise ConfigError(f"{key}.kind", f"unknown kind {kind!r}", KINDS)
        members = list(a.get("members") or [])
        if members == ["all"]:
            members = [m for m in non_composite if cfg[m].get("kind") != "territory"]
        if kind in COMPOSITE_KINDS and not members:
            raise ConfigError(f"{key}.members", f"composite actor {aid} has no members", "actor ids of the roster")
        if kind not in COMPOSITE_KINDS and members:
            raise ConfigError(f"{key}.members", f"only composites ({', '.join(COMPOSITE_KINDS)}) have members", "[]")
        for pos, m in enumerate(members):
            if m not in ids:
                raise ConfigError(f"{key}.members[{pos}]", f"unknown actor {m!r}", ids)
            if m == aid:
                raise ConfigError(f"{key}.members[{pos}]", f"{aid} cannot be its own member", ids)
        rule = a.get("rule", default_rule)
        if rule not in RULES:
            raise ConfigError(f"{key}.rule", f"unknown decision rule {rule!r}", RULES)
        for ref in ("parent", "patron"):
            if a.get(ref) is not None and a.get(ref) not in ids:
                raise ConfigError(f"{key}.{ref}", f"unknown actor {a.get(ref)!r}", ids)
        if kind == "territory" and (a.get("parent") is None or a.get("patron") is None):
            raise ConfigError(key, f"territory {aid} needs a parent and a patron", "actor ids of the roster")
        strategy = a.get("strategy", "security_calculus")
        if not isinstance(strategy, str) or strategy not in STRATEGIES:
            raise ConfigError(f"{key}.strategy", f"unknown strategy {strategy!r}", sorted(STRATEGIES))
        p = check(ActorConfig, a, f"{key}.")  # kind and rule are checked above, with their own wording
        actors.append(
            ActorSpec(
                id=aid,
                index=index,
                name=str(a.get("name", aid)),
                kind=kind,
                capability=p["capability"],
                hawkishness=p["hawkishness"],
                stubbornness=p["stubbornness"],
                strategy=strategy,
                members=tuple(members),
                rule=rule,
                quota=p["quota"],
                influence=p["influence"],
                parent=a.get("parent"),
                patron=a.get("patron"),
            )
        )
    if len(actors) < 2:
        raise ConfigError("roster", "fewer than two actors", "at least two actors")
    roster = Roster(
        actors=tuple(actors),
        capability=np.array([a.capability for a in actors]),
        hawkishness=np.array([a.hawkishness for a in actors]),
        stubbornness=np.array([a.stubbornness for a in actors]),
    )
    _check_acyclic(roster)
    return roster


def _check_acyclic(roster: Roster) -> None:
    def visit(i: int, path: tuple[int, ...]) -> None:
        for m in roster.actors[i].members:
            j = roster.index(m)
            if j in path:
                raise ConfigError(f"roster.{roster.actors[i].id}.members", "membership forms a cycle", "a hierarchy")
            visit(j, path + (j,))

    for a in roster.actors:
        visit(a.index, (a.index,))


def influence_weights(roster: Roster, capability_exponent: float) -> list[tuple[int, int, float]]:
    """Sparse Friedkin-Johnsen weights (i, m, w): row-stochastic over i's bloc peers, following ties.

    The tie between i and a peer m is their shared influencing blocs: an actor in several blocs
    splits its attention equally between them (1/n_i each), and within a bloc b it weighs each
    member m (itself included) by m's capability to the power ``capability_exponent`` (a):

        W[i, m] = sum over influencing blocs b containing i and m of
                  (1 / n_i) * c_m ** a / sum_{m' in b} c_m' ** a

    (capabilities floored at 1e-6, as in the capability-weighted vote). a = 0 gives every member
    of a bloc an equal share; a = 1 makes a member's pull proportional to its capability, so in
    the CSTO Kyrgyzstan (0.02) weighs Russia (0.8) 40 times more than Russia weighs it. Actors in
    no bloc are absent. Built once per spec (docs/model.md, section 7.2 (b)).
    """
    blocs = [[roster.index(m) for m in c.members if not roster[m].is_composite] for c in roster.composites() if c.influence]
    pull = np.maximum(roster.capability, 1e-6) ** float(capability_exponent)
    weights: dict[tuple[int, int], float] = {}
    share: dict[int, int] = {}
    for bloc in blocs:
        for i in bloc:
            share[i] = share.get(i, 0) + 1
    for bloc in blocs:
        mass = float(sum(pull[m] for m in bloc))
        for i in bloc:
            for m in bloc:
                weights[(i, m)] = weights.get((i, m), 0.0) + float(pull[m]) / (share[i] * mass)
    return [(i, m, w) for (i, m), w in sorted(weights.items())]


def bloc_masks(roster: Roster) -> np.ndarray:
    """(n, n) bool: True where observer i and target k share an influencing bloc (not pooled)."""
    same = np.zeros((roster.n, roster.n), dtype=bool)
    for c in roster.composites():
        if c.influence:
            idx = roster.expand([c.id], f"roster.{c.id}")
            same[np.ix_(idx, idx)] = True
    return same


def attribution_matrix(roster: Roster, weight: float, member_weight: float = 0.0) -> np.ndarray:
    """(n, n): row s gives the weight with which a signal sent by s is credited to each actor:
    1 to s itself; ``weight`` (bloc_attribution) to each member, recursively, of a composite s;
    ``member_weight`` (member_attribution) to each alliance or union s belongs to, recursively
    (organisations such as the OSCE, whose membership spans both sides, are not credited)."""
    att = np.eye(roster.n)
    for c in roster.composites():
        for m in roster.expand([c.id], f"roster.{c.id}"):
            if m != c.index:
                att[c.index, m] = max(att[c.index, m], weight)
                if c.kind in BLOC_KINDS:
                    att[m, c.index] = max(att[m, c.index], member_weight)
    return att


BLOC_KINDS = ("alliance", "union")  # composites a member's act is credited to (member_attribution)


def blocs_of(roster: Roster, actors) -> list[int]:
    """Indices of the alliances and unions that contain any of ``actors`` (indices), recursively,
    other than those actors themselves."""
    actors = set(actors)
    return [c.index for c in roster.composites()
            if c.kind in BLOC_KINDS and c.index not in actors
            and actors & (set(roster.expand([c.id], f"roster.{c.id}")) - {c.index})]
