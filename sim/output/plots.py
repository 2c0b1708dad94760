"""Figures that answer the run's question: how did trust and threat between the key pairs move,
and what events moved them?"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

EVENT_STYLE = {"enacted": ("tab:green", "agreement"), "escalation": ("tab:red", "escalation"),
               "breach": ("tab:orange", "breach"), "assistance": ("tab:blue", "assistance under a clause")}


def trajectories(summary: pd.DataFrame, spec, events: pd.DataFrame | None = None, path=None):
    """Key-dyad trust (top) and threat (bottom) by date; with several replicates the mean and
    its 95% CI (named so); agreements and escalations of replicate 0 marked, and said to be
    replicate 0's when the lines are means over several."""
    fig, axes = plt.subplots(2, 1, figsize=(11, 7.5), sharex=True)
    R = summary["replicate"].nunique()
    for ax, prefix in zip(axes, ("trust", "threat")):
        for i, j in spec.key_dyads:
            col = f"{prefix}_{spec.ids[i]}_{spec.ids[j]}"
            g = summary.groupby("step")[col]
            mean = g.mean()
            line, = ax.plot(mean.index, mean.values, label=f"{spec.ids[i]} -> {spec.ids[j]}")
            if R > 1:
                half = 1.96 * g.std(ddof=1) / np.sqrt(R)
                ax.fill_between(mean.index, mean - half, mean + half, color=line.get_color(), alpha=0.2,
                                label="95% CI of the mean" if (i, j) == spec.key_dyads[0] else None)
        ax.set_ylabel(f"{prefix} of the first actor in the second (0-1)" if prefix == "trust"
                      else f"{prefix} the first actor perceives from the second (0-1)", fontsize=8)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    if events is not None and len(events):
        first = events[events["replicate"] == 0]
        whose = " (replicate 0 only)" if R > 1 else ""
        shown = set()
        for kind, (color, label) in EVENT_STYLE.items():
            for step in first.loc[first["kind"] == kind, "step"].unique():
                for ax in axes:
                    ax.axvline(step, color=color, alpha=0.5, lw=1, ls="--",
                               label=label + whose if (label not in shown and ax is axes[0]) else None)
                shown.add(label)
    # dates, not month numbers: a tick at each January (step t is the month spec.date(t))
    ticks = [t for t in range(spec.horizon + 1) if spec.date(t).endswith("-01")]
    axes[1].set_xticks(ticks, [spec.date(t)[:4] for t in ticks])
    axes[1].set_xlabel("date (ticks at January of each year)")
    title = f"eurosec - {spec.scenario_name}" + (f" ({R} replicates, mean and 95% CI)" if R > 1 else f" (seed {spec.config.get('seed')})")
    moves = textwrap.fill("moves: " + (", ".join(m.id for m in spec.moves) or "none"), 120)
    axes[0].set_title(f"{title}\n{moves}", fontsize=9)
    axes[0].legend(loc="upper left", fontsize=8, ncol=3)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
