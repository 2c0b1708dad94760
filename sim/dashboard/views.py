"""The dashboard's figures, in matplotlib (offline: no CDN scripts), drawn as PNG bytes.

Each figure is built once per run and then only its data change month by month (colours of the
edges and nodes, the lines' data, new markers): a month draws those few artists over the kept
background (blitting) and encodes the pixels. The same figures are what the page's "Download
PNG" buttons save, redrawn in full at a higher resolution, with the month written in them; the
page's month frames leave the month out (the page shows it above the views), because drawing a
new string costs matplotlib 3-4 ms a figure, more than the data.
"""

from __future__ import annotations

import io
import itertools
import struct
import zlib

import matplotlib

matplotlib.use("Agg")
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# A rough map of Europe: (longitude, latitude) per actor id, nudged apart where actors sit on top
# of each other (the Caucasus, Moldova). Institutions sit near their seats; the USA across the
# Atlantic. An actor not listed here (a roster of your own) is placed on a circle in the east.
POSITIONS: dict[str, tuple[float, float]] = {
    "USA": (-22.0, 47.0), "NATO": (-6.0, 56.5), "WEU": (2.5, 47.5), "EU": (9.0, 51.5), "NEU": (17.5, 62.0),
    "EFL": (22.0, 53.0), "OSCE": (14.0, 45.0), "RUS": (39.0, 56.5), "CSTO": (52.0, 54.0), "BLR": (28.0, 54.0),
    "UKR": (31.5, 49.5), "MDA": (27.0, 46.2), "TRN": (31.0, 45.2), "SRB": (20.5, 44.8), "KOS": (20.5, 41.8),
    "GEO": (43.5, 41.6), "ABK": (39.8, 43.8), "SOS": (44.2, 44.0), "ARM": (44.0, 38.8), "AZE": (50.0, 40.8),
    "NKR": (47.2, 38.2), "KAZ": (63.0, 48.5), "KGZ": (72.0, 42.0),
}
POLES = ("RUS", "NATO", "EU", "USA")  # every actor's edges to these are drawn, plus each territory's to its parent
TRUST_CMAP, THREAT_CMAP = "RdYlGn", "Reds"
KIND_STYLE = {  # marker colour and line style on the trajectories
    "agreement": ("#1a9641", "-"), "crisis": ("#fdae61", ":"), "escalation": ("#d7191c", "-"),
    "intervention": ("#2b83ba", "--"),
}


def encode_png(rgba: np.ndarray) -> bytes:
    """An opaque (h, w, 4) uint8 RGBA image (a canvas's buffer) as RGB PNG bytes: no row filter
    and zlib level 1, about five times faster than PIL's encoder for these flat-coloured figures
    and no larger (a month's frame)."""
    rgba = np.ascontiguousarray(rgba)
    h, w, _ = rgba.shape
    raw = np.empty((h, w * 3 + 1), dtype=np.uint8)
    raw[:, 0] = 0  # a leading 0 per row: filter type None
    # one copy of each pixel's first three bytes, as 3-byte items (a copy of the (h, w, 3) view
    # moves one byte at a time: 3 -> 1.9 ms for the map)
    pixel = np.dtype((np.void, 3))
    np.ndarray((h, w), dtype=pixel, buffer=raw, offset=1, strides=(w * 3 + 1, 3))[...] = np.ndarray(
        (h, w), dtype=pixel, buffer=rgba, strides=(w * 4, 4))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 1))
            + chunk(b"IEND", b""))


def png(fig: Figure, dpi: int = 120) -> bytes:
    """The whole figure as PNG bytes, redrawn at ``dpi`` (the "Download PNG" buttons)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class _Blitted:
    """A figure drawn once in full (its static background kept as pixels) whose changing
    artists alone are drawn over that background each month: a month costs a few artists and a
    fast PNG encoding instead of a whole render."""

    DPI = 80

    def _start(self, dynamic: list, overlay: list = (), saved_only: list = ()) -> None:
        """Keep the figure without ``dynamic`` and ``overlay`` artists as the background; the
        ``overlay`` artists (labels that must stay on top) are kept as a transparent layer.
        ``saved_only`` artists (the month) are in the saved PNG but not in the frames."""
        self.fig.set_dpi(self.DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self.dynamic = dynamic
        for a in [*dynamic, *overlay, *saved_only]:
            a.set_visible(False)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.overlay = None
        if overlay:
            self.canvas.buffer_rgba()  # the layer: the overlay artists alone on a transparent canvas
            layer = FigureCanvasAgg(Figure(figsize=self.fig.get_size_inches(), dpi=self.DPI))
            renderer = layer.get_renderer()
            for a in overlay:
                a.set_visible(True)
                a.draw(renderer)
            rgba = np.asarray(layer.buffer_rgba(), dtype=np.uint16).reshape(-1, 4)
            where = np.flatnonzero(rgba[:, 3])  # the few pixels the labels cover (about 2%)
            alpha = rgba[where, 3:4]
            # integer "over": out = (base * (255 - a) + colour * a) / 255, premultiplied once here
            self.overlay = (where, rgba[where, :3] * alpha + 127, 255 - alpha)
            for a in overlay:
                a.set_visible(True)
        for a in [*dynamic, *saved_only]:
            a.set_visible(True)

    def _add_to_background(self, artists: list) -> None:
        """Draw new static artists (markers) into the kept background."""
        if not artists:
            return
        self.canvas.restore_region(self.background)
        for a in artists:
            a.axes.draw_artist(a) if a.axes is not None else a.draw(self.canvas.get_renderer())
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)

    def frame(self) -> bytes:
        """This month's picture: the background, the changing artists, as PNG bytes."""
        self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for a in self.dynamic:
            a.draw(renderer)
        rgba = np.asarray(self.canvas.buffer_rgba())  # the figure is opaque: alpha is 255 everywhere
        if self.overlay is not None:  # composited in the canvas (the next frame restores the background)
            where, colour, keep = self.overlay
            pixels = rgba.reshape(-1, 4)
            pixels[where, :3] = (pixels[where, :3] * keep + colour) // 255
        return encode_png(rgba)


def positions(ids: list[str]) -> dict[str, tuple[float, float]]:
    pos = {}
    extra = [a for a in ids if a not in POSITIONS]
    for k, a in enumerate(extra):
        angle = 2 * np.pi * k / max(len(extra), 1)
        pos[a] = (70.0 + 6 * np.cos(angle), 56.0 + 4 * np.sin(angle))
    pos.update({a: POSITIONS[a] for a in ids if a in POSITIONS})
    return pos


def edge_list(spec) -> list[tuple[str, str]]:
    """The pairs drawn: among the poles, every actor with each pole, each territory with its
    parent state (an undirected edge; its colour is the mean of the two directions' trust)."""
    ids = list(spec.ids)
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    poles = [p for p in POLES if p in ids]
    for a, b in itertools.combinations(poles, 2):
        graph.add_edge(a, b)
    for a in ids:
        for p in poles:
            if a != p and not (spec.roster[a].is_composite and a not in poles):
                graph.add_edge(a, p)
        actor = spec.roster[a]
        if actor.kind == "territory" and getattr(actor, "parent", None) in ids:
            graph.add_edge(a, actor.parent)
    return list(graph.edges())


class NetworkView(_Blitted):
    """Actors on a rough map of Europe: edges coloured by mutual trust, nodes by felt threat."""

    def __init__(self, run, title: str = ""):
        self.run = run
        spec = run.spec
        self.ids = list(spec.ids)
        self.pos = positions(self.ids)
        self.graph = nx.Graph()
        self.graph.add_nodes_from(self.ids)
        self.graph.add_edges_from(edge_list(spec))
        self.edges = list(self.graph.edges())
        index = {a: k for k, a in enumerate(self.ids)}
        self.ei = np.array([index[a] for a, _ in self.edges])
        self.ej = np.array([index[b] for _, b in self.edges])
        # fixed axes (no layout engine): the figure's geometry never changes, so a month's redraw is one render
        self.fig = Figure(figsize=(9.6, 4.8))
        ax = self.ax = self.fig.add_axes((0.005, 0.17, 0.72, 0.76))
        segments = [[self.pos[a], self.pos[b]] for a, b in self.edges]
        self.lines = LineCollection(segments, cmap=TRUST_CMAP, linewidths=1.5, alpha=0.85, zorder=1)
        self.lines.set_clim(0.0, 1.0)
        ax.add_collection(self.lines)
        xy = np.array([self.pos[a] for a in self.ids])
        sizes = [230 if spec.roster[a].is_composite else 150 for a in self.ids]
        self.nodes = ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=np.zeros(len(self.ids)), cmap=THREAT_CMAP,
                                vmin=0.0, vmax=1.0, edgecolors="black", linewidths=0.8, zorder=2)
        self.labels = [ax.annotate(a, (x, y), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=7.5,
                                   fontweight="bold", zorder=3, bbox=dict(boxstyle="round,pad=0.1", fc="white",
                                                                          ec="none", alpha=0.7))
                       for a, (x, y) in zip(self.ids, xy, strict=True)]
        ax.set_xlim(-28, 78)
        ax.set_ylim(35.5, 66)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_facecolor("#f4f8fb")
        ax.text(-26, 36.5, "Atlantic", fontsize=7, color="#4a7fb0", style="italic")
        ax.text(30, 36.5, "Black Sea and Caucasus", fontsize=7, color="#4a7fb0", style="italic")
        for k, (artist, text) in enumerate(((self.lines, "edge colour: mutual trust (0 none, 1 full)"),
                                            (self.nodes, "node colour: greatest threat the actor perceives"))):
            cax = self.fig.add_axes((0.03 + 0.37 * k, 0.075, 0.3, 0.025))
            self.fig.colorbar(artist, cax=cax, orientation="horizontal")
            cax.tick_params(labelsize=7)
            cax.set_title(text, fontsize=7.5, pad=2)
        legend = "\n".join(f"{a:<5}{run.names[a].split(' (')[0][:30]}" for a in self.ids)
        self.fig.text(0.735, 0.93, legend, fontsize=7, va="top", ha="left", family="monospace")
        # the title is static (in the background); the month is a short text of its own, because a
        # long title redrawn each month costs more than the rest of the frame
        ax.set_title(title or "Trust and threat across Europe", fontsize=10)
        self.when = ax.text(0.01, 0.985, "", transform=ax.transAxes, ha="left", va="top", fontsize=9, fontweight="bold")
        self._start([self.lines, self.nodes], overlay=self.labels, saved_only=[self.when])
        self.update()

    def update(self) -> None:
        t = self.run.trust_matrix()
        self.lines.set_array(0.5 * (t[self.ei, self.ej] + t[self.ej, self.ei]))
        self.nodes.set_array(self.run.felt_threat())
        self.when.set_text(f"{self.run.date} (month {self.run.month})")

    def png(self) -> bytes:
        return png(self.fig)


class TrajectoryView(_Blitted):
    """The key trusts and mean threat against dates, with agreements, crises, escalations and
    interventions marked and named; optionally the spread across runs behind them."""

    def __init__(self, run, band: dict | None = None, title: str | None = None, compact: bool = False):
        self.run = run
        self.fig = Figure(figsize=(6.0 if compact else 9.6, 4.2 if compact else 4.4))
        # room on the left for the tick labels and the axis label at either width
        ax = self.ax = self.fig.add_axes((0.1, 0.16, 0.87, 0.76) if compact else (0.07, 0.16, 0.9, 0.76))
        self.colors = dict(zip(run.series_names, ["#d7191c", "#2b83ba", "#fdae61", "#abd9e9", "#7b3294", "black"],
                               strict=False))
        if band is not None:
            for name in run.series_names:
                b = band[name]
                ax.fill_between(band["steps"], b[0], b[2], color=self.colors[name], alpha=0.12, linewidth=0)
            ax.fill_between([], [], [], color="grey", alpha=0.2,
                            label=f"spread across runs ({band['low']:.0f}-{band['high']:.0f}%, {band['replicates']} seeds)")
        self.lines = {}
        for name in run.series_names:
            style = "--" if name == "mean_threat" else "-"
            (self.lines[name],) = ax.plot([], [], style, color=self.colors[name], lw=1.8, label=run.label(name))
        ax.set_xlim(0, run.horizon)
        ax.set_ylim(0, 1.18)
        ax.set_ylabel("trust / threat")
        ticks = [s for s in range(0, run.horizon + 1) if s % 12 == 0] or [0]
        ax.set_xticks(ticks, [run.spec.date(s) for s in ticks], fontsize=7, rotation=30)
        ax.grid(alpha=0.25)
        # above the lines: the key trusts between Russia and the West mostly lie below 0.6, and the
        # markers' names run along the bottom (crises) and above 1 (agreements)
        ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, 0.845), ncol=3, framealpha=0.85)
        ax.set_title(title or "Key trusts and mean threat", fontsize=10)  # static; the month below
        self.when = ax.text(0.995, 0.985, "", transform=ax.transAxes, ha="right", va="top", fontsize=8,
                            fontweight="bold", bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
        self._drawn = 0
        self._start(list(self.lines.values()), saved_only=[self.when])
        self.update()

    def update(self) -> None:
        run = self.run
        for name, line in self.lines.items():
            line.set_data(run.steps, run.series[name])
        new = []
        for m in run.markers[self._drawn:]:
            color, style = KIND_STYLE.get(m.kind, ("grey", ":"))
            new.append(self.ax.axvline(m.step, color=color, ls=style, lw=0.9, alpha=0.8, zorder=0))
            y = {"agreement": 1.01, "intervention": 1.01, "crisis": 0.02, "escalation": 0.02}.get(m.kind, 0.5)
            new.append(self.ax.text(m.step + 0.4, y, m.label, rotation=90, fontsize=5.5, color=color,
                                    va="bottom", ha="left", clip_on=True))
        self._drawn = len(run.markers)
        self._add_to_background(new)
        self.when.set_text(f"to {run.date}")

    def png(self) -> bytes:
        return png(self.fig)
