"""Figures for option comparisons: trajectories with bands, a ranked forest plot of effects,
and a heatmap of final trust between actors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def trajectories(summary: pd.DataFrame, columns: list[str], path, title: str = "") -> None:
    """Mean and 95% band over replicates of each column, one line per arm."""
    fig, axes = plt.subplots(len(columns), 1, figsize=(11, 3.2 * len(columns)), sharex=True, squeeze=False)
    for ax, col in zip(axes[:, 0], columns):
        for arm, g in summary.groupby("arm", sort=False):
            stats = g.groupby("step")[col].agg(["mean", "std", "count"])
            half = 1.96 * stats["std"] / np.sqrt(stats["count"])
            line, = ax.plot(stats.index, stats["mean"], label=arm, lw=2.2 if arm == "baseline" else 1.2,
                            color="black" if arm == "baseline" else None)
            ax.fill_between(stats.index, stats["mean"] - half, stats["mean"] + half, color=line.get_color(), alpha=0.15)
        ax.set_ylabel(col.replace("_", " "))
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7, ncol=4, loc="upper left")
    axes[0, 0].set_title(title)
    axes[-1, 0].set_xlabel("month")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def forest(effects: pd.DataFrame, outcome: str, path, title: str = "") -> None:
    """Arms ranked by their paired effect on ``outcome`` with 95% confidence intervals."""
    e = effects[effects["outcome"] == outcome].sort_values("effect")
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(e) + 1.5))
    y = np.arange(len(e))
    colors = ["tab:green" if lo > 0 else "tab:red" if hi < 0 else "tab:gray" for lo, hi in zip(e["ci_low"], e["ci_high"])]
    for yi, (mid, lo, hi, color) in enumerate(zip(e["effect"], e["ci_low"], e["ci_high"], colors)):
        ax.errorbar([mid], [yi], xerr=[[mid - lo], [hi - mid]], fmt="o", color=color, ecolor=color, capsize=3)
    labels = [f"{a}  (agreed {s:.0%})" for a, s in zip(e["arm"], e["agreed_share"])]
    ax.set_yticks(y, labels)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"change in final {outcome.replace('_', ' ')} vs baseline (paired, 95% CI)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def heatmap(trust: np.ndarray, ids: list[str], path, title: str = "", vmin: float = 0.0, vmax: float = 1.0,
            cmap: str = "viridis") -> None:
    """Mean final trust (observer rows, target columns)."""
    fig, ax = plt.subplots(figsize=(9, 8))
    im = ax.imshow(trust, vmin=vmin, vmax=vmax, cmap=cmap)
    ax.set_xticks(range(len(ids)), ids, rotation=90, fontsize=7)
    ax.set_yticks(range(len(ids)), ids, fontsize=7)
    ax.set_xlabel("target")
    ax.set_ylabel("observer")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
