"""Resource estimates (sim/resources.py): they grow with what a run keeps, refuse runs that
cannot fit with a message that says how to make them fit, and stay above a real run's peak."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from sim.resources import (Estimate, available_memory, check_resources, estimate_config, estimate_ensemble,
                               estimate_run, free_disk)
from sim.config import load_config
from sim.errors import ConfigError, ResourceError
from sim.config.spec import compile_spec

ROOT = Path(__file__).resolve().parent.parent
GB = 10**9


@pytest.fixture(scope="module")
def spec():
    return compile_spec(load_config(["scenario=incremental_web"]))


def test_estimate_grows_with_replicates_months_dyads_and_events(spec):
    all_dyads = replace(spec, dyad_period=1, dyad_replicates=None)
    memory = [estimate_run(all_dyads, r).memory for r in (1, 10, 100, 1000)]
    assert memory == sorted(memory) and memory[0] < memory[-1]
    longer = compile_spec(load_config(["scenario=incremental_web", "scenario.horizon=240"]))
    assert estimate_run(replace(longer, dyad_replicates=20), 200).memory > estimate_run(
        replace(spec, dyad_replicates=20), 200).memory
    kept = [estimate_run(replace(spec, dyad_period=1, dyad_replicates=k), 500) for k in (0, 20, 100, None)]
    assert [e.memory for e in kept] == sorted(e.memory for e in kept) and kept[0].memory < kept[-1].memory
    assert [e.disk for e in kept] == sorted(e.disk for e in kept)
    assert estimate_run(replace(spec, dyad_period=12, dyad_replicates=None), 500).memory < kept[-1].memory
    with_events, without = estimate_run(spec, 500, record_events=True), estimate_run(spec, 500, record_events=False)
    assert with_events.memory > without.memory and with_events.disk > without.disk
    # parts name the components, largest first, and add up to the estimate
    e = kept[-1]
    assert set(e.parts) >= {"base", "state", "summary", "dyads", "events"}
    assert list(e.parts.values()) == sorted(e.parts.values(), reverse=True)
    assert sum(e.parts.values()) == e.memory
    assert e.describe().startswith("about ") and "dyads" in e.describe()
    # without writing, the tables are never turned into DataFrames: less memory, no disk
    api = estimate_run(replace(spec, dyad_replicates=None), 500, write=False)
    assert api.memory < kept[-1].memory and api.disk == 0


def test_ensemble_estimate_grows_with_replicates_workers_and_dyads(spec):
    arms = {"baseline": replace(spec, moves=()), "nrc": spec}
    kw = dict(chunk=500, dyad_period=12, dyad_replicates=20, per_step=["mean_trust", "crises"])
    small, big = estimate_ensemble(arms, 200, workers=1, **kw), estimate_ensemble(arms, 20_000, workers=1, **kw)
    assert small.memory < big.memory and small.disk < big.disk
    assert estimate_ensemble(arms, 2000, workers=2, **kw).memory > estimate_ensemble(arms, 2000, workers=1, **kw).memory
    kw["dyad_replicates"] = None
    no_dyads = {**kw, "dyad_period": 0}
    assert estimate_ensemble(arms, 2000, workers=1, **kw).memory > estimate_ensemble(arms, 2000, workers=1,
                                                                                       **no_dyads).memory
    # an experiment that writes only small tables (experiments.combinations) needs little disk
    assert estimate_ensemble(arms, 2000, workers=1, **kw, tables=False).disk < big.disk / 10
    # a sweep's jobs at once: memory times the jobs, the ways to reduce it kept
    one = estimate_ensemble(arms, 2000, workers=2, **kw)
    two = one.scaled(2)
    assert two.memory == 2 * one.memory and two.disk == one.disk and len(two.options) == len(one.options) > 0
    assert two.at(1000)[0] == 2 * one.at(1000)[0]


def test_ten_million_replicates_are_refused_with_the_estimate_and_a_remedy(spec):
    e = estimate_run(replace(spec, dyad_period=1, dyad_replicates=None), 10_000_000)
    with pytest.raises(ResourceError) as info:
        check_resources(e)
    err = info.value
    assert isinstance(err, ConfigError) and err.key == "replicates"
    text = str(err)
    assert "'replicates'" in text and "TB" in text and "dyads" in text and "available" in text
    assert "output.dyad_replicates=20" in text and "replicates=" in text and "or fewer" in text
    assert "\n" not in text
    # the Python API's estimate too (no files written), and an ensemble's
    with pytest.raises(ResourceError, match="replicates"):
        check_resources(estimate_run(spec, 10_000_000, write=False))
    with pytest.raises(ResourceError, match=r"workers=1|replicates="):
        check_resources(estimate_ensemble({"baseline": spec, "nrc": spec}, 10_000_000, 500, 2, 12, 20, None))


def test_small_budgets_refuse_and_plenty_passes(tmp_path, spec):
    e = estimate_run(replace(spec, dyad_period=1, dyad_replicates=None), 500)
    check_resources(e, tmp_path / "new" / "folder", memory_available=100 * e.memory, disk_free=100 * e.disk)
    with pytest.raises(ResourceError) as info:
        check_resources(e, tmp_path, memory_available=e.memory // 2, disk_free=100 * e.disk)
    text = str(info.value)
    assert "memory" in text and "output.dyad_replicates=20" in text and "output.dyad_period=12" in text
    assert info.value.allowed.index("output.dyad_") < info.value.allowed.index("or fewer")  # dyads, the largest part
    with pytest.raises(ResourceError, match="disk") as info:
        check_resources(e, tmp_path, memory_available=100 * e.memory, disk_free=e.disk // 3)
    assert str(tmp_path) in str(info.value) and "output.dyad_replicates=20" in str(info.value)
    # no folder, no disk check
    check_resources(e, None, memory_available=100 * e.memory, disk_free=0)
    # the key is the caller's
    with pytest.raises(ResourceError) as info:
        check_resources(Estimate(10 * GB, 0, {"base": 10 * GB}), memory_available=GB, key="chunk")
    assert info.value.key == "chunk"


def test_available_memory_and_free_disk_are_positive(tmp_path):
    mem = available_memory()
    assert isinstance(mem, int) and 0 < mem < 1 << 62
    free = free_disk(tmp_path / "not" / "yet" / "there")
    assert isinstance(free, int) and free > 0 and abs(free - free_disk(tmp_path)) < GB


@pytest.mark.skipif(not hasattr(os, "wait4") or not Path("/proc/self/statm").exists(), reason="Linux only")
def test_a_real_run_peaks_below_its_estimate(tmp_path):
    """100 replicates with every month's matrices over 5 years (3 million dyad rows): the run's peak
    resident memory (wait4's ru_maxrss of the one process) is below the estimate, which is
    not wildly above it."""
    overrides = ["replicates=100", "scenario=baseline_2010", "scenario.horizon=60", "output.dyad_replicates=null",
                 "output.dyad_period=1", "output.figure=false", "output.narrative=false"]
    est = estimate_config(load_config(overrides))
    with open(tmp_path / "stderr.txt", "w+b") as err:
        proc = subprocess.Popen([sys.executable, "-m", "sim.run", f"hydra.run.dir={tmp_path / 'run'}", *overrides],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own peak (no waitpid in between)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        assert proc.returncode == 0, err.read().decode(errors="replace")[-2000:]
    peak = usage.ru_maxrss * 1024
    assert peak > 500e6  # not tiny: the dyads dominate
    assert peak <= est.memory <= 1.6 * peak, (peak, est.describe())
    written = sum(p.stat().st_size for p in (tmp_path / "run").glob("*.parquet"))
    assert written <= est.disk
