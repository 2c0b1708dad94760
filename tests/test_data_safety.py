"""Nothing lost, nothing forged: a run never deletes or overwrites what it did not create,
combined sweep results are verified, config files are data, and killed or corrupted sweeps are
redone or reported (docs/model.md §7.9, README "What a run writes and never touches")."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.app.folders import PARTIAL_MARK, clean_stale_partials, claim
from sim.app.userfiles import check_config_dir, check_file
from sim.config import CONFIG_DIR, config_groups
from scenarios.library import SCENARIO_DIR, scenario_files
from sim.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def run_module(module: str, *args: str, cwd: Path | None = None, timeout: int = 600, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "HYDRA_FULL_ERROR": "0"}, **popen)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its content hash."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def precious(folder: Path) -> dict[str, str]:
    """A user's folder holding files of their own (named like results too)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data" / "table.csv").write_text("a,b\n1,2\n")
    return snapshot(folder)


def one_paragraph(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("eurosec:")]
    assert len(lines) == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


SMALL_RUN = ("scenario=baseline_2010", "scenario.horizon=12", "replicates=3", "output.narrative=false",
             "output.figure=false")


# ----------------------------------------------------------------- bad input deletes nothing

@pytest.mark.parametrize("module, bad", [
    ("sim.run", "dynamics.spiral_bias=2"),
    ("experiments.compare_options", "replicates=-1"),
    ("experiments.combinations", "options=[nrc,nrc]"),
])
def test_bad_input_into_an_existing_folder_deletes_nothing(tmp_path, module, bad):
    before = precious(tmp_path / "mine")
    proc = run_module(module, f"hydra.run.dir={tmp_path / 'mine'}", bad)
    assert proc.returncode == 2
    one_paragraph(proc)
    assert snapshot(tmp_path / "mine") == before
    # and with the working directory itself as the run folder
    before = precious(tmp_path / "cwd")
    proc = subprocess.run([sys.executable, "-m", module, "hydra.run.dir=.", bad], cwd=tmp_path / "cwd",
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert snapshot(tmp_path / "cwd") == before and not (tmp_path / "cwd" / ".hydra").exists()


def test_a_run_never_overwrites_results_it_did_not_write(tmp_path):
    folder = tmp_path / "old"
    before = precious(folder)
    (folder / "summary.parquet").write_bytes(b"the user's own table")
    before = snapshot(folder)
    proc = run_module("sim.run", f"hydra.run.dir={folder}", *SMALL_RUN)
    assert proc.returncode == 2
    message = one_paragraph(proc)
    assert "'hydra.run.dir'" in message and "summary.parquet" in message and "overwrite" in message
    assert snapshot(folder) == before
    # an existing folder without such names is used, and the user's files stay as they were
    precious_before = precious(tmp_path / "other")
    ok = run_module("sim.run", f"hydra.run.dir={tmp_path / 'other'}", *SMALL_RUN)
    assert ok.returncode == 0, ok.stderr
    after = snapshot(tmp_path / "other")
    assert all(after[k] == v for k, v in precious_before.items())
    assert (tmp_path / "other" / "manifest.json").exists()


def test_claim_refuses_taken_names_and_releases_only_what_it_created(tmp_path):
    folder = tmp_path / "a" / "b"
    c = claim(folder, ["x.parquet"], "hydra.run.dir")
    assert folder.is_dir()
    with pytest.raises(ConfigError, match="in use by another eurosec run"):
        claim(folder, ["x.parquet"], "hydra.run.dir")
    c.release(keep_results=False)
    assert not (tmp_path / "a").exists(), "the folders this run created are removed when it wrote nothing"
    before = precious(tmp_path / "mine")
    (tmp_path / "mine" / "x.parquet").write_text("mine")
    with pytest.raises(ConfigError, match="already holds x.parquet"):
        claim(tmp_path / "mine", ["x.parquet"], "hydra.run.dir")
    c = claim(tmp_path / "mine", ["y.parquet"], "hydra.run.dir")
    c.release(keep_results=False)
    assert snapshot(tmp_path / "mine") == {**before, "x.parquet": hashlib.sha256(b"mine").hexdigest()}


def test_an_unwritable_output_folder_is_a_paragraph(tmp_path):
    target = tmp_path / "file"
    target.write_text("not a folder")
    for folder in (target / "run", Path("/proc/eurosec-cannot-write-here")):
        proc = run_module("sim.run", f"hydra.run.dir={folder}", *SMALL_RUN)
        assert proc.returncode == 2
        assert "'hydra.run.dir'" in one_paragraph(proc)
    assert target.read_text() == "not a folder"


# ------------------------------------------------------------------------ config files are data

EVIL = {
    "callback": ("# @package _global_\nname: evil\nhydra:\n  callbacks:\n    x:\n      _target_: builtins.open\n"
                 "      _args_: ['{target}', 'w']\n", "hydra"),
    "target_anywhere": ("name: evil\ntrust:\n  x:\n    _target_: builtins.open\n    _args_: ['{target}', 'w']\n",
                        "_target_"),
    "package_hydra": ("# @package hydra.job_logging\nhandlers:\n  file:\n    filename: '{target}'\n", "@package"),
    "defaults_hydra": ("defaults:\n  - override /hydra/job_logging: none\nname: evil\n", "defaults"),
}


@pytest.mark.parametrize("case", sorted(EVIL))
def test_a_user_config_file_cannot_act_outside_its_run(tmp_path, case):
    text, key = EVIL[case]
    target = tmp_path / "victim.txt"
    target.write_text("intact")
    mine = tmp_path / "myconfigs" / "scenario"
    mine.mkdir(parents=True)
    (mine / "evil.yaml").write_text(text.format(target=target))
    out = tmp_path / "run"
    proc = run_module("sim.run", "--config-dir", str(tmp_path / "myconfigs"), f"hydra.run.dir={out}", "scenario=evil")
    assert proc.returncode == 2
    message = one_paragraph(proc)
    assert key in message and "Allowed:" in message
    assert target.read_text() == "intact" and not out.exists()


def test_a_hydra_folder_in_a_user_config_dir_is_refused(tmp_path):
    (tmp_path / "hydra" / "callbacks").mkdir(parents=True)
    (tmp_path / "hydra" / "callbacks" / "x.yaml").write_text("x: 1\n")
    with pytest.raises(ConfigError, match="Hydra presets"):
        check_config_dir(tmp_path)


@pytest.mark.parametrize("text, fragment", [
    ("name: x\nhorizon: 12\nhorizon: 24\n", "found the key 'horizon' twice"),
    ("name: x\ntrust: {rules: [ {from: [RUS]}\n", "is not valid YAML at line"),
])
def test_malformed_and_duplicate_keys_are_named_with_their_line(tmp_path, text, fragment):
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "x.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        check_config_dir(tmp_path)
    assert fragment in str(err.value) and "scenario/x.yaml" in str(err.value)


def test_the_repositorys_own_model_configs_are_data():
    for path in sorted(CONFIG_DIR.rglob("*.yaml")):
        rel = path.relative_to(CONFIG_DIR)
        if rel.parts[0] == "hydra" or len(rel.parts) == 1:  # launcher presets and the apps' primary configs
            continue
        check_file(path, CONFIG_DIR)
    for path in scenario_files():
        check_file(path, SCENARIO_DIR)


def test_the_scenario_files_live_in_scenarios_only():
    assert not (CONFIG_DIR / "scenario").exists()
    assert config_groups()["scenario"] == sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
    assert {"baseline_2010", "postwar_2008"} <= set(config_groups()["scenario"])


def test_a_user_scenario_may_not_take_the_name_of_the_models_own(tmp_path):
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "baseline_2010.yaml").write_text("# @package _global_\nscenario:\n  horizon: 7\n")
    with pytest.raises(ConfigError, match="scenario 'baseline_2010' already") as err:
        check_config_dir(tmp_path)
    assert err.value.key == "scenario/baseline_2010.yaml"


def test_a_scenario_name_cannot_reach_outside_the_output_folder(tmp_path):
    proc = run_module("sim.run", "scenario=baseline_2010", "scenario.name=/../../../../eurosec-escape",
                      f"hydra.run.dir={tmp_path}/run/${{scenario.name}}")
    assert proc.returncode == 2
    assert "'scenario.name'" in one_paragraph(proc)
    assert not Path("/eurosec-escape").exists() and not (tmp_path / "run").exists()


# ------------------------------------------------------------------ verified sweeps: corruption

def run_sweep(sweep: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_module("sim.run", "-m", "seed=1,2", *SMALL_RUN, "hydra/launcher=basic", f"hydra.sweep.dir={sweep}",
                      *extra)


def aggregate(sweep: Path, **popen) -> subprocess.CompletedProcess:
    return run_module("experiments.aggregate", str(sweep), **popen)


def report(sweep: Path) -> dict:
    return json.loads((sweep / "aggregate.json").read_text())


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    sweep = tmp_path_factory.mktemp("sweep") / "s"
    proc = run_sweep(sweep)
    assert proc.returncode == 0, proc.stderr
    return sweep, pd.read_parquet(sweep / "finals.parquet")


def copy_sweep(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".eurosec.lock"))
    return dst


def test_a_job_table_replaced_by_another_jobs_is_detected_and_redone(finished_sweep, tmp_path):
    sweep = copy_sweep(finished_sweep[0], tmp_path / "s")
    (sweep / "0" / "summary.parquet").write_bytes((sweep / "1" / "summary.parquet").read_bytes())
    agg = aggregate(sweep)
    assert agg.returncode == 1
    assert "job 0" in agg.stdout and "fail verification" in agg.stdout
    assert [c["job"] for c in report(sweep)["corrupt"]] == ["0"] and not report(sweep)["complete"]
    assert not (sweep / "finals.parquet").exists() and (sweep / "finals.incomplete.parquet").exists()
    again = run_sweep(sweep)  # the same command redoes the corrupt job
    assert again.returncode == 0, again.stderr
    assert "running it again" in again.stdout + again.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(sweep / "finals.parquet"), finished_sweep[1])


@pytest.mark.parametrize("damage", ["truncate_table", "truncate_manifest", "remove_table"])
def test_damaged_jobs_are_reported_then_redone(finished_sweep, tmp_path, damage):
    sweep = copy_sweep(finished_sweep[0], tmp_path / "s")
    job = sweep / "1"
    if damage == "truncate_table":
        data = (job / "summary.parquet").read_bytes()
        (job / "summary.parquet").write_bytes(data[: len(data) // 2])
    elif damage == "truncate_manifest":
        text = (job / "manifest.json").read_text()
        (job / "manifest.json").write_text(text[: len(text) // 3])
    else:
        (job / "summary.parquet").unlink()
    agg = aggregate(sweep)
    assert agg.returncode == 1, agg.stdout + agg.stderr
    assert "Traceback" not in agg.stderr
    r = report(sweep)
    assert not r["complete"] and "1" in [c["job"] for c in r["corrupt"]] + r["unfinished"]
    again = run_sweep(sweep)
    assert again.returncode == 0, again.stdout + again.stderr
    assert not (job / "failure.json").exists() and "Traceback" not in again.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(sweep / "finals.parquet"), finished_sweep[1])


def test_a_comparison_job_missing_its_finals_is_not_combined_from_its_summary(tmp_path):
    sweep = tmp_path / "s"
    args = ("-m", "stage=baseline_2010,postwar_2008", "replicates=3", "arms=[nrc]", "progress=false",
            "dyads.period=0", "hydra/launcher=basic", f"hydra.sweep.dir={sweep}")
    assert run_module("experiments.compare_options", *args).returncode == 0
    (sweep / "1" / "finals.parquet").unlink()
    agg = aggregate(sweep)
    assert agg.returncode == 1 and "finals.parquet is missing" in agg.stdout
    finals = pd.read_parquet(sweep / "finals.incomplete.parquet")
    assert set(finals["job"]) == {"0"} and not finals.isna().all().any()


def test_another_sweep_cannot_reuse_a_sweep_folder(finished_sweep, tmp_path):
    sweep = copy_sweep(finished_sweep[0], tmp_path / "s")
    before = snapshot(sweep)
    proc = run_module("sim.run", "-m", "seed=1,3", *SMALL_RUN, "hydra/launcher=basic", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 2
    assert "holds another sweep" in one_paragraph(proc)
    assert snapshot(sweep) == before


def test_two_sweeps_into_one_folder_cannot_run_at_once(tmp_path):
    sweep = tmp_path / "s"
    args = [sys.executable, "-m", "sim.run", "-m", "seed=1,2", "scenario=baseline_2010", "replicates=50",
            "output.narrative=false", "output.figure=false", "hydra/launcher=basic", f"hydra.sweep.dir={sweep}"]
    first = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not (sweep / "sweep.json").exists() and time.time() < deadline:
            time.sleep(0.1)
        second = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert second.returncode == 2, second.stderr
        assert "in use by another eurosec run" in one_paragraph(second)
    finally:
        out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert report(sweep)["complete"]


def test_a_full_disk_during_aggregation_leaves_no_table_that_looks_complete(finished_sweep, tmp_path):
    sweep = copy_sweep(finished_sweep[0], tmp_path / "s")
    for name in ("finals.parquet", "summary.parquet", "aggregate.json"):
        (sweep / name).unlink()

    def small_disk():  # files beyond 16 KB cannot be written, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (16_000, 16_000))

    agg = aggregate(sweep, preexec_fn=small_disk)
    assert agg.returncode == 1, agg.stdout + agg.stderr
    assert "could not write the combined tables" in agg.stderr and "Traceback" not in agg.stderr
    left = sorted(p.name for p in sweep.iterdir())
    assert not [n for n in left if n.endswith(".parquet") or n.startswith(".partial")], left
    assert not report(sweep)["complete"]
    assert aggregate(sweep).returncode == 0 and report(sweep)["complete"]  # with room again
    pd.testing.assert_frame_equal(pd.read_parquet(sweep / "finals.parquet"), finished_sweep[1])


def test_stale_partial_folders_of_dead_writers_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale, alive, foreign = tmp_path / ".partial-a", tmp_path / ".partial-b", tmp_path / ".partial-c"
    for p in (stale, alive, foreign):
        p.mkdir()
    (stale / PARTIAL_MARK).write_text(json.dumps({"pid": int(dead.stdout), "start": "1", "host": os.uname().nodename}))
    from sim.app.folders import writer_mark

    (alive / PARTIAL_MARK).write_text(json.dumps(writer_mark()))
    assert clean_stale_partials(tmp_path) == [stale]
    assert alive.exists() and foreign.exists(), "live writers' and unmarked folders are left alone"


ORPHAN = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import time; from sim.app.folders import watch_parent; watch_parent(0.1); time.sleep(60)"])
print(child.pid, flush=True)
time.sleep(1.0)
os._exit(0)  # the launcher dies without cleaning up
"""


def test_a_worker_exits_when_its_launcher_dies():
    proc = subprocess.run([sys.executable, "-c", ORPHAN], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "EUROSEC_LAUNCHER_PID": "1"})
    pid = int(proc.stdout.split()[0])
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return  # gone
        if state == "Z":
            return  # exited, waiting to be reaped
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    pytest.fail("the orphaned worker went on running after its launcher died")


@pytest.mark.slow
def test_a_sweep_killed_with_sigkill_and_rerun_equals_an_uninterrupted_one(tmp_path):
    args = ["-m", "stage=baseline_2010,postwar_2008", "seed=0,1", "replicates=300", "arms=[nrc,corfu]",
            "progress=false", "hydra.launcher.n_jobs=2"]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    cmd = [sys.executable, "-m", "experiments.compare_options", *args]
    launcher = subprocess.Popen([*cmd, f"hydra.sweep.dir={killed}"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list(killed.glob("*/manifest.json")) and time.time() < deadline:
        time.sleep(0.2)
    children = [int(p) for p in Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text().split()]
    os.kill(launcher.pid, signal.SIGKILL)
    launcher.wait()
    deadline = time.time() + 10
    while any(Path(f"/proc/{c}").exists() and "Z" not in Path(f"/proc/{c}/stat").read_text().rsplit(")", 1)[1][:3]
              for c in children) and time.time() < deadline:
        time.sleep(0.2)
    assert time.time() < deadline, "workers went on running after their launcher was killed"
    rerun = run_module("experiments.compare_options", *args, f"hydra.sweep.dir={killed}")
    assert rerun.returncode == 0, rerun.stderr
    assert not list(killed.glob("*/.partial-*")) and not list(killed.glob(".partial-*"))
    assert run_module("experiments.compare_options", *args, f"hydra.sweep.dir={whole}").returncode == 0
    for table in ("finals", "effects"):
        pd.testing.assert_frame_equal(pd.read_parquet(killed / f"{table}.parquet"),
                                      pd.read_parquet(whole / f"{table}.parquet"), obj=table)


def test_aggregation_never_overwrites_a_table_it_did_not_write(finished_sweep, tmp_path):
    """A combined table changed since the last aggregation (or put there by the user) is not
    replaced: aggregation stops, names it, and leaves it as it was."""
    sweep = copy_sweep(finished_sweep[0], tmp_path / "s")
    (sweep / "finals.parquet").write_bytes(b"the user's own edits")
    agg = aggregate(sweep)
    assert agg.returncode == 1, agg.stdout + agg.stderr
    assert "finals.parquet" in agg.stderr and "Traceback" not in agg.stderr
    assert (sweep / "finals.parquet").read_bytes() == b"the user's own edits"
    assert not report(sweep)["complete"]
