"""numpy's PCG64 and its uniform doubles, compiled for a batch of streams (sim/numerics/streams.py).

A batch of 1,000 replicates owns some 22,000 generators; building them as numpy Generators and
filling each one's block through a Python call was about a tenth of a run. Here a batch's
streams are one (k, 4) uint64 array and one compiled call fills every stream's block. The
arithmetic is numpy's, bit for bit (tests/test_streams.py checks draws against numpy's
``Generator(PCG64(SeedSequence(...))).random``):

* state: a 128-bit LCG, state <- state * M + inc (mod 2**128), M numpy's PCG_DEFAULT_MULTIPLIER_128;
  each draw steps first, then outputs the XSL-RR of the new state (rotate hi ^ lo right by the
  top 6 bits of the state);
* seeding (``pcg64_set_seed``): the seed sequence's four words w give initstate = (w0, w1) and
  initseq = (w2, w3) as (high, low) halves; inc = 2 initseq + 1; state = 0, step,
  state += initstate, step;
* a uniform double is (x >> 11) * 2**-53 (numpy's ``next_double``).

128-bit values are (high, low) pairs of uint64; every constant is a uint64, so that numba never
mixes signed and unsigned integers (which it would compute in floating point). The high half of
a 64 x 64-bit product is one widening multiply (an LLVM i128 intrinsic): about half the time of
each draw (3.6 -> 1.8 ns measured) compared with four 32-bit partial products.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

_MULT_HI = np.uint64(2549297995355413924)  # 0x2360ED051FC65DA4
_MULT_LO = np.uint64(4865540595714422341)  # 0x4385DF649FCCF645
_M32 = np.uint64(0xFFFFFFFF)
_U0, _U1, _U11, _U32, _U58, _U63, _U64 = (np.uint64(v) for v in (0, 1, 11, 32, 58, 63, 64))
_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53


@intrinsic
def _mulhi(typingctx, a, b):
    """High 64 bits of the 128-bit product of two uint64: one widening multiply (LLVM's i128,
    a single instruction on x86-64 and arm64) instead of four 32-bit partial products."""
    if a != types.uint64 or b != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        return builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))

    return types.uint64(types.uint64, types.uint64), codegen


@njit(cache=True, nogil=True, inline="always")
def _mulhi_reference(a, b):
    """_mulhi from four 32-bit partial products (tests/test_streams.py checks they agree)."""
    a_lo, a_hi = a & _M32, a >> _U32
    b_lo, b_hi = b & _M32, b >> _U32
    p0 = a_lo * b_lo
    p1 = a_lo * b_hi
    p2 = a_hi * b_lo
    mid = (p0 >> _U32) + (p1 & _M32) + (p2 & _M32)
    return a_hi * b_hi + (p1 >> _U32) + (p2 >> _U32) + (mid >> _U32)


@njit(cache=True, nogil=True, inline="always")
def _step(hi, lo, inc_hi, inc_lo):
    """state * M + inc (mod 2**128)."""
    new_hi = _mulhi(lo, _MULT_LO) + hi * _MULT_LO + lo * _MULT_HI
    new_lo = lo * _MULT_LO
    out_lo = new_lo + inc_lo
    carry = _U1 if out_lo < new_lo else _U0
    return new_hi + inc_hi + carry, out_lo


@njit(cache=True, nogil=True)
def seed(words, state):
    """``state`` (k, 4) uint64 [state high, state low, inc high, inc low] of PCG64 seeded with
    each row of ``words`` (k, 4), a seed sequence's generate_state(4, uint64)."""
    for q in range(words.shape[0]):
        inc_hi = (words[q, 2] << _U1) | (words[q, 3] >> _U63)
        inc_lo = (words[q, 3] << _U1) | _U1
        hi, lo = _step(_U0, _U0, inc_hi, inc_lo)
        lo2 = lo + words[q, 1]
        hi = hi + words[q, 0] + (_U1 if lo2 < lo else _U0)
        hi, lo = _step(hi, lo2, inc_hi, inc_lo)
        state[q, 0], state[q, 1], state[q, 2], state[q, 3] = hi, lo, inc_hi, inc_lo


@njit(cache=True, nogil=True, inline="always")
def _double(hi, lo):
    """The XSL-RR output of a state, as a uniform double in [0, 1)."""
    v = hi ^ lo
    rot = hi >> _U58
    v = (v >> rot) | (v << ((_U64 - rot) & _U63))
    return np.float64(v >> _U11) * _DOUBLE


@njit(cache=True, nogil=True)
def fill_uniform(state, out):
    """out[q] (any shape after the first axis, C order) <- the next uniform doubles of stream q,
    as numpy's ``Generator.random(out=out[q])``; ``state`` advances. Four streams are stepped
    side by side (each step waits for the last one's multiply; four chains overlap)."""
    k = out.shape[0]
    flat = out.reshape(k, out.size // k) if k else out.reshape(0, 0)
    m = flat.shape[1]
    q = 0
    while q + 4 <= k:
        h0, l0, a0, b0 = state[q, 0], state[q, 1], state[q, 2], state[q, 3]
        h1, l1, a1, b1 = state[q + 1, 0], state[q + 1, 1], state[q + 1, 2], state[q + 1, 3]
        h2, l2, a2, b2 = state[q + 2, 0], state[q + 2, 1], state[q + 2, 2], state[q + 2, 3]
        h3, l3, a3, b3 = state[q + 3, 0], state[q + 3, 1], state[q + 3, 2], state[q + 3, 3]
        for x in range(m):
            h0, l0 = _step(h0, l0, a0, b0)
            h1, l1 = _step(h1, l1, a1, b1)
            h2, l2 = _step(h2, l2, a2, b2)
            h3, l3 = _step(h3, l3, a3, b3)
            flat[q, x] = _double(h0, l0)
            flat[q + 1, x] = _double(h1, l1)
            flat[q + 2, x] = _double(h2, l2)
            flat[q + 3, x] = _double(h3, l3)
        state[q, 0], state[q, 1] = h0, l0
        state[q + 1, 0], state[q + 1, 1] = h1, l1
        state[q + 2, 0], state[q + 2, 1] = h2, l2
        state[q + 3, 0], state[q + 3, 1] = h3, l3
        q += 4
    for q in range(q, k):
        hi, lo, inc_hi, inc_lo = state[q, 0], state[q, 1], state[q, 2], state[q, 3]
        for x in range(m):
            hi, lo = _step(hi, lo, inc_hi, inc_lo)
            flat[q, x] = _double(hi, lo)
        state[q, 0], state[q, 1] = hi, lo
