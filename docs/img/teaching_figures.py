"""Remake the figures of docs/teaching.md (docs/img/teach_*.png) from the dashboard's own code.

Each demonstration follows the guide's recipe: the scenario, seed and settings it names are a
:class:`sim.dashboard.session.Settings`, the model is the dashboard's :class:`Run` stepped month
by month (with the guide's intervention, ``Run.crisis_now``, where it has one), the spread across
runs is ``ensemble_band`` (200 seeds), and the pictures are the dashboard's ``TrajectoryView`` and
``NetworkView`` saved as their "Download PNG" buttons save them (``view.png()``, 120 dpi, the
month written in). The script draws nothing itself: it chooses the titles and file names.

The views need matplotlib and networkx, which are base dependencies, so the plain environment
is enough (not the viz extra)::

    make teaching-figures                               # into docs/img, with .venv
    .venv/bin/python docs/img/teaching_figures.py [--out DIR] [--only signal spiral web_treaty]

It prints, for each figure, the numbers the guide's prose may quote (the key trusts and mean
threat at the start, at the months that matter and at the end, the poles' hidden types, the
agreements, crises, escalations and interventions, the bands' ends); for the crisis, also the same
seed without it (not drawn). About half a minute on one core.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the repository this file is in, not another editable install
    sys.path.insert(0, str(ROOT))

from sim.dashboard import session as S  # noqa: E402
from sim.dashboard.views import POLES, NetworkView, TrajectoryView  # noqa: E402

GUIDE = ROOT / "docs" / "teaching.md"
FOUR_YEARS = 48  # "play four years", "the map four years later"
BAND_SEEDS = 200  # "Show the spread across runs (200 seeds)"


def _save(view, path: Path) -> Path:
    path.write_bytes(view.png())  # what the dashboard's "Download PNG" button saves
    return path


def _report(name: str, run: S.Run, escalated: bool | None = None, months: tuple[int, ...] = ()) -> None:
    """The numbers behind a figure, read from its run (for the guide's prose): the key trusts
    and mean threat at the start, at ``months`` and at the end, the hidden types of the poles,
    and the markers drawn."""
    print(f"{name}: {run.settings.scenario}, seed {run.settings.seed}, to {run.date} (month {run.month})")
    seeker = run.model.engine.state.seeker[0]
    print("  hidden types: " + ", ".join(
        f"{a} {'security seeker' if seeker[run.ids.index(a)] else 'expansionist'}" for a in (p for p in POLES if p in run.ids)))
    for series in run.series_names:
        values = run.series[series]
        print(f"  {run.label(series):<34} {values[0]:.3f}"
              + "".join(f" -> {values[m]:.3f} (m{m})" for m in months) + f" -> {values[-1]:.3f}"
              f"  (min {min(values):.3f} in {run.spec.date(run.steps[values.index(min(values))])},"
              f" max {max(values):.3f} in {run.spec.date(run.steps[values.index(max(values))])})")
    for m in run.markers:
        print(f"  month {m.step:>3} {run.spec.date(m.step)}  {m.kind:<12} {m.label}")
    if escalated is not None:
        print(f"  the intervention's crisis escalated: {escalated}")


def signal(out: Path) -> list[Path]:
    """1. A costly signal: baseline_2010, seed 4, every option off, four years; then the same
    with the Strategic Concept (option 2) tabled at month 3. The Compare tab's compact plot."""
    base = S.Settings.for_scenario("baseline_2010", seed=4)
    base = replace(base, options={o: None for o in base.options})  # every option off
    paths = []
    for label, settings in (("without", base), ("with", base.toggled("strategic_concept", 3))):
        run = S.Run(settings)
        run.step(FOUR_YEARS)
        view = TrajectoryView(run, title=f"{label} the Strategic Concept (seed 4)", compact=True)
        paths.append(_save(view, out / f"teach_signal_{label}.png"))
        _report(paths[-1].name, run, months=(2, 3))
    return paths


def spiral(out: Path) -> list[Path]:
    """2. A spiral after a crisis: baseline_2010, seed 2, spiral bias 0.9; six months, then a
    crisis at South Ossetia ("Crisis now" with site SOS, its type the site's own), then on to four
    years: the plot, and the map at the end."""
    settings = replace(S.Settings.for_scenario("baseline_2010", seed=2), spiral_bias=0.9)
    run = S.Run(settings)
    run.step(6)
    escalated = run.crisis_now("SOS")
    run.step(FOUR_YEARS - run.month)
    paths = [_save(TrajectoryView(run, title="A crisis at South Ossetia in month 6, spiral bias 0.9"),
                   out / "teach_spiral.png"),
             _save(NetworkView(run),
                   out / "teach_spiral_map.png")]
    _report("teach_spiral.png, teach_spiral_map.png", run, escalated, months=(6, 7, 12))
    calm = S.Run(settings)  # the same seed and settings without the crisis (not drawn)
    calm.step(FOUR_YEARS)
    _report("  for comparison, no crisis", calm, months=(6, 7, 12))
    return paths


def web_treaty(out: Path, replicates: int = BAND_SEEDS) -> list[Path]:
    """3. The incremental web against the treaty: each scenario with its own options, seed 0 (the
    page's default), to its horizon, with the spread across runs of ``replicates`` seeds."""
    paths = []
    for scenario in ("incremental_web", "treaty_track"):
        settings = S.Settings.for_scenario(scenario, seed=0)
        band = S.ensemble_band(settings, replicates=replicates)
        run = S.Run(settings)
        run.step(run.horizon)
        view = TrajectoryView(run, band=band, title=f"{scenario}: seed 0 and the spread across {replicates} runs")
        paths.append(_save(view, out / f"teach_{scenario}.png"))
        _report(paths[-1].name, run)
        last = {name: band[name][:, -1] for name in run.series_names}
        print("  spread at the end (5%, median, 95%): "
              + "; ".join(f"{run.label(n)} {lo:.2f}/{mid:.2f}/{hi:.2f}" for n, (lo, mid, hi) in last.items()))
    return paths


DEMOS = {"signal": signal, "spiral": spiral, "web_treaty": web_treaty}
FIGURES = {"signal": ["teach_signal_without.png", "teach_signal_with.png"],
           "spiral": ["teach_spiral.png", "teach_spiral_map.png"],
           "web_treaty": ["teach_incremental_web.png", "teach_treaty_track.png"]}


def guide_figures(guide: Path = GUIDE) -> set[str]:
    """The teach_*.png files docs/teaching.md shows."""
    return set(re.findall(r"\(img/(teach_[\w-]+\.png)\)", guide.read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="directory (default docs/img)")
    parser.add_argument("--only", nargs="+", choices=list(DEMOS), default=list(DEMOS), help="demonstrations to make")
    args = parser.parse_args(argv)
    missing = guide_figures() - {f for names in FIGURES.values() for f in names}
    if missing:
        parser.error(f"docs/teaching.md shows figures this script does not make: {sorted(missing)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only:
        for path in DEMOS[name](args.out):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
