"""The state a scenario starts from: social trust at its Friedkin-Johnsen fixed point, posture and
threat at their Richardson fixed point, so that a run with no events is stationary."""

from __future__ import annotations

import numpy as np

from sim.config.spec import ModelSpec
from sim.mechanisms import dynamics as dyn
from sim.numerics import kernels


def equilibrium(spec: ModelSpec) -> dict[str, np.ndarray]:
    """Initial (n, n) matrices: social trust at its Friedkin-Johnsen fixed point and posture and
    threat at their Richardson fixed point, so that a run with no events is stationary."""
    d, roster = spec.dynamics, spec.roster
    init = spec.initial
    lo, hi = dyn.logit(np.array(d.trust_low)), dyn.logit(np.array(d.trust_high))
    own = np.clip(dyn.logit(np.clip(init["trust"], d.trust_low, d.trust_high)), lo, hi)[None]
    social = own.copy()
    comps = composite_members(spec)
    influence = dyn.influence_matrix(spec.influence, roster.n)
    for _ in range(2000 if spec.influence else 0):
        nxt = dyn.friedkin_johnsen(social, own, influence, roster.stubbornness, spec.same_bloc)
        dyn.composite_rows(nxt, comps)
        done = np.max(np.abs(nxt - social)) < 1e-13
        social = nxt
        if done:
            break
    dyn.composite_rows(social, comps)
    trust = dyn.sigmoid(social)
    posture = init["posture"][None].copy()
    threat = np.where(init["threat_set"], init["threat"], 0.0)[None]
    step = _richardson_step(spec, trust, comps)
    for _ in range(d.equilibrate_months):
        nxt_threat, nxt_posture, moved = step(threat, posture)
        done = moved < 1e-14
        threat, posture = nxt_threat, nxt_posture
        if done:
            break
    return {"own": own[0], "social": social[0], "trust": trust[0], "threat": threat[0], "posture": posture[0]}


def _richardson_step(spec: ModelSpec, trust: np.ndarray, comps: dyn.Averaging):
    """One month of the set-up iteration with beliefs fixed: threat moves towards its target
    (dyn.threat_target, dyn.threat_step; set entries held), composites' rows (dyn.composite_rows),
    then postures (dyn.posture_step without caps). Returns the new (1, n, n) threat and posture
    and the largest change of either. The element-wise parts are compiled loops doing the same
    operations in the same order (sim/numerics/kernels.py; tests/test_kernels.py checks them
    against the numpy functions bit for bit): about a thousand months are iterated at set-up."""
    d, roster, init = spec.dynamics, spec.roster, spec.initial
    cap = np.ascontiguousarray(roster.capability, dtype=np.float64)
    mistrust = d.threat_mistrust_weight * (1.0 - trust[0])
    irritant = np.ascontiguousarray(init["irritant"], dtype=np.float64)
    off_diagonal = 1.0 - np.eye(trust.shape[-1])
    held = np.ascontiguousarray(init["threat_set"], dtype=np.bool_)
    held_value = np.ascontiguousarray(np.broadcast_to(init["threat"], held.shape), dtype=np.float64)
    grievance = np.ascontiguousarray(init["posture"], dtype=np.float64)
    k = d.posture_reactivity * (0.5 + roster.hawkishness)

    def step(threat: np.ndarray, posture: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        nxt_threat = np.empty_like(threat)
        kernels.richardson_threat(threat[0], posture[0], cap, mistrust, irritant, off_diagonal, held, held_value,
                                  d.threat_adjustment, d.threat_posture_weight, nxt_threat[0])
        dyn.composite_rows(nxt_threat, comps)
        nxt_posture = np.empty_like(posture)
        moved = kernels.richardson_posture(posture[0], nxt_threat[0], k, d.posture_fatigue, grievance, nxt_posture[0])
        return nxt_threat, nxt_posture, max(float(np.max(np.abs(nxt_threat - threat))), moved)

    return step


def composite_members(spec: ModelSpec) -> dyn.Averaging:
    """Each composite and its leaves, as the matrix that averages their rows."""
    r = spec.roster
    return dyn.composite_matrix(tuple((c.index, tuple(i for i in r.leaves(c.id))) for c in r.composites()), r.n)
