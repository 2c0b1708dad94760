"""Belief and posture kernels over (replicates, n, n) arrays; pure functions, no randomness.

Notation (docs/model.md): T[i, j] trust of i in j, L = logit(T); P[i, j] threat perceived by i
from j; A[i, j] military posture (hostile contingency planning) of i directed at j; G the
Richardson grievance floor of A; I the irritant load on P; cap[j] capability of j.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Influence(NamedTuple):
    """Dense form of the sparse influence weights: influenced rows and their (len(rows), n) W."""

    rows: np.ndarray
    matrix: np.ndarray


class Averaging(NamedTuple):
    """Composites' indices and the (c, n) matrix averaging their members' rows."""

    index: np.ndarray
    matrix: np.ndarray


def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) evaluated in single precision (relative error ~1e-7) and returned in
    double: the logistic is the costliest pass of the month, and float32 exp is 3-4x faster."""
    e = np.exp(np.negative(x, dtype=np.float32))
    e += np.float32(1.0)
    return np.reciprocal(e).astype(np.float64)


def apply_signal(own: np.ndarray, threat: np.ndarray, rows: np.ndarray, weight: np.ndarray, cost, evidence,
                 hostile: bool, reassurance: float, spiral_bias: float, low: float, high: float) -> None:
    """An observed act in replicates ``rows`` (in place): the numpy reference of the compiled
    ``sim.numerics.kernels.signal_pairs`` (tests/test_model_api.py checks they agree).

    Bayes' rule in log-odds with the act's log likelihood ratio e (sim/mechanisms/types.py),
    reassuring evidence discounted by the observer's fear (Jervis' spiral):
    L += e w (1 - sigma P) if e > 0, else L += e w. Threat: conciliatory P -= r c w (1 - sigma P),
    hostile P += r c w. L is then clipped to the trust bounds [low, high] (log-odds), P to [0, 1];
    pairs with w = 0 are not touched. ``cost`` and ``evidence`` are scalars or one value per
    listed replicate."""
    rows = np.asarray(rows)
    c = np.broadcast_to(np.asarray(cost, dtype=np.float64), (rows.size,))[:, None, None]
    e = np.broadcast_to(np.asarray(evidence, dtype=np.float64), (rows.size,))[:, None, None]
    touched = (weight != 0)[None, :, :]
    o, p = own[rows], threat[rows]
    discount = 1.0 - spiral_bias * p
    new_own = o + np.where(e > 0, e * weight * discount, e * weight)
    if hostile:
        new_threat = np.minimum(p + reassurance * c * weight, 1.0)
    else:
        new_threat = np.maximum(p - reassurance * c * weight * discount, 0.0)
    own[rows] = np.where(touched, np.clip(new_own, low, high), o)
    threat[rows] = np.where(touched, new_threat, p)


def threat_target(trust: np.ndarray, posture: np.ndarray, irritant: np.ndarray, capability: np.ndarray,
                  posture_weight: float, mistrust_weight: float) -> np.ndarray:
    """P*[i, j] = clip(cap[j] * (wA * A[j, i] + wT * (1 - T[i, j])) + I[i, j], 0, 1), and P*[i, i] = 0:
    no actor threatens itself (a non-zero diagonal would feed back through its own posture and
    leak into composites' rows, so a run without events would drift)."""
    raw = capability[None, None, :] * (posture_weight * np.swapaxes(posture, -1, -2) + mistrust_weight * (1.0 - trust))
    off_diagonal = 1.0 - np.eye(raw.shape[-1])
    return np.clip(raw + irritant, 0.0, 1.0) * off_diagonal


def threat_step(threat: np.ndarray, target: np.ndarray, adjustment: float) -> np.ndarray:
    """P <- P + theta * (P* - P): perception moves a share theta of the way to its target."""
    return threat + adjustment * (target - threat)


def posture_step(posture: np.ndarray, threat: np.ndarray, grievance: np.ndarray, ceiling: np.ndarray,
                 hawkishness: np.ndarray, reactivity: float, fatigue: float) -> np.ndarray:
    """Richardson: A <- A + k (0.5 + h_i) P (1 - A) - a (A - G), then min(A, ceiling).

    Posture grows with threat (saturating at 1), relaxes towards its grievance floor G, and is
    capped where a commitment (ending contingency planning) is in force.
    """
    k = reactivity * (0.5 + hawkishness)[None, :, None]
    grown = posture + k * threat * (1.0 - posture) - fatigue * (posture - grievance)
    return np.minimum(np.clip(grown, 0.0, 1.0), ceiling)


def read_posture(own: np.ndarray, before: np.ndarray, after: np.ndarray, threat: np.ndarray, ceiling: np.ndarray,
                 evidence: float, spiral_bias: float, unverified: float, low: float, high: float) -> np.ndarray:
    """Jervis' spiral: j reads the change d = A'[i, j] - A[i, j] of i's posture towards it as
    evidence about i. L_own[j, i] -= kappa d (1 + sigma P[j, i]) for a rise (arming reads as
    hostile intent, more so to the threatened), += kappa |d| (1 - sigma P[j, i]) v for a fall,
    v = 1 where a commitment caps A[i, j] (verified), else ``unverified``; clipped to the bounds.
    ``ceiling`` all ones means no commitment is capping. Returns the new L_own."""
    change = np.swapaxes(after - before, -1, -2)  # [j, i]: i's change towards j, read by j
    fear = spiral_bias * threat
    verified = np.where(np.swapaxes(ceiling, -1, -2) < 1.0, 1.0, unverified)
    delta = np.where(change > 0, -evidence * change * (1.0 + fear), -evidence * change * (1.0 - fear) * verified)
    read = (change != 0) & ~np.eye(own.shape[-1], dtype=bool)
    return np.where(read, np.clip(own + delta, low, high), own)


def forget(own: np.ndarray, prior: np.ndarray, memory: float) -> np.ndarray:
    """L_own <- L_own + rho (L_prior - L_own): unreinforced evidence fades."""
    return own + memory * (prior - own)


def influence_matrix(weights, n: int) -> Influence:
    """The dense form of a sparse list of influence weights (i, m, W[i, m])."""
    if isinstance(weights, Influence):
        return weights
    rows = sorted({i for i, _, _ in weights})
    dense = np.zeros((len(rows), n))
    for i, m, w in weights:
        dense[rows.index(i), m] += w
    return Influence(np.array(rows, dtype=np.int64), dense)


def friedkin_johnsen(social: np.ndarray, own: np.ndarray, weights, stubbornness: np.ndarray,
                     same_bloc: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """One Friedkin-Johnsen step for bloc members' views of third parties:

    L[i, k] <- s_i * L_own[i, k] + (1 - s_i) * sum_m W[i, m] L[m, k]

    for i in an influencing bloc and k outside i's blocs; every other entry is the actor's own
    view. ``weights`` is a sparse list (i, m, W[i, m]) or its ``influence_matrix``. The pooling
    is one stacked matrix product, computed replicate by replicate with the same shapes, so
    each replicate's result does not depend on the number of replicates.
    """
    rows, dense = influence_matrix(weights, social.shape[-1])
    pooled = np.matmul(dense, social) if rows.size else None  # reads ``social`` before ``out`` is written
    if out is None:
        out = own.copy()
    else:  # may be ``social`` itself: the pooled terms have been read already
        np.copyto(out, own)
    if rows.size:
        stub = stubbornness[rows][None, :, None]
        own_rows = own[:, rows, :]
        mixed = stub * own_rows + (1.0 - stub) * pooled
        out[:, rows, :] = np.where(same_bloc[rows][None], own_rows, mixed)
    return out


def composite_matrix(composites, n: int) -> Averaging:
    """The averaging form of a list of composites (c, members)."""
    if isinstance(composites, Averaging):
        return composites
    index = np.array([c for c, _ in composites], dtype=np.int64)
    average = np.zeros((len(composites), n))
    for k, (_, members) in enumerate(composites):
        average[k, list(members)] = 1.0 / len(members)
    return Averaging(index, average)


def composite_rows(matrix: np.ndarray, composites) -> None:
    """In place: each composite's row is the mean of its members' rows (members listed as indices,
    or the ``composite_matrix`` of that list). Members are never composites themselves.

    The composite's own diagonal entry is kept: its members' view *of it* is not its view of
    itself (averaging it in gave alliances a self-threat that fed their own posture, so a run
    without events drifted).
    """
    index, average = composite_matrix(composites, matrix.shape[-1])
    if index.size == 0:
        return
    rows = np.matmul(average, matrix)  # (R, c, n), one small product per replicate
    k = np.arange(index.size)
    rows[:, k, index] = matrix[:, index, index]
    matrix[:, index, :] = rows
