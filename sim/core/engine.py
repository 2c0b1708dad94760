"""The vectorised simulation engine: the state of R replicates and the month, as a list of phases.

Every array has shape (R, ...) with one slice per replicate; no operation mixes replicates, so
each replicate's trajectory depends only on its own seed (see sim/numerics/streams.py). The engine has
no Mesa dependency; :class:`sim.model.EurosecModel` wraps it and supplies the deciding agents.
The engine implements :class:`sim.core.world.World`, the only interface the mechanisms use.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.config.spec import ModelSpec
from sim.core.equilibrium import composite_members, equilibrium
from sim.core.events import EventLog
from sim.core.state import MoveBook, MoveStatus, State
from sim.mechanisms import crises, human_security, negotiation
from sim.mechanisms import dynamics as dyn
from sim.mechanisms.beliefs import Beliefs
from sim.mechanisms.crises import Crises
from sim.mechanisms.human_security import HumanSecurity
from sim.mechanisms.negotiation import Negotiations, ProposalView
from sim.mechanisms.signals import Signals
from sim.mechanisms.structures import Structures
from sim.mechanisms.types import ChoiceModel, draw_types
from sim.numerics.allocator import tune_allocator


def _structures_month(world, step: int) -> None:
    world.structures.month(world, step)


def _beliefs_month(world, step: int) -> None:
    world.beliefs.update()


# The month, in order (docs/model.md, "Process overview and scheduling"). Each phase is a
# function (world, month) of the mechanism that owns it; a new mechanism is a new entry.
MONTH: tuple[tuple[str, Callable], ...] = (
    ("negotiation", negotiation.month),  # moves due this month are tabled: votes, consent, ratification
    ("structures", _structures_month),  # standing structures act: contacts, posture caps, breaches
    ("crises", crises.month),  # crises strike; structures absorb, assist, or suspend on escalation
    ("beliefs", _beliefs_month),  # forgetting, social influence, trust, threat and posture
    ("human_security", human_security.month),  # populations of non-recognised territories
)


class Counts(dict):
    """(R,) int64 counts of the month by name; a name never counted reads as zeros."""

    def __init__(self, R: int):
        super().__init__()
        self.R = R

    def __missing__(self, name: str) -> np.ndarray:
        value = self[name] = np.zeros(self.R, dtype=np.int64)
        return value


class Engine:
    """R replicates of one model: their state, their mechanisms' per-run data, and the month."""

    phases = MONTH

    def __init__(self, spec: ModelSpec, seeds, decide: Callable[[int, ProposalView], tuple[np.ndarray, np.ndarray]],
                 record_events: bool = True):
        tune_allocator()  # large temporaries come from the heap, not fresh pages (sim/numerics/allocator.py)
        self.spec = spec
        self.ids = spec.ids
        self.seeds = np.asarray(seeds, dtype=np.int64)
        self._decide = decide
        self.log = EventLog(record_events)
        R, n = len(self.seeds), spec.roster.n
        self.R, self.n = R, n
        eq = equilibrium(spec)
        tile = lambda a: np.repeat(a[None], R, axis=0)  # noqa: E731
        self.state = State(
            own=tile(eq["own"]), prior=eq["own"].copy(), social=tile(eq["social"]), trust=tile(eq["trust"]),
            threat=tile(eq["threat"]), posture=tile(eq["posture"]), grievance=tile(spec.initial["posture"]),
            irritant_floor=tile(spec.initial["irritant"]), irritant=np.zeros((R, n, n)), ceiling=np.ones((R, n, n)),
            seeker=draw_types(self.seeds, spec.type_prior),
        )
        self.composites = composite_members(spec)
        self.influence = dyn.influence_matrix(spec.influence, n)
        self.step_count = 0
        self.book = MoveBook.start([m.start for m in spec.moves], R, [m.in_force for m in spec.moves])
        d = spec.dynamics
        self.logit_bounds = (float(dyn.logit(np.array(d.trust_low))), float(dyn.logit(np.array(d.trust_high))))
        self.choice = ChoiceModel(d)
        self.signals = Signals(spec, self.state, self.logit_bounds, self.choice)
        self.beliefs = Beliefs(spec, self.state, self.composites, self.influence, self.logit_bounds)
        self.negotiations = Negotiations(spec, self.seeds)
        self.structures = Structures(spec, self.seeds)
        self.human_security = HumanSecurity(spec, R)
        self.human_security.start(self.state.threat)
        self.crises = Crises(spec, self.seeds, self.human_security.position)
        self.counters = Counts(R)  # this month's counts by outcome name (count())
        self.structures.start(self)  # the structures in force at the start, at month 0
        negotiation.in_force_at_start(self)

    # ----------------------------------------------------------------- the month
    def step(self) -> None:
        """One month: every phase of :data:`MONTH` in order."""
        self.step_count += 1
        for c in self.counters.values():
            c[:] = 0
        for _, phase in self.phases:
            phase(self, self.step_count)

    def update_beliefs(self) -> None:
        """The end-of-month phases alone: beliefs, then human security."""
        _beliefs_month(self, self.step_count)
        human_security.month(self, self.step_count)

    # ------------------------------------------------------- the World interface
    def decide(self, decider: int, view: ProposalView) -> tuple[np.ndarray, np.ndarray]:
        return self._decide(decider, view)

    def emit_signal(self, rows, senders, observers, cost, hostile: bool = False, evidence=None) -> None:
        self.signals.emit(rows, senders, observers, cost, hostile, evidence)

    def emit_matrix(self, rows, weight, cost, hostile: bool = False, evidence=None) -> None:
        self.signals.emit_matrix(rows, weight, cost, hostile, evidence)

    def act(self, rows, senders, observers, cost, u) -> np.ndarray:
        return self.signals.act(rows, senders, observers, cost, u, self.state.seeker)

    def act_each(self, rows, senders, observers, cost, u) -> np.ndarray:
        return self.signals.act_each(rows, senders, observers, cost, u, self.state.seeker)

    def queue_act_each(self, rows, senders, observers, cost, u) -> None:
        self.signals.queue_act_each(rows, senders, observers, cost, u)

    def flush_acts(self) -> None:
        self.signals.flush_acts()

    def read_choice(self, rows, sender: int, observers, cost, taken, open_probability=1.0) -> None:
        self.signals.read_choice(rows, sender, observers, cost, taken, open_probability)

    def signal_weights(self, senders, observers) -> np.ndarray:
        return self.signals.weights(senders, observers)

    def shock_threat(self, rows, weight, amount: float) -> None:
        self.beliefs.shock_threat(rows, weight, amount)

    def add_irritant(self, rows, observers, senders, load: float) -> None:
        self.beliefs.add_irritant(rows, observers, senders, load)

    def relieve_irritant(self, rows, observers, senders, relief: float) -> None:
        self.beliefs.relieve_irritant(rows, observers, senders, relief)

    def cap_posture(self, rows, observers, targets, cap) -> None:
        self.beliefs.cap_posture(rows, observers, targets, cap)

    def release_posture_caps(self) -> None:
        self.beliefs.release_posture_caps()

    def raise_posture_floor(self, rows, senders, targets, level: float) -> None:
        self.beliefs.raise_posture_floor(rows, senders, targets, level)

    def end_move(self, rows, move) -> None:
        self.book.status[rows, move.index] = MoveStatus.ENDED

    def count(self, name: str, rows, amount) -> None:
        self.counters[name][rows] += amount
