"""Peak memory and disk of real runs against the estimates of sim/resources.py.

    .venv/bin/python -m benchmarks.memory              # the whole grid (about 30 min on 2 cores, up to 4.1 GB)
    .venv/bin/python -m benchmarks.memory --quick      # the small configurations only (about 3 min)
    .venv/bin/python -m benchmarks.memory --only compare --json out.json
    .venv/bin/python -m benchmarks.memory --match "R=500"

Each configuration runs as a child process (``python -m sim.run``, ``python -m
experiments.compare_options`` or ``python -m experiments.combinations``) into a temporary
folder. Its peak resident memory is the larger of (a) the most the process and all its
descendants (joblib workers) held at once, sampled from /proc every 20 ms, and (b) the child's
own peak (``ru_maxrss`` from wait4: exact for a single process). The table prints the measured
peak, the estimate and their ratio (estimate / measured: meant to be at least 1 and at most
about 1.5 for peaks above 300 MB), and the disk written with its estimate (an upper bound).
With several processes it also prints each one's peak. Linux only (reads /proc). Measures
memory only, so it may run beside other work; timings would not be comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
NO_FIGURE = ["output.figure=false", "output.narrative=false"]

ALL = ",".join(["mean_trust", "mean_threat", "mean_posture"]
               + [f"{v}_{a}_{b}" for v in ("trust", "threat") for a, b in
                  (("RUS", "NATO"), ("NATO", "RUS"), ("RUS", "EU"), ("EU", "RUS"), ("RUS", "USA"), ("USA", "RUS"))]
               + [c for s in ("GEO", "UKR", "MDA", "KGZ", "SRB", "KOS", "ARM", "AZE")
                  for c in (f"trust_{s}_RUS", f"trust_RUS_{s}", f"threat_{s}_RUS", f"trust_{s}_WEST",
                            f"trust_WEST_{s}")]
               + ["crises", "escalations", "agreements_reached", "agreements_in_force", "agreements_failed",
                  "channels_open", "clauses_in_force", "commitments_in_force", "missions_in_force", "human_security"]
               + [f"human_security_{t}" for t in ("TRN", "ABK", "SOS", "NKR")])
# (label, app, overrides): app "run" = python -m sim.run, "compare" = python -m experiments.compare_options,
# "combinations" = python -m experiments.combinations
GRID: list[tuple[str, str, list[str]]] = [
    ("run R=1 (defaults)", "run", ["replicates=1"]),
    ("run R=50 dyads all", "run", ["replicates=50", "output.dyad_replicates=null"]),
    ("run R=200 dyads all", "run", ["replicates=200", "output.dyad_replicates=null"]),
    ("run R=200 dyads all, no events", "run", ["replicates=200", "output.dyad_replicates=null", "output.events=false"]),
    ("run R=200 dyads all, baseline", "run", ["replicates=200", "output.dyad_replicates=null",
                                              "scenario=baseline_2010"]),
    ("run R=200 dyads 20", "run", ["replicates=200", "output.dyad_replicates=20"]),
    ("run R=500 dyads all", "run", ["replicates=500", "output.dyad_replicates=null"]),
    ("run R=500 dyads all, period 12", "run", ["replicates=500", "output.dyad_replicates=null",
                                               "output.dyad_period=12"]),
    ("run R=500 dyads 20", "run", ["replicates=500", "output.dyad_replicates=20"]),
    ("run R=500 dyads 20, no events", "run", ["replicates=500", "output.dyad_replicates=20", "output.events=false"]),
    ("run R=2000 dyads 20", "run", ["replicates=2000", "output.dyad_replicates=20"]),
    ("run R=2000 no dyads, no events, baseline", "run", ["replicates=2000", "output.dyad_replicates=0",
                                                          "output.events=false", "scenario=baseline_2010"]),
    ("run R=5000 dyads 20, no events", "run", ["replicates=5000", "output.dyad_replicates=20", "output.events=false"]),
    ("run R=1000 dyads 20, 480 months", "run", ["replicates=1000", "output.dyad_replicates=20",
                                                "scenario.horizon=480"]),
    ("compare R=200 workers=1", "compare", ["replicates=200", "workers=1"]),
    ("compare R=200 workers=2", "compare", ["replicates=200", "workers=2"]),
    ("compare R=1000 workers=1", "compare", ["replicates=1000", "workers=1"]),
    ("compare R=1000 workers=2 (default)", "compare", ["replicates=1000", "workers=2"]),
    ("compare R=5000 workers=2", "compare", ["replicates=5000", "workers=2"]),
    ("compare R=2000 workers=2 chunk=2000", "compare", ["replicates=2000", "workers=2", "chunk=2000"]),
    ("compare R=300 workers=2 dyads all, yearly", "compare", ["replicates=300", "workers=2", "dyads.replicates=null",
                                                              "dyads.period=12"]),
    ("compare R=2000 workers=1", "compare", ["replicates=2000", "workers=1"]),
    ("compare R=5000 workers=1", "compare", ["replicates=5000", "workers=1"]),
    ("compare R=2000 workers=2 per_step=1 column", "compare", ["replicates=2000", "workers=2",
                                                                "per_step=[mean_trust]"]),
    ("compare R=2000 workers=2 per_step=all 69", "compare", ["replicates=2000", "workers=2", f"per_step=[{ALL}]"]),
    ("combinations R=200 workers=2 (59 arms)", "combinations", ["replicates=200", "workers=2"]),
]
QUICK = {"run R=1 (defaults)", "run R=50 dyads all", "run R=200 dyads all", "run R=200 dyads 20",
         "compare R=200 workers=1", "compare R=200 workers=2"}


# ------------------------------------------------------------------------------- measuring
def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            out.setdefault(ppid, []).append(int(entry.name))
    return out


def _tree(pid: int) -> list[int]:
    children, todo, seen = _children(), [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += children.get(p, [])
    return seen


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def measure(cmd: list[str], cwd: Path = ROOT, interval: float = 0.02) -> dict:
    """Run ``cmd``; return its exit code, peak resident bytes of its process tree, and the
    largest number of processes seen at once."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        tree_peak, procs, each = 0, 1, {}
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            tree = _tree(proc.pid)
            procs = max(procs, len(tree))
            sizes = {p: _rss(p) for p in tree}
            tree_peak = max(tree_peak, sum(sizes.values()))
            for p, v in sizes.items():
                each[p] = max(each.get(p, 0), v)
            time.sleep(interval)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    own_peak = usage.ru_maxrss * 1024  # kB on Linux
    return {"returncode": proc.returncode, "peak": max(tree_peak, own_peak), "tree_peak": tree_peak,
            "own_peak": own_peak, "processes": procs, "stderr": stderr,
            "each": sorted(each.values(), reverse=True)}


def _disk(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and ".hydra" not in p.parts)


# ------------------------------------------------------------------------------- estimating
def estimate(app: str, overrides: list[str]):
    """The estimate sim/resources.py makes for this command line."""
    from sim import resources

    if app == "run":
        from sim.config import load_config
        from sim.config.spec import compile_spec

        cfg = load_config(overrides)
        return resources.estimate_config(cfg, compile_spec(cfg))
    cfg = app_config(app, overrides)
    if app == "compare":
        from experiments.compare_options import validate

        return resources.estimate_comparison(cfg, validate(cfg))
    from experiments.combinations import arms
    from experiments.ensemble import resolve_workers

    specs = arms(cfg)
    workers = resolve_workers(cfg["workers"], len(specs))
    return resources.estimate_ensemble(specs, cfg["replicates"], cfg["chunk"], workers, 0, 0, None, tables=False)


def app_config(app: str, overrides: list[str]) -> dict:
    """The resolved config of ``python -m experiments.compare_options`` (app "compare") or
    ``experiments.combinations`` with ``overrides``, composed without running Hydra."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    import experiments.combinations  # noqa: F401  (register the schemas)
    import experiments.compare_options  # noqa: F401
    from sim.config import CONFIG_DIR

    name = {"compare": "compare_options", "combinations": "combinations"}[app]
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name=name, overrides=overrides)
    GlobalHydra.instance().clear()
    container = OmegaConf.to_container(cfg, resolve=True)
    container.pop("hydra", None)
    return container


def run_one(label: str, app: str, overrides: list[str]) -> dict | None:
    est = estimate(app, overrides)
    with tempfile.TemporaryDirectory(prefix="eurosec-mem-") as tmp:
        out = Path(tmp) / "out"
        module = {"run": "sim.run", "compare": "experiments.compare_options",
                  "combinations": "experiments.combinations"}[app]
        extra = NO_FIGURE if app == "run" else ["progress=false"]
        cmd = [sys.executable, "-m", module, f"hydra.run.dir={out}", *extra, *overrides]
        m = measure(cmd)
        disk = _disk(out) if out.exists() else 0
    if m["returncode"]:
        print(f"{label} failed ({m['returncode']}):\n{m['stderr'][-3000:]}", file=sys.stderr)
        return None
    return {"label": label, "app": app, "overrides": overrides, "peak": m["peak"], "tree_peak": m["tree_peak"],
            "own_peak": m["own_peak"], "processes": m["processes"], "each": m["each"], "disk": disk,
            "estimate": est.memory,
            "estimate_disk": est.disk, "parts": est.parts}


def table(results: list[dict]) -> str:
    lines = [f"{'configuration':44s} {'measured':>9s} {'estimate':>9s} {'ratio':>6s}   {'disk':>8s} {'est.':>8s}",
             "-" * 92]
    for r in results:
        ratio = r["estimate"] / r["peak"]
        dratio = f"{r['estimate_disk'] / r['disk']:.1f}x" if r["disk"] else ""
        lines.append(f"{r['label']:44s} {r['peak'] / 1e6:7,.0f}MB {r['estimate'] / 1e6:7,.0f}MB {ratio:5.2f}x   "
                     f"{r['disk'] / 1e6:6,.0f}MB {r['estimate_disk'] / 1e6:6,.0f}MB {dratio}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only the small configurations")
    ap.add_argument("--only", choices=["run", "compare", "combinations"], help="only configurations of this app")
    ap.add_argument("--match", help="only configurations whose label contains this text")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if not Path("/proc/self/statm").exists():
        sys.exit("benchmarks.memory reads memory from /proc: Linux only")
    grid = [g for g in GRID if (not args.quick or g[0] in QUICK) and (not args.only or g[1] == args.only)
            and (not args.match or args.match in g[0])]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"eurosec memory benchmark, {date.today()}, {platform.node() or 'machine'}: {cores} cores, "
          f"{os.sysconf('SC_PHYS_PAGES') * PAGE / 1e9:.0f} GB, Python {platform.python_version()}")
    results = []
    for label, app, overrides in grid:
        r = run_one(label, app, overrides)
        if r is None:
            continue
        results.append(r)
        print(f"  {label}: measured {r['peak'] / 1e6:,.0f} MB ({r['processes']} process(es)), "
              f"estimate {r['estimate'] / 1e6:,.0f} MB = {r['estimate'] / r['peak']:.2f}x; "
              f"disk {r['disk'] / 1e6:,.1f} MB, estimate {r['estimate_disk'] / 1e6:,.1f} MB", flush=True)
        if r["processes"] > 1:
            print("    peaks of each process (MB): " + ", ".join(f"{v / 1e6:,.0f}" for v in r["each"] if v > 20e6))
    print()
    print(table(results))
    big = [r for r in results if r["peak"] > 300e6]
    if big:
        ratios = [r["estimate"] / r["peak"] for r in big]
        print(f"\npeaks above 300 MB: estimate / measured from {min(ratios):.2f} to {max(ratios):.2f} "
              f"(target: 1.00 to about 1.50)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
