"""Private types and the one choice model that every type-dependent act follows (Kydd 2005).

Each actor in each replicate is either a *security seeker* (the trustworthy type, who prefers
mutual cooperation to exploiting others) or an *expansionist*, drawn once at the start from the
scenario's type prior and never revealed. An act of cost c to its sender (tabling a proposal,
consenting to it, carrying out a promised step, keeping a restraint for another month) is
taken with probability

    p_S(c) = eps/2 + (1 - eps) sigmoid(lam (v_S - c))      by a security seeker
    p_E(c) = eps/2 + (1 - eps) sigmoid(lam (v_E - c))      by an expansionist, v_E < v_S

(eps: the share of choices made for reasons unrelated to type, a trembling hand)

so cost is a real term in the sender's utility and expansionists take costly reassuring steps
less often. Observers know this model (the common prior of a Bayesian game) and read what they
see by Bayes' rule in log-odds, L <- L + log LR:

    act taken:    log p_S(c) - log p_E(c)             > 0, rising in c, ~0 at c = 0 (cheap talk)
    act refused:  log (1 - q p_S(c)) - log (1 - q p_E(c))   < 0

where q is the probability, the same for both types, that the act was open to the sender at
all (a decider's strategic acceptance; 1 elsewhere). A hostile act of severity c is the mirror
image: its log likelihood ratio is minus that of a conciliatory act of cost c.
"""

from __future__ import annotations

import numpy as np

from sim.numerics.streams import TYPES, pcg_states, uniforms


def log_sigmoid(x):
    """log(1 / (1 + exp(-x))), stable for large |x|."""
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


class ChoiceModel:
    """The type-dependent factor of every choice, and the evidence an observed choice carries."""

    def __init__(self, dynamics):
        self.precision = dynamics.type_precision
        self.seeker_value = dynamics.seeker_value
        self.expansionist_value = dynamics.expansionist_value
        self.noise = dynamics.type_noise
        self._tables: dict[bytes, np.ndarray] = {}  # act_table_values by distinct costs

    def _p(self, value, cost) -> np.ndarray:
        core = np.exp(log_sigmoid(self.precision * (value - np.asarray(cost, dtype=np.float64))))
        return 0.5 * self.noise + (1.0 - self.noise) * core

    def probability(self, cost, seeker) -> np.ndarray:
        """P(the act is taken) by a sender of type ``seeker`` (bool array) at ``cost``."""
        return self._p(np.where(seeker, self.seeker_value, self.expansionist_value), cost)

    def taken(self, cost) -> np.ndarray:
        """log LR (seeker : expansionist) of an act of ``cost`` that was taken."""
        return np.log(self._p(self.seeker_value, cost)) - np.log(self._p(self.expansionist_value, cost))

    def refused(self, cost, open_probability=1.0) -> np.ndarray:
        """log LR of an act of ``cost`` that was not taken, when it was open to the sender with
        ``open_probability`` q regardless of type: log(1 - q p_S) - log(1 - q p_E)."""
        q = np.asarray(open_probability, dtype=np.float64)
        not_s = 1.0 - q * self._p(self.seeker_value, cost)
        not_e = 1.0 - q * self._p(self.expansionist_value, cost)
        return np.log(np.maximum(not_s, 1e-300)) - np.log(np.maximum(not_e, 1e-300))

    def act_tables(self, cost) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per entry of ``cost``: P(taken) by a security seeker and by an expansionist, and the
        log LR of the act taken and refused (always open). A month's costs take a few values (a
        structure's phase-in ramp), so the logs and exps run once per distinct cost and are
        gathered back; each entry is exactly what the elementwise methods above give it."""
        table, inverse = self.act_table_values(cost)
        return tuple(np.repeat(table[:, :1], np.size(cost), axis=1) if inverse is None else table[:, inverse])

    def act_table_values(self, cost) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`act_tables` before the gather: (4, k) tables over the k distinct costs (the rows
        of act_tables) and each entry's position among them, None if all entries are equal (k =
        1). Tables are cached by the distinct costs (a run repeats a few): the same operations on
        the same arrays, so the same numbers."""
        cost = np.asarray(cost, dtype=np.float64)
        if cost.size and cost.min() == cost.max():  # one cost (every row at the same strength): no sort
            values, inverse = cost.reshape(-1)[:1], None
        else:
            values, inverse = np.unique(cost, return_inverse=True)
        key = values.tobytes()
        table = self._tables.get(key)
        if table is None:
            if len(self._tables) > 4096:
                self._tables.clear()
            table = self._tables[key] = np.stack([self._p(self.seeker_value, values),
                                                  self._p(self.expansionist_value, values), self.taken(values),
                                                  self.refused(values)])
        return table, inverse


def draw_types(seeds: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """(R, n) bool: True where the actor is a security seeker in that replicate; one uniform per
    actor from the replicate's own type stream, so a replicate's types depend on its seed only."""
    u = uniforms(pcg_states(seeds, TYPES), np.empty((len(seeds), prior.size)))
    return u < prior[None, :]
