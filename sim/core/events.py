"""Columnar event log: every proposal, vote, outcome, crisis and response, with its numbers.

Events arrive in vectorised chunks (one kind, one step, many replicates); they are stored as
arrays and turned into one tidy DataFrame at the end, sorted by replicate, step and arrival.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STRING_COLUMNS = ("kind", "move", "actor", "counterpart", "detail", "reason")
NUMBER_COLUMNS = ("p", "draw", "value", "utility", "gain", "exposure", "trust", "domestic", "concession")


class EventLog:
    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._chunks: list[dict] = []

    def add(self, kind: str, step: int, rows: np.ndarray, **columns) -> None:
        """Record one event per replicate in ``rows``; other columns are scalars or (len(rows),)."""
        if not self.enabled or len(rows) == 0:
            return
        chunk = {"kind": kind, "step": step, "replicate": np.asarray(rows, dtype=np.int64)}
        for name, value in columns.items():
            if name not in STRING_COLUMNS and name not in NUMBER_COLUMNS:
                raise KeyError(f"unknown event column {name!r}")
            chunk[name] = value
        self._chunks.append(chunk)

    def frame(self, seeds: np.ndarray, dates) -> pd.DataFrame:
        """All events as a DataFrame (replicate, seed, step, date, kind, ... , reason)."""
        parts = []
        for order, c in enumerate(self._chunks):
            k = len(c["replicate"])
            part = {"replicate": c["replicate"], "step": np.full(k, c["step"], dtype=np.int32),
                    "order": np.full(k, order, dtype=np.int64)}
            for name in STRING_COLUMNS:
                v = c.get(name, "")
                part[name] = np.asarray(v, dtype=object) if np.ndim(v) else np.full(k, v, dtype=object)
            for name in NUMBER_COLUMNS:
                v = c.get(name, np.nan)
                part[name] = np.broadcast_to(np.asarray(v, dtype=np.float64), (k,))
            parts.append(pd.DataFrame(part))
        columns = ["replicate", "step", "order", *STRING_COLUMNS, *NUMBER_COLUMNS]
        df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({c: [] for c in columns})
        df = df.sort_values(["replicate", "step", "order"], kind="stable").reset_index(drop=True)
        df.insert(1, "seed", np.asarray(seeds, dtype=np.int64)[df["replicate"].to_numpy(dtype=np.int64)])
        labels = {int(s): dates(int(s)) for s in np.unique(df["step"])}
        df.insert(3, "date", pd.Categorical(df["step"].map(labels)) if len(df) else [])
        df = df.drop(columns="order")
        for name in ("kind", "move", "actor", "counterpart", "detail"):
            df[name] = df[name].astype("category")
        df["reason"] = df["reason"].astype("string")
        df["replicate"] = df["replicate"].astype(np.int32)
        df["step"] = df["step"].astype(np.int32)
        return df
