"""The bad-input corpus: every case, run as a user would run it, gets exit status 2, one
paragraph naming the key and the allowed values, no traceback, no folder left behind, and every
file that was there before intact (README, "Bad input").

About two minutes on 2 cores (one process per case): marked ``slow``, run by ``make test-slow``
and by CI.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

import pytest

from sim.config import schema

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Case:
    module: str
    args: tuple[str, ...]
    key: str  # the key the message names, as 'key'
    allowed: str  # a fragment of the allowed values
    files: dict[str, str] = field(default_factory=dict)  # user files under the case's home, by path
    into: str = "existing"  # where results would go: "existing" (a folder with the user's files), "default", "cwd"


RUN, COMPARE, COMBINE, AGG = "sim.run", "experiments.compare_options", "experiments.combinations", "experiments.aggregate"
NUMBER = "a number in"


def _range_cases() -> list[Case]:
    """Out-of-range and ill-typed values of every numeric mechanism parameter."""
    cases = []
    for section, cls in (("dynamics", schema.DynamicsConfig), ("negotiation", schema.NegotiationConfig)):
        for f in fields(cls):
            key = f"{section}.{f.name}"
            if f.type in ("float", float):
                cases.append(Case(RUN, (f"{key}=-5",), key, NUMBER))
            elif f.type in ("int", int):
                cases.append(Case(RUN, (f"{key}=-5",), key, "an integer"))
            elif f.type in ("bool", bool):
                cases.append(Case(RUN, (f"{key}=maybe",), key, "true or false"))
    return cases


USER_SCENARIO = "myconfigs/scenario/{name}.yaml"


def user(name: str, text: str, key: str, allowed: str, module: str = RUN) -> Case:
    arg = f"scenario={name}" if module == RUN else f"stage={name}"
    return Case(module, ("--config-dir", "{home}/myconfigs", arg), key, allowed,
                files={USER_SCENARIO.format(name=name): text})


CASES: list[Case] = [
    *_range_cases(),
    # ------------------------------------------------------------- sim.run: values and keys
    Case(RUN, ("crises.suspension_months=-1",), "crises.suspension_months", "an integer"),
    Case(RUN, ("crises.suspension_base=3",), "crises.suspension_base", NUMBER),
    Case(RUN, ("crises.attribution_bias=11",), "crises.attribution_bias", NUMBER),
    Case(RUN, ("crises.enabled=perhaps",), "crises.enabled", "true or false"),
    Case(RUN, ("dynamics.trust_bounds=[0.5,0.2]",), "dynamics.trust_bounds", "0 < low < high < 1"),
    Case(RUN, ("dynamics.spiral_bias=abc",), "dynamics.spiral_bias", "a number"),
    Case(RUN, ("dynamics.spiral_biass=0.3",), "dynamics.spiral_biass", "spiral_bias"),
    Case(RUN, ("+dynamics.spiral_biass=0.3",), "dynamics.spiral_biass", "spiral_bias"),
    Case(RUN, ("stepz=5",), "stepz", "replicates"),
    Case(RUN, ("+stepz=5",), "stepz", "replicates"),
    Case(RUN, ("seed=-4",), "seed", "integer"),
    Case(RUN, ("seed=1.5",), "seed", "an integer"),
    Case(RUN, ("seed=99999999999999999999",), "seed", "integer"),
    Case(RUN, ("replicates=0",), "replicates", "integer"),
    Case(RUN, ("replicates=abc",), "replicates", "an integer"),
    Case(RUN, ("replicates=10000000",), "replicates", "fewer"),
    Case(RUN, ("replicates=50000", "output.dyad_replicates=null"), "replicates", "output.dyad_replicates"),
    Case(RUN, ("scenario.horizon=0",), "scenario.horizon", "integer"),
    Case(RUN, ("scenario.horizon=999999",), "scenario.horizon", "integer"),
    Case(RUN, ("scenario.start_date=2010-13",), "scenario.start_date", "YYYY-MM"),
    Case(RUN, ("scenario.start_date=yesterday",), "scenario.start_date", "YYYY-MM"),
    Case(RUN, ("scenario.name=/../../../../X",), "scenario.name", "letters, digits"),
    Case(RUN, ("scenario.name=a/b",), "scenario.name", "letters, digits"),
    Case(RUN, ("output.dyad_period=-1",), "output.dyad_period", "integer"),
    Case(RUN, ("output.dyad_replicates=-1",), "output.dyad_replicates", "null"),
    Case(RUN, ("replicates=2", "output.dyad_replicates=[0,5]"), "output.dyad_replicates[1]", "[0, 1]"),
    Case(RUN, ("output.key_dyads=[[RUS,MARS]]",), "output.key_dyads[0][1]", "RUS"),
    Case(RUN, ("output.affected_states=[ATLANTIS]",), "output.affected_states[0]", "GEO"),
    Case(RUN, ("output.west=[ATLANTIS]",), "output.west[0]", "NATO"),
    # ------------------------------------------------------------- sim.run: choices and moves
    Case(RUN, ("option=zzz",), "option", "nrc"),
    Case(RUN, ("option=[nrc,zzz]",), "option[1]", "solidarity"),
    Case(RUN, ("option=[nrc,nrc]",), "option[1]", "at most once"),
    Case(RUN, ("scenario=atlantis",), "scenario", "baseline_2010"),
    Case(RUN, ("irritant=[zzz]",), "irritant[0]", "missile_defence"),
    Case(RUN, ("irritant=[enlargement,enlargement]",), "irritant[1]", "at most once"),
    Case(RUN, ("roster=zzz",), "roster", "default"),
    Case(RUN, ("dynamics=zzz",), "dynamics", "default"),
    Case(RUN, ("moves.nrc.proposer=XYZ",), "moves.nrc.proposer", "RUS"),
    Case(RUN, ("moves.nrc.consent=[NATO,ATLANTIS]",), "moves.nrc.consent[1]", "RUS"),
    Case(RUN, ("moves.nrc.start=500",), "moves.nrc.start", "[1, 120]"),
    Case(RUN, ("moves.nrc.cost=-1",), "moves.nrc.cost", NUMBER),
    Case(RUN, ("moves.nrc.gain=9",), "moves.nrc.gain", NUMBER),
    Case(RUN, ("moves.nrc.exposure=-0.5",), "moves.nrc.exposure", NUMBER),
    Case(RUN, ("moves.nrc.phase_in=0",), "moves.nrc.phase_in", "integer"),
    Case(RUN, ("moves.nrc.effects.0.type=teleport",), "moves.nrc.effects[0].type", "channel"),
    Case(RUN, ("roster.RUS.strategy=no_such",), "roster.RUS.strategy", "security_calculus"),
    Case(RUN, ("roster.RUS.hawkishness=2",), "roster.RUS.hawkishness", NUMBER),
    Case(RUN, ("roster.RUS.capability=-1",), "roster.RUS.capability", NUMBER),
    Case(RUN, ("roster.NATO.members=[USA,ZZZ]",), "roster.NATO.members[1]", "USA"),
    Case(RUN, ("scenario=baseline_2010", "option=[medvedev_treaty]", "irritant=[enlargement]"),
         "moves.medvedev_treaty.excludes[0]", "one of them"),
    Case(RUN, ("scenario=baseline_2010", "option=[nrc]", "+moves.nrc.requires=[solidarity]"), "moves.nrc.requires[0]",
         "solidarity"),
    # ------------------------------------------------------------- sim.run: sweeps
    Case(RUN, ("-m", "dynamics.spiral_bias=0.2,7"), "dynamics.spiral_bias", NUMBER),
    Case(RUN, ("-m", "dynamics.spiral_bias=range(0,3,1)"), "dynamics.spiral_bias", NUMBER),
    Case(RUN, ("-m", "option=[nrc],[zzz]"), "option[0]", "nrc"),
    Case(RUN, ("-m", "option=nrc,zzz"), "option", "nrc"),
    Case(RUN, ("-m", "roster.RUS.strategy=no_such,security_calculus"), "roster.RUS.strategy", "security_calculus"),
    Case(RUN, ("-m", "seed=1,2", "negotiation.max_attempts=3,0"), "negotiation.max_attempts", "[1, 100]"),
    Case(RUN, ("-m", "replicates=1,10000000"), "replicates", "fewer"),
    Case(RUN, ("-m", "dynamics.spiral_biass=0.2,0.3"), "dynamics.spiral_biass", "spiral_bias"),
    # ------------------------------------------------------------- user config files
    user("broken", "name: broken\ntrust: {rules: [ {from: [RUS], to: [NATO], value: 0.3}\n",
         "myconfigs/scenario/broken.yaml", "YAML mapping"),
    user("dup", "name: dup\nhorizon: 12\nhorizon: 24\n", "myconfigs/scenario/dup.yaml", "each key once"),
    user("mine", "name: mine\ntrust:\n  rules:\n    - {from: [RUS], to: [NARNIA], value: 0.3, why: test}\n",
         "scenario.trust.rules[0].to[0]", "RUS"),
    user("evil", "# @package _global_\nname: evil\nhydra:\n  callbacks:\n    x:\n      _target_: builtins.open\n"
         "      _args_: ['{home}/victim.txt', 'w']\n", "scenario/evil.yaml: hydra", "no `_target_`"),
    user("evil2", "name: evil2\nthreat:\n  x: {_target_: os.system, _args_: ['touch {home}/pwned']}\n",
         "scenario/evil2.yaml: threat.x._target_", "no `_target_`"),
    user("evil3", "# @package hydra.job_logging\nhandlers:\n  file:\n    filename: '{home}/anywhere.log'\n",
         "scenario/evil3.yaml: @package hydra.job_logging", "no `hydra` settings"),
    user("evil4", "defaults:\n  - override /hydra/job_logging: none\nname: evil4\n", "scenario/evil4.yaml: defaults",
         "no `hydra` settings"),
    user("escape", "name: /../../../../escape\n", "scenario.name", "letters, digits"),
    user("cmp_broken", "name: cmp_broken\nhorizon: [\n", "myconfigs/scenario/cmp_broken.yaml", "YAML", COMPARE),
    # ------------------------------------------------------------- folders
    Case(RUN, ("hydra.run.dir={home}/old",), "hydra.run.dir", "a new folder",
         files={"old/summary.parquet": "the user's own table", "old/notes.txt": "notes"}, into="given"),
    Case(RUN, ("hydra.run.dir={home}/old",), "hydra.run.dir", "a new folder",
         files={"old/.hydra/config.yaml": "seed: 1\n"}, into="given"),
    Case(RUN, ("hydra.run.dir={home}/afile/run",), "hydra.run.dir", "a folder path", files={"afile": "x"},
         into="given"),
    Case(RUN, ("hydra.run.dir=/proc/eurosec-no",), "hydra.run.dir", "a folder you can write to", into="given"),
    Case(RUN, ("hydra.run.dir=.", "dynamics.spiral_bias=2"), "dynamics.spiral_bias", NUMBER, into="cwd"),
    Case(RUN, ("-m", "seed=1,2", "hydra.sweep.dir={home}/old"), "hydra.sweep.dir", "a new folder",
         files={"old/0/results.csv": "mine", "old/multirun.yaml": "x: 1\n"}, into="given"),
    Case(RUN, ("-m", "seed=1,2", "hydra.sweep.dir={home}/old"), "hydra.sweep.dir", "the same command",
         files={"old/sweep.json": json.dumps({"kind": "run", "planned": True, "jobs": []})}, into="given"),
    # ------------------------------------------------------------- compare_options
    Case(COMPARE, ("replicates=1",), "replicates", "integer"),
    Case(COMPARE, ("replicates=-1",), "replicates", "integer"),
    Case(COMPARE, ("replicates=100000000",), "replicates", "an integer in [2, 10000000]"),
    Case(COMPARE, ("replicates=5000000",), "replicates", "fewer"),
    Case(COMPARE, ("chunk=0",), "chunk", "integer"),
    Case(COMPARE, ("workers=-1",), "workers", "integer"),
    Case(COMPARE, ("level=2",), "level", NUMBER),
    Case(COMPARE, ("seed=-1",), "seed", "integer"),
    Case(COMPARE, ("arms=[zzz]",), "arms[0]", "nrc"),
    Case(COMPARE, ("arms=[nrc,nrc]",), "arms[1]", "at most once"),
    Case(COMPARE, ("stage=zzz",), "stage", "baseline_2010"),
    Case(COMPARE, ("stage=incremental_web",), "stage", "without scheduled moves"),
    Case(COMPARE, ("start=0",), "start", "integer"),
    Case(COMPARE, ("start=500",), "start", "[1, 120]"),
    Case(COMPARE, ("outcomes=[zzz]",), "outcomes[0]", "trust_RUS_NATO"),
    Case(COMPARE, ("per_step=[mean_trust,zzz]",), "per_step[1]", "trust_RUS_NATO"),
    Case(COMPARE, ("dyads.period=-1",), "dyads.period", "integer"),
    Case(COMPARE, ("dyads.replicates=[5000]",), "dyads.replicates[0]", "[0, 999]"),
    Case(COMPARE, ('overrides=["garbage"]',), "overrides[0]", "KEY=VALUE"),
    Case(COMPARE, ('overrides=["zzz=1"]',), "overrides[0]", "KEY=VALUE"),
    Case(COMPARE, ('overrides=["seed=3"]',), "overrides[0]", "KEY=VALUE"),
    # beliefs derived for a 2010 stage put on the 2008 one
    Case(RUN, ("scenario=prewar_2008", "initial_trust=replay_2009"), "initial_trust", "a scenario starting 2010-01"),
    Case(RUN, ("initial_trust=replay_1999",), "initial_trust", "replay_2009"),
    Case(RUN, ("scenario.trust.matrix.rows.RUS=[0.5]",), "scenario.trust.matrix.rows.RUS", "23 numbers"),
    # an unquoted '=' inside a list: Hydra's grammar names a fragment, the message names the key
    Case(COMPARE, ("progress=false", "overrides=[dynamics=calibrated]"), "overrides", "double quotes"),
    Case(COMPARE, ('overrides=["dynamics.spiral_bias=7"]',), "dynamics.spiral_bias", NUMBER),
    Case(COMPARE, ('overrides=["dynamics.spiral_biass=0.2"]',), "overrides[0]", "spiral_bias"),
    Case(COMPARE, ("stepz=1",), "stepz", "replicates"),
    Case(COMPARE, ("-m", "replicates=6,-1"), "replicates", "integer"),
    Case(COMPARE, ("-m", "arms=[nrc],[nrc,zzz]"), "arms[1]", "nrc"),
    Case(COMPARE, ("-m", "stage=baseline_2010,atlantis"), "stage", "baseline_2010"),
    # ------------------------------------------------------------- combinations
    Case(COMBINE, ("options=[nrc,nrc]",), "options[1]", "at most once"),
    Case(COMBINE, ("options=[zzz]",), "options[0]", "nrc"),
    Case(COMBINE, ("orderings=[zzz]",), "orderings[0]", "incremental_web"),
    Case(COMBINE, ("outcome=zzz",), "outcome", "mean_trust"),
    Case(COMBINE, ("stage=all_ten",), "stage", "without scheduled moves"),
    Case(COMBINE, ("start=0",), "start", "integer"),
    Case(COMBINE, ("replicates=1",), "replicates", "integer"),
    Case(COMBINE, ("level=0.1",), "level", NUMBER),
    Case(COMBINE, ("-m", "outcome=mean_trust,trust_RUS_MARS"), "outcome", "trust_RUS_NATO"),
    # ------------------------------------------------------------- aggregate
    Case(AGG, ("{home}/nothing-here",), "sweep_dir", "the folder of a sweep", into="none"),
    Case(AGG, ("{home}/empty",), "sweep_dir", "the folder of a sweep", files={"empty/.keep": ""}, into="none"),
    Case(AGG, ("{home}/afile",), "sweep_dir", "the folder of a sweep", files={"afile": "x"}, into="none"),
    Case(AGG, ("{home}/sweep",), "sweep.json", "rerun the sweep", files={"sweep/sweep.json": "{not json"},
         into="none"),
]


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def case_id(case: Case) -> str:
    return f"{case.module.split('.')[-1]}:{' '.join(case.args)}"[:90]


def test_the_corpus_is_large_enough_and_distinct():
    assert len(CASES) >= 100
    assert len({(c.module, c.args, tuple(c.files.items())) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_gets_one_paragraph_exit_2_and_leaves_everything_as_it_was(tmp_path, case):
    home = tmp_path / "home"
    home.mkdir()
    (home / "victim.txt").write_text("intact")
    (home / "existing").mkdir()
    (home / "existing" / "notes.txt").write_text("the user's notes")
    for rel, text in case.files.items():
        path = home / rel.replace("{home}", str(home))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("{home}", str(home)))
    args = [a.replace("{home}", str(home)) for a in case.args]
    if case.module != AGG and case.into == "existing":
        folder = "hydra.sweep.dir" if "-m" in args else "hydra.run.dir"
        args.append(f"{folder}={home / 'existing'}")
    before = snapshot(home)
    proc = subprocess.run([sys.executable, "-m", case.module, *args], cwd=home, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "HYDRA_FULL_ERROR": "0"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "Traceback" not in output
    lines = [line for line in proc.stderr.splitlines() if line.startswith("eurosec:")]
    assert len(lines) == 1, output
    message = lines[0]
    assert f"'{case.key}'" in message, message
    assert "Allowed:" in message and case.allowed in message.split("Allowed:", 1)[1], message
    assert snapshot(home) == before, "files were created, changed or deleted"
    left = sorted(str(p.relative_to(home)) for p in home.rglob("*") if str(p.relative_to(home)) not in before)
    expected_dirs = {str(Path(r).parent) for r in before} | {str(p) for r in before for p in Path(r).parents}
    assert [p for p in left if p not in expected_dirs] == [], f"left behind: {left}"
