"""Recording what happened, as tidy tables.

``summary``: one row per (replicate, step) with Europe-wide means, key dyads, crises and
structures. ``dyads``: one row per (replicate, step, observer, target) with trust, threat and
posture, every ``dyad_period`` months, in float32. Step 0 is the initial state.
"""

from __future__ import annotations

import numpy as np
import pandas as pd



class Recorder:
    COUNTS = ("crises", "escalations", "agreements_reached", "agreements_in_force", "agreements_failed",
              "channels_open", "clauses_in_force", "commitments_in_force", "missions_in_force")

    def __init__(self, engine, dyad_period: int):
        self.engine = engine
        spec = engine.spec
        ids = spec.ids
        self.dyad_period = dyad_period
        leaves = np.array([not a.is_composite for a in spec.roster.actors])
        self.pair_mask = leaves[:, None] & leaves[None, :] & ~np.eye(spec.roster.n, dtype=bool)
        self.columns = ["mean_trust", "mean_threat", "mean_posture"]
        self.columns += [f"trust_{ids[i]}_{ids[j]}" for i, j in spec.key_dyads]
        self.columns += [f"threat_{ids[i]}_{ids[j]}" for i, j in spec.key_dyads]
        self.rus = ids.index("RUS") if "RUS" in ids else None
        self.west = list(spec.west)
        for a in spec.affected:
            if self.rus is not None:
                self.columns += [f"trust_{ids[a]}_RUS", f"trust_RUS_{ids[a]}", f"threat_{ids[a]}_RUS"]
            if self.west:
                self.columns += [f"trust_{ids[a]}_WEST", f"trust_WEST_{ids[a]}"]
        self.columns += list(self.COUNTS)
        hs = engine.human_security
        if hs.territories:
            self.columns += ["human_security"] + [f"human_security_{t.id}" for t in hs.territories]
        self._summary: list[np.ndarray] = []
        self._steps: list[int] = []
        self._dyads: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []

    def record(self) -> None:
        eng = self.engine
        s, t = eng.state, eng.step_count
        mask, west, rus = self.pair_mask, self.west, self.rus
        cols = [s.trust[:, mask].mean(axis=1), s.threat[:, mask].mean(axis=1), s.posture[:, mask].mean(axis=1)]
        cols += [s.trust[:, i, j] for i, j in eng.spec.key_dyads]
        cols += [s.threat[:, i, j] for i, j in eng.spec.key_dyads]
        for a in eng.spec.affected:
            if rus is not None:
                cols += [s.trust[:, a, rus], s.trust[:, rus, a], s.threat[:, a, rus]]
            if west:
                cols += [s.trust[:, a, west].mean(axis=1), s.trust[:, west, a].mean(axis=1)]
        structures = eng.structures.counts()
        cols += [
            eng.counters["crises"].astype(float),
            eng.counters["escalations"].astype(float),
            (eng.enacted_at >= 0).sum(axis=1).astype(float),
            (eng.status == eng.IN_FORCE).sum(axis=1).astype(float),
            (eng.status == eng.FAILED).sum(axis=1).astype(float),
        ]
        cols += [np.broadcast_to(structures[name], (eng.R,)).astype(float) for name in self.COUNTS[5:]]
        hs = eng.human_security
        if hs.territories:
            cols += [hs.value.mean(axis=1)] + [hs.value[:, k] for k in range(len(hs.territories))]
        self._summary.append(np.stack(cols, axis=1))
        self._steps.append(t)
        if self.dyad_period and t % self.dyad_period == 0:
            self._dyads.append((t, s.trust.astype(np.float32), s.threat.astype(np.float32), s.posture.astype(np.float32)))

    def latest(self) -> dict[str, np.ndarray]:
        """The last recorded summary row of every replicate, by column."""
        last = self._summary[-1]
        return {c: last[:, k] for k, c in enumerate(self.columns)}

    def summary_frame(self) -> pd.DataFrame:
        eng = self.engine
        data = np.stack(self._summary, axis=0)  # (T, R, C)
        T, R, _ = data.shape
        df = pd.DataFrame(data.transpose(1, 0, 2).reshape(T * R, -1).astype(np.float32), columns=self.columns)
        for c in self.COUNTS:
            df[c] = df[c].astype(np.int16)
        steps = np.array(self._steps, dtype=np.int32)
        dates = {t: eng.spec.date(int(t)) for t in steps}  # step 0: the month before the start
        df.insert(0, "replicate", np.repeat(np.arange(R, dtype=np.int32), T))
        df.insert(1, "seed", np.repeat(eng.seeds, T))
        df.insert(2, "step", np.tile(steps, R))
        df.insert(3, "date", pd.Categorical(np.tile([dates[t] for t in steps], R)))
        return df

    def dyads_frame(self) -> pd.DataFrame:
        eng = self.engine
        ids = list(eng.spec.ids)
        n, R = len(ids), eng.R
        if not self._dyads:
            return pd.DataFrame(columns=["replicate", "seed", "step", "observer", "target", "trust", "threat", "posture"])
        off = ~np.eye(n, dtype=bool)
        obs_idx, tgt_idx = np.nonzero(off)
        parts = []
        for t, trust, threat, posture in self._dyads:
            k = obs_idx.size
            parts.append(pd.DataFrame({
                "replicate": np.repeat(np.arange(R, dtype=np.int32), k),
                "seed": np.repeat(eng.seeds, k),
                "step": np.full(R * k, t, dtype=np.int32),
                "observer": pd.Categorical.from_codes(np.tile(obs_idx, R), categories=ids),
                "target": pd.Categorical.from_codes(np.tile(tgt_idx, R), categories=ids),
                "trust": trust[:, obs_idx, tgt_idx].reshape(-1),
                "threat": threat[:, obs_idx, tgt_idx].reshape(-1),
                "posture": posture[:, obs_idx, tgt_idx].reshape(-1),
            }))
        df = pd.concat(parts, ignore_index=True)
        return df.sort_values(["replicate", "step"], kind="stable").reset_index(drop=True)

