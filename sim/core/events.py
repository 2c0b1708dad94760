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
        columns = ["replicate", "step", "order", *STRING_COLUMNS, *NUMBER_COLUMNS]
        chunks = self._chunks
        if not chunks:
            df = pd.DataFrame({c: [] for c in columns})
        else:
            # one array per column over all chunks, then one DataFrame (a DataFrame per chunk and a
            # concat cost a few ms per chunk: most of a dashboard month)
            sizes = np.array([len(c["replicate"]) for c in chunks], dtype=np.int64)
            data = {"replicate": np.concatenate([np.asarray(c["replicate"], dtype=np.int64) for c in chunks]),
                    "step": np.repeat(np.array([c["step"] for c in chunks], dtype=np.int32), sizes),
                    "order": np.repeat(np.arange(len(chunks), dtype=np.int64), sizes)}
            for name in STRING_COLUMNS:
                data[name] = np.concatenate([
                    np.asarray(v, dtype=object) if np.ndim(v := c.get(name, "")) else np.full(k, v, dtype=object)
                    for c, k in zip(chunks, sizes, strict=True)])
            for name in NUMBER_COLUMNS:
                data[name] = np.concatenate([np.broadcast_to(np.asarray(c.get(name, np.nan), dtype=np.float64), (k,))
                                             for c, k in zip(chunks, sizes, strict=True)])
            df = pd.DataFrame(data)
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
