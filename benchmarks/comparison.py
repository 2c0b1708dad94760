"""Benchmark of the default comparison (baseline + the ten options, 1,000 seeds each, 120
months): wall time, simulation time, peak memory of the whole process tree, and output sizes.

    .venv/bin/python -m benchmarks.comparison [extra compare_options overrides]

Runs ``python -m experiments.compare_options`` as a child process into a temporary folder and
samples the resident memory of it and its workers (from /proc) every 0.1 s. Issue 4's targets:
under a minute on a 2-core machine, peak memory under 2 GB.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants, in MB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            rss_pages = int(Path(f"/proc/{p}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += rss_pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    return total


def main() -> None:
    if not Path("/proc/self/statm").exists():
        sys.exit("benchmarks.comparison reads memory from /proc: Linux only")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cmp"
        cmd = [sys.executable, "-m", "experiments.compare_options", f"hydra.run.dir={out}", "progress=false",
               *sys.argv[1:]]
        print("eurosec default comparison:", " ".join(cmd[2:]))
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, tree_rss_mb(proc.pid))
            time.sleep(0.1)
        wall = time.perf_counter() - t0
        stdout, stderr = proc.communicate()
        if proc.returncode:
            sys.exit(f"compare_options failed ({proc.returncode}):\n{stderr[-2000:]}")
        log = (out / "compare_options.log").read_text()
        sim = re.search(r"simulated (\d+) arms x (\d+) replicates in ([\d.]+) s", log)
        workers = re.search(r"running \d+ arms in (\d+) processes", log)
        arms, reps, sim_s = int(sim.group(1)), int(sim.group(2)), float(sim.group(3))
        sizes = {p.name: p.stat().st_size / 1e6 for p in out.glob("*.parquet")}
    n_workers = int(workers.group(1)) if workers else 1
    print(f"  wall time           : {wall:6.1f} s (target < 60 s on 2 cores)")
    print(f"  simulation          : {arms} arms x {reps} runs in {sim_s:.1f} s on {n_workers} process(es) = "
          f"{arms * reps / sim_s:.0f} runs/s, {arms * reps / sim_s / n_workers:.0f} runs/s per process")
    print(f"  peak memory (tree)  : {peak:,.0f} MB (target < 2,000 MB)")
    print("  Parquet             : " + ", ".join(f"{k} {v:.1f} MB" for k, v in sorted(sizes.items())))


if __name__ == "__main__":
    main()
