"""Recording what happened, as tidy tables.

``summary``: one row per (replicate, step) with Europe-wide means, key dyads, crises and
structures. ``dyads``: one row per (replicate, step, observer, target) with trust, threat and
posture, every ``dyad_period`` months, in float32, for the replicates ``dyad_replicates``
selects (all by default). Step 0 is the initial state.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.numerics import kernels
from sim.config.selection import check_replicate_selection, selected_replicates
from sim.core.state import MoveStatus

def empty_dyads(ids) -> pd.DataFrame:
    """A dyads table without rows, with the columns and dtypes of a full one."""
    actors = pd.CategoricalDtype(list(ids))
    dtypes = {"replicate": np.int32, "seed": np.int64, "step": np.int32, "observer": actors, "target": actors,
              "trust": np.float32, "threat": np.float32, "posture": np.float32}
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})


class Recorder:
    COUNTS = ("crises", "escalations", "agreements_reached", "agreements_in_force", "agreements_failed",
              "channels_open", "clauses_in_force", "commitments_in_force", "missions_in_force")

    def __init__(self, engine, dyad_period: int, dyad_replicates: int | tuple[int, ...] | None = None):
        self.engine = engine
        spec = engine.spec
        ids = spec.ids
        self.dyad_period = dyad_period
        # replicates whose full matrices are stored (None: all, without copying a selection)
        check_replicate_selection("output.dyad_replicates", dyad_replicates, engine.R)
        self.dyad_rows = None if dyad_replicates is None else selected_replicates(dyad_replicates, engine.R)
        if self.dyad_rows is not None and self.dyad_rows.size == 0:
            self.dyad_period = 0
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
        self._plan = None  # built on the first record (kernels.column_means)

    def _state_plan(self, spec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The state-derived columns (before the counts) as means of one state array over flat
        pair lists, in column order, for kernels.column_means."""
        n, ids = spec.roster.n, spec.ids
        flat = lambda pairs: [i * n + j for i, j in pairs]  # noqa: E731
        mask = [tuple(p) for p in np.argwhere(self.pair_mask)]
        plan = [(0, flat(mask)), (1, flat(mask)), (2, flat(mask))]
        plan += [(0, flat([(i, j)])) for i, j in spec.key_dyads]
        plan += [(1, flat([(i, j)])) for i, j in spec.key_dyads]
        rus, west = self.rus, self.west
        for a in spec.affected:
            if rus is not None:
                plan += [(0, flat([(a, rus)])), (0, flat([(rus, a)])), (1, flat([(a, rus)]))]
            if west:
                plan += [(0, flat([(a, w) for w in west])), (0, flat([(w, a) for w in west]))]
        assert len(plan) == self.columns.index("crises"), (len(plan), ids)
        source = np.array([p[0] for p in plan], dtype=np.int64)
        index = np.array([i for _, pairs in plan for i in pairs], dtype=np.int64)
        starts = np.cumsum([0] + [len(p[1]) for p in plan]).astype(np.int64)
        return source, index, starts

    def record(self) -> None:
        eng = self.engine
        s, t = eng.state, eng.step_count
        R = eng.R
        if self._plan is None:
            self._plan = self._state_plan(eng.spec)
        source, index, starts = self._plan
        state_cols = np.empty((R, source.size))
        kernels.column_means(s.trust.reshape(R, -1), s.threat.reshape(R, -1), s.posture.reshape(R, -1),
                             source, index, starts, state_cols)
        structures = eng.structures.counts()
        cols = [
            eng.counters["crises"].astype(float),
            eng.counters["escalations"].astype(float),
            (eng.book.enacted_at >= 0).sum(axis=1).astype(float),
            (eng.book.status == MoveStatus.IN_FORCE).sum(axis=1).astype(float),
            (eng.book.status == MoveStatus.FAILED).sum(axis=1).astype(float),
        ]
        cols += [np.broadcast_to(structures[name], (eng.R,)).astype(float) for name in self.COUNTS[5:]]
        hs = eng.human_security
        if hs.territories:
            cols += [hs.value.mean(axis=1)] + [hs.value[:, k] for k in range(len(hs.territories))]
        # kept in float32, the precision of the summary table (halves an ensemble's memory)
        self._summary.append(np.concatenate([state_cols, np.stack(cols, axis=1)], axis=1).astype(np.float32))
        self._steps.append(t)
        if self.dyad_period and t % self.dyad_period == 0:
            rows = self.dyad_rows
            if rows is None:
                self._dyads.append((t, s.trust.astype(np.float32), s.threat.astype(np.float32),
                                    s.posture.astype(np.float32)))
            else:
                self._dyads.append((t, s.trust[rows].astype(np.float32), s.threat[rows].astype(np.float32),
                                    s.posture[rows].astype(np.float32)))

    def latest(self) -> dict[str, np.ndarray]:
        """The last recorded summary row of every replicate, by column."""
        last = self._summary[-1]
        return {c: last[:, k] for k, c in enumerate(self.columns)}

    def summary_frame(self) -> pd.DataFrame:
        eng = self.engine
        data = np.stack(self._summary, axis=1)  # (R, T, C), float32
        R, T, _ = data.shape
        df = pd.DataFrame(data.reshape(R * T, -1), columns=self.columns, copy=False)
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
        n = len(ids)
        rows = np.arange(eng.R) if self.dyad_rows is None else self.dyad_rows
        R = rows.size
        if not self._dyads:
            return empty_dyads(ids)
        off = ~np.eye(n, dtype=bool)
        obs_idx, tgt_idx = np.nonzero(off)
        parts = []
        for t, trust, threat, posture in self._dyads:
            k = obs_idx.size
            parts.append(pd.DataFrame({
                "replicate": np.repeat(rows.astype(np.int32), k),
                "seed": np.repeat(eng.seeds[rows], k),
                "step": np.full(R * k, t, dtype=np.int32),
                "observer": pd.Categorical.from_codes(np.tile(obs_idx, R), categories=ids),
                "target": pd.Categorical.from_codes(np.tile(tgt_idx, R), categories=ids),
                "trust": trust[:, obs_idx, tgt_idx].reshape(-1),
                "threat": threat[:, obs_idx, tgt_idx].reshape(-1),
                "posture": posture[:, obs_idx, tgt_idx].reshape(-1),
            }))
        df = pd.concat(parts, ignore_index=True)
        return df.sort_values(["replicate", "step"], kind="stable").reset_index(drop=True)

