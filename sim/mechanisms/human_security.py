"""Human security of the populations of non-recognised territories (the paper's option 10).

H[k] in [0, 1] for each territory k relaxes towards a target that falls with the tension
between the territory's sides and rises with arrangements in force (documents recognised,
settlements); crises and escalations at the territory knock it down:

    H*_k = clip(base - threat_weight * tension_k + sum of gains in force, 0, 1)
    H_k <- H_k + adjustment * (H*_k - H_k),      H_k <- H_k - crisis_shock * severity  (crisis)

tension_k is the mean threat between the parent state and the territory and its patron.
"""

from __future__ import annotations

import numpy as np


class HumanSecurity:
    def __init__(self, spec, R: int):
        r = spec.roster
        self.params = spec.dynamics
        self.territories = [a for a in r.actors if a.kind == "territory"]
        self.index = np.array([a.index for a in self.territories], dtype=np.int64)
        self.position = {a.index: k for k, a in enumerate(self.territories)}
        self.parent = np.array([r.index(a.parent) for a in self.territories], dtype=np.int64)
        self.patron = np.array([r.index(a.patron) for a in self.territories], dtype=np.int64)
        self.value = np.zeros((R, len(self.territories)))

    def tension(self, threat: np.ndarray) -> np.ndarray:
        """(R, k) mean threat between each territory's parent and the territory and its patron."""
        if not self.territories:
            return np.zeros((threat.shape[0], 0))
        t, p, q = self.index, self.parent, self.patron
        return 0.25 * (threat[:, p, t] + threat[:, t, p] + threat[:, p, q] + threat[:, q, p])

    def target(self, threat: np.ndarray, gains) -> np.ndarray:
        d = self.params
        return np.clip(d.human_security_base - d.human_security_threat_weight * self.tension(threat) + gains, 0.0, 1.0)

    def start(self, threat: np.ndarray) -> None:
        self.value = self.target(threat, 0.0)

    def update(self, threat: np.ndarray, gains) -> None:
        self.value = self.value + self.params.human_security_adjustment * (self.target(threat, gains) - self.value)

    def lose(self, rows: np.ndarray, involved: np.ndarray, severity: np.ndarray) -> None:
        """Crises and escalations of a month at once: ``severity`` (k, S) per replicate and slot,
        ``involved`` (S, territories) 1 where a slot involves a territory. Losses add up, so the
        order of a month's crises does not matter."""
        if not self.territories or len(rows) == 0:
            return
        loss = (severity[:, :, None] * involved[None, :, :]).sum(axis=1)
        self.value[rows] = np.maximum(self.value[rows] - self.params.human_security_crisis_shock * loss, 0.0)


def month(world, step: int) -> None:
    """Relax every territory's human security towards this month's target (after beliefs)."""
    hs = world.human_security
    hs.update(world.state.threat, world.structures.human_security_gain(hs.position, len(hs.territories)))
