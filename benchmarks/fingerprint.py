"""Exact fingerprint of a set of runs, to check that a speed change leaves every number unchanged.

    .venv/bin/python -m benchmarks.fingerprint --out before.npz     # on the code before
    .venv/bin/python -m benchmarks.fingerprint --out after.npz      # on the code after
    .venv/bin/python -m benchmarks.fingerprint --compare before.npz after.npz

Each configuration (scenarios x options, with crises and the event log) is run and its final
state arrays, per-step summary, final outcomes and event log are stored as they are (no
rounding). ``--compare`` reports every array that differs in any bit; it exits 1 if one does.
The golden file (tests/golden/) keeps 9 significant digits; this keeps them all.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from experiments.ensemble import arm_spec
from sim.model import EurosecModel

# (scenario, options): the benchmark's arm and a spread of stages and moves
CONFIGS = (
    ("baseline_2010", "nrc"), ("baseline_2010", ""), ("baseline_2010", "corfu,solidarity,grit"),
    ("baseline_2010", "no_contingency,transdnistria,contact_groups"), ("baseline_2010", "medvedev_treaty"),
    ("incremental_web", ""), ("all_ten", ""), ("treaty_track", ""), ("history_2008_2015", ""),
    ("prewar_2008", "crisis_management,documents,modernisation,strategic_concept"), ("postwar_2008", "nrc"),
)
STATE = ("own", "social", "trust", "threat", "posture", "irritant", "irritant_floor", "grievance", "ceiling", "seeker")


def fingerprint(replicates: int, seed: int, only: str = "") -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for stage, options in CONFIGS:
        if only and only not in stage:
            continue
        spec = arm_spec([f"scenario={stage}", f"option=[{options}]"])
        model = EurosecModel(rng=seed, replicates=replicates, config=spec, record_events=True).run()
        key = f"{stage}[{options}]"
        for name in STATE:
            out[f"{key}/state/{name}"] = np.asarray(getattr(model.engine.state, name))
        for label, frame in (("summary", model.summary()), ("events", model.events())):
            for column in frame.columns:
                values = frame[column].to_numpy()
                out[f"{key}/{label}/{column}"] = values.astype(str) if values.dtype == object else values
        book = model.engine.book
        for name in ("status", "enacted_at", "attempts"):
            out[f"{key}/book/{name}"] = np.asarray(getattr(book, name))
    return out


def compare(before: str, after: str) -> int:
    a, b = np.load(before, allow_pickle=False), np.load(after, allow_pickle=False)
    configs = {k.split("/")[0] for k in b.files}
    a = {k: a[k] for k in a.files if k.split("/")[0] in configs}  # a run with --only: those configurations
    b = {k: b[k] for k in b.files}
    differ = [k for k in a if k not in b or a[k].shape != b[k].shape or a[k].tobytes() != b[k].tobytes()]
    differ += [k for k in b if k not in a]
    print(f"{len(a)} arrays over {len(configs)} configurations: "
          f"{'all bit-identical' if not differ else f'{len(differ)} differ'}")
    for k in differ[:40]:
        print("  differs:", k)
    return 1 if differ else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="write the fingerprint of this tree's code to this .npz")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), help="compare two fingerprints bit by bit")
    ap.add_argument("--replicates", type=int, default=64)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", default="", help="only the configurations whose scenario name contains this")
    args = ap.parse_args()
    if args.compare:
        sys.exit(compare(*args.compare))
    if not args.out:
        ap.error("give --out or --compare")
    np.savez_compressed(args.out, **fingerprint(args.replicates, args.seed, args.only))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
