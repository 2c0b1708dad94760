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
        chunks = self._chunks
        if not chunks:
            columns = ["replicate", "step", "order", *STRING_COLUMNS, *NUMBER_COLUMNS]
            df = pd.DataFrame({c: [] for c in columns})
            df = df.sort_values(["replicate", "step", "order"], kind="stable").reset_index(drop=True)
            df.insert(1, "seed", np.asarray(seeds, dtype=np.int64)[df["replicate"].to_numpy(dtype=np.int64)])
            df.insert(3, "date", [])
            df = df.drop(columns="order")
            for name in ("kind", "move", "actor", "counterpart", "detail"):
                df[name] = df[name].astype("category")
            df["reason"] = df["reason"].astype("string")
            df["replicate"] = df["replicate"].astype(np.int32)
            df["step"] = df["step"].astype(np.int32)
            return df
        # one array per column over all chunks (a chunk's scalar repeated), sorted once by replicate,
        # step and arrival (stable), then one DataFrame in its final column order: a DataFrame per
        # chunk and a concat, or sorting and converting columns in the DataFrame, cost most of a
        # dashboard month (9 -> 5.4 ms for a month of 31 chunks; 30 replicates' whole log 153 -> 95 ms)
        sizes = np.array([len(c["replicate"]) for c in chunks], dtype=np.int64)
        replicate = np.concatenate([np.asarray(c["replicate"], dtype=np.int64) for c in chunks])
        step = np.repeat(np.array([c["step"] for c in chunks], dtype=np.int32), sizes)
        order = np.repeat(np.arange(len(chunks), dtype=np.int64), sizes)
        index = np.lexsort((order, step, replicate))

        def column(name: str, default, dtype) -> np.ndarray:
            values = [c.get(name, default) for c in chunks]
            if not any(np.ndim(v) for v in values):
                out = np.repeat(np.array(values, dtype=dtype), sizes)
            else:
                out = np.concatenate([np.broadcast_to(np.asarray(v, dtype=dtype), (k,))
                                      for v, k in zip(values, sizes, strict=True)])
            return out[index]

        replicate, step = replicate[index], step[index]
        steps = np.unique(step)
        labels = [dates(int(s)) for s in steps]
        categories = sorted(set(labels))
        code = {label: k for k, label in enumerate(categories)}
        date_codes = np.array([code[label] for label in labels], dtype=np.int64)[np.searchsorted(steps, step)]
        data = {"replicate": replicate.astype(np.int32), "seed": np.asarray(seeds, dtype=np.int64)[replicate],
                "step": step, "date": pd.Categorical.from_codes(date_codes, categories=pd.Index(categories))}
        for name in STRING_COLUMNS:
            values = column(name, "", object)
            data[name] = values if name == "reason" else pd.Categorical(values)
        for name in NUMBER_COLUMNS:
            data[name] = column(name, np.nan, np.float64)
        df = pd.DataFrame(data)
        df["reason"] = df["reason"].astype("string")
        return df
