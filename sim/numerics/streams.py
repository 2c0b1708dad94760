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

CRISIS, MOVE_ATTEMPTS, MOVE_MONTHLY, TYPES = 0, 1, 2, 3


def replicate_seeds(master_seed: int, replicates: int) -> np.ndarray:
    """Seeds of the replicates of a batch: replicate 0 is the master seed itself, replicate r
    gets a 63-bit seed hashed from (master, r). Any replicate can be rerun alone with its seed."""
    seeds = [int(master_seed)]
    for r in range(1, replicates):
        word = np.random.SeedSequence([int(master_seed), r]).generate_state(1, np.uint64)[0]
        seeds.append(int(word >> np.uint64(1)))
    return np.array(seeds, dtype=np.int64)


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def generator(seed: int, purpose: int, name: str = "") -> np.random.Generator:
    """The Generator of one replicate for one purpose (and move id)."""
    key = (purpose, _key(name)) if name else (purpose,)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=key)))


class UniformStream:
    """Monthly blocks of uniforms for a batch of replicates from one purpose.

    ``month(t)`` returns an (R, width) array for step t (1-based). Blocks of ``block`` months are
    drawn per replicate in order; drawing (a + b) rows at once equals drawing a then b, so the
    block size affects speed only.
    """

    def __init__(self, seeds: np.ndarray, purpose: int, name: str, width: int, block: int = 60):
        self.width = width
        self.block = block
        self._gens = [generator(s, purpose, name) for s in seeds]
        self._first = 1
        self._data = np.empty((len(seeds), 0, width))

    def month(self, step: int) -> np.ndarray:
        while step >= self._first + self._data.shape[1]:
            self._first += self._data.shape[1]
            self._data = np.stack([g.random((self.block, self.width)) for g in self._gens])
        return self._data[:, step - self._first, :]


def attempt_draws(seeds: np.ndarray, name: str, attempts: int, deciders: int) -> np.ndarray:
    """(R, attempts, width) uniforms for a move's attempts: one per decider, ratifier, the
    proposer's tabling and each act carried out at enactment (MoveSpec.n_attempt_draws)."""
    return np.stack([generator(s, MOVE_ATTEMPTS, name).random((attempts, deciders)) for s in seeds])
