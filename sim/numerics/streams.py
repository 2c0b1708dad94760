"""Per-replicate random streams.

Each replicate owns independent numpy Generators derived from its integer seed, one per
purpose (crises; each move's negotiation; each move's monthly structure draws; the actors'
private types). Streams are
keyed by the move's id, not its position, so switching other moves on or off leaves a
replicate's crises and every other move's draws unchanged (common random numbers across arms).
Every month consumes a fixed number of uniforms from each stream, whether used or not, so a
replicate's trajectory depends only on its seed, never on the batch it runs in.
"""

from __future__ import annotations

import zlib

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from sim.numerics import pcg64
from sim.numerics.threads import over_replicates

CRISIS, MOVE_ATTEMPTS, MOVE_MONTHLY, TYPES = 0, 1, 2, 3
# numpy's SeedSequence constants (O'Neill's seed_seq alternative, pool of four 32-bit words)
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R, _MASK, _POOL = 0xCA01F9DD, 0x4973F715, 0xFFFFFFFF, 4


def replicate_seeds(master_seed: int, replicates: int) -> np.ndarray:
    """Seeds of the replicates of a batch: replicate 0 is the master seed itself, replicate r
    gets a 63-bit seed hashed from (master, r), ``SeedSequence([master, r]).generate_state(1,
    np.uint64)[0] >> 1`` (all r at once, :func:`_seed_sequence`). Any replicate can be rerun
    alone with its seed."""
    master = int(master_seed)
    r = np.arange(1, max(replicates, 1), dtype=np.uint32)
    words = [np.full(r.size, w, dtype=np.uint32) for w in _int_words(master)] + [r]
    hashed = _seed_sequence(words, 1)[:, 0] >> np.uint64(1)
    return np.concatenate([[master], hashed.astype(np.int64)]).astype(np.int64)


def _int_words(value: int) -> list[int]:
    """An integer's 32-bit words, low first, as SeedSequence reads it (0 is one word)."""
    words = [value & _MASK]
    while value > _MASK:
        value >>= 32
        words.append(value & _MASK)
    return words


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def generator(seed: int, purpose: int, name: str = "") -> np.random.Generator:
    """The Generator of one replicate for one purpose (and move id)."""
    key = (purpose, _key(name)) if name else (purpose,)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=key)))


def generators(seeds, purpose: int, name: str = "") -> list[np.random.Generator]:
    """``generator(s, purpose, name)`` for each of ``seeds``, the same streams built about ten
    times faster: the seed sequences' state words are hashed for all seeds at once
    (:func:`seed_states`) and handed to PCG64, which skips its own SeedSequence."""
    key = (purpose, _key(name)) if name else (purpose,)
    return [np.random.Generator(np.random.PCG64(_StateWords(w))) for w in seed_states(seeds, key)]


def pcg_states(seeds, purpose: int, name: str = "") -> np.ndarray:
    """(len(seeds), 4) uint64: the PCG64 states of ``generators(seeds, purpose, name)``, for
    :func:`uniforms` (sim/numerics/pcg64.py: numpy's PCG64, compiled for a batch of streams)."""
    key = (purpose, _key(name)) if name else (purpose,)
    seeds = np.asarray(seeds)
    state = np.empty((seeds.size, 4), dtype=np.uint64)
    pcg64.seed(seed_states(seeds, key) if seeds.size else np.zeros((0, 4), dtype=np.uint64), state)
    return state


def uniforms(state: np.ndarray, out: np.ndarray, threads: int = 1) -> np.ndarray:
    """Fill ``out`` (k, ...) with stream q's next uniforms in out[q], the numbers
    ``generators(...)[q].random(out=out[q])`` gives; ``state`` (:func:`pcg_states`) advances
    (``threads``: chunks of streams at once, sim/numerics/threads.py)."""
    over_replicates(lambda lo, hi: pcg64.fill_uniform(state[lo:hi], out[lo:hi]), out.shape[0], threads)
    return out


class _StateWords(ISeedSequence):
    """A seed sequence whose state words are already computed (PCG64 asks for four uint64)."""

    def __init__(self, words: np.ndarray):
        self.words = words

    def generate_state(self, n_words, dtype=np.uint32):
        if n_words != 4 or np.dtype(dtype) != np.uint64:
            raise ValueError("precomputed for PCG64: four uint64 words")
        return self.words


def seed_states(seeds, spawn_key: tuple[int, ...]) -> np.ndarray:
    """(len(seeds), 4) uint64: ``SeedSequence(seed, spawn_key=spawn_key).generate_state(4, np.uint64)``
    for every seed at once. Seeds are below 2**64 (two words, padded with zeros to the pool size
    as numpy does when there is a spawn key); each key entry is below 2**32 (one word).
    tests/test_streams.py checks it against numpy."""
    if not all(0 <= k <= _MASK for k in spawn_key):
        raise ValueError(f"spawn key {spawn_key} has an entry outside 32 bits")
    seeds = np.asarray(seeds, dtype=np.uint64)
    zero = np.zeros(seeds.size, dtype=np.uint32)
    entropy = [(seeds & np.uint64(_MASK)).astype(np.uint32), (seeds >> np.uint64(32)).astype(np.uint32), zero, zero]
    return _seed_sequence(entropy + [np.full(seeds.size, k, dtype=np.uint32) for k in spawn_key], 4)


def _seed_sequence(entropy: list[np.ndarray], n_words: int) -> np.ndarray:
    """numpy's SeedSequence on arrays: ``entropy`` holds the 32-bit entropy words (one array per
    word, one entry per sequence); returns each sequence's generate_state(n_words, np.uint64).
    Entropy shorter than the pool reads as zero-padded, as in numpy (hashmix of 0)."""
    size = entropy[0].size
    entropy = entropy + [np.zeros(size, dtype=np.uint32)] * (_POOL - len(entropy))
    hashmix = _hasher(_INIT_A, _MULT_A)
    pool = [hashmix(entropy[i]) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = _mix(pool[dst], hashmix(pool[src]))
    for word in entropy[_POOL:]:
        for dst in range(_POOL):
            pool[dst] = _mix(pool[dst], hashmix(word))
    out = _hasher(_INIT_B, _MULT_B)
    state = np.stack([out(pool[i % _POOL]) for i in range(2 * n_words)], axis=1)  # (size, 2 n_words) uint32
    return np.ascontiguousarray(state.astype("<u4")).view("<u8").astype(np.uint64)


def _hasher(init: int, mult: int):
    """SeedSequence's hashmix on uint32 arrays, with its running constant (the same for every seed)."""
    const = init

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal const
        value = value ^ np.uint32(const)
        const = (const * mult) & _MASK
        value = value * np.uint32(const)
        return value ^ (value >> np.uint32(16))

    return hashmix


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
    return result ^ (result >> np.uint32(16))


class UniformStream:
    """Monthly blocks of uniforms for a batch of replicates from one purpose.

    ``month(t)`` returns an (R, width) array for step t (1-based). Blocks of ``block`` months are
    drawn per replicate in order; drawing (a + b) rows at once equals drawing a then b, so the
    block size affects speed only. A year at a time: the blocks are small enough (at most a few
    MB) to be served from memory the process already holds, where 60-month blocks (some 110 MB
    over the benchmark's eleven streams at 1,000 replicates) cost a page fault per fresh 4 KiB page.
    """

    def __init__(self, seeds: np.ndarray, purpose: int, name: str, width: int, block: int = 12, threads: int = 1):
        self.width = width
        self.block = block
        self.threads = threads
        self._state = pcg_states(seeds, purpose, name)  # each replicate's generator (compiled PCG64)
        self._first = 1
        self._data = np.empty((len(seeds), 0, width))

    def month(self, step: int) -> np.ndarray:
        while step >= self._first + self._data.shape[1]:
            self._first += self._data.shape[1]
            # every replicate's next block in one compiled call: the uniforms of g.random((block, width))
            self._data = uniforms(self._state, np.empty((self._state.shape[0], self.block, self.width)), self.threads)
        return self._data[:, step - self._first, :]


def attempt_draws(seeds: np.ndarray, name: str, attempts: int, deciders: int) -> np.ndarray:
    """(R, attempts, width) uniforms for a move's attempts: one per decider, ratifier, the
    proposer's tabling and each act carried out at enactment (MoveSpec.n_attempt_draws)."""
    return uniforms(pcg_states(seeds, MOVE_ATTEMPTS, name), np.empty((len(seeds), attempts, deciders)))
