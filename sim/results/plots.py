"""Figures of finished results, each a function returning a matplotlib Figure (the apps save
them; notebooks show them). What they promise (issue 13): dates on time axes and the month an
option is tabled marked; axis labels that state what is measured, its scale and direction;
bands named for what they are (95% CI of the mean, spread of the runs); events of one
replicate over ensemble means said to be so; heatmaps with full names, a labelled colorbar, a
distinct colour for undefined cells, a scale fitting the values and numbers in the cells."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.results.labels import actor_name, number, outcome_label

CI_LABEL = "95% CI of the mean"
SPREAD = (5, 95)
SPREAD_LABEL = f"{SPREAD[0]}-{SPREAD[1]}% of runs (spread)"
EVENT_STYLE = {"enacted": ("tab:green", "agreement"), "escalation": ("tab:red", "escalation"),
               "breach": ("tab:orange", "breach")}
UNDEFINED = "#d9d9d9"  # cells without a value (an actor with itself, a pair never run)


def _subplots(rows: int = 1, cols: int = 1, figsize=(8, 5), squeeze: bool = True, sharex: bool = False):
    """A new Figure outside pyplot's state: the caller owns it (an app saves it, a notebook
    shows the returned figure once), and nothing stays open."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(rows, cols, squeeze=squeeze, sharex=sharex)


def month_start(dates: pd.Series) -> pd.Series:
    """'2010-01' -> Timestamp 2010-01-01 (the summary's ``date`` column)."""
    return pd.to_datetime(dates.astype(str) + "-01")


def _date_axis(ax) -> None:
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def trajectories(summary: pd.DataFrame, columns: list[str], names: dict | None = None, arms=None,
                 tabled: dict[str, str] | None = None, band: str = "auto", events: pd.DataFrame | None = None,
                 title: str = "") -> Figure:
    """Mean of each column per month, one line per arm (or one per run's mean with a single
    arm), with bands: ``ci`` (95% CI of the mean), ``spread`` (5-95% of runs), ``both``,
    ``none``; ``auto`` = both for up to three arms, else the CI. ``tabled``: label -> 'YYYY-MM'
    marked with a dotted line. ``events``: one replicate's events, marked and named as such."""
    has_arm = "arm" in summary.columns
    arms = list(arms) if arms is not None else (list(pd.unique(summary["arm"].astype(str))) if has_arm else [None])
    if band == "auto":
        band = "both" if len(arms) <= 3 else "ci"
    if band not in ("ci", "spread", "both", "none"):
        raise ValueError(f"band is ci, spread, both, none or auto, not {band!r}")
    fig, axes = _subplots(len(columns), 1, figsize=(11, 3.3 * len(columns)), sharex=True, squeeze=False)
    runs = summary["replicate"].nunique()
    for ax, col in zip(axes[:, 0], columns):
        for arm in arms:
            g = summary if arm is None else summary[summary["arm"].astype(str) == arm]
            by = g.groupby("step")[col]
            stats = by.agg(["mean", "std", "count"])
            x = month_start(g.drop_duplicates("step").set_index("step").loc[stats.index, "date"])
            base = arm in ("baseline", None)
            line, = ax.plot(x, stats["mean"], label=arm or "mean of the runs", lw=2.2 if base else 1.2,
                            color="black" if arm == "baseline" else None)
            if band in ("spread", "both") and runs > 1:
                lo, hi = by.quantile(SPREAD[0] / 100), by.quantile(SPREAD[1] / 100)
                ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.08, lw=0)
            if band in ("ci", "both") and runs > 1:
                half = 1.96 * stats["std"] / np.sqrt(stats["count"])
                ax.fill_between(x, stats["mean"] - half, stats["mean"] + half, color=line.get_color(), alpha=0.3, lw=0)
        ax.set_ylabel(_wrap(outcome_label(col, names, final=False)), fontsize=8)
        ax.grid(alpha=0.3)
    for label, date in (tabled or {}).items():
        for ax in axes[:, 0]:
            ax.axvline(pd.Timestamp(f"{date}-01"), color="dimgray", ls=":", lw=1.2)
        axes[-1, 0].annotate(label, (pd.Timestamp(f"{date}-01"), 0.02), xycoords=("data", "axes fraction"), fontsize=7,
                             rotation=90, va="bottom", ha="right", color="dimgray")
    if events is not None and len(events):
        _mark_events(axes[:, 0], events, runs)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if runs > 1 and band in ("ci", "both"):
        handles.append(Patch(color="gray", alpha=0.45)), labels.append(CI_LABEL)
    if runs > 1 and band in ("spread", "both"):
        handles.append(Patch(color="gray", alpha=0.15)), labels.append(SPREAD_LABEL)
    axes[0, 0].legend(handles, labels, fontsize=7, ncol=4, loc="upper left")
    _date_axis(axes[-1, 0])
    axes[-1, 0].set_xlabel("date (ticks at January of each year)")
    axes[0, 0].set_title(f"{title}\n(means over {runs} run(s) per arm)" if title else f"means over {runs} run(s)",
                         fontsize=10)
    fig.tight_layout()
    return fig


def _mark_events(axes, events: pd.DataFrame, runs: int) -> None:
    """Agreements, escalations and breaches of the first replicate in ``events``, named as
    that replicate's where the lines above are means over several runs."""
    rep = int(events["replicate"].min())
    first = events[events["replicate"] == rep]
    whose = f" (replicate {rep} only)" if runs > 1 else ""
    dates = month_start(first["date"]) if "date" in first.columns else None
    shown = set()
    for kind, (color, label) in EVENT_STYLE.items():
        rows = first["kind"].astype(str) == kind
        for when in sorted(set(dates[rows])) if dates is not None else []:
            for ax in axes:
                ax.axvline(when, color=color, alpha=0.5, lw=1, ls="--",
                           label=f"{label}{whose}" if (label not in shown and ax is axes[0]) else None)
            shown.add(label)


def _wrap(text: str, width: int = 38) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def forest(effects: pd.DataFrame, outcomes: list[str], labels: dict[str, str] | None = None,
           names: dict | None = None, which: str = "both", caveat: str = "") -> Figure:
    """One panel per outcome: each option's effect on its final value against the baseline,
    with 95% CIs, ranked; ``which``: ``itt`` (tabled, all runs), ``agreed`` (where agreed) or
    ``both`` side by side. Grey: the CI includes 0."""
    if which not in ("itt", "agreed", "both"):
        raise ValueError(f"which is itt, agreed or both, not {which!r}")
    cols = min(3, len(outcomes))
    rows = math.ceil(len(outcomes) / cols)
    fig, axes = _subplots(rows, cols, figsize=(5.2 * cols, 0.38 * effects["arm"].nunique() * rows + 2.0 * rows + 1.0),
                             squeeze=False)
    series = {"itt": ("", "o", "tabled (all runs)"), "agreed": ("_agreed", "s", "where agreed (not causal)")}
    shown = [series["itt"], series["agreed"]] if which == "both" else [series[which]]
    for ax, outcome in zip(axes.flat, outcomes):
        e = effects[effects["outcome"].astype(str) == outcome].sort_values("effect")
        y = np.arange(len(e))
        for k, (suffix, marker, name) in enumerate(shown):
            offset = (k - (len(shown) - 1) / 2) * 0.25
            for yi, (_, r) in zip(y, e.iterrows()):
                mid, lo, hi = r[f"effect{suffix}"], r[f"ci_low{suffix}"], r[f"ci_high{suffix}"]
                if pd.isna(mid):
                    continue
                color = "tab:green" if lo > 0 else "tab:red" if hi < 0 else "tab:gray"
                xerr = [[max(mid - lo, 0)], [max(hi - mid, 0)]] if np.isfinite(lo) else None
                ax.errorbar([mid], [yi + offset], xerr=xerr, fmt=marker, color=color, ecolor=color, capsize=2, ms=4,
                            mfc=color if suffix == "" else "white")
        ax.set_yticks(y, [f"{(labels or {}).get(a, a)} ({s:.0%} agreed)" for a, s in zip(e["arm"].astype(str),
                                                                                       e["agreed_share"])], fontsize=7)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel(_wrap("change in final " + outcome_label(outcome, names) + " vs baseline", 45), fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_visible(False)
    handles = [Line2D([], [], marker=m, ls="", color="black", mfc="black" if s == "" else "white", label=n)
               for s, m, n in shown]
    fig.legend(handles=handles, loc="upper right", fontsize=8, ncol=len(handles))
    text = "Effect of each option vs the baseline, paired by seed, 95% CI (green/red: excludes 0)"
    fig.suptitle(text + (f"\n{_wrap(caveat, 150)}" if caveat and which != "itt" else ""), fontsize=9, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.93 if caveat and which != "itt" else 0.96))
    return fig


def distributions(finals: pd.DataFrame, outcome: str, labels: dict[str, str] | None = None,
                  names: dict | None = None, arms=None, kind: str = "violin") -> Figure:
    """The final value of ``outcome`` in every run, one violin (or box) per arm, the baseline
    first, with each arm's mean marked: what the mean effect hides (in the manner of the
    Axelrod library's tournament plots)."""
    if kind not in ("violin", "box"):
        raise ValueError(f"kind is violin or box, not {kind!r}")
    arms = list(arms) if arms is not None else list(pd.unique(finals["arm"].astype(str)))
    values = [finals.loc[finals["arm"].astype(str) == a, outcome].dropna().to_numpy(dtype=float) for a in arms]
    fig, ax = _subplots(figsize=(max(6, 0.8 * len(arms) + 2), 5))
    pos = np.arange(1, len(arms) + 1)
    if kind == "violin":
        parts = ax.violinplot(values, pos, showmedians=True, showextrema=False, widths=0.8)
        for body in parts["bodies"]:
            body.set_alpha(0.5)
    else:
        ax.boxplot(values, positions=pos, widths=0.6, showfliers=True, flierprops={"markersize": 2})
    ax.scatter(pos, [v.mean() if v.size else np.nan for v in values], marker="D", color="black", s=18, zorder=3,
               label="mean")
    ax.set_xticks(pos, [(labels or {}).get(a, a) for a in arms], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(_wrap("final " + outcome_label(outcome, names), 45), fontsize=9)
    n = min((v.size for v in values), default=0)
    ax.set_title(f"Distribution of the final value over {n} runs per arm "
                 f"({'violin: density, line: median' if kind == 'violin' else 'box: quartiles, whiskers 1.5 IQR'})",
                 fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def matrix(values: np.ndarray, rows: list[str], cols: list[str], colorbar: str, title: str = "",
           diverging: bool = False, annotate: bool = True, marks: np.ndarray | None = None,
           xlabel: str = "", ylabel: str = "", undefined: str = "undefined") -> Figure:
    """A heatmap: undefined (NaN) cells in their own grey, a colorbar stating what the colour
    is, a scale fitting the values (symmetric around 0 when ``diverging``), numbers in the
    cells (and ``marks``, e.g. '*', beside them)."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if diverging:
        lim = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
        vmin, vmax, cmap = -lim, lim, matplotlib.colormaps["RdBu"]
    else:
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        vmax = vmax if vmax > vmin else vmin + 1e-9
        cmap = matplotlib.colormaps["viridis"]
    cmap = cmap.with_extremes(bad=UNDEFINED)
    size = max(5.0, 0.42 * max(len(rows), len(cols)) + 3)
    fig, ax = _subplots(figsize=(size + 1.5, size))
    im = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if annotate and values.size <= 900:
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = values[i, j]
                if np.isfinite(v):
                    dark = abs(v) > 0.6 * max(abs(vmin), abs(vmax)) if diverging else (v - vmin) < 0.5 * (vmax - vmin)
                    text = f"{v:.2g}" if not diverging else number(v, 2)
                    text += marks[i, j] if marks is not None else ""
                    ax.text(j, i, text, ha="center", va="center", fontsize=6, color="white" if dark else "black")
    bar = fig.colorbar(im, ax=ax, shrink=0.8)
    bar.set_label(_wrap(colorbar, 50), fontsize=8)
    ax.legend(handles=[Patch(color=UNDEFINED, label=undefined)], loc="upper left", bbox_to_anchor=(1.0, -0.02),
              fontsize=7, frameon=False)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def trust_matrix(diff: np.ndarray, ids: list[str], arm: str, runs: int, names: dict | None = None,
                 baseline: str = "baseline", value: str = "trust") -> Figure:
    """Mean final ``value`` of each observer (row) in each target (column), ``arm`` minus
    ``baseline``, over ``runs`` runs; an actor with itself is undefined."""
    diff = np.array(diff, dtype=float)
    np.fill_diagonal(diff, np.nan)
    full = [actor_name(a, names) for a in ids]
    return matrix(diff, full, full, f"change in the row actor's final {value} in the column actor (0-1 scale), "
                  f"{arm} minus {baseline}", f"Final {value}: {arm} minus {baseline} (mean over {runs} runs)",
                  diverging=True, annotate=len(ids) <= 16, xlabel="target", ylabel="observer",
                  undefined="undefined (an actor with itself)")


def trust_difference(dyads: pd.DataFrame, arm: str, baseline: str = "baseline", names: dict | None = None,
                     value: str = "trust") -> Figure:
    """``trust_matrix`` from a dyads table: the last recorded month of the runs whose matrices
    were recorded (``dyads.replicates``; the title says how many)."""
    last = dyads[dyads["step"] == dyads["step"].max()]
    ids = list(pd.unique(last["observer"].astype(str)))

    def mean_matrix(a):
        g = last[last["arm"].astype(str) == a].groupby(["observer", "target"], observed=True)[value].mean()
        return g.unstack("target").reindex(index=ids, columns=ids).to_numpy(dtype=float)

    runs = last.loc[last["arm"].astype(str) == arm, "replicate"].nunique()
    return trust_matrix(mean_matrix(arm) - mean_matrix(baseline), ids, arm, runs, names, baseline, value)
