"""The treaty at equal content (issue 10, part 6): scenarios/treaty_content_as_moves.yaml enacts
exactly the effects of configs/option/medvedev_treaty.yaml as separate moves, with the same
enactment signals and the treaty's stakes split between them; and the treaty's effects are the
draft's content (a freeze, a pledge, a conference of the parties), no engine special case."""

from __future__ import annotations

import copy

import pytest

from experiments.facts import TREATY, TREATY_PARTS
from scenarios.library import names
from sim.config import load_config
from sim.config.spec import compile_spec
from sim.core.state import MoveStatus
from sim.model import EurosecModel

SHARES = {"treaty_freeze": 0.5, "treaty_pledge": 0.25, "treaty_conference": 0.25}


def moves(scenario: str) -> dict:
    """The scenario's scheduled moves (not the formats of the stage in force at the start)."""
    return {k: m for k, m in load_config([f"scenario={scenario}"])["moves"].items() if not m.get("in_force")}


def test_the_scenario_is_registered_and_compiles():
    assert "treaty_content_as_moves" in names()
    spec = compile_spec(load_config(["scenario=treaty_content_as_moves"]))
    assert [m.id for m in spec.moves if not m.in_force] == list(TREATY_PARTS)
    assert all(not m.ratifiers for m in spec.moves)
    assert compile_spec(load_config(["scenario=treaty_track"])).move(TREATY).ratifiers  # the treaty has them


def test_separate_moves_carry_exactly_the_treatys_content():
    treaty = moves("treaty_track")[TREATY]
    parts = moves("treaty_content_as_moves")
    assert set(parts) == set(TREATY_PARTS) == set(SHARES)
    assert sum(SHARES.values()) == pytest.approx(1.0)
    # the same effects, field by field, one per move
    key = lambda e: (e["type"], e.get("name", ""))  # noqa: E731
    assert sorted((e for p in parts.values() for e in p["effects"]), key=key) == sorted(treaty["effects"], key=key)
    # the same enactment signals: Russia's signature goes with the move it proposes
    signals = {(p["proposer"], p["cost"]) for p in parts.values() if p["cost"] > 0}
    assert signals == {(treaty["proposer"], treaty["cost"])}
    # the treaty's stakes, split in the declared shares; no ratification; same timing and exclusions
    for name, p in parts.items():
        w = SHARES[name]
        for field in ("gain", "exposure", "domestic_cost"):
            assert p[field] == pytest.approx(w * treaty[field]), (name, field)
        assert p["gain_by"] == pytest.approx({a: w * g for a, g in treaty["gain_by"].items()}), name
        assert not p.get("ratify") and p["phase_in"] == treaty["phase_in"] and p["start"] == treaty["start"]
    assert parts["treaty_freeze"]["excludes"] == treaty["excludes"]


def test_the_treaty_enacts_the_drafts_content_when_agreed():
    """Forced into force (every decider accepts), the treaty freezes posture between the
    alliances, relieves Russia's standing grievance and opens the conference of the parties."""
    cfg = load_config(["scenario=treaty_track", "scenario.horizon=30", "crises.enabled=false"])
    spec = compile_spec(cfg)
    kinds = sorted(type(e).__name__ for e in spec.move(TREATY).effects)
    assert kinds == ["Channel", "Commitment", "Reassurance"]
    forced = copy.deepcopy(cfg)
    for a in forced["roster"]:
        forced["roster"][a]["strategy"] = "always_accept"
    model = EurosecModel(rng=3, replicates=4, config=forced, record_events=False)
    model.run()
    eng = model.engine
    treaty = model.spec.move(TREATY).index
    assert (eng.book.enacted_at[:, treaty] == 1).all()
    ids = model.spec.ids
    rus, nato, usa = ids.index("RUS"), ids.index("NATO"), ids.index("USA")
    # the pledge relieved 0.1 of Russia's standing grievance towards NATO (0.15) and all of the
    # USA's (0.05 after baseline_2010's Kosovo rule), not below 0
    assert eng.state.irritant_floor[:, rus, nato] == pytest.approx(0.05)
    assert eng.state.irritant_floor[:, rus, usa] == pytest.approx(0.0)
    # the freeze caps posture across the alliances at 0.45 once phased in (unless breached)
    in_force = eng.book.status[:, treaty] == MoveStatus.IN_FORCE
    assert (eng.state.posture[in_force, rus, nato] <= 0.45 + 1e-9).all()
