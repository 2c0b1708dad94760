"""Memory and disk a run will need, estimated before it starts; runs that would not fit are refused.

Without this, a run too big for the machine failed late and badly: ``replicates=500`` peaked at
4 GB (every month's trust/threat/posture matrices of every replicate), ``replicates=2000`` died
with numpy's ``_ArrayMemoryError`` after simulating, ``replicates=10000000`` hung drawing seeds.
Here the peak resident memory of the whole process tree and the bytes of result files are
estimated from what the run will hold, by arithmetic only (no simulation: microseconds), and
:func:`check_resources` refuses a run whose estimate exceeds ``SAFE_SHARE`` (80%) of
:func:`available_memory` (MemAvailable, or a cgroup limit's room) or whose files exceed
:func:`free_disk` at its folder. The ResourceError (a ConfigError) names the key, gives the
estimate and its largest parts, what is available, and the settings that would make the run
fit, those that address its largest parts first, each with its own estimate, then how many
replicates fit as they are and with those settings.

    estimate_run(spec, replicates, record_events, write)    one EurosecModel run (+ sim.run's tables)
    estimate_ensemble(specs, replicates, chunk, workers, dyad_period, dyad_replicates, per_step, tables)
    estimate_config(cfg, spec), estimate_comparison(cfg, specs)    the same from the apps' configs
    estimate.scaled(jobs)                                   a sweep's jobs running at once
    check_resources(estimate, out_dir, memory_available=..., disk_free=..., key="replicates")

One run (R replicates; n actors, 23; T = horizon + 1 recorded months, 121; C summary columns,
69; K replicates whose matrices are kept, S = horizon // dyad_period + 1 recorded steps,
D = K S n (n - 1) dyad rows; E events, an upper estimate from the moves and crisis slots):

    base     BASE_RUN
    state    R [STATE_MATRICES 8 n^2 + STREAM_COPIES 8 MONTH_BLOCK (2 slots + monthly draws)
                + GENERATOR_BYTES (1 + moves) + 8 (votes + 5 moves) + SEED_BYTES]
    summary  R T [C (SUMMARY_RUN_CELL + SUMMARY_WRITE_CELL) + SUMMARY_ROW]
    dyads    K S n^2 DYAD_RAW_CELL + D DYAD_ROW
    events   E (EVENT_RUN + EVENT_WRITE)
    (write=False, the Python API's model run alone: without the *_WRITE, SUMMARY_ROW, DYAD_ROW terms)

Where the coefficients come from (benchmarks/memory.py: whole runs; and probes of VmHWM phase
by phase inside a run, resetting it through /proc/self/clear_refs):

- BASE_RUN 500 MB: ``python -m sim.run replicates=1`` peaks at 345 MB in a long-used venv (246 MB
  after importing numpy, pandas, pyarrow, numba, hydra, matplotlib; then the cached kernels) but
  at 418 MB in a venv freshly built from requirements.lock with the same packages, as CI builds
  it; the first run on a machine compiles the kernels (+35 MB), and glibc keeps freed blocks
  (sim/numerics/allocator.py raises its trim threshold to 128 MB). The 100-replicate dyad run of
  tests/test_resources.py peaked at 700-720 MB in the old venv, 776 MB in a fresh one and 814 MB
  on the CI machine: 500 covers all three (the base of an ensemble's parent and workers below
  carries the same +90 MB).
- STATE_MATRICES 12, STREAM_COPIES 1, MONTH_BLOCK 60, GENERATOR_BYTES 1100, SEED_BYTES 200:
  the engine keeps 8 (R, n, n) float64 arrays (own, social, trust, threat, posture, irritant
  floor and load, ceiling), the threat-target base and a float32 buffer (9.5 arrays), and a
  month makes (R, n, n) temporaries (trust[rows], crisis damping); each random stream holds
  60 months of uniforms per replicate (the crisis stream 38 wide: 18 KB) and a numpy Generator
  per replicate (1.04 KB measured); seeds, counters and the seed list of the metadata: 200
  bytes. Fitted with R = 2000 at 31, 121 and 481 months: 67.6 KB per replicate without moves
  (formula 70 KB); ten moves add 14.6 KB (formula 18 KB). Since then the streams hold 12 months
  and a 32-byte compiled generator state (sim/numerics/streams.py, pcg64.py), so these two
  terms overstate a run, by some 50 KB per replicate for make bench's arm: kept as an upper
  bound until refitted.
- SUMMARY_RUN_CELL 4: the recorder keeps every month's summary row in float32.
- SUMMARY_WRITE_CELL 8.5, SUMMARY_ROW 40: the frame (a stacked copy, int16 counts, replicate,
  seed, step and date columns) and pyarrow's copy of its strided float32 columns when written:
  896 bytes per replicate-month measured at C = 69 (the same fit).
- DYAD_RAW_CELL 12: three float32 matrices per kept replicate and recorded step (run time).
- DYAD_ROW 107: Recorder.dyads_frame holds one 30-byte-a-row frame per step, their concatenation,
  the sorted copy and the sort keys: 109-117 bytes per row measured all told (R = 100-500 every
  month, R = 1000 yearly), 12.6 of them the raw matrices: dyads cost nine times their data.
- E = events_per_replicate(spec) R: every attempt each move may make (proposal, a vote per
  decider and ratifier, a decision per bloc party, outcome; enactment or abandonment), and
  crises at the hazard of a tense Europe (CRISIS_TENSION 0.5), each with its escalation check
  and escalation and RESPONSES_PER_MOVE 0.1 responses per move: 1.4-1.7x the events logged
  (per replicate: incremental_web 344 vs 243, treaty_track 116 vs 84.5, baseline_2010 40 vs 23.5).
- EVENT_RUN 200, EVENT_WRITE 550 (per estimated event): the log's chunks while running (per-row
  reason strings), then its frame (object and float64 columns, concatenated, sorted, made
  categorical): 740-900 bytes per logged event measured (R = 2000-4000, four scenarios), i.e.
  520-600 per estimated one.

Ensembles (A arms, chunk c = min(chunk, R), P processes running arms, k per_step columns,
row = 17 + 4 k + 8 + longest arm name: a per-step summary row with its arm column, D dyad rows
per arm, m = state + T (CHUNK_SUMMARY_CELL C + CHUNK_SUMMARY_ROW) a chunk model's replicate):

    P = 1   PARENT_BASE + alive m + D DYAD_WORKER_ROW + gather,
            alive = R + c + min(GC_WINDOW, GC_SHARE (A - 1) R)
    P > 1   the larger of: while the arms run, PARENT_RUN_BASE + HELPERS + the results gathered so
            far (A arms: R T row, finals, final trust, D DYAD_RESULT_ROW) + P workers of
            WORKER_BASE + (R + c) m + 2 R T row + D DYAD_WORKER_ROW;
            and, once idle workers are shut down, the parent writing: PARENT_BASE + gather
    gather  A R T (GATHER_COPIES row + PROVENANCE_ROW) + A (2 finals + trust) + A D DYAD_PARENT_ROW

- alive: run_arm's chunk models are not freed when it moves to the next chunk. EurosecModel
  has reference cycles (Mesa's model and agents, the data collector's closures), so only the
  cyclic garbage collector frees them, in its rare full collections: up to 17 chunk models of
  500 (8,500 replicates) were alive at once in one process, and chunking bounds memory much
  less than it was meant to. A worker holds about an arm's worth, R + c (97-160 KB per
  replicate of R + c measured, R = 200-5000); one process running every arm up to GC_WINDOW
  3500 replicates more, or GC_SHARE 0.35 of the earlier arms' (fitted to workers=1 runs at
  R = 200-5000, whose peaks vary by up to 14% from run to run with the collector's timing).
- CHUNK_SUMMARY_CELL 8, CHUNK_SUMMARY_ROW 20: a chunk's float32 summary and its frame.
- PARENT_BASE 520 MB (430 measured in a long-used venv, +90 MB for a fresh one, see BASE_RUN): compare_options' parent (imports, every arm compiled, joblib, pandas'
  lazily loaded Arrow kernels, allocator slack): 400-411 MB with 2 replicates; 580 MB
  extrapolated to none from R = 1000-5000, less the 175 MB of its default dyads.
  PARENT_RUN_BASE 520 MB: the parent while workers run (408-530 measured, R = 200-1000).
  WORKER_BASE 420 MB (330 +90): a loky worker (285 MB after a 2-replicate arm) and its allocator slack.
  HELPERS 60 MB: joblib's resource tracker (41 MB) and helper (14).
- GATHER_COPIES 2.2, PROVENANCE_ROW 34: the parent holds every arm's table and their
  concatenation, then adds provenance columns (scenario string, master_seed, categoricals):
  232 bytes per row at k = 12 (R = 1000-5000). FINALS_ROW 40: a finals row's ids, totals and
  agreed flags beyond its C float32 columns; the final trust matrices are n^2 float32.
- DYAD_WORKER_ROW 215: an arm's dyads in a worker (the chunk frame as above, its copy with the
  arm column, their concatenation, the pickled result); DYAD_RESULT_ROW 48 once received;
  DYAD_PARENT_ROW 165: every arm's, their concatenation and provenance columns (143-145
  measured, R = 300, all replicates yearly).

Disk (upper bounds of zstd Parquet): the summary C DISK_SUMMARY_CELL + DISK_SUMMARY_ROW bytes
a row (286 measured at C = 69: float32 hardly compresses), dyads DISK_DYAD_ROW 13 a row (10.9
to 11.5 measured), events DISK_EVENT 40 per estimated event (about 20 per logged event), the
seed list DISK_SEED 24 bytes a replicate in each file's metadata, DISK_FIXED 2 MB (figures,
config, narrative).

Where the memory goes: a single run's floor is 350-420 MB of libraries. Above it, the dyads
dominate whenever all replicates' matrices are kept (12 bytes of data a row cost 117 at the
peak, in three copies of a 30-byte frame while it is built and sorted); without them the engine
state (70 KB a replicate, more than the 121-month summary's 33 KB) and the summary (stored three
times: float32 rows, the frame, pyarrow's copy) share it, and the event log costs 0.75-0.9 KB an
event. A comparison's default (1.5 GB) is mostly fixed cost: a 520 MB parent and two 420 MB
workers; its chunk models outlive their chunks until the garbage collector runs (above).

Measured by benchmarks/memory.py on 2026-11-30 (a VM with 2 cores and 25 GB; Python 3.12.1, numpy
2.5, pandas 3.1, pyarrow 26): peak resident memory of the process tree against the estimate.
"run": python -m sim.run, incremental_web unless said, no figure; "compare": python -m
experiments.compare_options, 11 arms, its default dyads (20 replicates, yearly); processes:
2 workers add 2 loky workers and 2 joblib helpers. Disk: files written and their estimate.

    configuration                              measured estimate ratio    disk estimate
    run R=1 (defaults)                            343MB    408MB  1.19     1MB      3MB
    run R=50 dyads all                            741MB    789MB  1.06    35MB     44MB
    run R=200 dyads all                         1,816MB  1,955MB  1.08   141MB    171MB
    run R=200 dyads all, no events              1,810MB  1,903MB  1.05   141MB    168MB
    run R=200 dyads all, baseline               1,807MB  1,906MB  1.05   102MB    169MB
    run R=200 dyads 20                            607MB    637MB  1.05    22MB     28MB
    run R=500 dyads all                         4,062MB  4,287MB  1.06   353MB    425MB
    run R=500 dyads all, period 12                894MB    960MB  1.07    50MB     63MB
    run R=500 dyads 20                            686MB    774MB  1.13    33MB     43MB
    run R=500 dyads 20, no events                 606MB    645MB  1.07    31MB     36MB
    run R=2000 dyads 20                         1,131MB  1,457MB  1.29    91MB    116MB
    run R=2000 no dyads, no events, baseline      698MB    759MB  1.09    40MB     73MB
    run R=5000 dyads 20, no events              1,428MB  1,534MB  1.07   158MB    195MB
    run R=1000 dyads 20, 480 months             1,652MB  1,903MB  1.15   194MB    227MB
    compare R=200 workers=1                       723MB    881MB  1.22    20MB     36MB
    compare R=200 workers=2                     1,157MB  1,409MB  1.22    20MB     36MB
    compare R=1000 workers=1                    1,399MB  1,708MB  1.22    51MB    107MB
    compare R=1000 workers=2 (default)          1,516MB  1,875MB  1.24    51MB    107MB
    compare R=5000 workers=2                    3,488MB  3,777MB  1.08   208MB    462MB
    compare R=2000 workers=2 chunk=2000         1,911MB  2,778MB  1.45    90MB    195MB
    compare R=300 workers=2 dyads all, yearly   3,381MB  3,562MB  1.05   181MB    267MB
    compare R=2000 workers=1                    1,725MB  2,190MB  1.27    90MB    195MB
    compare R=5000 workers=1                    2,789MB  3,635MB  1.30   208MB    462MB
    compare R=2000 workers=2 per_step=1 column  1,816MB  2,191MB  1.21    25MB     78MB
    compare R=2000 workers=2 per_step=all 69    2,704MB  3,178MB  1.18   428MB    802MB
    combinations R=200 workers=2 (59 arms)      1,590MB  1,817MB  1.14     0MB      2MB

Estimate / measured over these peaks (all above 300 MB): 1.05 to 1.45. Repeated runs
vary by up to 1% in one process and up to 14% with workers=1 (the garbage collector's timing).
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sim.config.schema import output_default
from sim.errors import ResourceError
from sim.output.outcomes import column_names

# ----------------------------------------------------------------------------- coefficients
# one run (sim.run, EurosecModel)
BASE_RUN = 500e6
STATE_MATRICES = 12.0
STREAM_COPIES = 1.0
MONTH_BLOCK = 60
GENERATOR_BYTES = 1100.0
SEED_BYTES = 200.0
SUMMARY_RUN_CELL = 4.0
SUMMARY_WRITE_CELL = 8.5
SUMMARY_ROW = 40.0
DYAD_RAW_CELL = 12.0
DYAD_ROW = 107.0
EVENT_RUN = 200.0
EVENT_WRITE = 550.0
CRISIS_TENSION = 0.5
RESPONSES_PER_MOVE = 0.1
# ensembles (experiments.ensemble.run_arms, experiments.compare_options.compare)
PARENT_BASE = 520e6
PARENT_RUN_BASE = 520e6
WORKER_BASE = 420e6
HELPERS = 60e6
CHUNK_SUMMARY_CELL = 8.0
CHUNK_SUMMARY_ROW = 20.0
GC_WINDOW = 3500
GC_SHARE = 0.35
GATHER_COPIES = 2.2
PROVENANCE_ROW = 34.0
FINALS_ROW = 40.0
DYAD_WORKER_ROW = 215.0
DYAD_PARENT_ROW = 165.0
DYAD_RESULT_ROW = 48.0
# disk (Parquet, zstd)
DISK_SUMMARY_CELL = 4.0
DISK_SUMMARY_ROW = 16.0
DISK_DYAD_ROW = 13.0
DISK_EVENT = 40.0
DISK_SEED = 24.0
DISK_FIXED = 2e6
# the share of the available memory a run may plan to use
SAFE_SHARE = 0.8

GB = 1e9


@dataclass(frozen=True)
class Option:
    """A change of settings that reduces an estimate: the setting, the part it reduces, and the
    estimate with it."""

    setting: str
    part: str
    memory: int
    disk: int
    change: dict = field(default_factory=dict, compare=False, repr=False)  # keywords of Estimate.at


@dataclass(frozen=True)
class Estimate:
    """Expected peak resident memory of the whole process tree (conservative) and bytes of
    result files written (an upper bound) by a run; ``parts``: named memory components,
    largest first. ``options``: settings that would reduce it; ``at``: the (memory, disk) of the
    same run with another number of replicates."""

    memory: int
    disk: int
    parts: dict[str, int]
    options: tuple[Option, ...] = ()
    at: Callable[[int], tuple[int, int]] | None = field(default=None, compare=False, repr=False)
    replicates: int | None = None
    min_replicates: int = 1

    def describe(self) -> str:
        """'about 3.9 GB (dyads 3.1 GB, summary 0.4 GB, ...)': parts of at least 1% or 10 MB."""
        shown = [f"{name} {_size(v)}" for name, v in self.parts.items() if v >= max(0.01 * self.memory, 10e6)]
        return f"about {_size(self.memory)}" + (f" ({', '.join(shown)})" if shown else "")

    def scaled(self, jobs: int, disk: int | None = None) -> Estimate:
        """The estimate of ``jobs`` such runs at once (a sweep's parallel jobs): memory and parts
        times ``jobs``, disk ``disk`` (default: unchanged), keeping the ways to reduce it."""
        k = max(int(jobs), 1)
        at = None
        if self.at is not None:
            def at(r: int, _one=self.at, **change) -> tuple[int, int]:
                memory, disk = _one(r, **change)
                return memory * k, disk
        options = tuple(Option(o.setting, o.part, o.memory * k, o.disk, o.change) for o in self.options)
        return Estimate(self.memory * k, self.disk if disk is None else int(disk),
                        {name: v * k for name, v in self.parts.items()}, options, at, self.replicates,
                        self.min_replicates)


def _size(b: float) -> str:
    if b >= 1e12:
        return f"{b / 1e12:,.1f} TB"
    if b >= 1e9:
        return f"{b / 1e9:.1f} GB"
    return f"{max(b, 0.0) / 1e6:.0f} MB"


def _parts(parts: Mapping[str, float]) -> dict[str, int]:
    return dict(sorted(((k, int(math.ceil(v))) for k, v in parts.items()), key=lambda kv: -kv[1]))


# ------------------------------------------------------------------ sizes read from the spec
def summary_columns(spec) -> int:
    """Columns of the per-step summary (sim.output.records.Recorder.columns), without building one."""
    return len(column_names(spec))


def selected_count(selection, replicates: int) -> int:
    """Replicates a checked ``dyad_replicates`` selection picks (None: all; k: the first k; a
    list: those that exist)."""
    if selection is None:
        return replicates
    if isinstance(selection, bool):
        raise TypeError("a replicate selection is None, an int or a list of ints")
    if isinstance(selection, int):
        return max(min(selection, replicates), 0)
    return sum(1 for r in set(selection) if 0 <= r < replicates)


def recorded_steps(horizon: int, period: int) -> int:
    """Steps at which matrices are recorded: 0, period, 2 * period, ... <= horizon."""
    return horizon // period + 1 if period and period > 0 else 0


def state_bytes(spec) -> float:
    """Bytes one replicate's engine holds while it runs (state matrices, random streams)."""
    n, moves = spec.roster.n, spec.moves
    width = 2 * len(spec.slots) + sum(m.n_monthly_draws for m in moves)
    votes = sum(spec.negotiation.max_attempts * m.n_attempt_draws for m in moves)
    return (STATE_MATRICES * n * n * 8 + STREAM_COPIES * MONTH_BLOCK * 8 * width
            + GENERATOR_BYTES * (1 + len(moves)) + 8 * (votes + 5 * len(moves)) + SEED_BYTES)


def events_per_replicate(spec) -> float:
    """An upper estimate of the events one replicate logs over the run: every attempt a move may
    make (proposal, votes, internal decisions, outcome; enactment or abandonment), and crises at
    the hazard of a tense Europe (mean threat CRISIS_TENSION between every site's sides), each
    with its escalation check and escalation and RESPONSES_PER_MOVE responses per move."""
    months, neg = spec.horizon, spec.negotiation
    total = 0.0
    for m in spec.moves:
        if m.start > months:
            continue
        if m.unilateral:
            total += 2
            continue
        tries = min(neg.max_attempts, 1 + (months - m.start) // neg.retry_after) if m.retry else 1
        multi = sum(1 for p in m.parties if len(p.deciders) > 1)
        total += tries * (2 + len(m.deciders) + len(m.ratifiers) + multi) + 2
    if spec.crises_enabled:
        for s in spec.slots:
            hazard = 1.0 - math.exp(-s.base_rate * (1.0 + CRISIS_TENSION * s.threat_sensitivity))
            checks = 1.0 + min(1.0, 2.0 * s.escalation) if (s.conflict and s.escalation > 0) else 0.0
            total += months * hazard * (1.0 + checks + RESPONSES_PER_MOVE * len(spec.moves))
    return total


# ----------------------------------------------------------------------------- one run
def _run(spec, R: int, events_on: bool, write: bool, period: int, selection) -> tuple[dict[str, float], float]:
    n = spec.roster.n
    T, C = spec.horizon + 1, summary_columns(spec)
    kept = selected_count(selection, R)
    steps = recorded_steps(spec.horizon, period) if kept else 0
    rows = kept * steps * n * (n - 1)
    events = events_per_replicate(spec) * R if events_on else 0.0
    parts = {
        "base": BASE_RUN,
        "state": R * state_bytes(spec),
        "summary": R * T * (C * (SUMMARY_RUN_CELL + (SUMMARY_WRITE_CELL if write else 0.0))
                            + (SUMMARY_ROW if write else 0.0)),
        "dyads": kept * steps * n * n * DYAD_RAW_CELL + (rows * DYAD_ROW if write else 0.0),
        "events": events * (EVENT_RUN + (EVENT_WRITE if write else 0.0)),
    }
    disk = 0.0
    if write:
        disk = (R * T * (C * DISK_SUMMARY_CELL + DISK_SUMMARY_ROW) + rows * DISK_DYAD_ROW + events * DISK_EVENT
                + R * DISK_SEED * 4 + DISK_FIXED)
    return parts, disk


def estimate_run(spec, replicates: int, record_events: bool | None = True, write: bool = True) -> Estimate:
    """Peak memory and disk of one ``EurosecModel`` run of ``spec`` (a ModelSpec: roster,
    horizon, moves, crisis slots, ``dyad_period``, ``dyad_replicates``) with ``replicates``
    replicates to its horizon and, with ``write``, its tables turned into DataFrames and written
    as Parquet (``sim.run.execute``). ``record_events=None``: the spec's ``output.events``."""
    if record_events is None:
        record_events = bool((spec.config.get("output") or {}).get("events", output_default("events")))
    R = int(replicates)
    period, selection = spec.dyad_period, spec.dyad_replicates

    def at(r: int, events_on=record_events, period=period, selection=selection) -> tuple[int, int]:
        parts, disk = _run(spec, r, events_on, write, period, selection)
        return sum(_parts(parts).values()), int(math.ceil(disk))

    parts, disk = _run(spec, R, record_events, write, period, selection)
    options = []
    if period and selected_count(selection, R) > 20:
        _option(options, at, R, "output.dyad_replicates=20", "dyads", selection=20)
    if period and period < 12 and selected_count(selection, R):
        _option(options, at, R, "output.dyad_period=12", "dyads", period=12)
    if record_events:
        _option(options, at, R, "output.events=false", "events", events_on=False)
    return Estimate(sum(_parts(parts).values()), int(math.ceil(disk)), _parts(parts), tuple(options), at, R)


def _option(options: list, at, R: int, setting: str, part: str, **change) -> None:
    options.append(Option(setting, part, *at(R, **change), change=change))


def estimate_config(cfg: Mapping, spec=None, write: bool = True) -> Estimate:
    """The estimate of ``python -m sim.run`` for a resolved config (``spec``: its compiled spec)."""
    if spec is None:
        from sim.config.spec import compile_spec

        spec = compile_spec(cfg)
    events = bool((cfg.get("output") or {}).get("events", output_default("events")))
    return estimate_run(spec, int(cfg.get("replicates", 1)), events, write)


# ----------------------------------------------------------------------------- ensembles
def _ensemble(specs: list, R: int, chunk: int, procs: int, period: int, selection,
              per_step, tables: bool = True) -> tuple[dict[str, float], float]:
    A = len(specs)
    c = max(min(int(chunk), R), 1)
    spec0 = specs[0][1]
    n = spec0.roster.n
    T = max(s.horizon for _, s in specs) + 1
    C = summary_columns(spec0)
    k = C if per_step is None else len(per_step)
    name = max(len(a) for a, _ in specs)
    kept = selected_count(selection, R)
    rows = kept * recorded_steps(T - 1, period) * n * (n - 1) if kept else 0  # per arm
    state = max(state_bytes(s) for _, s in specs)
    chunk_summary = T * (C * CHUNK_SUMMARY_CELL + CHUNK_SUMMARY_ROW)
    result_row = 17 + 4 * k + 8 + name  # replicate, seed, step, date; per_step columns; arm
    finals = R * (C * 4 + FINALS_ROW + len(spec0.moves))  # per arm
    trust = R * n * n * 4  # per arm, until the parent has averaged it
    # the parent gathering and writing: every arm's tables, their concatenation and provenance
    gather = {"summary": A * R * T * (GATHER_COPIES * result_row + PROVENANCE_ROW),
              "finals": A * (2 * finals + trust), "dyads": A * rows * DYAD_PARENT_ROW}
    if procs <= 1:
        alive = R + c + min(GC_WINDOW, GC_SHARE * (A - 1) * R)  # chunk models awaiting the garbage collector
        phases = [{"base": PARENT_BASE, "state": alive * state, "summary": alive * chunk_summary + gather["summary"],
                   "finals": gather["finals"], "dyads": rows * DYAD_WORKER_ROW + gather["dyads"]}]
    else:
        alive = R + c
        worker = {"state": alive * state, "summary": alive * chunk_summary + 2 * R * T * result_row,
                  "dyads": rows * DYAD_WORKER_ROW}
        results = {"summary": A * R * T * result_row, "finals": A * (finals + trust),
                   "dyads": A * rows * DYAD_RESULT_ROW}
        running = {"base": PARENT_RUN_BASE + HELPERS + procs * WORKER_BASE,
                   "state": procs * worker["state"], "summary": procs * worker["summary"] + results["summary"],
                   "finals": results["finals"], "dyads": procs * worker["dyads"] + results["dyads"]}
        writing = {"base": PARENT_BASE, **gather}
        phases = [running, writing]
    parts = max(phases, key=lambda p: sum(p.values()))
    disk = DISK_FIXED + R * DISK_SEED * 5
    if tables:
        disk += (A * R * T * (k * DISK_SUMMARY_CELL + DISK_SUMMARY_ROW) + A * R * (C * DISK_SUMMARY_CELL + 40)
                 + A * rows * DISK_DYAD_ROW)
    return parts, disk


def estimate_ensemble(specs: Mapping, replicates: int, chunk: int, workers: int, dyad_period: int,
                      dyad_replicates, per_step: list[str] | None, tables: bool = True) -> Estimate:
    """Peak memory (parent and worker processes) and disk of ``experiments.ensemble.run_arms``
    over the arms ``specs`` (name -> ModelSpec) with ``replicates`` each, in chunks of
    ``chunk``, in ``workers`` processes (0: one per core, at most one per arm), keeping matrices
    every ``dyad_period`` months for ``dyad_replicates`` and the summary columns ``per_step``
    (None: all); then what ``experiments.compare_options.compare`` holds while writing its
    summary, finals and dyads tables (``tables=False``: small tables only, as
    experiments.combinations writes; the disk estimate counts only those)."""
    items = list(specs.items()) if isinstance(specs, Mapping) else list(specs)
    R, A = int(replicates), len(items)
    if A == 0 or R <= 0:
        return Estimate(int(PARENT_BASE), int(DISK_FIXED), {"base": int(PARENT_BASE)})
    W = workers if workers > 0 else _cores()
    procs = max(1, min(W, A)) if A > 1 else 1
    selection = tuple(dyad_replicates) if isinstance(dyad_replicates, list) else dyad_replicates

    def at(r: int, chunk=chunk, procs=procs, period=dyad_period, selection=selection,
           per_step=per_step) -> tuple[int, int]:
        parts, disk = _ensemble(items, r, chunk, procs, period, selection, per_step, tables)
        return sum(_parts(parts).values()), int(math.ceil(disk))

    parts, disk = _ensemble(items, R, chunk, procs, dyad_period, selection, per_step, tables)
    options = []
    if dyad_period and selected_count(selection, R) > 20:
        _option(options, at, R, "dyads.replicates=20", "dyads", selection=20)
    if dyad_period and dyad_period < 12 and selected_count(selection, R):
        _option(options, at, R, "dyads.period=12", "dyads", period=12)
    if procs > 1:
        _option(options, at, R, "workers=1", "base", procs=1)
    if min(chunk, R) > 100:
        smaller = max(100, min(chunk, R) // 4)
        _option(options, at, R, f"chunk={smaller}", "state", chunk=smaller)
    k = summary_columns(items[0][1]) if per_step is None else len(per_step)
    if k > 4:
        _option(options, at, R, f"a per_step of 4 columns (not {k})", "summary", per_step=["?"] * 4)
    return Estimate(sum(_parts(parts).values()), int(math.ceil(disk)), _parts(parts), tuple(options), at, R,
                    min_replicates=2)


def estimate_comparison(cfg: Mapping, specs: Mapping) -> Estimate:
    """The estimate of ``python -m experiments.compare_options`` for a resolved config and its
    compiled arms (``validate(cfg)``); ``workers=0`` counts one process per core."""
    dyads = cfg.get("dyads") or {}
    selection = dyads.get("replicates")
    if isinstance(selection, list | tuple):
        selection = tuple(selection)
    return estimate_ensemble(specs, int(cfg["replicates"]), int(cfg["chunk"]), int(cfg.get("workers", 0)),
                             int(dyads.get("period", 0)), selection, list(cfg.get("per_step") or []))


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# ------------------------------------------------------------------------------ available
def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    try:
        return int(text)
    except ValueError:  # "max": no limit
        return None


def _stat_value(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_room() -> int | None:
    """Room left under this process's cgroup memory limits, the tightest over its cgroup and
    the cgroup's ancestors (v2: memory.max - memory.current; v1: memory.limit_in_bytes -
    memory.usage_in_bytes), counting inactive file cache as free; None without a limit."""
    root = Path("/sys/fs/cgroup")
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    rooms = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            base, limit_file, usage_file, cache_key = root, "memory.max", "memory.current", "inactive_file"
        elif "memory" in controllers.split(","):
            base, limit_file, usage_file, cache_key = (root / "memory", "memory.limit_in_bytes",
                                                       "memory.usage_in_bytes", "total_inactive_file")
        else:
            continue
        # the process's own cgroup and its ancestors, as mounted here (in a container the
        # namespace root is mounted at the base itself)
        here = base / path.lstrip("/")
        folders = [here, *here.parents] if base in here.parents else [base]
        for d in folders:
            if d != base and base not in d.parents:
                continue
            limit, usage = _read_int(d / limit_file), _read_int(d / usage_file)
            if limit is None or usage is None or limit >= 1 << 60:
                continue
            cache = _stat_value(d / "memory.stat", cache_key)
            rooms.append(max(limit - max(usage - cache, 0), 0))
    return min(rooms) if rooms else None


def available_memory() -> int:
    """Bytes that can still be allocated: the least of /proc/meminfo's MemAvailable and the room
    left under any cgroup memory limit (v2 memory.max - memory.current, or v1)."""
    values = [v for v in (_meminfo_available(), _cgroup_room()) if v is not None]
    if not values:
        try:
            values = [os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")]
        except (ValueError, OSError, AttributeError):
            return 1 << 62  # unknown: do not refuse
    return int(max(min(values), 1))


def free_disk(path) -> int:
    """Free bytes (for an unprivileged user) on the filesystem of ``path`` or, if it does not
    exist yet, of its nearest existing ancestor."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return int(shutil.disk_usage(p).free)


# ------------------------------------------------------------------------------------ check
def check_resources(estimate: Estimate, out_dir=None, *, memory_available: int | None = None,
                    disk_free: int | None = None, key: str = "replicates") -> None:
    """Raise ResourceError (naming ``key``) if ``estimate`` needs more memory than SAFE_SHARE of
    what is available (``memory_available``, default: available_memory()), or more disk than is
    free at ``out_dir`` (``disk_free``, default: free_disk(out_dir); no disk check without
    ``out_dir``). The message gives the estimate, what is available, and ways to reduce it."""
    avail = available_memory() if memory_available is None else int(memory_available)
    budget = int(SAFE_SHARE * avail)
    if estimate.memory > budget:
        problem = (f"the run would need {estimate.describe()} of memory at its peak, more than the "
                   f"{_size(budget)} it may use ({SAFE_SHARE:.0%} of the {_size(avail)} available)")
        raise ResourceError(key, problem, _advice(estimate, key, lambda m, d: m <= budget, 0))
    if out_dir is None:
        return
    free = free_disk(out_dir) if disk_free is None else int(disk_free)
    if estimate.disk > free:
        problem = (f"the results would take about {_size(estimate.disk)} of disk, more than the "
                   f"{_size(free)} free at {out_dir}")
        advice = _advice(estimate, key, lambda m, d: d <= free and m <= budget, 1)
        raise ResourceError(key, problem, advice + "; or an output folder on a disk with more room")


def _advice(estimate: Estimate, key: str, fits: Callable[[int, int], bool], which: int) -> str:
    """Ways to reduce the estimate (memory: ``which`` 0; disk: 1): the settings that cut it by at
    least a tenth, those addressing its largest parts first, each with the new figure; then the
    replicates that fit as they are and with the most useful of those settings together."""
    rank = {name: k for k, name in enumerate(estimate.parts)}
    current = (estimate.memory, estimate.disk)[which]
    useful = sorted((o for o in estimate.options if (o.memory, o.disk)[which] <= 0.9 * current),
                    key=lambda o: (rank.get(o.part, len(rank)), (o.memory, o.disk)[which]))
    hints = [f"{o.setting} (about {_size((o.memory, o.disk)[which])}"
             f"{'' if fits(o.memory, o.disk) else ', not enough alone'})" for o in useful]
    if estimate.at is not None and estimate.replicates:
        most = _most_replicates(estimate, fits)
        # settings that together let the most replicates fit, added greedily
        chosen, change, more = [], {}, most or 0
        while True:
            trials = [(_most_replicates(estimate, fits, {**change, **o.change}) or 0, o)
                      for o in useful if o not in chosen]
            best = max(trials, key=lambda t: t[0], default=None)
            if best is None or best[0] <= 1.05 * max(more, 1):
                break
            more, chosen, change = best[0], [*chosen, best[1]], {**change, **best[1].change}
        text = f"{key}={most} or fewer" if most is not None and most < estimate.replicates else ""
        if chosen and more > (most or 0):
            extra = f"{key}={more} or fewer with {' and '.join(o.setting for o in chosen)}"
            text = f"{text} ({extra})" if text else extra
        if most is None and not (chosen and more):
            low = estimate.at(estimate.min_replicates)[which]
            text = (f"even {estimate.min_replicates} replicate{'s' if estimate.min_replicates > 1 else ''} would "
                    f"need about {_size(low)}: free {'memory' if which == 0 else 'disk space'} first")
        if text:
            hints.append(text)
    if not hints:  # an estimate made without its settings: hints by its largest parts
        generic = {"dyads": "fewer matrices kept (output.dyad_replicates=20 or output.dyad_period=12; in "
                            "experiments dyads.replicates=20 or dyads.period=12)",
                   "events": "output.events=false", "base": "workers=1 in experiments"}
        hints = [generic[p] for p, v in estimate.parts.items() if p in generic and v >= 0.2 * current]
        hints.append(f"fewer {key}")
    return "a run that fits, e.g. " + "; ".join(hints)


def _most_replicates(estimate: Estimate, fits: Callable[[int, int], bool], change: dict | None = None) -> int | None:
    """The most replicates (at most the estimate's) that fit with the settings ``change``, by
    bisection (sizes grow with replicates); None if not even the fewest fit."""
    change = change or {}
    lo, hi = estimate.min_replicates, estimate.replicates
    if not fits(*estimate.at(lo, **change)):
        return None
    if fits(*estimate.at(hi, **change)):
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(*estimate.at(mid, **change)):
            lo = mid
        else:
            hi = mid
    return lo
