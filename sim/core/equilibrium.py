"""The state a scenario starts from: social trust at its Friedkin-Johnsen fixed point, posture and
threat at their Richardson fixed point, so that a run with no events is stationary."""

from __future__ import annotations

import numpy as np

from sim.config.spec import ModelSpec
from sim.mechanisms import dynamics as dyn


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
    ones = np.ones_like(posture)
    threat = np.where(init["threat_set"], init["threat"], 0.0)[None]
    for _ in range(d.equilibrate_months):
        target = dyn.threat_target(trust, posture, init["irritant"][None], roster.capability,
                                   d.threat_posture_weight, d.threat_mistrust_weight)
        nxt_threat = np.where(init["threat_set"], init["threat"], dyn.threat_step(threat, target, d.threat_adjustment))
        dyn.composite_rows(nxt_threat, comps)
        nxt_posture = dyn.posture_step(posture, nxt_threat, init["posture"][None], ones, roster.hawkishness,
                                       d.posture_reactivity, d.posture_fatigue)
        done = max(np.max(np.abs(nxt_threat - threat)), np.max(np.abs(nxt_posture - posture))) < 1e-14
        threat, posture = nxt_threat, nxt_posture
        if done:
            break
    return {"own": own[0], "social": social[0], "trust": trust[0], "threat": threat[0], "posture": posture[0]}


def composite_members(spec: ModelSpec) -> dyn.Averaging:
    """Each composite and its leaves, as the matrix that averages their rows."""
    r = spec.roster
    return dyn.composite_matrix(tuple((c.index, tuple(i for i in r.leaves(c.id))) for c in r.composites()), r.n)
