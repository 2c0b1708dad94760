"""The vectorised simulation engine: state arrays with a replicate axis and the monthly step.

Every array has shape (R, ...) with one slice per replicate; no operation mixes replicates, so
each replicate's trajectory depends only on its own seed (see sim/numerics/streams.py). The engine has
no Mesa dependency; :class:`sim.model.EurosecModel` wraps it and supplies the deciding agents.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.mechanisms import crises
from sim.mechanisms import dynamics as dyn
from sim.numerics import kernels
from sim.numerics.allocator import tune_allocator
from sim.core.equilibrium import composite_members, equilibrium
from sim.core.events import EventLog
from sim.core.state import MoveBook, MoveStatus, State
from sim.mechanisms.human_security import HumanSecurity
from sim.mechanisms.negotiation import ProposalView, negotiate
from sim.config.spec import ModelSpec
from sim.numerics.streams import CRISIS, MOVE_MONTHLY, UniformStream, attempt_draws
from sim.mechanisms.structures import Structures


class Engine:
    def __init__(self, spec: ModelSpec, seeds, decide: Callable[[int, ProposalView], tuple[np.ndarray, np.ndarray]],
                 record_events: bool = True):
        tune_allocator()  # large temporaries come from the heap, not fresh pages (sim/numerics/allocator.py)
        self.spec = spec
        self.ids = spec.ids
        self.seeds = np.asarray(seeds, dtype=np.int64)
        self.decide = decide
        self.log = EventLog(record_events)
        R, n, M = len(self.seeds), spec.roster.n, len(spec.moves)
        self.R, self.n = R, n
        eq = equilibrium(spec)
        tile = lambda a: np.repeat(a[None], R, axis=0)  # noqa: E731
        self.state = State(
            own=tile(eq["own"]), prior=eq["own"].copy(), social=tile(eq["social"]), trust=tile(eq["trust"]),
            threat=tile(eq["threat"]), posture=tile(eq["posture"]), grievance=spec.initial["posture"].copy(),
            irritant_floor=tile(spec.initial["irritant"]), irritant=np.zeros((R, n, n)), ceiling=np.ones((R, n, n)),
        )
        self.composites = composite_members(spec)
        self.influence = dyn.influence_matrix(spec.influence, n)
        self._weights: dict[tuple, np.ndarray] = {}  # signal weight matrices, cached by (senders, observers)
        self._pairs: dict[int, tuple] = {}  # non-zero pairs of each weight matrix emitted
        self.step_count = 0
        self.book = MoveBook.start([m.start for m in spec.moves], R)
        self.attempt_draws = [attempt_draws(self.seeds, m.id, spec.negotiation.max_attempts, m.n_deciders) for m in spec.moves]
        self.crisis_stream = UniformStream(self.seeds, CRISIS, "", 2 * len(spec.slots))
        self.move_streams = [UniformStream(self.seeds, MOVE_MONTHLY, m.id, m.n_monthly_draws) for m in spec.moves]
        d = spec.dynamics
        cap, roster = spec.roster.capability, spec.roster
        infl_rows, infl_weights = self.influence
        members = [np.asarray(m, dtype=np.int64) for m in
                   (np.flatnonzero(row) for row in self.composites.matrix)]
        # constants of the compiled monthly update (sim/numerics/kernels.py)
        self._k = {
            "keep": 1.0 - d.trust_memory, "rho_prior": d.trust_memory * self.state.prior,
            "cT": d.threat_mistrust_weight * np.broadcast_to(cap, (n, n)),
            "neg_cT": -d.threat_mistrust_weight * cap, "cA": d.threat_posture_weight * cap,
            "react": d.posture_reactivity * (0.5 + roster.hawkishness),
            "fatigue_floor": d.posture_fatigue * self.state.grievance,
            "infl_rows": np.asarray(infl_rows, dtype=np.int64), "infl_weights": np.ascontiguousarray(infl_weights),
            "stubbornness": roster.stubbornness[infl_rows].astype(np.float64),
            "same_bloc": np.ascontiguousarray(spec.same_bloc[infl_rows]),
            "comp_index": np.asarray(self.composites.index, dtype=np.int64),
            "comp_members": np.concatenate(members) if members else np.zeros(0, dtype=np.int64),
            "comp_starts": np.cumsum([0] + [len(m) for m in members]).astype(np.int64),
        }
        self._buf32 = np.empty((R, n, n), dtype=np.float32)
        self._logit_low, self._logit_high = float(dyn.logit(np.array(d.trust_low))), float(dyn.logit(np.array(d.trust_high)))
        self.irritant_active = False  # any decaying irritant load yet?
        self._base = None  # cached constant part of the threat target (_threat_base)
        self.ceiling_active = False  # any commitment capping postures this month?
        self.structures = Structures(spec, R)
        self.human_security = HumanSecurity(spec, R)
        self.human_security.start(self.state.threat)
        self.crisis_table = crises.CrisisTable(spec.slots, n, self.human_security.position,
                                               spec.attribution_bias)
        self.counters = {"crises": np.zeros(R, dtype=np.int64), "escalations": np.zeros(R, dtype=np.int64)}

    # ----------------------------------------------------------------- the month
    def step(self) -> None:
        self.step_count += 1
        t = self.step_count
        for c in self.counters.values():
            c[:] = 0
        for move in self.spec.moves:
            negotiate(self, move, t)
        self.structures.month(self, t)
        crisis_draws = self.crisis_stream.month(t)
        if self.spec.crises_enabled and self.spec.slots:
            crises.process_month(self, t, crisis_draws)
        self.update_beliefs()

    def update_beliefs(self) -> None:
        """The end-of-month belief update (docs/model.md, Process overview step 5): the
        equations of the pure kernels in sim/mechanisms/dynamics.py, fused into two compiled passes
        (sim/numerics/kernels.py) around the logistic, because this is the ensemble's hot path. Bounds
        hold without clipping where the update is a convex combination of in-range values."""
        s, d, k = self.state, self.spec.dynamics, self._k
        # (a-c) forgetting, Friedkin-Johnsen step, composite rows of L
        kernels.social_step(s.own, k["rho_prior"], k["keep"], s.social, k["infl_rows"], k["infl_weights"],
                            k["stubbornness"], k["same_bloc"], k["comp_index"], k["comp_members"], k["comp_starts"])
        # (d) exp(-L) in single precision (numpy's float32 exp is vectorised); the kernel below
        # completes T = 1 / (1 + exp(-L)) in single precision, as dyn.sigmoid does
        np.negative(s.social, out=self._buf32)
        np.exp(self._buf32, out=self._buf32)
        # (d-i) trust, irritant decay, threat target and step, composite threat rows, Richardson postures
        kernels.threat_posture_step(self._buf32, s.trust, self._threat_base(), s.irritant, 1.0 - d.irritant_decay,
                                    self.irritant_active, k["neg_cT"], k["cA"], d.threat_adjustment, s.threat,
                                    s.posture, k["react"], d.posture_fatigue, k["fatigue_floor"], s.ceiling,
                                    self.ceiling_active, k["comp_index"], k["comp_members"], k["comp_starts"])
        self.human_security.update(s.threat, self.structures.human_security_gain(
            len(self.human_security.territories), self.human_security.position))

    def _threat_base(self) -> np.ndarray:
        """cap_j wT + standing irritant floor, the constant part of the threat target, kept until
        a reassurance relieves an irritant (one pass a month saved)."""
        if self._base is None:
            self._base = self.state.irritant_floor + self._k["cT"]
        return self._base

    # ------------------------------------------------------- helpers for effects
    def emit_signal(self, rows, senders, observers, cost, hostile: bool = False) -> None:
        """A public act by ``senders`` (credited to composites' members via bloc attribution),
        seen by ``observers`` (all actors if None)."""
        key = (tuple(senders), None if observers is None else tuple(observers))
        if key not in self._weights:
            self._weights[key] = self.signal_weights(senders, observers)
        self.emit_matrix(rows, self._weights[key], cost, hostile)

    def signal_weights(self, senders, observers) -> np.ndarray:
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

    def contact_weights(self, channel) -> np.ndarray:
        """Weights of a channel's monthly contacts: the sum over members m of m's signal seen by
        the covered actors outside m's group (cached per channel)."""
        key = ("contact", channel)
        if key not in self._weights:
            total = np.zeros((self.n, self.n))
            for m in channel.members:
                group = set(self.spec.roster.expand([self.ids[m]], "channel"))
                total += self.signal_weights((m,), tuple(i for i in channel.covered if i not in group))
            self._weights[key] = np.clip(total, 0.0, 1.0)
        return self._weights[key]

    def emit_matrix(self, rows, weight, cost, hostile: bool = False) -> None:
        """Apply a signal with (n, n) observer-target weights ``weight``.

        Conciliatory: L_own += beta * c * w * (1 - sigma * P) and P -= r * c * w * (1 - sigma * P).
        Hostile: L_own -= beta_h * c * w and P += r * c * w. Only the pairs with non-zero weight
        are touched (a channel's contacts are a few pairs), through flat (replicate, pair)
        indices, in one compiled loop (sim/numerics/kernels.py: signal_pairs)."""
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
        kernels.signal_pairs(self.state.own.reshape(self.R, -1), self.state.threat.reshape(self.R, -1),
                             rows.astype(np.int64, copy=False), rows.size == self.R, pairs, w, cost, hostile,
                             d.hostile_sensitivity if hostile else d.signal_sensitivity, d.reassurance,
                             d.spiral_bias, self._logit_low, self._logit_high)

    def shock_threat(self, rows, weight, amount: float) -> None:
        self.state.threat[rows] = np.clip(self.state.threat[rows] + amount * weight, 0.0, 1.0)

    def add_irritant(self, rows, observers, senders, load: float) -> None:
        self.irritant_active = True
        block = np.ix_(np.asarray(rows), list(observers), list(senders))
        self.state.irritant[block] = np.clip(self.state.irritant[block] + load, 0.0, 1.0)

    def relieve_irritant(self, rows, observers, senders, relief: float) -> None:
        block = np.ix_(np.asarray(rows), list(observers), list(senders))
        self.state.irritant_floor[block] = np.maximum(self.state.irritant_floor[block] - relief, 0.0)
        self._base = None

    def force_conflict(self, rows, effect, move) -> None:
        """A scheduled war (effect type ``conflict``): the crisis strikes and escalates now."""
        s, slot = next((k, sl) for k, sl in enumerate(self.spec.slots)
                       if sl.site == effect.site and sl.type == effect.crisis_type)
        rows = np.asarray(rows)
        hit = np.zeros((rows.size, self.crisis_table.size), dtype=bool)
        hit[:, s] = True
        tens = self.crisis_table.tension(self.state.threat[rows])
        crises.resolve(self, rows, hit, self.step_count, tens, u_escalation=None,
                       reasons=(f"scheduled: {move.title}", f"{move.title}: open war at {slot.label}"))

    def enact(self, move, rows, concession, step: int) -> None:
        """The move enters into force: the proposer's costly signal, then each effect."""
        self.book.status[rows, move.index] = MoveStatus.IN_FORCE
        self.book.enacted_at[rows, move.index] = step
        self.book.next_attempt[rows, move.index] = -1
        cost = move.cost + concession
        if np.any(cost > 0):
            self.emit_signal(rows, (move.proposer,), None, cost)
        for e in move.effects:
            e.on_enact(self, rows, move)
        self.log.add("enacted", step, rows, move=move.id, actor=self.ids[move.proposer], value=cost,
                     reason=f"'{move.title}' enters into force (phase-in {move.phase_in} months)")
