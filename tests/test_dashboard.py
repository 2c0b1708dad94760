"""The dashboard without a browser (issue 12), as Mesa's examples test theirs: import the app,
step a seeded model through the page's state, check the views and the agenda change, bad
settings become messages, compare mode and the ensemble band, and play a scripted game to the
end. The app module needs the viz extra (make test-viz); the rest runs with the base deps."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sim.dashboard import session as S
from sim.dashboard.game import GAME_ACTORS, Game
from sim.dashboard.views import NetworkView, TrajectoryView
from sim.errors import ConfigError


@pytest.fixture(scope="module")
def settings():
    return S.Settings.for_scenario("incremental_web", seed=3)


def test_every_scenario_and_option_is_offered(settings):
    assert S.DEFAULT_SCENARIO in S.scenarios() and "baseline_2010" in S.scenarios()
    cat = S.catalog("incremental_web")
    assert [cat.paper[o] for o in cat.options[:10]] == list(range(1, 11))  # the paper's ten, in its order
    assert set(cat.options) == set(S.option_ids())
    assert settings.options["nrc"] == 6 and settings.options["medvedev_treaty"] is None


def test_settings_take_effect_on_build(settings):
    s = replace(settings.toggled("nrc"), spiral_bias=0.2, crisis_rate="2", hawkishness_rus=0.9, seed="11")
    run = S.Run(s)
    spec = run.spec
    assert "nrc" not in [m.id for m in spec.moves] and run.model.seeds[0] == 11
    assert spec.dynamics.spiral_bias == 0.2
    assert spec.roster.hawkishness[spec.roster.index("RUS")] == 0.9
    later = S.Run(replace(settings, options={**settings.options, "corfu": "40"}))
    assert later.spec.move("corfu").start == 40


@pytest.mark.parametrize("change, key", [
    (dict(seed="abc"), "rng"),
    (dict(seed="-3"), "rng"),
    (dict(spiral_bias=1.5), "dynamics.spiral_bias"),
    (dict(crisis_rate="lots"), "crisis rate"),
    (dict(crisis_rate=-1), "crisis rate"),
    (dict(hawkishness_nato=2.0), "roster.NATO.hawkishness"),
])
def test_bad_settings_are_config_errors(settings, change, key):
    with pytest.raises(ConfigError) as info:
        S.Run(replace(settings, **change))
    assert key in info.value.key


def test_bad_month_names_the_option(settings):
    with pytest.raises(ConfigError) as info:
        S.Run(replace(settings, options={**settings.options, "nrc": "June"}))
    assert info.value.key == "moves.nrc.start"
    with pytest.raises(ConfigError) as info:
        S.Run(replace(settings, options={**settings.options, "nrc": 999}))
    assert "moves.nrc.start" in info.value.key


def test_a_seeded_run_steps_and_its_views_change(settings):
    run = S.Run(settings)
    net, traj = NetworkView(run), TrajectoryView(run)
    first_net, first_traj = net.frame(), traj.frame()
    assert first_net[:8] == b"\x89PNG\r\n\x1a\n"
    run.step(14)
    net.update()
    traj.update()
    assert run.month == 14 and len(run.steps) == 15 and len(run.series["mean_threat"]) == 15
    assert net.frame() != first_net and traj.frame() != first_traj
    dates = {run.spec.date(s) for s in range(15)}
    assert run.agenda and all(line.split(":")[0] in dates for line in run.agenda)  # dated, in this run
    assert any("proposed" in line for line in run.agenda)  # the narrative's own sentences
    assert any(m.kind == "agreement" for m in run.markers) or any("rejected" in line for line in run.agenda)
    again = S.Run(settings)
    again.step(14)
    assert again.agenda == run.agenda  # a seed fixes the run
    run.step(run.horizon - 16)
    whole = S.Run(settings)
    whole.step(run.horizon)
    run.step(5)  # past the end: the last months' events are still read
    assert run.finished and run.month == run.horizon and run.agenda == whole.agenda and run.markers == whole.markers


def test_a_frame_is_the_pixels_drawn(settings):
    """The PNG a view sends is its canvas as drawn (labels composited over it), pixel for pixel."""
    import io

    import numpy as np
    from PIL import Image

    run = S.Run(settings)
    run.step(14)
    for view in (NetworkView(run), TrajectoryView(run)):
        png = view.frame()
        drawn = np.asarray(view.canvas.buffer_rgba())[..., :3]
        shown = np.asarray(Image.open(io.BytesIO(png)))
        assert shown.shape == drawn.shape and (shown == drawn).all()


def test_interventions_reach_the_agenda(settings):
    run = S.Run(replace(settings, scenario="incremental_web"))
    run.step(2)
    assert "nrc" in run.open_moves()
    run.table_now("nrc")
    run.crisis_now("TRN")
    text = "\n".join(run.agenda)
    assert "INTERVENTION" in text and "NATO-Russia Council" in text and "TRN" in text
    assert text.count("INTERVENTION") == 2, "each intervention told once, in the narrative's words"
    assert {m.kind for m in run.markers} >= {"intervention", "crisis"}


def test_ensemble_band_spreads_across_runs(settings):
    band = S.ensemble_band(replace(settings, scenario="baseline_2010", options={}), replicates=20)
    low, mid, high = band["trust_RUS_NATO"]
    assert len(band["steps"]) == len(low) and (low <= mid + 1e-12).all() and (mid <= high + 1e-12).all()
    assert (high - low).max() > 0  # the runs differ
    run = S.Run(replace(settings, scenario="baseline_2010", options={}))
    assert TrajectoryView(run, band=band).frame()[:4] == b"\x89PNG"


def test_scripted_game_to_the_end(settings):
    assert set(GAME_ACTORS) >= {"RUS", "NATO", "EU"}
    game = Game(settings, "RUS", ensemble=10)
    asked = 0
    while not game.finished:
        for decision in game.pending():
            assert decision.markdown()
            game.answer(decision, decision.choices[asked % 2])
            asked += 1
        game.advance()
    assert asked > 0 and game.run.month == game.run.horizon
    report = game.report()
    assert len(report) == asked
    assert all(0.0 <= r["agents_same"] <= 1.0 for r in report if r["agents_same"] == r["agents_same"])
    assert "The end" in game.report_markdown()


def test_game_proposer_can_wait(settings):
    game = Game(settings, "NATO", ensemble=5)
    game.advance() if not game.pending() else None
    d = next((d for d in game.pending() if d.role == "propose"), None)
    assert d is not None and d.choices == ("propose", "wait")
    month = d.month
    game.answer(d, "wait")
    idx = game.run.spec.move(d.move).index
    assert game.run.model.engine.book.next_attempt[0, idx] == month + game.run.spec.negotiation.retry_after


def test_app_imports_without_a_server_and_its_state_steps():
    pytest.importorskip("solara")
    from sim.dashboard import app

    dash = app.Dashboard(S.Settings.for_scenario("incremental_web", seed=2))
    before = dash.network_png, dash.trajectory_png
    dash.step(3)
    assert dash.run.month == 3 and (dash.network_png, dash.trajectory_png) != before
    dash.draft = replace(dash.draft, seed="x1")
    assert dash.reset() is False and "Invalid configuration at 'rng'" in dash.error and dash.run.month == 3
    dash.draft = replace(dash.draft, seed="8")
    assert dash.reset() and dash.error is None and dash.run.month == 0
    dash.run_compare("nrc")
    assert set(dash.compare["runs"]) == {"with", "without"}
    assert callable(app.Page)


def test_a_month_of_the_play_thread_never_lands_on_the_run_a_reset_built():
    """Play steps the run it started with: after Pause and Reset, a month the play thread was
    about to take is dropped instead of stepping the new run (the page would show month 1)."""
    pytest.importorskip("solara")
    from sim.dashboard import app

    dash = app.Dashboard(S.Settings.for_scenario("baseline_2010", seed=2))
    played = dash.run
    assert dash.step(run=played) and played.month == 1
    dash.reset()
    assert dash.step(run=played) is False and dash.run.month == 0 and played.month == 1
    assert dash.step() and dash.run.month == 1


def _page(monkeypatch):
    """The page rendered without a server, as Solara's server lays it out (the sidebar needs the
    app layout); returns the dashboard behind it and reacton's render context (to find widgets)."""
    solara = pytest.importorskip("solara")
    from sim.dashboard import app

    made = []

    class Recorded(app.Dashboard):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(app, "Dashboard", Recorded)
    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    return made[0], rc


def test_text_typed_into_a_setting_survives_a_render_of_the_page(monkeypatch):
    """A render of the page (Pause, the play thread's end, a tab) must not put back the old value
    over text typed into a setting and not yet committed; Enter then commits what was typed."""
    v = pytest.importorskip("ipyvuetify")

    dash, rc = _page(monkeypatch)
    seed = rc.find(v.TextField, label="Seed").widget
    rate = rc.find(v.TextField, label="Crisis rate (x every type's base rate)").widget
    assert seed.v_model == "0" and rate.v_model == "1.0"
    seed.v_model, rate.v_model = "12345", "2"  # typed in the browser, not yet committed
    rc.find(v.Tabs).widget.v_model = 1  # another tab: the page re-renders
    assert seed.v_model == "12345" and rate.v_model == "2"
    seed.fire_event("keyup.enter")
    rate.fire_event("focusout")
    assert dash.draft.seed == "12345" and dash.draft.crisis_rate == "2"
    assert seed.v_model == "12345"
    rc.find(v.Select, label="Scenario").widget.v_model = "baseline_2010"  # the draft changes: the field shows it
    assert dash.draft.scenario == "baseline_2010" and dash.draft.crisis_rate == 1.0 and rate.v_model == "1.0"
    assert seed.v_model == "12345"


def test_a_step_updates_the_moves_open_to_table_now_in_place(monkeypatch):
    """The moves still open to "Table now" are a live view: a month that closes one updates the
    select in place and does not re-render the page; Table now tables the move picked."""
    v = pytest.importorskip("ipyvuetify")

    dash, rc = _page(monkeypatch)
    select = rc.find(v.Select, label="Move to table").widget
    step = rc.find(v.Btn, children=["Step"]).widget
    opened = dash.run.open_moves()
    assert select.items == opened and select.v_model == opened[0]
    select.v_model = opened[2]  # picked in the browser
    assert dash.current_move() == opened[2]
    renders = rc.render_count
    rc.find(v.Tabs).widget.v_model = 1
    assert rc.render_count > renders  # the count sees a render of the page
    renders = rc.render_count
    while dash.run.open_moves() == opened:
        step.click()
    assert 0 < dash.run.month < dash.run.horizon and rc.render_count == renders
    assert select.items == dash.run.open_moves() != opened
    assert select.v_model == dash.current_move()
    picked = select.v_model
    rc.find(v.Btn, children=["Table now"]).widget.click()
    assert dash.notice.startswith(f"'{dash.run.move_title(picked)}'") and select.items == dash.run.open_moves()
    assert dash.live["moves_box"].class_ == "d-flex ma-0" and dash.live["no_moves"].class_ == "d-none"
    rc.find(v.Select, label="Scenario").widget.v_model = "baseline_2010"  # no move of its own, every option off
    rc.find(v.Btn, children=["Reset"]).widget.click()
    assert dash.run.settings.scenario == "baseline_2010" and dash.run.open_moves() == [] and select.items == []
    assert dash.live["moves_box"].class_ == "d-none" and dash.live["no_moves"].class_ == ""


def test_a_step_sends_the_map_and_the_month_before_reading_the_events():
    """The map and the month need no event of the month: they go to the page first, and the
    browser takes in the map's picture while the agenda and the plot are made."""
    pytest.importorskip("solara")
    from sim.dashboard import app

    dash = app.Dashboard(S.Settings.for_scenario("incremental_web", seed=3))
    sent = []

    class Widget:
        def __init__(self, name):
            self.name = name

        def hold_sync(self):
            import contextlib

            return contextlib.nullcontext()

        def __setattr__(self, trait, value):
            if trait != "name":
                sent.append((self.name, len(dash.run.agenda)))
            object.__setattr__(self, trait, value)

    dash.live = {name: Widget(name) for name in ("agenda", "trajectory", "month", "network")}
    before = len(dash.run.agenda)
    while len(dash.run.agenda) == before:
        sent.clear()
        dash.step()
    order = [name for name, _ in sent]
    assert order == ["network", "month", "trajectory", "agenda"]  # the pictures first: the browser decodes them
    assert all(lines == before for name, lines in sent[:2])  # sent before the month's agenda lines were read


def test_server_warm_up_puts_what_lives_as_long_as_the_server_out_of_the_collectors_sight():
    import gc

    pytest.importorskip("solara")
    from sim.dashboard import serve

    try:
        serve.warm_up()
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()
