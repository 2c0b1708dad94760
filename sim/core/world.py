"""The interface the mechanisms see: what a mechanism may read and do to the world, typed.

Mechanisms (sim/mechanisms/) and effect types receive a ``World`` (the engine implements it)
and use nothing else of the engine: no private fields, no other attributes. Reading the belief
state is free; writing it goes through the methods below, or through a mechanism's own
compiled kernel on ``state`` (crisis damage), so that each change to beliefs has one home.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from sim.core.events import EventLog
from sim.core.state import MoveBook, State

if TYPE_CHECKING:  # annotations only: the config sits above the core's vocabulary
    from sim.config.spec import ModelSpec
    from sim.mechanisms.negotiation import ProposalView


class World(Protocol):
    spec: ModelSpec  # the validated, immutable config
    R: int  # replicates advanced together
    n: int  # actors
    step_count: int  # the current month (1 in the first)
    state: State  # beliefs, (R, n, n) arrays
    book: MoveBook  # where each move stands
    log: EventLog  # what happened and why
    logit_bounds: tuple[float, float]  # log-odds of the trust bounds
    structures: Any  # sim.mechanisms.structures.Structures
    crises: Any  # sim.mechanisms.crises.Crises
    negotiations: Any  # sim.mechanisms.negotiation.Negotiations
    human_security: Any  # sim.mechanisms.human_security.HumanSecurity

    def decide(self, decider: int, view: ProposalView) -> tuple[np.ndarray, np.ndarray]:
        """The decider's agent's acceptance probabilities and utilities for ``view``."""

    choice: Any  # sim.mechanisms.types.ChoiceModel: the type-dependent choice model

    def emit_signal(self, rows, senders, observers, cost, hostile: bool = False, evidence=None) -> None:
        """A public act by ``senders`` seen by ``observers`` (all if None): evidence about them,
        read with ``evidence`` (log LR) or, by default, the choice model's reading of its cost."""

    def emit_matrix(self, rows, weight: np.ndarray, cost, hostile: bool = False, evidence=None) -> None:
        """A signal with explicit (n, n) observer-target weights."""

    def act(self, rows, senders, observers, cost, u: np.ndarray) -> np.ndarray:
        """Each sender chooses a conciliatory act of ``cost`` by its private type with its uniform
        in ``u`` (k, len(senders)); observers read each choice. (k,) whether all took it."""

    def act_each(self, rows, senders, observers, cost, u: np.ndarray) -> np.ndarray:
        """``act`` with each sender seen by its own observers (``observers[k]``, None: all)."""

    def queue_act_each(self, rows, senders, observers, cost, u: np.ndarray) -> None:
        """``act_each`` (``rows`` distinct) read at the next ``flush_acts``, in the order queued;
        for an effect whose monthly action is only such acts (``Effect.queues_acts``). ``rows``
        may instead be an (R,) boolean mask, with ``cost`` and ``u`` given for every replicate
        (rows outside the mask are not read): no gathers for an act open in most replicates."""

    def flush_acts(self) -> None:
        """Read the queued acts now (before anything reads or changes beliefs)."""

    def read_choice(self, rows, sender: int, observers, cost, taken, open_probability=1.0) -> None:
        """Observers read a choice made elsewhere (tabling, a vote): ``taken`` (k,) bool, the act
        open to the sender with ``open_probability`` regardless of type."""

    def shock_threat(self, rows, weight: np.ndarray, amount: float) -> None:
        """Add ``amount * weight`` to threat perception (clipped to [0, 1])."""

    def add_irritant(self, rows, observers, senders, load: float) -> None:
        """A decaying irritant load on the observers' threat perception of the senders."""

    def relieve_irritant(self, rows, observers, senders, relief: float) -> None:
        """Lower the standing irritant floor for good."""

    def cap_posture(self, rows, observers, targets, cap) -> None:
        """Cap postures observer -> target for this month (commitments in force)."""

    def release_posture_caps(self) -> None:
        """Lift the caps at the start of a month."""

    def raise_posture_floor(self, rows, senders, targets, level: float) -> None:
        """Raise the Richardson floor of the senders' postures towards the targets to at least
        ``level`` for good (an arming programme): postures climb towards it month by month."""

    def end_move(self, rows, move) -> None:
        """The move stops acting in ``rows`` (a breached commitment)."""

    def count(self, name: str, rows, amount) -> None:
        """Add ``amount`` to this month's count ``name`` (an outcome, sim/output/outcomes.py)."""
