"""Live interventions and Mesa's Reset path (issue 12): EurosecModel.table_now, crisis_now and
delegate act under the model's own rules and are recorded in the event log; Mesa's Scenario
object and a seed typed as text are accepted on Reset."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import ConfigError
from sim.model import EurosecModel, MoveStatus


@pytest.fixture(scope="module")
def stepped():
    model = EurosecModel(rng=7, scenario="baseline_2010", options=["nrc", "solidarity"], moves__nrc__start=60,
                         record_events=True)
    model.run(3)
    return model


def test_table_now_negotiates_under_the_rules_and_logs_it():
    model = EurosecModel(rng=7, scenario="baseline_2010", options=["nrc"], moves__nrc__start=60)
    model.run(3)
    in_force = model.table_now("nrc")
    ev = model.events()
    here = ev[(ev["step"] == 3) & (ev["move"] == "nrc")]
    kinds = list(here["kind"])
    assert kinds[0] == "intervention" and "table_now" in here["reason"].iloc[0]
    assert "proposal" in kinds or "declined" in kinds  # the proposer's type decides whether to table it
    assert bool(in_force[0]) == (model.move_status("nrc")[0] == MoveStatus.IN_FORCE)
    assert model.attempts("nrc")[0] == 1
    if not in_force[0]:  # a rejection is retried later, as at any scheduled tabling
        assert model.engine.book.next_attempt[0, model.spec.move("nrc").index] in (-1, 3 + model.spec.negotiation.retry_after)
    model.step()  # and the month goes on


def test_table_now_refuses_unknown_and_closed_moves():
    model = EurosecModel(rng=1, scenario="baseline_2010", options=["strategic_concept"], moves__strategic_concept__start=1)
    with pytest.raises(ConfigError) as info:
        model.table_now("corfu")  # not in this run
    assert info.value.key == "moves" and "strategic_concept" in info.value.allowed
    model.engine.book.status[:, model.spec.move("strategic_concept").index] = MoveStatus.IN_FORCE
    with pytest.raises(ConfigError, match="no longer open"):
        model.table_now("strategic_concept")


def test_crisis_now_strikes_and_is_recorded():
    model = EurosecModel(rng=3, scenario="baseline_2010", crises__enabled=False)
    model.run(2)
    trust_before = model.trust("MDA", "RUS").copy()
    escalated = model.crisis_now("TRN")
    ev = model.events()
    kinds = list(ev[ev["step"] == 2]["kind"])
    assert kinds[:2] == ["intervention", "crisis"] and "escalation_check" in kinds
    assert ("escalation" in kinds) == bool(escalated[0])
    assert model.trust("MDA", "RUS")[0] <= trust_before[0] + 1e-12  # blame only lowers trust
    assert model.crisis_sites()["RUS"] == ["terrorist_attack", "wmd_attack", "disaster"]


def test_crisis_now_is_reproducible_and_leaves_other_draws_alone():
    def story(intervene: bool):
        m = EurosecModel(rng=11, scenario="baseline_2010")
        m.run(2)
        if intervene:
            m.crisis_now("RUS", "disaster")
        m.run(10)
        ev = m.events()
        return ev[ev["kind"] == "crisis"][["step", "reason"]].reset_index(drop=True), m.trust("RUS", "NATO")

    a, ta = story(True)
    b, tb = story(True)
    c, _ = story(False)
    assert a.equals(b) and np.array_equal(ta, tb)
    later = lambda df: df[df["step"] > 2].reset_index(drop=True)  # noqa: E731
    assert list(later(a)["step"]) == list(later(c)["step"])  # the random crises strike as without it


@pytest.mark.parametrize("site, kind, key", [("Atlantis", None, "site"), ("RUS", None, "crisis_type"),
                                             ("TRN", "disaster", "crisis_type")])
def test_crisis_now_bad_input(site, kind, key):
    model = EurosecModel(rng=0, scenario="baseline_2010")
    with pytest.raises(ConfigError) as info:
        model.crisis_now(site, kind)
    assert info.value.key == key


def test_delegate_replaces_the_strategy_not_the_type():
    def run(answer):
        m = EurosecModel(rng=5, scenario="baseline_2010", options=["nrc"], moves__nrc__start=1)
        if answer is not None:
            m.delegate("RUS", answer)
        m.run(1)
        ev = m.events()
        return ev[(ev["kind"] == "vote") & (ev["actor"] == "RUS")]

    seen = []
    refused = run(lambda view, q: (seen.append((view.move, float(q[0]))), 0.0)[1])
    assert seen and seen[0][0] == "nrc" and 0.0 <= seen[0][1] <= 1.0
    if len(refused):
        assert (refused["value"] == 0).all() and (refused["p"] == 0).all()
    accepted = run(lambda view, q: 1.0)
    if len(accepted):
        assert (accepted["p"] > 0.5).all()  # q = 1 times the type's willingness to bear the cost
    with pytest.raises(ConfigError):
        EurosecModel(rng=0, scenario="baseline_2010").delegate("XYZ", None)


def test_mesa_scenario_and_typed_seed_on_reset():
    from mesa.experimental.scenarios import Scenario

    a = EurosecModel(rng="42", scenario=Scenario())  # what a text box and SolaraViz's Reset pass
    assert a.seeds[0] == 42 and a.spec.scenario_name == EurosecModel(rng=42).spec.scenario_name
    b = EurosecModel(scenario=Scenario(rng=9, scenario="baseline_2010", dynamics__spiral_bias=0.3))
    assert b.seeds[0] == 9 and all(m.in_force for m in b.spec.moves) and b.spec.dynamics.spiral_bias == 0.3
    with pytest.raises(ConfigError) as info:
        EurosecModel(rng="seven")
    assert info.value.key == "rng"


def test_solaraviz_reset_rebuilds_the_model():
    """Mesa's own SolaraViz Reset (its _build_model_init_kwargs, then the class) no longer crashes."""
    viz = pytest.importorskip("mesa.visualization.solara_viz")
    model = EurosecModel(rng=1, scenario="baseline_2010")
    kwargs = viz._build_model_init_kwargs(model, {"rng": "5"}, add_scenario_when_empty=True,
                                          require_model_accepts_scenario=True)
    fresh = type(model)(**kwargs)
    assert fresh.seeds[0] == 5
    fresh.step()
