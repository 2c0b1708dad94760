"""Public acts read as evidence (Kydd 2005): who is credited with an act, who sees it, and how
it moves the observers' log-odds of trust and their threat perception.

An act by ``senders`` is credited to them and, through bloc attribution, to the members of
their blocs; it is seen by ``observers`` (everyone if None); the sender group learns nothing
about itself. Observers read it by Bayes' rule with the act's log likelihood ratio under the
choice model of sim/mechanisms/types.py. This is the one place where an act becomes evidence
(docs/model.md, "Signals").
"""

from __future__ import annotations

import numpy as np

from sim.core.state import State
from sim.mechanisms import dynamics as dyn
from sim.numerics import kernels
from sim.numerics.threads import over_replicates


class Signals:
    def __init__(self, spec, state: State, logit_bounds: tuple[float, float], choice):
        self.spec = spec
        self.choice = choice  # sim.mechanisms.types.ChoiceModel
        self.state = state
        self.n = spec.roster.n
        self.R = state.own.shape[0]
        self.logit_bounds = logit_bounds
        self._weights: dict[tuple, np.ndarray] = {}  # weight matrices, cached by (senders, observers)
        self._pairs: dict[int, tuple] = {}  # non-zero pairs of each weight matrix emitted
        self._sender_cache: dict[tuple, tuple] = {}  # per-sender pairs of act(), by (senders, observers)
        self._queue: list[tuple] = []  # acts waiting for flush_acts (queue_act_each)
        self._plans: dict[tuple, tuple] = {}  # concatenated senders and pairs of a queue, by its acts' keys

    def emit(self, rows, senders, observers, cost, hostile: bool = False, evidence=None) -> None:
        """A public act by ``senders`` seen by ``observers`` (all actors if None)."""
        key = (tuple(senders), None if observers is None else tuple(observers))
        if key not in self._weights:
            self._weights[key] = self.weights(senders, observers)
        self.emit_matrix(rows, self._weights[key], cost, hostile, evidence)

    def act(self, rows, senders, observers, cost, u, seeker) -> np.ndarray:
        """Each of ``senders`` chooses a conciliatory act of ``cost`` by its type (``seeker``,
        (R, n) bool) with its uniform in ``u`` (k, len(senders)); observers read each sender's
        choice, taken or refused, by its likelihood ratio. Returns (k,) whether all took it."""
        seen = None if observers is None else tuple(observers)
        return self.act_each(rows, senders, [seen] * len(senders), cost, u, seeker)

    def act_each(self, rows, senders, observers, cost, u, seeker) -> np.ndarray:
        """:meth:`act` with each sender seen by its own observers (``observers[k]``, None: all).

        A channel's members act every month, so the choices and their reading run in one
        compiled loop (kernels.choice_pairs: a replicate's beliefs are fetched once for all
        senders) on probabilities and log likelihood ratios computed once per distinct cost;
        :func:`act_reference` is the same in numpy."""
        self.flush_acts()
        rows = np.asarray(rows)
        all_taken = np.ones(rows.size, dtype=bool)
        if rows.size == 0:
            return all_taken
        cost = np.ascontiguousarray(np.broadcast_to(np.asarray(cost, dtype=np.float64), (rows.size,)))
        p_seeker, p_expansionist, llr_taken, llr_refused = self.choice.act_tables(cost)
        starts, pairs, w = self._sender_pairs(tuple(senders), tuple(None if o is None else tuple(o) for o in observers))
        d = self.spec.dynamics
        kernels.choice_pairs(self.state.own.reshape(self.R, -1), self.state.threat.reshape(self.R, -1),
                             rows.astype(np.int64, copy=False), rows.size == self.R, seeker,
                             np.asarray(senders, dtype=np.int64), np.ascontiguousarray(u, dtype=np.float64), p_seeker,
                             p_expansionist, llr_taken, llr_refused, cost, starts, pairs, w, d.reassurance, d.spiral_bias,
                             *self.logit_bounds, all_taken)
        return all_taken

    def queue_act_each(self, rows, senders, observers, cost, u) -> None:
        """:meth:`act_each` (``rows`` distinct replicates) read later, by :meth:`flush_acts`, in
        the order queued: a month's channels queue their members' acts so that all are read in
        one compiled pass (kernels.choice_pairs_queued). Nothing may read or change the beliefs
        between queueing and the flush (sim/mechanisms/structures.py flushes before any other
        effect acts and at the end of the structures' month)."""
        rows = np.asarray(rows)
        if rows.dtype == np.bool_:  # a mask over all replicates; cost and u for every replicate
            if not rows.any():
                return
            size = self.R
        elif rows.size == 0:
            return
        else:
            size = rows.size
        cost = np.asarray(cost, dtype=np.float64)
        if cost.shape != (size,):
            cost = np.broadcast_to(cost, (size,))
        key = (tuple(senders), tuple(None if o is None else tuple(o) for o in observers))
        self._queue.append((rows, key, cost, u))

    def flush_acts(self) -> None:
        """Read every queued act (:meth:`queue_act_each`): per replicate, act after act in the
        order queued, each as act_each would, so the numbers are those of act_each called at
        each queueing."""
        if not self._queue:
            return
        queue, self._queue = self._queue, []
        senders, sender_starts, starts, pairs, w = self._queue_plan(tuple(key for _, key, _, _ in queue))
        A, R = len(queue), self.R
        active = np.zeros((A, R), dtype=bool)
        tables = np.zeros((5, A, R))  # p_seeker, p_expansionist, llr_taken, llr_refused, cost
        u = np.empty((R, senders.size))  # only the active rows' columns are read
        for a, (rows, _, cost, draws) in enumerate(queue):
            if rows.dtype == np.bool_:  # a mask: cost and draws of every replicate, tables over the open ones
                active[a] = rows
                table, inverse = self.choice.act_table_values(cost if rows.all() else cost[rows])
                if inverse is None:
                    tables[:4, a] = table  # one cost: broadcast (the closed rows' entries are not read)
                else:
                    tables[:4, a, rows] = table[:, inverse]
                tables[4, a] = cost
                u[:, sender_starts[a]:sender_starts[a + 1]] = draws
                continue
            at = slice(None) if rows.size == R else rows  # distinct rows: R of them are all
            active[a, at] = True
            table, inverse = self.choice.act_table_values(cost)  # (4, distinct costs): the act_tables columns
            tables[:4, a, at] = table if inverse is None else table[:, inverse]  # one cost: broadcast
            tables[4, a, at] = cost
            u[at, sender_starts[a]:sender_starts[a + 1]] = draws
        d = self.spec.dynamics
        own, threat = self.state.own.reshape(R, -1), self.state.threat.reshape(R, -1)

        def read(lo: int, hi: int) -> None:  # replicates lo..hi-1 (contiguous copies of the per-act tables)
            if lo == 0 and hi == R:
                chunk_active, chunk_tables = active, tables
            else:
                chunk_active, chunk_tables = np.ascontiguousarray(active[:, lo:hi]), np.ascontiguousarray(tables[:, :, lo:hi])
            kernels.choice_pairs_queued(own[lo:hi], threat[lo:hi], chunk_active, self.state.seeker[lo:hi], senders,
                                        sender_starts, u[lo:hi], *chunk_tables, starts, pairs, w, d.reassurance,
                                        d.spiral_bias, *self.logit_bounds)

        over_replicates(read, R, self.spec.threads)  # sim/numerics/threads.py: the same numbers for any number

    def _queue_plan(self, keys: tuple) -> tuple[np.ndarray, ...]:
        """The queued acts' senders one after another, where each act's start (sender_starts),
        and their pairs concatenated (starts, flat pairs, weights), cached by the acts' keys."""
        if keys not in self._plans:
            senders, sender_starts, starts, pairs, weights = [], [0], [0], [], []
            for key in keys:
                s_starts, s_pairs, s_w = self._sender_pairs(*key)
                senders.extend(key[0])
                sender_starts.append(len(senders))
                starts.extend((starts[-1] + s_starts[1:]).tolist())
                pairs.append(s_pairs)
                weights.append(s_w)
            self._plans[keys] = (np.asarray(senders, dtype=np.int64), np.asarray(sender_starts, dtype=np.int64),
                                 np.asarray(starts, dtype=np.int64), np.concatenate(pairs).astype(np.int64),
                                 np.concatenate(weights).astype(np.float64))
        return self._plans[keys]

    def _sender_pairs(self, senders: tuple, observers: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each sender's non-zero (observer, target) pairs of its signal weights (seen by
        ``observers[k]``), concatenated: (starts, flat pair indices, weights), cached."""
        key = (senders, observers)
        if key not in self._sender_cache:
            flats = [self.weights((s,), o).ravel() for s, o in zip(senders, observers)]
            pairs = [np.flatnonzero(f) for f in flats]
            starts = np.cumsum([0] + [p.size for p in pairs]).astype(np.int64)
            self._sender_cache[key] = (starts, np.concatenate(pairs).astype(np.int64),
                                       np.concatenate([f[p] for f, p in zip(flats, pairs)]))
        return self._sender_cache[key]

    def read_choice(self, rows, sender: int, observers, cost, taken, open_probability=1.0) -> None:
        """Observers read ``sender``'s choice of a conciliatory act of ``cost`` in each row: taken
        (its cost and log LR) or refused (no cost; the refused log LR, the act open to it with
        ``open_probability``), in one pass over the rows."""
        rows = np.asarray(rows)
        cost = np.broadcast_to(np.asarray(cost, dtype=np.float64), (rows.size,))
        evidence = np.where(taken, self.choice.taken(cost), self.choice.refused(cost, open_probability))
        self.emit(rows, (sender,), observers, np.where(taken, cost, 0.0), evidence=evidence)

    def weights(self, senders, observers) -> np.ndarray:
        """(n, n) observer-target weights of a signal by ``senders`` seen by ``observers`` (all if
        None): targets are the senders credited through bloc attribution; the sender group (the
        senders and their blocs' members) learns nothing about itself."""
        sent = np.zeros(self.n)
        sent[list(senders)] = 1.0
        credited = np.clip(sent @ self.spec.attribution, 0.0, 1.0)
        seen = np.ones(self.n) if observers is None else np.zeros(self.n)
        if observers is not None:
            seen[list(observers)] = 1.0
        weight = seen[:, None] * credited[None, :]
        np.fill_diagonal(weight, 0.0)
        group = np.flatnonzero(credited > 0)
        weight[np.ix_(group, group)] = 0.0
        return weight

    def emit_matrix(self, rows, weight, cost, hostile: bool = False, evidence=None) -> None:
        """Apply an observed act with (n, n) observer-target weights ``weight``.

        ``evidence`` is the act's log likelihood ratio e (seeker : expansionist) per replicate;
        by default that of an act of ``cost`` taken, +llr(c) if conciliatory, -llr(c) if hostile
        (sim/mechanisms/types.py). L_own += e * w * (1 - sigma * P) for e > 0, e * w otherwise;
        conciliatory P -= r * c * w * (1 - sigma * P), hostile P += r * c * w. Only the pairs with
        non-zero weight are touched (a channel's contacts are a few pairs), through flat
        (replicate, pair) indices, in one compiled loop (sim/numerics/kernels.py: signal_pairs)."""
        self.flush_acts()
        rows = np.asarray(rows)
        if rows.size == 0:
            return
        key = id(weight)
        cached = self._pairs.get(key)
        if cached is None or cached[0] is not weight:
            if len(self._pairs) > 256:  # weights passed by callers that do not cache them
                self._pairs.clear()
            flat = weight.ravel()
            pairs = np.flatnonzero(flat)
            cached = self._pairs[key] = (weight, pairs, flat[pairs])
        _, pairs, w = cached
        if pairs.size == 0:
            return
        d = self.spec.dynamics
        cost = np.ascontiguousarray(np.broadcast_to(np.asarray(cost, dtype=np.float64), (rows.size,)))
        if evidence is None:
            evidence = self.choice.taken(cost)
            if hostile:
                evidence = -evidence
        evidence = np.ascontiguousarray(np.broadcast_to(np.asarray(evidence, dtype=np.float64), (rows.size,)))
        low, high = self.logit_bounds
        kernels.signal_pairs(self.state.own.reshape(self.R, -1), self.state.threat.reshape(self.R, -1),
                             rows.astype(np.int64, copy=False), rows.size == self.R, pairs, w, cost, evidence, hostile,
                             d.reassurance, d.spiral_bias, low, high)


def act_reference(own, threat, rows, weights, cost, u, seeker_rows, choice, reassurance, spiral_bias, low, high):
    """The numpy reference of Signals.act (in place; tests check they agree exactly): sender k,
    a security seeker where ``seeker_rows[:, k]``, takes the act where u[:, k] < its probability
    (``choice``: sim.mechanisms.types.ChoiceModel); observers read (cost, log LR taken) or
    (0, log LR refused) with the (n, n) ``weights[k]``, sender after sender. Returns (k,) whether
    every sender took it."""
    cost = np.broadcast_to(np.asarray(cost, dtype=np.float64), (len(rows),))
    all_taken = np.ones(len(rows), dtype=bool)
    for k, weight in enumerate(weights):
        taken = u[:, k] < choice.probability(cost, seeker_rows[:, k])
        all_taken &= taken
        evidence = np.where(taken, choice.taken(cost), choice.refused(cost))
        dyn.apply_signal(own, threat, rows, weight, np.where(taken, cost, 0.0), evidence, False, reassurance,
                         spiral_bias, low, high)
    return all_taken
