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
    """Key-dyad trust (top) and threat (bottom) by month; the mean and a 95% band over
    replicates when there are several; agreements and escalations of replicate 0 marked."""
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
                ax.fill_between(mean.index, mean - half, mean + half, color=line.get_color(), alpha=0.2)
        ax.set_ylabel(prefix)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    if events is not None and len(events):
        first = events[events["replicate"] == 0]
        shown = set()
        for kind, (color, label) in EVENT_STYLE.items():
            for step in first.loc[first["kind"] == kind, "step"].unique():
                for ax in axes:
                    ax.axvline(step, color=color, alpha=0.5, lw=1, ls="--",
                               label=label if (label not in shown and ax is axes[0]) else None)
                shown.add(label)
    ticks = list(range(0, spec.horizon + 1, 12))
    axes[1].set_xticks(ticks, [spec.date(t + 1)[:4] for t in ticks])
    axes[1].set_xlabel("month (ticks at the start of each year)")
    title = f"eurosec - {spec.scenario_name}" + (f" ({R} replicates, mean and 95% CI)" if R > 1 else f" (seed {spec.config.get('seed')})")
    moves = textwrap.fill("moves: " + (", ".join(m.id for m in spec.moves) or "none"), 120)
    axes[0].set_title(f"{title}\n{moves}", fontsize=9)
    axes[0].legend(loc="upper left", fontsize=8, ncol=3)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
