"""Bad input through the Python API and the config is a ConfigError naming the argument or key
and the allowed values, before anything runs: EurosecModel's arguments, keyword overrides, roster
strategies, and names that end up in file paths (scenario.name) or come from user files (move ids)."""

from __future__ import annotations

import copy
import subprocess
import sys
from functools import lru_cache

import numpy as np
import pytest

from agents.strategies import STRATEGIES
from sim.config import config_groups, load_config
from sim.errors import ConfigError
from sim.model import EurosecModel
from sim.config.roster import compile_roster
from sim.config.spec import SAFE_NAME_ALLOWED, check_name, compile_spec

MAX_SEED = 2**63 - 1


@lru_cache(maxsize=1)
def _baseline() -> dict:
    return load_config(["scenario=baseline_2010", "option=[nrc]"])


def baseline() -> dict:
    return copy.deepcopy(_baseline())


def raises_config_error(key: str, *allowed: str, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        EurosecModel(**kwargs)
    err = info.value
    assert type(err) is ConfigError
    assert err.key == key, str(err)
    for text in allowed:
        assert text in (err.allowed or ""), str(err)
    assert f"'{key}'" in str(err)
    return err


# ------------------------------------------------------------------ EurosecModel's arguments
SEED_RANGE = str(MAX_SEED)


@pytest.mark.parametrize("kwargs, key, allowed", [
    (dict(rng=-1), "rng", SEED_RANGE),
    (dict(rng=2**64), "rng", SEED_RANGE),
    (dict(rng=2**63), "rng", SEED_RANGE),
    (dict(rng=1.5), "rng", SEED_RANGE),
    (dict(rng="seven"), "rng", SEED_RANGE),
    (dict(rng=True), "rng", SEED_RANGE),
    (dict(seeds=[]), "seeds", SEED_RANGE),
    (dict(seeds=np.array([], dtype=np.int64)), "seeds", SEED_RANGE),
    (dict(seeds=5), "seeds", "sequence"),
    (dict(seeds="12"), "seeds", "sequence"),
    (dict(seeds=np.zeros((2, 2), dtype=np.int64)), "seeds", "sequence"),
    (dict(seeds=[-1]), "seeds[0]", SEED_RANGE),
    (dict(seeds=[1.5]), "seeds[0]", SEED_RANGE),
    (dict(seeds=[2**64]), "seeds[0]", SEED_RANGE),
    (dict(seeds=[3, True]), "seeds[1]", SEED_RANGE),
    (dict(seeds=[0, 1, -5]), "seeds[2]", SEED_RANGE),
    (dict(seeds=np.array([1.0, 2.0])), "seeds[0]", SEED_RANGE),
    (dict(seeds=np.array([2**64 - 1], dtype=np.uint64)), "seeds[0]", SEED_RANGE),
    (dict(config="x"), "config", "ModelSpec"),
    (dict(config=42), "config", "ModelSpec"),
    (dict(config=["seed", 1]), "config", "ModelSpec"),
    (dict(replicates=0), "replicates", "[1, 10,000,000]"),
    (dict(replicates=-3), "replicates", "[1, 10,000,000]"),
    (dict(replicates=10**8), "replicates", "[1, 10,000,000]"),
    (dict(replicates=True), "replicates", "[1, 10,000,000]"),
    (dict(replicates=2.0), "replicates", "[1, 10,000,000]"),
    (dict(replicates=3, seeds=[1, 2]), "replicates", "number of seeds"),
    (dict(record_events="yes"), "record_events", "True, False or None"),
    (dict(record_events=1), "record_events", "True, False or None"),
    (dict(scenario=3), "scenario", "baseline_2010"),
    (dict(scenario="nope"), "scenario", "baseline_2010"),
    (dict(options=[1]), "options[0]", "nrc"),
    (dict(options=["nope"]), "options", "nrc"),
    (dict(options=5), "options", "nrc"),
])
def test_bad_arguments_are_config_errors_naming_the_argument(kwargs, key, allowed):
    raises_config_error(key, allowed, **kwargs)


def test_seed_range_is_the_configs():
    """rng and seeds take exactly the values the config's ``seed`` takes."""
    with pytest.raises(ConfigError, match=str(MAX_SEED)):
        compile_spec(dict(baseline(), seed=MAX_SEED + 1))
    compile_spec(dict(baseline(), seed=MAX_SEED))
    assert EurosecModel(seeds=[MAX_SEED, 0]).seeds.tolist() == [MAX_SEED, 0]
    assert EurosecModel(rng=MAX_SEED).seeds.tolist() == [MAX_SEED]


def test_numpy_integer_seeds_are_accepted_and_give_the_same_runs():
    plain = EurosecModel(seeds=[3, 5]).run(4).summary()
    for seeds in ([np.int64(3), np.int64(5)], np.array([3, 5]), np.array([3, 5], dtype=np.uint64),
                  (np.int32(3), 5), range(3, 7, 2)):
        model = EurosecModel(seeds=seeds).run(4)
        assert model.seeds.dtype == np.int64 and model.seeds.tolist() == [3, 5]
        assert model.summary().equals(plain)
    assert EurosecModel(rng=np.int32(4)).seeds.tolist() == [4]
    assert EurosecModel(rng=np.uint64(4), replicates=np.int64(2)).seeds.tolist() == EurosecModel(rng=4, replicates=2).seeds.tolist()
    quiet, logged = (EurosecModel(rng=0, record_events=np.bool_(flag)).run(24) for flag in (False, True))
    assert len(quiet.events()) == 0 and len(logged.events()) > 0  # numpy booleans mean what they say


def test_config_with_overrides_is_refused_not_silently_ignored():
    cfg = baseline()
    raises_config_error("scenario", "not both", config=cfg, scenario="all_ten")
    raises_config_error("options", "not both", config=cfg, options=["corfu"])
    raises_config_error("dynamics__spiral_bias", "not both", config=cfg, dynamics__spiral_bias=0.2)
    spec = compile_spec(cfg)
    raises_config_error("dynamics__spiral_bias", "not both", config=spec, dynamics__spiral_bias=0.2)
    assert EurosecModel(rng=1, config=spec, record_events=False).spec is spec


# ------------------------------------------------------------------ keyword overrides
@pytest.mark.parametrize("params, key, allowed", [
    (dict(dynamics__spiral_biass=1), "dynamics.spiral_biass", "spiral_bias"),
    (dict(negotiation__rationalty=1.0), "negotiation.rationalty", "rationality"),
    (dict(dynamicsx__spiral_bias=1), "dynamicsx.spiral_bias", "dynamics"),
    (dict(foo=1), "foo", "dynamics"),
    (dict(hydra__job__chdir=True), "hydra.job.chdir", "scenario"),
    (dict(roster__RUS__strategyy="always_accept"), "roster.RUS.strategyy", "strategy"),
    (dict(moves__nrc__startt=3), "moves.nrc.startt", "start"),
    (dict(crises__types__disaster__base_ratee=0.1), "crises.types.disaster.base_ratee", "base_rate"),
    (dict(scenario__nme="x"), "scenario.nme", "name"),
    (dict(dynamics=1), "dynamics", "default"),
    (dict(dynamics="nope"), "dynamics", "default"),
    (dict(option=[3]), "option[0]", "nrc"),
    (dict(dynamics__spiral_bias="abc"), "dynamics.spiral_bias", "a number"),
    (dict(dynamics__spiral_bias=[1, 2]), "dynamics.spiral_bias", "a number"),
    (dict(dynamics__spiral_bias="${oops}"), "dynamics.spiral_bias", "a number"),
    (dict(negotiation__retry_after="a=b"), "negotiation.retry_after", "an integer"),
    (dict(dynamics__spiral_bias=0.2, negotiation__retry_after="x"), "negotiation.retry_after", "an integer"),
    ({"dynamics__": 1}, "dynamics.", "section__key=value"),
    ({"dynamics___spiral_bias": 1}, "dynamics._spiral_bias", "spiral_bias"),
])
def test_bad_keyword_overrides_name_the_key(params, key, allowed):
    raises_config_error(key, allowed, rng=0, **params)


def test_bad_override_in_a_scenario_and_options_names_the_override():
    raises_config_error("moves.nrc.startt", "start", rng=0, scenario="baseline_2010", options=["nrc"], moves__nrc__startt=2)
    raises_config_error("moves.nrc.start", "an integer", rng=0, scenario="baseline_2010", options=["nrc"],
                        moves__nrc__start="soon")


def test_good_keyword_overrides_still_compose():
    model = EurosecModel(rng=0, scenario="baseline_2010", options="nrc", dynamics__spiral_bias=0.3,
                         moves__nrc__start=2, roster__RUS__strategy="threat_averse", option=["nrc", "corfu"], seed=4)
    assert model.spec.dynamics.spiral_bias == 0.3
    assert {m.id for m in model.spec.moves if not m.in_force} == {"nrc", "corfu"} and model.spec.move("nrc").start == 2
    assert model.spec.roster["RUS"].strategy == "threat_averse"
    assert model.seeds.tolist() == [0]
    assert EurosecModel(seed=4).seeds.tolist() == [4]


# ------------------------------------------------------------------ roster strategies
def test_unknown_strategy_is_caught_when_the_spec_compiles():
    cfg = load_config(["roster.RUS.strategy=no_such"])
    with pytest.raises(ConfigError) as info:
        compile_spec(cfg)
    err = info.value
    assert (err.key, err.problem, err.allowed) == ("roster.RUS.strategy", "unknown strategy 'no_such'",
                                                   ", ".join(sorted(STRATEGIES)))
    raises_config_error("roster.RUS.strategy", ", ".join(sorted(STRATEGIES)), rng=0, roster__RUS__strategy="no_such")


@pytest.mark.parametrize("strategy", ["no_such", "", None, 3, ["security_calculus"]])
def test_compile_roster_checks_every_strategy_against_the_registry(strategy):
    roster = copy.deepcopy(baseline()["roster"])
    roster["GEO"]["strategy"] = strategy
    with pytest.raises(ConfigError) as info:
        compile_roster(roster)
    assert info.value.key == "roster.GEO.strategy" and info.value.allowed == ", ".join(sorted(STRATEGIES))


def test_every_registered_strategy_compiles():
    for sid in STRATEGIES:
        cfg = baseline()
        cfg["roster"]["RUS"]["strategy"] = sid
        assert compile_spec(cfg).roster["RUS"].strategy == sid


def test_strategy_registry_does_not_import_the_model():
    """sim.roster imports agents.strategies: that must not pull in sim.spec or sim.model (a cycle)."""
    code = ("import sys, agents.strategies; bad = {'sim.config.spec', 'sim.model', 'sim.config.roster', 'agents.actors'} & set(sys.modules);"
            "assert not bad, bad; import sim.config.roster, sim.config.spec, sim.model")
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------ names in file paths
BAD_NAMES = ["/../../../../X", "a/b", "", ".hidden", "..", "a..b", "-x", "_x", "a b", "a\\b", "x\n", "x" * 65,
             "caf\u00e9", "a:b", "a*b", "${now:%H}"]
GOOD_NAMES = ["baseline_2010", "a", "7", "A.b-c_1", "x" * 64, "v1.2"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_unsafe_scenario_name_is_refused(name):
    cfg = baseline()
    cfg["scenario"]["name"] = name
    with pytest.raises(ConfigError) as info:
        compile_spec(cfg)
    assert info.value.key == "scenario.name" and info.value.allowed == SAFE_NAME_ALLOWED
    assert SAFE_NAME_ALLOWED == "letters, digits, _ . - (at most 64, starting with a letter or digit)"


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_safe_scenario_name_is_kept(name):
    cfg = baseline()
    cfg["scenario"]["name"] = name
    assert compile_spec(cfg).scenario_name == name


def test_unsafe_scenario_name_through_the_python_api():
    raises_config_error("scenario.name", SAFE_NAME_ALLOWED, rng=0, scenario__name="a/b")
    raises_config_error("scenario.name", SAFE_NAME_ALLOWED, rng=0, scenario__name="/../../../../X")
    cfg = baseline()
    cfg["scenario"]["name"] = 2010
    with pytest.raises(ConfigError, match="scenario.name"):
        compile_spec(cfg)


@pytest.mark.parametrize("name", BAD_NAMES[1:])
def test_unsafe_move_id_is_refused(name):
    cfg = baseline()
    cfg["moves"][name] = cfg["moves"].pop("nrc")
    with pytest.raises(ConfigError) as info:
        compile_spec(cfg)
    assert info.value.key == f"moves.{name}" and info.value.allowed == SAFE_NAME_ALLOWED


def test_every_shipped_scenario_and_move_has_a_safe_name():
    groups = config_groups()
    for scenario in groups["scenario"]:
        cfg = load_config([f"scenario={scenario}"])
        assert compile_spec(cfg).scenario_name == cfg["scenario"]["name"]
    everything = load_config([f"option=[{','.join(groups['option'])}]", f"irritant=[{','.join(groups['irritant'])}]"])
    assert len(everything["moves"]) >= len(groups["option"])
    for mid in everything["moves"]:
        assert check_name(f"moves.{mid}", mid) == mid
