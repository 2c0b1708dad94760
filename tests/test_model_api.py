"""Smoke and API tests: the Mesa model steps, agents view the engine's arrays, moves can be
unilateral (GRIT), and options combine."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from agents.actors import ActorAgent, CompositeAgent
from sim.config import load_config
from sim.errors import ConfigError
from sim.model import EurosecModel


def test_seeded_model_steps_like_a_mesa_model():
    model = EurosecModel(rng=1)
    assert isinstance(model, mesa.Model)
    for _ in range(3):
        model.step()
    assert model.steps == 3 and model.month == 3 and model.date == "2010-03"
    assert len(model.agents) == len(model.spec.ids)
    assert isinstance(model.actor("NATO"), CompositeAgent) and isinstance(model.actor("RUS"), ActorAgent)
    model.run()
    assert not model.running and model.month == model.spec.horizon


def test_agents_hold_read_only_views_of_the_engine_state():
    model = EurosecModel(rng=2, replicates=3)
    rus = model.actor("RUS")
    assert rus.trust.shape == (3, len(model.spec.ids))
    np.testing.assert_array_equal(rus.trust[:, model.index("NATO")], model.trust("RUS", "NATO"))
    with pytest.raises(ValueError):
        rus.trust[0, 0] = 0.5
    single = EurosecModel(rng=2)
    assert isinstance(single.actor("RUS").trust_in("NATO"), float)
    assert [m.actor_id for m in model.actor("NATO").members] == ["USA", "WEU", "EFL"]


def test_unilateral_move_is_enacted_without_negotiation_and_raises_trust():
    cfg = load_config(["scenario=baseline_2010", "crises.enabled=false"])
    cfg["moves"]["grit"] = {"title": "Unilateral troop withdrawal", "proposer": "RUS", "consent": [], "start": 2,
                            "cost": 0.6, "effects": []}
    model = EurosecModel(rng=0, config=cfg)
    before = model.trust("NATO", "RUS")[0]
    model.run(3)
    ev = model.events()
    assert list(ev["kind"].astype(str)) == ["proposal", "enacted"]
    assert model.trust("NATO", "RUS")[0] > before + 0.02


def test_options_combine_and_only_selected_moves_run():
    model = EurosecModel(rng=3, scenario="baseline_2010", options="nrc,no_contingency").run()
    assert {m.id for m in model.spec.moves} == {"nrc", "no_contingency"}
    assert set(model.events().query("kind == 'proposal'")["move"].astype(str)) <= {"nrc", "no_contingency"}


def test_unknown_actor_lookup_names_allowed_values():
    model = EurosecModel(rng=0)
    with pytest.raises(ConfigError, match="Allowed: RUS, USA"):
        model.actor("XX")


def test_bad_keyword_override_is_a_config_error():
    with pytest.raises(ConfigError, match="spiral_biass"):
        EurosecModel(rng=0, dynamics__spiral_biass=0.3)
    with pytest.raises(ConfigError, match="rng"):
        EurosecModel(rng="seven")
