"""The command line: a default run writes every result; bad input exits non-zero with a clear
one-paragraph message and leaves no results behind."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from sim.output.files import read_metadata

FILES = {"summary.parquet", "dyads.parquet", "events.parquet", "config.yaml", "metadata.json", "narrative.txt",
         "trajectories.png"}


def test_default_run_writes_results_with_provenance(cli, tmp_path):
    out = tmp_path / "run"
    proc = cli(f"hydra.run.dir={out}", "seed=3")
    assert proc.returncode == 0, proc.stderr
    assert FILES <= {p.name for p in out.iterdir()}
    assert not [p for p in out.iterdir() if p.name.startswith(".partial")]
    assert "proposed 'Reactivate the NATO-Russia Council'" in proc.stdout
    assert "trust RUS->NATO" in proc.stdout
    summary = pd.read_parquet(out / "summary.parquet")
    assert summary["step"].max() == 120 and summary["seed"].unique().tolist() == [3]
    dyads = pd.read_parquet(out / "dyads.parquet")
    assert dyads["trust"].dtype == "float32" and dyads["trust"].between(0, 1).all()
    events = pd.read_parquet(out / "events.parquet")
    assert {"proposal", "vote", "outcome"} <= set(events["kind"].astype(str))
    votes = events[events["kind"] == "vote"]
    own_text = votes["reason"].astype(str).str.contains("the proposer's own text")  # no draw: it tabled it
    assert (votes.loc[own_text, "p"] == 1).all() and votes.loc[own_text, "draw"].isna().all()
    assert votes.loc[~own_text, ["p", "draw", "trust", "gain", "exposure"]].notna().all().all()
    prov = read_metadata(out / "summary.parquet")
    assert prov["metadata"]["seed"] == 3 and prov["metadata"]["eurosec_version"]
    assert prov["config"]["moves"]["nrc"]["proposer"] == "NATO"
    assert yaml.safe_load((out / "config.yaml").read_text())["seed"] == 3
    assert json.loads((out / "metadata.json").read_text())["replicate_seeds"] == [3]


def test_replicates_and_overrides_from_the_command_line(cli, tmp_path):
    out = tmp_path / "run"
    proc = cli(f"hydra.run.dir={out}", "replicates=4", "scenario=baseline_2010", "option=[nrc]", "moves.nrc.start=2",
               "scenario.horizon=24")
    assert proc.returncode == 0, proc.stderr
    summary = pd.read_parquet(out / "summary.parquet")
    assert summary["replicate"].nunique() == 4 and summary["step"].max() == 24
    events = pd.read_parquet(out / "events.parquet")
    assert set(events.loc[events["kind"] == "proposal", "move"].astype(str)) == {"nrc"}
    assert events.loc[events["kind"] == "proposal", "step"].min() == 2


@pytest.mark.parametrize(
    "override, key, allowed",
    [
        ("moves.nrc.proposer=XYZ", "moves.nrc.proposer", "RUS"),
        ("moves.nrc.consent=[NATO,ATLANTIS]", "moves.nrc.consent[1]", "RUS"),
        ("dynamics.spiral_bias=1.5", "dynamics.spiral_bias", "[0.0, 1.0]"),
        ("negotiation.max_attempts=0", "negotiation.max_attempts", "integer in [1, 100]"),
        ("moves.nrc.start=500", "moves.nrc.start", "[1, 120]"),
        ("+dynamics.spiral_biass=0.3", "dynamics.spiral_biass", "spiral_bias"),
        ("scenario.start_date=2010-13", "scenario.start_date", "YYYY-MM"),
        ("seed=-4", "seed", "integer"),
    ],
)
def test_bad_values_exit_2_with_key_and_allowed_values(cli, tmp_path, override, key, allowed):
    out = tmp_path / "run"
    proc = cli(f"hydra.run.dir={out}", override)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    message = [line for line in proc.stderr.splitlines() if line.startswith("eurosec:")]
    assert len(message) == 1, proc.stderr
    assert f"'{key}'" in message[0] and allowed in message[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists(), "a failed run must leave no results"


@pytest.mark.parametrize(
    "override, fragment",
    [
        ("dynamics.spiral_biass=0.3", "Key 'spiral_biass' not in 'DynamicsConfig'"),
        ("dynamics.spiral_bias=abc", "could not be converted to Float"),
    ],
)
def test_unknown_option_or_key_exits_non_zero_before_running(cli, tmp_path, override, fragment):
    out = tmp_path / "run"
    proc = cli(f"hydra.run.dir={out}", override)
    assert proc.returncode != 0
    assert fragment in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("override", ["option=[nrc,zzz]", "option=zzz", "scenario=atlantis", "-m option=nrc,zzz"])
def test_unknown_option_names_the_group_and_lists_choices(cli, tmp_path, override):
    out = tmp_path / "run"
    flags, values = [a for a in override.split() if a.startswith("-")], [a for a in override.split() if "=" in a]
    proc = cli(*flags, f"hydra.run.dir={out}", f"hydra.sweep.dir={out}", *values)
    assert proc.returncode == 2, proc.stderr
    message = [line for line in proc.stderr.splitlines() if line.startswith("eurosec:")]
    assert len(message) == 1
    group = override.split()[-1].split("=")[0]
    key = "option[1]" if override == "option=[nrc,zzz]" else group  # a list names the position
    assert f"'{key}'" in message[0]
    allowed = "nrc, no_contingency" if group == "option" else "baseline_2010"
    assert all(name in message[0] for name in allowed.split(", "))
    assert not out.exists()


def run_user_scenario(cli, tmp_path, name: str, text: str):
    """Run with a scenario file of the user's own, in a config dir added with --config-dir."""
    extra = tmp_path / "myconfigs" / "scenario"
    extra.mkdir(parents=True)
    (extra / f"{name}.yaml").write_text(text)
    out = tmp_path / "run"
    return cli("--config-dir", str(tmp_path / "myconfigs"), f"hydra.run.dir={out}", f"scenario={name}"), out


def test_malformed_yaml_in_a_user_config_dir(cli, tmp_path):
    proc, out = run_user_scenario(cli, tmp_path, "broken", "name: broken\ntrust: {rules: [ {from: [RUS], to: [NATO], value: 0.3}\n")
    assert proc.returncode != 0
    assert "broken" in proc.stderr
    assert not out.exists()


def test_unknown_actor_in_a_user_scenario(cli, tmp_path):
    proc, out = run_user_scenario(cli, tmp_path, "mine",
                                  "name: mine\ntrust:\n  rules:\n    - {from: [RUS], to: [NARNIA], value: 0.3, why: test}\n")
    assert proc.returncode == 2
    assert "'scenario.trust.rules[0].to[0]'" in proc.stderr and "NARNIA" in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "overrides, key, fragment",
    [
        (["scenario=baseline_2010", "option=[medvedev_treaty]", "irritant=[enlargement]"],
         "moves.medvedev_treaty.excludes[0]", "contradict"),
        (["scenario=baseline_2010", "option=[nrc]", "+moves.nrc.requires=[solidarity]"], "moves.nrc.requires[0]",
         "requires 'solidarity'"),
        # a channel of the same name as another is its upgrade; a mission may not share its name
        (["scenario=baseline_2010", "option=[nrc,crisis_management]", "moves.crisis_management.effects.0.name=nrc"],
         "moves.crisis_management.effects[0].name", "already has a channel"),
        (["scenario=baseline_2010", "option=[no_contingency,medvedev_treaty]",
          "moves.medvedev_treaty.effects.0.name=no_contingency"], "moves.medvedev_treaty.effects[0].name",
         "defined differently"),
    ],
)
def test_self_contradictory_combinations_are_refused(cli, tmp_path, overrides, key, fragment):
    out = tmp_path / "run"
    proc = cli(f"hydra.run.dir={out}", *overrides)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"'{key}'" in proc.stderr and fragment in proc.stderr
    assert not out.exists()
