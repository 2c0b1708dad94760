"""The replicate streams built for a whole batch at once are numpy's own streams, draw for draw."""

from __future__ import annotations

import numpy as np
import pytest

from sim.numerics.streams import (
    CRISIS,
    MOVE_ATTEMPTS,
    MOVE_MONTHLY,
    TYPES,
    generator,
    generators,
    replicate_seeds,
    seed_states,
)


@pytest.mark.parametrize("purpose,name", [(CRISIS, ""), (MOVE_ATTEMPTS, "nrc"), (MOVE_MONTHLY, "grit"), (TYPES, "")])
def test_batch_generators_equal_numpy_seed_sequences(purpose, name):
    rng = np.random.default_rng(1)
    seeds = np.concatenate([[0, 1, 2**32 - 1, 2**32, 2**63 - 1], rng.integers(0, 2**63 - 1, 40), rng.integers(0, 2**32, 20)])
    batch = generators(seeds, purpose, name)
    for seed, g in zip(seeds, batch):
        np.testing.assert_array_equal(g.random((3, 4)), generator(int(seed), purpose, name).random((3, 4)))


def test_seed_states_are_numpy_generate_state():
    seeds = [0, 7, 2**40 + 3]
    expected = [np.random.SeedSequence(s, spawn_key=(2, 12345)).generate_state(4, np.uint64) for s in seeds]
    np.testing.assert_array_equal(seed_states(seeds, (2, 12345)), np.array(expected))
    with pytest.raises(ValueError, match="32 bits"):
        seed_states(seeds, (2**32,))


@pytest.mark.parametrize("master", [0, 1, 42, 2**32 - 1, 2**32, 2**63 - 1])
def test_replicate_seeds_are_hashed_as_numpy_does(master):
    expected = [master] + [int(np.random.SeedSequence([master, r]).generate_state(1, np.uint64)[0] >> np.uint64(1))
                           for r in range(1, 50)]
    np.testing.assert_array_equal(replicate_seeds(master, 50), np.array(expected, dtype=np.int64))
    assert list(replicate_seeds(master, 1)) == [master]


@pytest.mark.parametrize("purpose,name", [(CRISIS, ""), (MOVE_ATTEMPTS, "nrc"), (MOVE_MONTHLY, "grit"), (TYPES, "")])
def test_compiled_pcg64_draws_numpy_s_uniforms(purpose, name):
    """sim/numerics/pcg64.py (a batch's PCG64 streams in one compiled loop) seeds each stream as
    numpy does and draws exactly numpy's doubles, block after block, for any number of streams
    (four are stepped side by side, the rest one by one) and any block shape, empty ones included."""
    from sim.numerics.streams import pcg_states, uniforms

    rng = np.random.default_rng(2)
    seeds = np.concatenate([[0, 1, 2**32 - 1, 2**32, 2**63 - 1], rng.integers(0, 2**63 - 1, 6)])
    for k in (0, 1, 3, 4, 7, seeds.size):
        state = pcg_states(seeds[:k], purpose, name)
        blocks = [uniforms(state, np.empty((k,) + shape)) for shape in ((5, 3), (0,), (2, 0, 4), (17,), (1, 2, 2))]
        for q, seed in enumerate(seeds[:k]):
            g = generator(int(seed), purpose, name)
            for block in blocks:
                assert block[q].tobytes() == g.random(block[q].shape).tobytes()
            after = g.bit_generator.state["state"]
            assert (int(state[q, 0]) << 64 | int(state[q, 1])) == after["state"]
            assert (int(state[q, 2]) << 64 | int(state[q, 3])) == after["inc"]


def test_native_128_bit_multiply_equals_the_partial_products():
    """The PCG64 step's high 64 bits of a 128-bit product (one widening multiply) equal the
    product from four 32-bit partial products, at random and at the extremes."""
    from numba import njit

    from sim.numerics import pcg64

    @njit
    def mismatches(a, b):
        count = 0
        for i in range(a.shape[0]):
            if pcg64._mulhi(a[i], b[i]) != pcg64._mulhi_reference(a[i], b[i]):
                count += 1
        return count

    rng = np.random.default_rng(0)
    a = rng.integers(0, 2**64, 200_000, dtype=np.uint64)
    b = rng.integers(0, 2**64, 200_000, dtype=np.uint64)
    edges = np.array([0, 1, 2**32 - 1, 2**32, 2**63, 2**64 - 1], dtype=np.uint64)
    a = np.concatenate([a, np.repeat(edges, edges.size)])
    b = np.concatenate([b, np.tile(edges, edges.size)])
    assert mismatches(a, b) == 0
    assert pcg64._mulhi_reference(np.uint64(2**64 - 1), np.uint64(2**64 - 1)) == np.uint64(2**64 - 2)
