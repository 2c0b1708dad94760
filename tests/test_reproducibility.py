"""A seed fixes a run exactly: alone, inside a batch of any size, through mesa.batch_run, and
against the golden file."""

from __future__ import annotations

import sys
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from sim.model import EurosecModel
from sim.numerics.streams import UniformStream, generator, replicate_seeds

sys.path.insert(0, str(Path(__file__).parent / "golden"))
from regenerate import GOLDEN, golden_frame  # noqa: E402

METRICS = ["mean_trust", "mean_threat", "trust_RUS_NATO", "threat_NATO_RUS", "agreements_in_force", "crises"]


def test_golden_file():
    expected = pd.read_csv(GOLDEN)
    actual = golden_frame()
    assert list(actual.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(actual.astype(float), expected.astype(float), rtol=1e-6, atol=1e-7)


def test_same_seed_same_run_and_different_seed_different_run():
    a = EurosecModel(rng=5).run().summary()
    b = EurosecModel(rng=5).run().summary()
    c = EurosecModel(rng=6).run().summary()
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["trust_RUS_NATO"], c["trust_RUS_NATO"]) or not a["crises"].equals(c["crises"])


@pytest.mark.parametrize("size", [2, 7])
def test_replicate_alone_equals_replicate_in_batch(size):
    seeds = replicate_seeds(11, size)
    batch = EurosecModel(seeds=seeds).run()
    alone = EurosecModel(rng=int(seeds[-1])).run()
    b = batch.summary()
    b = b[b["replicate"] == size - 1].drop(columns="replicate").reset_index(drop=True)
    a = alone.summary().drop(columns="replicate").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    ev_a = alone.events().drop(columns="replicate").astype({c: object for c in ("kind", "move", "actor", "counterpart", "detail", "date")})
    ev_b = batch.events()
    ev_b = ev_b[ev_b["replicate"] == size - 1].drop(columns="replicate").reset_index(drop=True)
    ev_b = ev_b.astype({c: object for c in ("kind", "move", "actor", "counterpart", "detail", "date")})
    pd.testing.assert_frame_equal(ev_a, ev_b, check_exact=True)
    np.testing.assert_array_equal(alone.engine.state.trust[0], batch.engine.state.trust[size - 1])


def test_batch_run_matches_vectorised_batch():
    """mesa.batch_run (one model per seed) gives, per seed, exactly the vectorised batch's values."""
    seeds = [3, 17, 23]
    results = pd.DataFrame(mesa.batch_run(EurosecModel, parameters={"options": "nrc,solidarity"}, rng=seeds,
                                          number_processes=1, data_collection_period=1, max_steps=24,
                                          display_progress=False))
    batch = EurosecModel(seeds=seeds, options="nrc,solidarity")
    batch.run(24)
    s = batch.summary()
    assert len(results) == len(seeds) * 25
    for r in range(len(seeds)):
        mine = s[s["replicate"] == r].set_index("step").sort_index()
        theirs = results[results["iteration"] == r].set_index("Step").sort_index()
        assert list(theirs.index) == list(mine.index)
        for metric in METRICS:
            np.testing.assert_array_equal(theirs[metric].to_numpy().astype(np.float32),
                                          mine[metric].to_numpy().astype(np.float32), err_msg=metric)


def test_uniform_block_size_does_not_change_values():
    seeds = np.array([1, 2])
    small = UniformStream(seeds, 0, "x", 3, block=5)
    large = UniformStream(seeds, 0, "x", 3, block=60)
    for t in range(1, 31):
        np.testing.assert_array_equal(small.month(t), large.month(t))


def test_streams_keyed_by_move_id_give_common_random_numbers():
    """Switching a move on leaves the crisis draws of every replicate unchanged."""
    a = EurosecModel(rng=4, replicates=3, scenario="baseline_2010", options=[]).run()
    b = EurosecModel(rng=4, replicates=3, scenario="baseline_2010", options=["nrc"]).run()
    np.testing.assert_array_equal(a.engine.crises.stream.month(120), b.engine.crises.stream.month(120))
    assert generator(4, 1, "nrc").random() != generator(4, 1, "solidarity").random()


def test_replicate_seeds_are_prefix_stable():
    np.testing.assert_array_equal(replicate_seeds(9, 5), replicate_seeds(9, 50)[:5])
    assert replicate_seeds(9, 1)[0] == 9


@pytest.mark.parametrize("scenario,options", [("incremental_web", "nrc"), ("history_2008_2015", "")])
def test_threads_give_the_same_numbers(scenario, options):
    """threads=3 (chunks of replicates updated and read in parallel, sim/numerics/threads.py)
    gives every array exactly what one thread gives: final states, summary and event log."""
    runs = [EurosecModel(rng=9, replicates=100, scenario=scenario, options=options, threads=t).run(36)
            for t in (1, 3)]
    from sim.numerics.threads import chunks

    assert len(chunks(100, 3)) == 3  # really split
    for name in ("own", "social", "trust", "threat", "posture", "irritant", "grievance", "irritant_floor"):
        np.testing.assert_array_equal(getattr(runs[0].engine.state, name), getattr(runs[1].engine.state, name))
    pd.testing.assert_frame_equal(runs[0].summary(), runs[1].summary(), check_exact=True)
    pd.testing.assert_frame_equal(runs[0].events(), runs[1].events(), check_exact=True)
