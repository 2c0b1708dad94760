"""Outcomes, each declared once: the summary's columns, how they are computed, and how they reduce
to a final value at the horizon are all derived from the declarations in ``OUTCOMES``.

An outcome is one column (``mean_trust``) or a family of columns named by a pattern filled in
from the model's spec (``trust_{observer}_{target}`` for each ``output.key_dyads`` pair). Its
*kind* says what it measures:

- ``state_mean``: the mean of one state array (trust, threat or posture) over a set of ordered
  actor pairs, at the end of the month (computed for all such columns at once by
  ``kernels.column_means``);
- ``count``: a monthly count, ``engine.counters[name]`` (a flow, reset every month); its final
  value is the total over the run;
- ``stock``: how many things there are this month (agreements in force, channels open);
- ``level``: any other per-replicate value of the month (human security).

Its *final* reduction gives its value at the horizon in the finals table: ``"last"`` (the last
recorded month) or ``"sum"`` (the total over the months, step 0 included, for flows). Its dtype
is that of its summary column (``float32`` values, ``int16`` counts), and ``direction`` says
whether higher is ``"better"``, ``"worse"`` or ``"neutral"`` (for figures and tables).

Adding an outcome is one declaration here (or anywhere before the model is built):

    @outcome("posture_above_half", kind="stock", description="leaf pairs with posture above 0.5",
             direction="worse")
    def _(r: Reading) -> np.ndarray:
        return (r.engine.state.posture > 0.5).sum(axis=(1, 2))

    state_mean("trust_{observer}_{target}", "trust", over=key_dyads, pairs=lambda s, f: [(f["i"], f["j"])],
               description="trust of each key dyad", direction="better")

    count("crises", description="crises this month", direction="worse")  # + eng.count("crises", ...)

Columns follow the order of declaration. Declarations sharing a ``group`` are interleaved: the
first column of each, then the second of each, ... (the affected states' five columns per state).
Outcomes declared at run time (``declared``, for tests) exist only in the process that declared
them: an ensemble run in worker processes sees those of this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np

from sim.core.state import MoveStatus
from sim.errors import ConfigError
from sim.numerics.threads import over_replicates

Kind = Literal["state_mean", "count", "stock", "level"]
Final = Literal["last", "sum"]
Direction = Literal["better", "worse", "neutral"]
STATES = ("trust", "threat", "posture")  # the kernel's source codes 0, 1, 2

Fields = Mapping[str, Any]  # one member of a family: its pattern's fields (and any indices)


@dataclass(frozen=True)
class Outcome:
    """One declared outcome (a column, or a family of columns named by ``name``'s pattern)."""
    name: str  # a column name, or a pattern such as "trust_{observer}_{target}"
    kind: Kind
    description: str  # one line
    direction: Direction = "neutral"  # is higher better, worse or neither
    final: Final = "last"  # reduction to the value at the horizon
    dtype: str = "float32"  # dtype of the summary column
    # family: the fields of each member (the pattern is filled in with str.format); None: one column
    over: Callable[[Any], Iterable[Fields]] | None = None
    # state_mean: the state array and the (observer, target) index pairs averaged, per member
    state: str | None = None
    pairs: Callable[[Any, Fields], Sequence[tuple[int, int]]] | None = None
    # other kinds: the (R,) values of a member from a Reading of the engine
    value: Callable[..., np.ndarray] | None = None
    group: str | None = None  # declarations of one group are interleaved member by member

    def __post_init__(self) -> None:
        if self.kind not in ("state_mean", "count", "stock", "level"):
            raise ValueError(f"outcome {self.name!r}: unknown kind {self.kind!r}")
        if self.final not in ("last", "sum"):
            raise ValueError(f"outcome {self.name!r}: final is 'last' or 'sum', not {self.final!r}")
        if self.direction not in ("better", "worse", "neutral"):
            raise ValueError(f"outcome {self.name!r}: direction is better, worse or neutral, not {self.direction!r}")
        if self.kind == "state_mean" and (self.state not in STATES or self.pairs is None):
            raise ValueError(f"outcome {self.name!r}: a state mean needs state in {STATES} and pairs")
        if self.kind != "state_mean" and self.value is None:
            raise ValueError(f"outcome {self.name!r}: needs a value function")
        np.dtype(self.dtype)  # a dtype numpy knows

    def members(self, spec) -> list[Fields]:
        return [{}] if self.over is None else list(self.over(spec))


@dataclass(frozen=True)
class Column:
    """One summary column: its name and the outcome and member it comes from."""
    name: str
    outcome: Outcome
    fields: Fields = field(default_factory=dict)


# ------------------------------------------------------------------ the registry
OUTCOMES: dict[str, Outcome] = {}  # by name (pattern), in column order


def declare(o: Outcome) -> Outcome:
    """Register an outcome (its columns come after those declared before it)."""
    if o.name in OUTCOMES:
        raise ValueError(f"outcome {o.name!r} is already declared")
    OUTCOMES[o.name] = o
    return o


def undeclare(name: str) -> None:
    del OUTCOMES[name]


@contextmanager
def declared(*outcomes: Outcome) -> Iterator[None]:
    """Outcomes declared for the duration of a block (tests, one-off studies)."""
    done = []
    try:
        for o in outcomes:
            done.append(declare(o).name)
        yield
    finally:
        for name in done:
            OUTCOMES.pop(name, None)


def outcome(name: str, *, kind: Kind = "level", description: str, direction: Direction = "neutral",
            final: Final | None = None, dtype: str | None = None, over=None, group: str | None = None,
            register: bool = True) -> Callable[[Callable[..., np.ndarray]], Outcome]:
    """Decorator: declare an outcome whose (R,) values ``fn(reading, **fields)`` computes.
    Counts and stocks are int16 by default, other kinds float32; counts sum to the horizon."""
    def wrap(fn: Callable[..., np.ndarray]) -> Outcome:
        o = Outcome(name, kind, description, direction, final or ("sum" if kind == "count" else "last"),
                    dtype or ("int16" if kind in ("count", "stock") else "float32"), over, value=fn, group=group)
        return declare(o) if register else o
    return wrap


def state_mean(name: str, state: str, pairs, *, description: str, direction: Direction = "neutral", over=None,
               group: str | None = None, register: bool = True) -> Outcome:
    """Declare the mean of ``state`` over the pairs ``pairs(spec, fields)`` (float32)."""
    o = Outcome(name, "state_mean", description, direction, over=over, state=state, pairs=pairs, group=group)
    return declare(o) if register else o


def count(name: str, *, description: str, direction: Direction = "neutral", register: bool = True) -> Outcome:
    """Declare a monthly count: ``engine.counters[name]`` (a mechanism adds to it with ``world.count(name, rows, amount)``), int16,
    summed over the run in the finals."""
    return outcome(name, kind="count", description=description, direction=direction,
                   register=register)(lambda r: r.counter(name))


# ------------------------------------------------------------------ derived from the declarations
def columns(spec, outcomes: Iterable[Outcome] | None = None) -> list[Column]:
    """The summary's outcome columns for ``spec``, in order."""
    decls = list(OUTCOMES.values() if outcomes is None else outcomes)
    out: list[Column] = []
    done: set[str] = set()
    for o in decls:
        if o.group is None:
            out += [Column(o.name.format(**f), o, f) for f in o.members(spec)]
        elif o.group not in done:
            done.add(o.group)
            members = [(d, d.members(spec)) for d in decls if d.group == o.group]
            for k in range(max((len(m) for _, m in members), default=0)):
                out += [Column(d.name.format(**m[k]), d, m[k]) for d, m in members if k < len(m)]
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise ValueError(f"outcome columns named twice: {sorted({n for n in names if names.count(n) > 1})}")
    return out


def column_names(spec) -> list[str]:
    return [c.name for c in columns(spec)]


def check_outcome_names(key: str, names, spec) -> None:
    """Each of ``names`` (a list, or one name) is an outcome column of ``spec``: else a
    ConfigError naming ``key`` (``key[k]`` for a list) and the allowed outcome names."""
    allowed = column_names(spec)
    known = set(allowed)
    for k, name in ([(None, names)] if isinstance(names, str) else enumerate(names)):
        if name not in known:
            raise ConfigError(key if k is None else f"{key}[{k}]", f"unknown outcome {name!r}", sorted(allowed))


def describe(spec) -> list[dict[str, str]]:
    """Name, kind, final reduction, dtype, direction and description of every column (for docs
    and figures)."""
    return [{"name": c.name, "outcome": c.outcome.name, "kind": c.outcome.kind, "final": c.outcome.final,
             "dtype": c.outcome.dtype, "direction": c.outcome.direction, "description": c.outcome.description}
            for c in columns(spec)]


def finals(summary, cols: Sequence[Column]):
    """Per replicate (numbered from 0 within ``summary``): the last recorded row of every
    ``last`` outcome (with replicate, seed, step), then the run total of every ``sum`` outcome."""
    import pandas as pd

    sums = [c.name for c in cols if c.outcome.final == "sum"]
    last = summary[summary["step"] == summary["step"].max()].drop(columns=["date", *sums]).reset_index(drop=True)
    totals = summary.groupby("replicate")[sums].sum().reset_index(drop=True)
    return pd.concat([last, totals], axis=1)


class Reading:
    """What outcomes read from the engine at one record; values several outcomes share are
    computed once."""

    def __init__(self, engine):
        self.engine = engine
        self.R = engine.R

    def counter(self, name: str) -> np.ndarray:
        """(R,) this month's count ``name`` (zeros when no mechanism keeps it)."""
        c = self.engine.counters.get(name)
        return np.zeros(self.R) if c is None else c

    @cached_property
    def structures(self) -> dict[str, np.ndarray]:
        return self.engine.structures.counts()


def evaluate(col: Column, reading: Reading) -> np.ndarray:
    """(R,) float64 values of a column that is not a state mean."""
    v = col.outcome.value(reading, **col.fields)
    return np.broadcast_to(v, (reading.R,)).astype(float)


def state_plan(spec, cols: Sequence[Column]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The state-mean columns as (source, flat pair index, starts) for kernels.column_means."""
    n = spec.roster.n
    plan = [(STATES.index(c.outcome.state), [i * n + j for i, j in c.outcome.pairs(spec, c.fields)]) for c in cols]
    source = np.array([p[0] for p in plan], dtype=np.int64)
    index = np.array([i for _, pairs in plan for i in pairs], dtype=np.int64)
    starts = np.cumsum([0] + [len(p[1]) for p in plan]).astype(np.int64)
    return source, index, starts


# ------------------------------------------------------------------ the model's outcomes
def leaf_pairs(spec) -> list[tuple[int, int]]:
    """Ordered pairs of distinct non-composite actors."""
    leaves = np.array([not a.is_composite for a in spec.roster.actors])
    mask = leaves[:, None] & leaves[None, :] & ~np.eye(spec.roster.n, dtype=bool)
    return [tuple(p) for p in np.argwhere(mask)]


def key_dyads(spec) -> list[Fields]:
    ids = spec.ids
    return [{"observer": ids[i], "target": ids[j], "i": i, "j": j} for i, j in spec.key_dyads]


def _rus(spec) -> int | None:
    return spec.ids.index("RUS") if "RUS" in spec.ids else None


def affected_with_rus(spec) -> list[Fields]:
    rus = _rus(spec)
    return [] if rus is None else [{"state": spec.ids[a], "a": a, "rus": rus} for a in spec.affected]


def affected_with_west(spec) -> list[Fields]:
    return [{"state": spec.ids[a], "a": a, "west": list(spec.west)} for a in spec.affected] if spec.west else []


def territories(spec) -> list:
    """The territories whose human security is tracked (sim.mechanisms.human_security)."""
    return [a for a in spec.roster.actors if a.kind == "territory"]


for _s, _d in (("trust", "better"), ("threat", "worse"), ("posture", "worse")):
    state_mean(f"mean_{_s}", _s, lambda spec, f: leaf_pairs(spec), direction=_d,
               description=f"mean {_s} over ordered pairs of distinct non-composite actors")
state_mean("trust_{observer}_{target}", "trust", lambda spec, f: [(f["i"], f["j"])], over=key_dyads,
           direction="better", description="trust of each output.key_dyads pair")
state_mean("threat_{observer}_{target}", "threat", lambda spec, f: [(f["i"], f["j"])], over=key_dyads,
           direction="worse", description="threat of each output.key_dyads pair")
state_mean("trust_{state}_RUS", "trust", lambda spec, f: [(f["a"], f["rus"])], over=affected_with_rus,
           group="affected", direction="better", description="trust of each output.affected_states state in Russia")
state_mean("trust_RUS_{state}", "trust", lambda spec, f: [(f["rus"], f["a"])], over=affected_with_rus,
           group="affected", direction="better", description="Russia's trust in each affected state")
state_mean("threat_{state}_RUS", "threat", lambda spec, f: [(f["a"], f["rus"])], over=affected_with_rus,
           group="affected", direction="worse", description="threat each affected state sees from Russia")
state_mean("trust_{state}_WEST", "trust", lambda spec, f: [(f["a"], w) for w in f["west"]], over=affected_with_west,
           group="affected", direction="better", description="mean trust of each affected state in output.west")
state_mean("trust_WEST_{state}", "trust", lambda spec, f: [(w, f["a"]) for w in f["west"]], over=affected_with_west,
           group="affected", direction="better", description="mean trust of output.west in each affected state")
count("crises", direction="worse", description="crises this month (finals: total over the run)")
count("escalations", direction="worse", description="crises that escalated this month (finals: total over the run)")


def _leaf_mask(spec) -> np.ndarray:
    leaves = np.array([not a.is_composite for a in spec.roster.actors])
    return leaves[:, None] & leaves[None, :] & ~np.eye(spec.roster.n, dtype=bool)


@outcome("belief_error", direction="worse",
         description="Brier score of trust as a forecast of type: mean over ordered pairs of distinct non-composite "
                     "actors of (T[i, j] - 1[j is a security seeker])^2 (sim/mechanisms/types.py); reassurance that "
                     "reveals types lowers it (Kydd 2005), 0.25 is a coin's score")
def _belief_error(r: Reading) -> np.ndarray:
    from sim.numerics import kernels

    eng = r.engine
    out = np.empty(r.R)
    trust, seeker, mask = eng.state.trust, eng.state.seeker, _leaf_mask(eng.spec)
    over_replicates(lambda lo, hi: kernels.brier(trust[lo:hi], seeker[lo:hi], mask, out[lo:hi]), r.R, eng.spec.threads)
    return out


def _during_run(r: Reading) -> np.ndarray:
    """(M,) the moves that can be agreed during the run: not those in force at the start."""
    return np.array([not m.in_force for m in r.engine.spec.moves], dtype=bool)


@outcome("agreements_reached", kind="stock", direction="better",
         description="moves ever enacted during the run (ended ones included; not those in force at the start)")
def _agreements_reached(r: Reading) -> np.ndarray:
    return ((r.engine.book.enacted_at >= 0) & _during_run(r)).sum(axis=1)


@outcome("agreements_in_force", kind="stock", direction="better",
         description="moves enacted during the run and in force (not those in force at the start)")
def _agreements_in_force(r: Reading) -> np.ndarray:
    return ((r.engine.book.status == MoveStatus.IN_FORCE) & _during_run(r)).sum(axis=1)


@outcome("agreements_failed", kind="stock", direction="worse", description="moves that failed")
def _agreements_failed(r: Reading) -> np.ndarray:
    return (r.engine.book.status == MoveStatus.FAILED).sum(axis=1)


def structure_counts(spec) -> list[dict]:
    """One column per ``count_as`` name of the registered effect types (channels_open,
    clauses_in_force, commitments_in_force, missions_in_force): a new counted effect type gets
    its column from its class alone."""
    from sim.mechanisms.effects import EFFECT_TYPES

    names = dict.fromkeys(cls.count_as for cls in EFFECT_TYPES.values() if cls.count_as)
    return [{"count": name} for name in names]


@outcome("{count}", kind="stock", direction="better", over=structure_counts,
         description="structures of an effect type in force this month (channels: open, not suspended)")
def _structures_in_force(r: Reading, count: str) -> np.ndarray:
    return r.structures[count]


del _s, _d


@outcome("human_security", direction="better", over=lambda spec: [{}] if territories(spec) else [],
         description="mean human security over the territories (only with territories)")
def _human_security(r: Reading) -> np.ndarray:
    return r.engine.human_security.value.mean(axis=1)


@outcome("human_security_{territory}", direction="better",
         over=lambda spec: [{"territory": t.id, "k": k} for k, t in enumerate(territories(spec))],
         description="human security of the population of each territory")
def _human_security_of(r: Reading, territory: str, k: int) -> np.ndarray:
    return r.engine.human_security.value[:, k]
