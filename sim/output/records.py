"""Recording what happened, as tidy tables.

``summary``: one row per (replicate, step) with the outcomes declared in sim.output.outcomes
(Europe-wide means, key dyads, crises, structures, ...). ``dyads``: one row per (replicate,
step, observer, target) with trust, threat and posture, every ``dyad_period`` months, in float32, for the replicates ``dyad_replicates``
selects (all by default). Step 0 is the initial state.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.numerics import kernels
from sim.numerics.threads import over_replicates
from sim.config.selection import check_replicate_selection, selected_replicates
from sim.output import outcomes

def empty_dyads(ids) -> pd.DataFrame:
    """A dyads table without rows, with the columns and dtypes of a full one."""
    actors = pd.CategoricalDtype(list(ids))
    dtypes = {"replicate": np.int32, "seed": np.int64, "step": np.int32, "observer": actors, "target": actors,
              "trust": np.float32, "threat": np.float32, "posture": np.float32}
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})


class Recorder:
    """The summary's outcome columns are those declared in sim.output.outcomes (at the time the
    recorder is built); ``outcome_columns`` holds them with their declarations."""

    def __init__(self, engine, dyad_period: int, dyad_replicates: int | tuple[int, ...] | None = None):
        self.engine = engine
        self.dyad_period = dyad_period
        # replicates whose full matrices are stored (None: all, without copying a selection)
        check_replicate_selection("output.dyad_replicates", dyad_replicates, engine.R)
        self.dyad_rows = None if dyad_replicates is None else selected_replicates(dyad_replicates, engine.R)
        if self.dyad_rows is not None and self.dyad_rows.size == 0:
            self.dyad_period = 0
        self.outcome_columns = outcomes.columns(engine.spec)
        self.columns = [c.name for c in self.outcome_columns]
        is_state = np.array([c.outcome.kind == "state_mean" for c in self.outcome_columns], dtype=bool)
        self._state_at = np.flatnonzero(is_state)  # positions of the state means (one kernel call)
        self._other_at = np.flatnonzero(~is_state)
        self._summary: list[np.ndarray] = []
        self._steps: list[int] = []
        self._dyads: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self._plan = None  # built on the first record (kernels.column_means)

    def record(self) -> None:
        eng = self.engine
        s, t = eng.state, eng.step_count
        R = eng.R
        cols = self.outcome_columns
        if self._plan is None:
            self._plan = outcomes.state_plan(eng.spec, [cols[k] for k in self._state_at])
        source, index, starts = self._plan
        state_cols = np.empty((R, source.size))
        trust, threat, posture = s.trust.reshape(R, -1), s.threat.reshape(R, -1), s.posture.reshape(R, -1)
        over_replicates(lambda lo, hi: kernels.column_means(trust[lo:hi], threat[lo:hi], posture[lo:hi], source, index,
                                                            starts, state_cols[lo:hi]), R, eng.spec.threads)
        # kept in float32, the precision of the summary table (halves an ensemble's memory);
        # each value is rounded once, from float64 (or an exact integer), as a float64 row would be
        row = np.empty((R, len(cols)), dtype=np.float32)
        row[:, self._state_at] = state_cols
        reading = outcomes.Reading(eng)
        for k in self._other_at:
            col = cols[k]
            row[:, k] = col.outcome.value(reading, **col.fields)
        self._summary.append(row)
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
        for c in self.outcome_columns:
            if np.dtype(c.outcome.dtype) != np.float32:
                df[c.name] = df[c.name].astype(c.outcome.dtype)
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

