"""The model's state: belief arrays with a replicate axis, the statuses of the policy moves, and
the equilibrium a scenario starts from. Every array has shape (R, ...) with one slice per
replicate; no operation mixes replicates (docs/model.md, "State variables")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np



class MoveStatus(IntEnum):
    """Where a policy move stands in one replicate (stored as int8 in :attr:`MoveBook.status`)."""

    IDLE = 0  # not yet agreed: waiting for its start month or for a retry
    IN_FORCE = 1  # agreed and acting
    FAILED = 2  # abandoned after its last rejected attempt
    ENDED = 3  # was in force, then ended (a commitment breached)


@dataclass
class MoveBook:
    """The negotiation record of every move in every replicate, (R, M) each."""

    status: np.ndarray  # int8 MoveStatus
    attempts: np.ndarray  # times tabled so far
    enacted_at: np.ndarray  # month it entered into force, -1 if never
    next_attempt: np.ndarray  # month it is next tabled, -1 if never again

    @classmethod
    def start(cls, starts, R: int, in_force=None) -> MoveBook:
        """Every move idle until its start month, except those ``in_force`` at the start: in force
        since month 0, never tabled."""
        M = len(starts)
        book = cls(status=np.zeros((R, M), dtype=np.int8), attempts=np.zeros((R, M), dtype=np.int64),
                   enacted_at=np.full((R, M), -1, dtype=np.int64),
                   next_attempt=np.tile(np.asarray(starts, dtype=np.int64), (R, 1)))
        cols = np.flatnonzero(np.asarray(in_force if in_force is not None else [False] * M, dtype=bool))
        book.status[:, cols] = MoveStatus.IN_FORCE
        book.enacted_at[:, cols] = 0
        book.next_attempt[:, cols] = -1
        return book

    def strength(self, move, step: int) -> np.ndarray:
        """(R,) the move's phase-in ramp (0 -> 1 over ``phase_in`` months) where in force, else 0;
        a move in force at the start is at 1 from month 0 (no ramp)."""
        if getattr(move, "in_force", False):
            ramp = 1.0
        else:
            ramp = np.clip((step - self.enacted_at[:, move.index] + 1) / move.phase_in, 0.0, 1.0)
        return np.where(self.status[:, move.index] == MoveStatus.IN_FORCE, ramp, 0.0)


@dataclass
class State:
    """Mutable belief state of a batch; see docs/model.md for each symbol."""

    own: np.ndarray  # (R, n, n) each actor's own log-odds of trust (Bayesian evidence)
    prior: np.ndarray  # (n, n) scenario log-odds, the anchor of forgetting
    social: np.ndarray  # (R, n, n) log-odds after bloc influence (what actors act on)
    trust: np.ndarray  # (R, n, n) sigmoid(social)
    threat: np.ndarray  # (R, n, n)
    posture: np.ndarray  # (R, n, n)
    grievance: np.ndarray  # (R, n, n) Richardson floor of posture (the scenario's; raised by arming)
    irritant_floor: np.ndarray  # (R, n, n) standing irritants (scenario; relieved by reassurance)
    irritant: np.ndarray  # (R, n, n) decaying irritant load from moves
    ceiling: np.ndarray  # (R, n, n) posture caps from commitments in force
    seeker: np.ndarray  # (R, n) bool private types: True = security seeker (sim/mechanisms/types.py)
