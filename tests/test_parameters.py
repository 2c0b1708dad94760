"""One home per parameter: the declarations in sim/config/schema.py (and
sim/mechanisms/crisis_params.py) give the defaults, the validation and docs/parameters.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.config import load_config, schema
from sim.config.spec import compile_spec
from sim.core.params import KINDS, Param, check, declared, markdown_table, param
from sim.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
CLASSES = [(getattr(schema, name), prefix) for _, name, prefix in schema.SECTIONS]


def test_every_declared_default_is_accepted_by_its_own_check():
    for cls, prefix in CLASSES:
        params = declared(cls)
        assert params, cls
        values = check(cls, {}, prefix)
        for name, p in params.items():
            assert p.name == name and p.kind in KINDS, (cls, name)
            assert p.doc and p.source, f"{prefix}{name} needs a meaning and a source"
            assert values[name] == p.default
            if p.low is not None:
                assert p.default >= p.low, f"{prefix}{name}"
            if p.high is not None:
                assert p.default <= p.high, f"{prefix}{name}"
            if p.choices is not None:
                assert p.default in p.choices


def test_schema_defaults_are_the_declared_defaults():
    """The Hydra schema's default (what an empty YAML file gives) is the declaration's."""
    for cls, _ in CLASSES:
        instance = cls()
        for name, p in declared(cls).items():
            assert getattr(instance, name) == p.default


@pytest.mark.parametrize("key, value, problem, allowed", [
    ("dynamics.spiral_bias", 1.5, "1.5 is out of range", "a number in [0.0, 1.0]"),
    ("dynamics.spiral_bias", "high", "'high' is not a number", "a number in [0.0, 1.0]"),
    ("dynamics.equilibrate_months", 2.5, "2.5 is not an integer", "an integer in [0, 10000]"),
    ("dynamics.equilibrate_months", -1, "-1 is out of range", "an integer in [0, 10000]"),
    ("dynamics.social_influence", "yes", "'yes' is not true or false", "true or false"),
    ("negotiation.max_attempts", 0, "0 is out of range", "an integer in [1, 100]"),
    ("crises.attribution_bias", 11, "11 is out of range", "a number in [0.0, 10.0]"),
    ("crises.suspension_months", True, "True is not an integer", "an integer in [0, 1200]"),
    ("output.dyad_period", -1, "-1 is out of range", "an integer in [0, 12000]"),
])
def test_compile_spec_rejects_bad_values_naming_the_key(key, value, problem, allowed):
    cfg = load_config()
    section, name = key.split(".")
    cfg[section][name] = value
    with pytest.raises(ConfigError) as info:
        compile_spec(cfg)
    assert (info.value.key, info.value.problem, info.value.allowed) == (key, problem, allowed)


@pytest.mark.parametrize("path, value, key", [
    (("roster", "RUS", "capability"), 1.2, "roster.RUS.capability"),
    (("roster", "CSTO", "quota"), -0.1, "roster.CSTO.quota"),
    (("roster", "NATO", "influence"), "on", "roster.NATO.influence"),
    (("crises", "types", "disaster", "blame"), 2.0, "crises.types.disaster.blame"),
    (("crises", "types", "disaster", "escalation_severity"), 6, "crises.types.disaster.escalation_severity"),
])
def test_nested_parameters_are_checked_against_their_declarations(path, value, key):
    cfg = load_config()
    node = cfg
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(ConfigError) as info:
        compile_spec(cfg)
    assert info.value.key == key


def test_move_parameters_are_checked_against_their_declarations():
    cfg = load_config(["option=[nrc]"])
    cfg["moves"]["nrc"]["phase_in"] = 241
    with pytest.raises(ConfigError) as info:
        compile_spec(cfg)
    assert (info.value.key, info.value.allowed) == ("moves.nrc.phase_in", "an integer in [1, 240]")


def test_numpy_bools_and_numbers_are_accepted():
    cfg = load_config()
    cfg["dynamics"]["social_influence"] = np.bool_(False)
    cfg["dynamics"]["spiral_bias"] = np.float64(0.25)
    spec = compile_spec(cfg)
    assert spec.dynamics.social_influence is False and spec.dynamics.spiral_bias == 0.25


@dataclass(frozen=True)
class Toy:
    """A parameter declared once shows up in validation and in the docs."""

    rate: float = param(0.25, low=0.0, high=0.5, doc="how fast", source="Toy (2024)")
    steps: int = param(3, low=1, doc="how many", source="judgement")
    on: bool = param(True, doc="switch", source="-")
    mode: str = param("a", choices=("a", "b"), doc="which", source="-")
    bounds: list[float] = param([0.1, 0.9], doc="an interval", source="-")
    other: tuple = field(default=())  # not a parameter


def test_a_parameter_declared_once_is_validated_and_documented():
    assert list(declared(Toy)) == ["rate", "steps", "on", "mode", "bounds"]
    assert declared(Toy)["rate"] == Param(0.25, 0.0, 0.5, "how fast", "Toy (2024)", None, "rate", "float")
    assert [p.kind for p in declared(Toy).values()] == ["float", "int", "bool", "str", "list"]
    assert check(Toy, {}, "toy.") == {"rate": 0.25, "steps": 3, "on": True, "mode": "a", "bounds": [0.1, 0.9]}
    assert check(Toy, {"rate": 0.5, "steps": 7, "unknown": 1}, "toy.")["steps"] == 7
    for values, key, problem in [({"rate": 0.6}, "toy.rate", "0.6 is out of range"),
                                 ({"rate": None}, "toy.rate", "None is not a number"),
                                 ({"steps": 0}, "toy.steps", "0 is out of range"),
                                 ({"steps": "3"}, "toy.steps", "'3' is not an integer"),
                                 ({"on": 1}, "toy.on", "1 is not true or false"),
                                 ({"mode": "c"}, "toy.mode", "unknown value 'c'"),
                                 ({"bounds": 0.5}, "toy.bounds", "0.5 is not a list")]:
        with pytest.raises(ConfigError) as info:
            check(Toy, values, "toy.")
        assert (info.value.key, info.value.problem) == (key, problem)
    assert Toy().bounds == [0.1, 0.9] and Toy().bounds is not Toy().bounds  # lists get a factory
    table = markdown_table(Toy, "toy.")
    assert "| `toy.rate` | 0.25 | [0, 0.5] | how fast | Toy (2024) |" in table
    assert "| `toy.steps` | 3 | int >= 1 | how many | judgement |" in table
    assert "| `toy.on` | true | true/false |" in table and "| `toy.mode` | a | a, b |" in table
    assert "other" not in table


def test_docs_parameters_md_is_up_to_date():
    assert (ROOT / "docs" / "parameters.md").read_text() == schema.parameters_markdown(), (
        "docs/parameters.md is out of date: python -m sim.config.schema --markdown > docs/parameters.md")


def _repeats(section: dict, cls, prefix: str) -> list[str]:
    params = declared(cls)
    return [f"{prefix}{k} = {v!r}" for k, v in (section or {}).items() if k in params and v == params[k].default]


def test_default_yaml_files_do_not_repeat_declared_defaults():
    """configs/*/default.yaml set only values that differ from the declarations (crisis types
    included). Roster actors are scenario data and are listed in full."""
    found = []
    for name, cls in (("dynamics", schema.DynamicsConfig), ("negotiation", schema.NegotiationConfig),
                      ("crises", schema.CrisesConfig), ("output", schema.OutputConfig)):
        data = yaml.safe_load((ROOT / "configs" / name / "default.yaml").read_text()) or {}
        found += _repeats(data, cls, f"{name}.")
        if name == "crises":
            for t, values in (data.get("types") or {}).items():
                found += _repeats(values, schema.CrisisTypeConfig, f"crises.types.{t}.")
    assert not found, "declared defaults repeated in configs/: " + ", ".join(found)


def test_output_defaults_come_from_their_declarations():
    """configs/output/default.yaml sets nothing: every output key of the composed config is the
    declared default, and the compiled spec uses it."""
    from sim.config import load_config
    from sim.config.spec import compile_spec

    cfg = load_config()
    for name, p in declared(schema.OutputConfig).items():
        assert cfg["output"][name] == p.default, name
    spec = compile_spec(cfg)
    assert spec.dyad_replicates == declared(schema.OutputConfig)["dyad_replicates"].default
    assert [spec.ids[i] for i in spec.west] == declared(schema.OutputConfig)["west"].default
