"""The classroom dashboard: eurosec live in a browser, offline (Mesa's Solara stack).

Like Mesa's examples, the app is a module beside the model, importable without starting a
server: ``Page`` is the Solara component, :class:`Dashboard` the state behind one open page
(plain Python, driven the same way by the tests). Start it with ``make viz`` or
``python -m sim.dashboard`` (127.0.0.1:8765 unless ``--host``/``--port`` say otherwise).

Everything the controls set takes effect on Reset; a bad value is shown as the model's own
one-paragraph ConfigError message, never a traceback. The views are matplotlib figures (Altair
needs a CDN) of the one model the sweeps use: nothing is reimplemented for display.

A step changes only the month, the two pictures, the agenda and the moves still open to "Table
now". These are "live" widgets that the dashboard sets in place (:meth:`Dashboard.publish`), so a
step sends a message per widget that changed and no re-render of the page: Solara (reacton)
reconciles every widget of the page on any render, some 230 here, which cost more than the month
itself. The page is re-rendered only at the end of the run (Play and Step are disabled then).
"""

from __future__ import annotations

import html
import threading
import time
from dataclasses import replace

import reacton.ipyvuetify as rv
import reacton.ipywidgets as rw
import solara
from solara.components.input import use_change

from sim.dashboard import session as S
from sim.dashboard.game import GAME_ACTORS, Game
from sim.dashboard.views import NetworkView, TrajectoryView, png
from sim.errors import ConfigError

AGENDA_LINES = 40
MOVE_VIEWS = ("moves", "moves_box", "no_moves")
FIRST_VIEWS = ("network", "month")  # what a step sends first (Dashboard.step)
VIEWS = (*FIRST_VIEWS, "trajectory", "agenda", *MOVE_VIEWS)  # every live view, pictures before text


class Dashboard:
    """The state behind one open page: the settings being edited, the run they built, its views
    and their latest pictures; compare mode, the ensemble band and the game."""

    def __init__(self, settings: S.Settings | None = None):
        self.draft = settings or S.Settings.for_scenario()
        self.error: str | None = None
        self.notice: str | None = None
        self.lock = threading.RLock()
        self.band: dict | None = None
        self.show_band = False
        self.compare: dict | None = None
        self.game: Game | None = None
        self.run: S.Run | None = None
        self.live: dict[str, object] = {}  # view name -> the page's widget showing it (see publish)
        self.move_choice: str | None = None  # the move picked for "Table now" (the first open one if None or closed)
        self.reset()

    # ---------------------------------------------------------------- actions
    def reset(self) -> bool:
        """Build a new run from the draft settings; on a bad setting keep the old run and set
        ``error`` to the model's message."""
        with self.lock:
            try:
                run = S.Run(self.draft)
                band = S.ensemble_band(self.draft) if self.show_band else None
            except ConfigError as err:
                self.error = str(err)
                return False
            self.run, self.band, self.error, self.notice = run, band, None, None
            self.network = NetworkView(run)
            self.trajectory = TrajectoryView(run, band=band)
            self._frames()
            return True

    def step(self, months: int = 1, run: S.Run | None = None) -> bool:
        """Advance the current run; with ``run``, only if it is still the current one (the play
        thread's month must not land on a run a Reset has just built). True if it stepped.

        The map and the month go to the page first: the browser takes in the map's picture
        while the month's events (the agenda, the plot's markers) are read and the plot drawn."""
        with self.lock:
            if run is not None and self.run is not run:
                return False
            self.run.step(months, events=False)
            self.network.update()
            self.network_png = self.network.frame()
            self.publish(FIRST_VIEWS)
            self.run.read_events()
            self.trajectory.update()
            self.trajectory_png = self.trajectory.frame()
            self.publish(VIEWS[len(FIRST_VIEWS):])
            return True

    def table_now(self, move_id: str) -> None:
        self._intervene(lambda: self.run.table_now(move_id),
                        lambda ok: f"'{self.run.move_title(move_id)}' " + ("is now in force." if ok else "was not agreed (see the agenda)."))

    def crisis_now(self, site: str, crisis_type: str | None) -> None:
        self._intervene(lambda: self.run.crisis_now(site, crisis_type or None),
                        lambda esc: f"Crisis at {site}: " + ("it escalated into open conflict." if esc else "contained."))

    def _intervene(self, act, describe) -> None:
        with self.lock:
            try:
                result = act()
            except ConfigError as err:
                self.error = str(err)
                return
            self.error, self.notice = None, describe(result)
            self._frames()

    def set_band(self, on: bool) -> None:
        self.show_band = on
        with self.lock:
            if on and self.band is None:
                try:
                    self.band = S.ensemble_band(self.run.settings)
                except ConfigError as err:
                    self.error = str(err)
                    return
            self.trajectory = TrajectoryView(self.run, band=self.band if on else None)
            self._frames()

    def run_compare(self, option: str, month: int | None = None) -> None:
        """The same seed and settings with and without ``option``, each to the horizon."""
        with self.lock:
            try:
                base = self.run.settings
                other = base.toggled(option, month)
                runs = {}
                for label, st in (("with", other if other.options.get(option) is not None else base),
                                  ("without", base if base.options.get(option) is None else other)):
                    r = S.Run(st)
                    r.step(r.horizon)
                    runs[label] = r
            except ConfigError as err:
                self.error = str(err)
                return
            title = S.catalog(base.scenario).titles[option]
            self.compare = {"option": option, "title": title, "runs": runs,
                            "images": {k: TrajectoryView(r, title=f"{k} '{S._short_title(title, 40)}'", compact=True).frame()
                                       for k, r in runs.items()}}
            self.error = None

    def start_game(self, actor: str) -> None:
        with self.lock:
            try:
                self.game = Game(self.draft, actor)
            except ConfigError as err:
                self.error = str(err)

    def _frames(self) -> None:
        self.network.update()
        self.trajectory.update()
        self.network_png = self.network.frame()
        self.trajectory_png = self.trajectory.frame()
        self.publish()

    # ------------------------------------------------------------ live views
    def view(self, name: str) -> dict:
        """What the live view ``name`` shows now: its widget's traits and their values."""
        return self.views([name])[name]

    def views(self, names) -> dict[str, dict]:
        """The live views ``names``: the pictures (PNG bytes), the month and the agenda (HTML),
        and the moves open to "Table now": the select's moves and choice, the select and its
        button shown (a column, as Solara lays out a component) or, when no move is open, a note."""
        moves = self.run.open_moves() if any(n in MOVE_VIEWS for n in names) else []
        out = {}
        for name in names:
            if name == "network":
                out[name] = {"value": self.network_png}
            elif name == "trajectory":
                out[name] = {"value": self.trajectory_png}
            elif name == "month":
                out[name] = {"value": month_html(self.run)}
            elif name == "agenda":
                out[name] = {"value": agenda_html(self.run)}
            elif name == "moves":
                out[name] = {"items": moves, "v_model": self.current_move(moves)}
            elif name == "moves_box":
                out[name] = {"class_": "d-flex ma-0" if moves else "d-none", "style_": COLUMN_STYLE}
            elif name == "no_moves":
                out[name] = {"class_": "d-none" if moves else ""}
            else:
                raise KeyError(name)
        return out

    def current_move(self, moves: list[str] | None = None) -> str | None:
        """The move "Table now" tables: the one picked while it is open, else the first open one."""
        moves = self.run.open_moves() if moves is None else moves
        return self.move_choice if self.move_choice in moves else (moves[0] if moves else None)

    def choose_move(self, move_id: str | None) -> None:
        if move_id is not None:
            self.move_choice = move_id

    def publish(self, names=VIEWS) -> None:
        """Set the page's live widgets of ``names`` (all by default) to their views now, in that
        order (one message per widget, sent only if a trait changed)."""
        with self.lock:
            widgets = {n: self.live[n] for n in names if n in self.live}
            views = self.views(list(widgets))
            for name, widget in widgets.items():
                _show(widget, views[name])

    def shape(self) -> tuple:
        """What a step can change on the page besides the live views: when this changes, the
        page is re-rendered (Play and Step are disabled at the end of the run)."""
        return (self.run.finished,)


def _show(widget, state: dict) -> None:
    with widget.hold_sync():
        for trait, value in state.items():
            setattr(widget, trait, value)


COLUMN_STYLE = "flex-direction: column; align-items: stretch; row-gap: 12px;;"  # solara.Column's


# ------------------------------------------------------------------------ the page
def _month_label(run: S.Run) -> str:
    return f"Month {run.month} of {run.horizon} ({run.date})"


def month_html(run: S.Run) -> str:
    return (f'<div data-month="{run.month}" style="font-size: 1.2em; font-weight: bold">'
            f"{html.escape(_month_label(run))}</div>")


def agenda_html(run: S.Run) -> str:
    """The agenda, newest first, as HTML (its lines are plain text: escaped, not Markdown)."""
    lines = list(reversed(run.agenda[-AGENDA_LINES:])) or ["(nothing yet: press Step)"]
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (f'<div data-month="{run.month}" style="line-height: 1.5"><b>Agenda</b> to {html.escape(run.date)} '
            f'(newest first): who proposed what, who objected, crises'
            f'<ul style="font-size: 0.9em; margin-top: 0.4em">{items}</ul></div>')


def use_live(dash: Dashboard, name: str, el) -> None:
    """Make ``el``'s widget the live view ``name``: the dashboard sets its traits in place
    (:meth:`Dashboard.publish`). The element must not be given those traits, so no render of the
    page ever sets them back to an older value."""

    def attach():
        widget = solara.get_widget(el)
        with dash.lock:
            dash.live[name] = widget
            _show(widget, dash.view(name))

        def detach():
            if dash.live.get(name) is widget:
                del dash.live[name]
        return detach

    solara.use_effect(attach, [])


@solara.component
def LiveView(dash: Dashboard, name: str, image: bool = False, classes: tuple[str, ...] = ()):
    """A picture or an HTML fragment the dashboard sets in place (created without a value)."""
    if image:
        el = rw.Image(format="png", layout={"width": "100%"}, _dom_classes=["solara-image", *classes])
    else:
        el = rw.HTML(_dom_classes=list(classes))
    use_live(dash, name, el)
    return el


@solara.component
def DraftText(label: str, value: str, on_value, style: str = ""):
    """A text field of the settings (Solara's InputText, same look): the text typed is committed
    by Enter or by leaving the field (``on_value``). Unlike InputText, a render of the page sets
    the field only when ``value`` has changed since the last one: the page re-renders while a user
    types (after Pause the play thread's last renders arrive, a tab, a message), and setting the
    value it was rendered with every time put the old value back over text typed and not yet
    committed, so Enter then committed the old value."""
    el = rv.TextField(label=label, type="text", error=False, messages=[], class_="", style_=style, autofocus=False,
                      dense=False, hide_details="auto", placeholder="", prefix="", suffix="", clearable=False)

    def show():
        solara.get_widget(el).v_model = value

    solara.use_effect(show, [value])
    use_change(el, lambda text: on_value(str(text)))
    return el


@solara.component
def OptionRow(dash: Dashboard, option: str, on_change):
    cat = S.catalog(dash.draft.scenario)
    month = dash.draft.options.get(option)
    paper = cat.paper[option]
    label = f"{paper}. {cat.titles[option]}" if paper else cat.titles[option]

    def switch(on: bool):
        opts = dict(dash.draft.options)
        opts[option] = (cat.starts[option] if on else None)
        on_change(replace(dash.draft, options=opts))

    def set_month(text: str):
        opts = dict(dash.draft.options)
        opts[option] = text
        on_change(replace(dash.draft, options=opts))

    with solara.Row(style="align-items: center; margin: 0; padding: 0"):
        solara.Checkbox(label=S._short_title(label, 44), value=month is not None, on_value=switch,
                        style="margin: 0; flex: 1 1 auto")
        if month is not None:
            DraftText("month", value=str(month), on_value=set_month, style="max-width: 4.5em")


@solara.component
def Controls(dash: Dashboard, refresh, tick=0):  # tick: what, when changed, re-renders it
    def change(settings: S.Settings):
        dash.draft = settings
        refresh()

    def pick_scenario(name: str):
        try:
            change(S.Settings.for_scenario(name, seed=dash.draft.seed))
        except ConfigError as err:
            dash.error = str(err)
            refresh()

    d = dash.draft
    solara.Markdown("**Settings** (take effect on Reset)")
    solara.Select("Scenario", values=S.scenarios(), value=d.scenario, on_value=pick_scenario)
    DraftText("Seed", value=str(d.seed), on_value=lambda v: change(replace(dash.draft, seed=v)))
    solara.SliderFloat("Spiral bias (dynamics.spiral_bias)", value=d.spiral_bias, min=0.0, max=1.0, step=0.05,
                       on_value=lambda v: change(replace(dash.draft, spiral_bias=v)))
    DraftText("Crisis rate (x every type's base rate)", value=str(d.crisis_rate),
              on_value=lambda v: change(replace(dash.draft, crisis_rate=v)))
    solara.SliderFloat("Russia's hawkishness", value=d.hawkishness_rus, min=0.0, max=1.0, step=0.05,
                       on_value=lambda v: change(replace(dash.draft, hawkishness_rus=v)))
    solara.SliderFloat("NATO's hawkishness", value=d.hawkishness_nato, min=0.0, max=1.0, step=0.05,
                       on_value=lambda v: change(replace(dash.draft, hawkishness_nato=v)))
    solara.Markdown("**Options** (on/off, month tabled)")
    for option in S.catalog(d.scenario).options:
        OptionRow(dash, option, change)


@solara.component
def Interventions(dash: Dashboard, refresh, tick=0):  # tick: what, when changed, re-renders it
    run = dash.run
    sites = run.model.crisis_sites()
    site, set_site = solara.use_state(next(iter(sites)))
    kind, set_kind = solara.use_state(sites[site][0])
    solara.Markdown("**Intervene now** (between months, under the model's rules)")
    # live (Dashboard.views): the moves still open change with the months, and a step does not
    # re-render the page. A column with the select and its button, or the note when none is open.
    with rv.Sheet(elevation=0) as box:
        select = rv.Select(label="Move to table", dense=False, disabled=False, on_v_model=dash.choose_move)
        solara.Button("Table now", on_click=lambda: (dash.table_now(dash.current_move()), refresh()), outlined=True)
    note = rv.Html(tag="span", children=["No move of this run is still open."])
    use_live(dash, "moves", select)
    use_live(dash, "moves_box", box)
    use_live(dash, "no_moves", note)
    solara.Select("Crisis site", values=list(sites), value=site,
                  on_value=lambda s: (set_site(s), set_kind(sites[s][0])))
    kinds = sites[site]
    solara.Select("Crisis type", values=kinds, value=kind if kind in kinds else kinds[0], on_value=set_kind)
    solara.Button("Crisis now", on_click=lambda: (dash.crisis_now(site, kind if kind in kinds else kinds[0]), refresh()),
                  outlined=True)


@solara.component
def SingleRun(dash: Dashboard, refresh, tick=0):  # tick: what, when changed, re-renders it
    run = dash.run
    LiveView(dash, "network", image=True, classes=("eurosec-network",))
    # the file names name the run, not the month (a step does not re-render the page; the month
    # is drawn in both pictures); the pictures are drawn at full resolution when pressed
    stem = f"{run.settings.scenario}_seed{run.settings.seed}"
    with solara.Row():
        solara.FileDownload(lambda: png(dash.network.fig), filename=f"eurosec_network_{stem}.png",
                            label="Download map (PNG)")
        solara.FileDownload(lambda: png(dash.trajectory.fig), filename=f"eurosec_trajectories_{stem}.png",
                            label="Download trajectories (PNG)")
    LiveView(dash, "trajectory", image=True, classes=("eurosec-trajectory",))
    solara.Checkbox(label="Show the spread across runs (200 seeds of these settings)", value=dash.show_band,
                    on_value=lambda v: (dash.set_band(v), refresh()))
    LiveView(dash, "agenda", classes=("eurosec-agenda",))


@solara.component
def CompareMode(dash: Dashboard, refresh, tick=0):  # tick: what, when changed, re-renders it
    cat = S.catalog(dash.run.settings.scenario)
    option, set_option = solara.use_state(cat.options[0])
    solara.Markdown("Same seed and settings, with and without one option, each run to the end.")
    solara.Select("Option", values=cat.options, value=option, on_value=set_option)
    solara.Button("Compare", on_click=lambda: (dash.run_compare(option), refresh()), color="primary")
    if dash.compare:
        runs = dash.compare["runs"]
        with solara.Columns([1, 1]):
            for label in ("with", "without"):
                with solara.Column():
                    solara.Image(dash.compare["images"][label], width="100%", classes=["eurosec-compare"])
                    r = runs[label]
                    solara.Markdown(
                        f"**{label}** '{dash.compare['title']}': at {r.date} "
                        + ", ".join(f"{r.label(n)} {r.series[n][-1]:.2f}" for n in r.series_names)
                        + f"; {sum(m.kind == 'agreement' for m in r.markers)} agreements, "
                        f"{sum(m.kind == 'escalation' for m in r.markers)} escalations.")


@solara.component
def GameMode(dash: Dashboard, refresh, tick=0):  # tick: what, when changed, re-renders it
    actor, set_actor = solara.use_state(GAME_ACTORS[0])
    game = dash.game
    if game is None:
        solara.Markdown("Play one actor: at each of its decisions you see the numbers its agent sees and "
                        "choose; the model plays everyone else. Uses the settings on the left.")
        solara.Select("Play as", values=list(GAME_ACTORS), value=actor, on_value=set_actor)
        solara.Button("Start the game", on_click=lambda: (dash.start_game(actor), refresh()), color="primary")
        return
    solara.Text(f"Playing {game.actor_name} - {_month_label(game.run)}", classes=["eurosec-game"],
                style="font-weight: bold")
    if game.finished:
        solara.Markdown(game.report_markdown())
        solara.Button("New game", on_click=lambda: (setattr(dash, "game", None), refresh()))
        return
    pending = game.pending()
    if pending:
        d = pending[0]
        solara.Markdown(d.markdown())
        with solara.Row():
            for choice in d.choices:
                solara.Button(choice.capitalize(), on_click=lambda c=choice: (game.answer(d, c), refresh()),
                              color="primary")
    else:
        solara.Markdown("No decision for you this month.")
        solara.Button("Next month", on_click=lambda: (game.advance(), refresh()), color="primary")
    solara.Markdown("\n".join(f"- {line}" for line in reversed(game.run.agenda[-12:])), style="font-size: 0.85em")


@solara.component
def Page():
    dash = solara.use_memo(Dashboard, [])
    tick, set_tick = solara.use_state(0)
    tab, set_tab = solara.use_state(0)  # kept here, so a message appearing or going does not reset the tab
    playing = solara.use_reactive(False)

    def refresh():
        set_tick(lambda t: t + 1)

    def advance(run: S.Run | None = None):
        """One month: the live views update in place; the page re-renders only if more changed."""
        before = dash.shape()
        if dash.step(run=run) and dash.shape() != before:
            refresh()

    def play_loop():
        run = dash.run  # the run Play started: a Reset replaces it, and the loop then ends
        while playing.value and not run.finished and dash.run is run:
            advance(run)
            time.sleep(0.25)
        if run.finished and dash.run is run:
            playing.set(False)

    # not intrusive: Pause ends the loop at its next check, never in the middle of a month (an
    # intrusive cancel raises inside the thread at any line: in a step, a send or a render)
    solara.use_thread(play_loop, dependencies=[playing.value], intrusive_cancel=False)

    def do_reset():
        playing.set(False)
        dash.reset()
        refresh()

    def do_step():
        advance()

    solara.Title("eurosec classroom dashboard")
    with solara.AppBar():
        solara.AppBarTitle("eurosec - trust and threat in European security")
    with solara.Sidebar():
        with solara.Row():
            solara.Button("Reset", on_click=do_reset, color="primary")
            solara.Button("Pause" if playing.value else "Play", on_click=lambda: playing.set(not playing.value),
                          color="primary", disabled=dash.run.finished)
            solara.Button("Step", on_click=do_step, color="primary", disabled=playing.value or dash.run.finished)
        Controls(dash, refresh, (dash.draft, dash.error))  # re-rendered only when the settings change
    run = dash.run
    with solara.Column():
        LiveView(dash, "month", classes=("eurosec-month",))
        solara.Text(f"{run.settings.scenario}, seed {run.settings.seed}: " + ", ".join(
            o for o, m in run.settings.options.items() if m is not None), style="font-size: 0.8em")
        with solara.Column():  # always present: the tabs below keep their place in the page
            if dash.error:
                solara.Error(dash.error, classes=["eurosec-error"])
            if dash.notice:
                solara.Info(dash.notice)
        with solara.lab.Tabs(value=tab, on_value=set_tab):
            with solara.lab.Tab("Single run"):
                with solara.Columns([3, 1]):
                    SingleRun(dash, refresh, tick)
                    Interventions(dash, refresh, id(dash.run))
            with solara.lab.Tab("Compare"):
                CompareMode(dash, refresh, (id(dash.run), id(dash.compare)))
            with solara.lab.Tab("Classroom game"):
                GameMode(dash, refresh, None if dash.game is None else (
                    id(dash.game), dash.game.run.month, len(dash.game.choices)))
