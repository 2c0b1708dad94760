"""Smoke and API tests: the Mesa model steps, agents view the engine's arrays, moves can be
unilateral, and options combine."""

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
    assert list(ev["kind"].astype(str)) == ["in_force"] * 9 + ["proposal", "enacted"]  # the 2010 formats, then the move
    assert model.trust("NATO", "RUS")[0] > before + 0.02


def test_options_combine_and_only_selected_moves_run():
    model = EurosecModel(rng=3, scenario="baseline_2010", options="nrc,no_contingency").run()
    assert {m.id for m in model.spec.moves if not m.in_force} == {"nrc", "no_contingency"}
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


def test_fused_monthly_update_equals_the_pure_kernels():
    """The engine's in-place monthly update computes exactly the equations of sim/mechanisms/dynamics.py."""
    from sim.mechanisms import dynamics as dyn

    model = EurosecModel(rng=5, replicates=4, scenario="baseline_2010", options="nrc,no_contingency")
    model.run(40)  # agreements, crises and commitments have moved the state away from equilibrium
    eng, d, roster = model.engine, model.spec.dynamics, model.spec.roster
    s = eng.state
    own = dyn.forget(s.own, s.prior, d.trust_memory)
    social = dyn.friedkin_johnsen(s.social, own, model.spec.influence, roster.stubbornness, model.spec.same_bloc)
    dyn.composite_rows(social, eng.composites)
    trust = dyn.sigmoid(social)
    irritants = s.irritant * (1 - d.irritant_decay) + s.irritant_floor
    target = dyn.threat_target(trust, s.posture, irritants, roster.capability, d.threat_posture_weight,
                               d.threat_mistrust_weight)
    threat = dyn.threat_step(s.threat, target, d.threat_adjustment)
    dyn.composite_rows(threat, eng.composites)
    ceiling = s.ceiling if eng.beliefs.ceiling_active else np.ones_like(s.ceiling)
    posture = dyn.posture_step(s.posture, threat, s.grievance, ceiling, roster.hawkishness, d.posture_reactivity,
                               d.posture_fatigue)
    own = dyn.read_posture(own, s.posture, posture, threat, ceiling, d.posture_evidence, d.spiral_bias,
                           d.unverified_reading, *eng.logit_bounds)
    eng.update_beliefs()
    for name, expected in (("own", own), ("social", social), ("trust", trust), ("threat", threat), ("posture", posture)):
        np.testing.assert_allclose(getattr(s, name), expected, rtol=1e-12, atol=1e-12, err_msg=name)


def test_allocator_tuning_is_idempotent_and_can_be_switched_off(monkeypatch):
    """sim/numerics/allocator.py runs once per process (Engine calls it each time); the opt-out is honoured."""
    import sim.numerics.allocator as alloc

    first = alloc.tune_allocator()
    assert alloc.tune_allocator() is first  # second call: no new mallopt, same answer
    monkeypatch.setattr(alloc, "_done", False)
    monkeypatch.setenv("EUROSEC_DEFAULT_MALLOC", "1")
    assert alloc.tune_allocator() is False


@pytest.mark.parametrize("hostile", [False, True])
@pytest.mark.parametrize("rows", [None, [0, 2, 3]])
def test_compiled_signal_equals_the_numpy_reference(hostile, rows):
    """The compiled signal kernel (Signals.emit_matrix) computes exactly dynamics.apply_signal:
    the log-odds and threat updates, the spiral discount and the clipping at the bounds."""
    from sim.mechanisms import dynamics as dyn

    model = EurosecModel(rng=7, replicates=5, scenario="baseline_2010", options="nrc")
    model.run(12)
    eng, d = model.engine, model.spec.dynamics
    rng = np.random.default_rng(3)
    s = eng.state
    s.threat[:] = rng.uniform(0.0, 1.0, s.threat.shape)
    low, high = eng.logit_bounds
    s.own[:] = rng.uniform(low, high, s.own.shape)
    weight = eng.signal_weights((0, 1), None) + 0.5 * eng.signal_weights((2,), (0, 1, 3))
    i, j = np.unravel_index(np.argmax(weight), weight.shape)
    s.own[:, i, j] = high - 1e-3 if not hostile else low + 1e-3  # near the bound, so that clipping is exercised
    rows = np.arange(eng.R) if rows is None else np.array(rows)
    cost = rng.uniform(0.3, 0.6, rows.size)  # costs that separate the types: strong evidence either way
    evidence = eng.choice.taken(cost) * (-1.0 if hostile else 1.0)
    evidence[::2] = eng.choice.refused(cost[::2])  # refusals too: negative evidence, no spiral discount
    own, threat = s.own.copy(), s.threat.copy()
    dyn.apply_signal(own, threat, rows, weight, cost, evidence, hostile, d.reassurance, d.spiral_bias, low, high)
    eng.emit_matrix(rows, weight, cost, hostile=hostile, evidence=evidence)
    np.testing.assert_allclose(s.own, own, rtol=0, atol=1e-12)
    np.testing.assert_allclose(s.threat, threat, rtol=0, atol=1e-12)
    hit = s.own[:, i, j][rows]
    if hostile:
        assert (hit[evidence < -0.01] == low).all() and (evidence < -0.01).any()  # the bound was hit
    else:
        assert (hit[evidence > 0] == high).all() and (hit[evidence < 0] < high).all()
