"""The end-of-month belief update (docs/model.md, Process overview step 5) and the standing
loads it reads: irritants, their relief, posture caps and threat shocks.

The equations are the pure kernels of :mod:`sim.mechanisms.dynamics` (forgetting towards the
scenario's prior, Friedkin-Johnsen social influence, trust as the logistic of the log-odds,
threat relaxing to its target, Richardson postures, each change of posture read by its target
as evidence: the spiral), fused into two compiled passes
(:mod:`sim.numerics.kernels`) around the logistic because this is the ensemble's hot path.
Bounds hold without clipping where the update is a convex combination of in-range values.
"""

from __future__ import annotations

import numpy as np

from sim.core.state import State
from sim.numerics import kernels
from sim.numerics.threads import over_replicates


class Beliefs:
    def __init__(self, spec, state: State, composites, influence, logit_bounds: tuple[float, float]):
        d, roster = spec.dynamics, spec.roster
        self.logit_bounds = logit_bounds
        self.dynamics = d
        self.state = state
        self.threads = spec.threads  # chunks of replicates updated at once (sim/numerics/threads.py)
        n = roster.n
        cap = roster.capability
        infl_rows, infl_weights = influence
        members = [np.asarray(m, dtype=np.int64) for m in (np.flatnonzero(row) for row in composites.matrix)]
        # constants of the compiled monthly update (sim/numerics/kernels.py)
        self.constants = {
            "keep": 1.0 - d.trust_memory, "rho_prior": d.trust_memory * state.prior,
            "cT": d.threat_mistrust_weight * np.broadcast_to(cap, (n, n)),
            "neg_cT": -d.threat_mistrust_weight * cap, "cA": d.threat_posture_weight * cap,
            "react": d.posture_reactivity * (0.5 + roster.hawkishness),
            "infl_rows": np.asarray(infl_rows, dtype=np.int64), "infl_weights": np.ascontiguousarray(infl_weights),
            "stubbornness": roster.stubbornness[infl_rows].astype(np.float64),
            "same_bloc": np.ascontiguousarray(spec.same_bloc[infl_rows]),
            "comp_index": np.asarray(composites.index, dtype=np.int64),
            "comp_members": np.concatenate(members) if members else np.zeros(0, dtype=np.int64),
            "comp_starts": np.cumsum([0] + [len(m) for m in members]).astype(np.int64),
        }
        self._buf32 = np.empty(state.own.shape, dtype=np.float32)
        self.irritant_active = False  # any decaying irritant load yet?
        self._base = None  # cached constant part of the threat target (threat_base)
        # Standing irritants and posture floors start the same in every replicate (the scenario's)
        # and only this class changes them; until it does, the monthly update reads one (1, n, n)
        # copy instead of streaming an (R, n, n) array (the update is bound by memory traffic).
        self.floor_shared = self.grievance_shared = True
        self.ceiling_active = False  # any commitment capping postures this month?

    def update(self) -> None:
        """The month's update of every replicate (in ``threads`` chunks of replicates at once:
        sim/numerics/threads.py; the same numbers for any number)."""
        self._base_now = self.threat_base()
        over_replicates(self._update_rows, self.state.own.shape[0], self.threads)

    def _update_rows(self, lo: int, hi: int) -> None:
        """The update of replicates lo..hi-1 (contiguous slices: the kernels' own layouts)."""
        s, d, k = self.state, self.dynamics, self.constants
        rows = slice(lo, hi)
        buf = self._buf32[rows]
        # (a-c) forgetting, Friedkin-Johnsen step, composite rows of L; -L in single precision
        kernels.social_step(s.own[rows], k["rho_prior"], k["keep"], s.social[rows], k["infl_rows"], k["infl_weights"],
                            k["stubbornness"], k["same_bloc"], k["comp_index"], k["comp_members"], k["comp_starts"],
                            buf)
        # (d) exp(-L) in single precision (numpy's float32 exp is vectorised); the kernel below
        # completes T = 1 / (1 + exp(-L)) in single precision, as dyn.sigmoid does
        np.exp(buf, out=buf)
        # (d-i) trust, irritant decay, threat target and step, composite threat rows, Richardson postures
        grievance = s.grievance[:1] if self.grievance_shared else s.grievance[rows]
        base = self._base_now if self._base_now.shape[0] == 1 else self._base_now[rows]
        kernels.threat_posture_step(buf, s.trust[rows], base, s.irritant[rows], 1.0 - d.irritant_decay,
                                    self.irritant_active, k["neg_cT"], k["cA"], d.threat_adjustment, s.threat[rows],
                                    s.posture[rows], k["react"], d.posture_fatigue, grievance, s.ceiling[rows],
                                    self.ceiling_active, k["comp_index"], k["comp_members"], k["comp_starts"],
                                    s.own[rows], d.posture_evidence, d.spiral_bias, d.unverified_reading,
                                    *self.logit_bounds)

    def threat_base(self) -> np.ndarray:
        """cap_j wT + standing irritant floor, the constant part of the threat target, kept until
        a reassurance relieves an irritant (one pass a month saved)."""
        if self._base is None:
            floor = self.state.irritant_floor[:1] if self.floor_shared else self.state.irritant_floor
            self._base = floor + self.constants["cT"]
        return self._base

    # ------------------------------------------------------ loads the update reads
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
        self.floor_shared = False

    def cap_posture(self, rows, observers, targets, cap) -> None:
        """Cap posture observers[k] -> targets[k] at ``cap`` (len(rows), pairs) this month."""
        block = (np.asarray(rows)[:, None], np.asarray(observers)[None, :], np.asarray(targets)[None, :])
        self.ceiling_active = True
        self.state.ceiling[block] = np.minimum(self.state.ceiling[block], cap)

    def raise_posture_floor(self, rows, senders, targets, level: float) -> None:
        block = np.ix_(np.asarray(rows), list(senders), list(targets))
        self.state.grievance[block] = np.maximum(self.state.grievance[block], level)
        self.grievance_shared = False

    def release_posture_caps(self) -> None:
        """Lift last month's caps; the commitments in force set them again."""
        if self.ceiling_active:
            self.state.ceiling[:] = 1.0
            self.ceiling_active = False
