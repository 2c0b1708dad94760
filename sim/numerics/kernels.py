"""Compiled (numba) kernels of the monthly belief update: the equations of sim/mechanisms/dynamics.py
fused into one pass per replicate, so a replicate's 23 x 23 matrices stay in the CPU cache
instead of streaming each (R, n, n) array through memory some 25 times a month.

Each kernel loops over replicates and, inside, over fixed index ranges in a fixed order, so a
replicate's result does not depend on how many replicates are advanced together. No fast-math:
every operation is IEEE double precision, as in numpy. A test checks the engine's update against
the pure kernels of sim/mechanisms/dynamics.py; tests/test_kernels.py checks the kernels reworked
for speed against their plain references exactly. Compiled code is cached next to this file on first use.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def social_step(own, rho_prior, keep, social, infl_rows, infl_weights, stubbornness, same_bloc,
                comp_index, comp_members, comp_starts, neg_social32):
    """In place: forgetting of ``own`` (L_own <- keep L_own + rho L_prior), then one
    Friedkin-Johnsen step into ``social`` (pooling the previous month's social views of bloc
    peers), then composites' rows as the mean of their members' rows (own diagonal kept).
    ``neg_social32`` receives -L rounded to single precision (as numpy's negative into a float32
    array gives it), ready for numpy's float32 exp without another pass over L."""
    R, n = own.shape[0], own.shape[1]
    n_infl = infl_rows.shape[0]
    pooled = np.empty((n_infl, n))
    for r in range(R):
        for i in range(n):
            for j in range(n):
                own[r, i, j] = own[r, i, j] * keep + rho_prior[i, j]
        for a in range(n_infl):  # sum over peers m in index order, each row a contiguous pass
            for k in range(n):
                pooled[a, k] = 0.0
            for m in range(n):
                w = infl_weights[a, m]
                if w != 0.0:
                    for k in range(n):
                        pooled[a, k] += w * social[r, m, k]
        for i in range(n):
            for j in range(n):
                social[r, i, j] = own[r, i, j]
        for a in range(n_infl):
            i = infl_rows[a]
            s = stubbornness[a]
            for k in range(n):
                if not same_bloc[a, k]:
                    social[r, i, k] = s * own[r, i, k] + (1.0 - s) * pooled[a, k]
        _composite_rows(social, r, comp_index, comp_members, comp_starts)
        for i in range(n):
            for j in range(n):
                neg_social32[r, i, j] = np.float32(-social[r, i, j])


@njit(cache=True, nogil=True, error_model="numpy")
def threat_posture_step(exp_neg_social, trust, base, irritant, irritant_keep, irritant_active, neg_cap_mistrust, cap_posture,
                        adjustment, threat, posture, react, fatigue, grievance, ceiling, ceiling_active,
                        comp_index, comp_members, comp_starts, own, posture_evidence, spiral_bias, unverified, low, high):
    """In place: T = 1 / (1 + exp(-L)) from ``exp_neg_social`` (float32, as dyn.sigmoid computes
    it: the sum and the reciprocal in single precision); irritant decay; P* = min(cap_j (wA A[j, i] + wT (1 - T[i, j])) + I[i, j], 1) with a
    zero diagonal (``base`` = cap_j wT + standing irritants); P <- P + theta (P* - P);
    ``base`` and ``grievance`` may be (1, n, n), shared by every replicate (one array less to
    stream each month while no replicate has changed them);
    composites' threat rows; Richardson A <- A (1 - a - kP) + kP + a G, capped at 1 and by
    commitments. The target reads last month's postures (all threat rows before any posture).
    Then each change d = A'[i, j] - A[i, j] is read by j as evidence about i (Jervis' spiral):
    L_own[j, i] -= kappa d (1 + sigma P[j, i]) for a rise, += kappa |d| (1 - sigma P[j, i]) v for a
    fall, v = 1 where a commitment caps A[i, j] (verified) else ``unverified``; clipped to bounds.

    One replicate at a time, each pass a loop over the n * n cells of a replicate's flat,
    contiguous matrices with selects instead of branches, so that the compiler vectorises it
    (every cell's arithmetic is unchanged, so are its bits). The transposed reads (A[j, i] in the
    target, the change of A[i, j] read into L_own[j, i]) go through small transposed scratch
    copies; the diagonal's target (0) is applied after the threat pass. ``error_model="numpy"``
    lets the single-precision reciprocal vectorise (Python's check for a zero divisor would not;
    1 + exp(-L) is never 0). A replicate's threat and posture rows are first read in order
    (_touch), so that the strided reads of the transpose and the diagonal find them in the cache
    (about 15% faster at R = 1000 measured); returns the sum touched (callers ignore it)."""
    R, n = threat.shape[0], threat.shape[1]
    N = n * n
    neg_cap = np.empty(N)  # per cell: -cap_j wT and k_i
    k_cell = np.empty(N)
    for i in range(n):
        for j in range(n):
            neg_cap[i * n + j] = neg_cap_mistrust[j]
            k_cell[i * n + j] = react[i]
    pushed = np.empty(N)  # [i, j]: A[j, i] cap_j wA
    diagonal = np.empty(n)  # threat[i, i] before the step
    change = np.empty(N)  # [i, j]: A'[i, j] - A[i, j]
    seen = np.empty(N)  # [i, j]: v, how a fall of A[i, j] is believed (only with caps)
    change_t = np.empty(N)  # [j, i]: the same, transposed, 0 on the diagonal
    seen_t = np.empty(N)
    e2, tr2, ir2 = exp_neg_social.reshape(R, N), trust.reshape(R, N), irritant.reshape(R, N)
    th2, p2, c2, o2 = threat.reshape(R, N), posture.reshape(R, N), ceiling.reshape(R, N), own.reshape(R, N)
    b2, g2 = base.reshape(base.shape[0], N), grievance.reshape(grievance.shape[0], N)
    sink = 0.0
    for r in range(R):
        th, p = th2[r], p2[r]
        sink += _touch(th2, r) + _touch(p2, r)  # read in order before the strided reads below (as choice_pairs_queued)
        b = b2[r if b2.shape[0] > 1 else 0]  # (1, n, n): the same for every replicate
        g = g2[r if g2.shape[0] > 1 else 0]
        for j in range(n):  # posture read in order, its transpose written to the scratch
            c = cap_posture[j]
            for i in range(n):
                pushed[i * n + j] = p[j * n + i] * c
        for i in range(n):
            diagonal[i] = th[i * n + i]
        _trust_cells(e2[r], tr2[r], N)
        if irritant_active:
            _threat_cells_irritant(tr2[r], neg_cap, b, ir2[r], irritant_keep, pushed, th, adjustment, N)
        else:
            _threat_cells(tr2[r], neg_cap, b, pushed, th, adjustment, N)
        for i in range(n):
            th[i * n + i] = diagonal[i] + (0.0 - diagonal[i]) * adjustment
        _composite_rows(threat, r, comp_index, comp_members, comp_starts)
        if ceiling_active:
            _posture_cells_capped(th, p, k_cell, fatigue, g, c2[r], unverified, change, seen, N)
        else:
            _posture_cells(th, p, k_cell, fatigue, g, change, N)
        if posture_evidence != 0.0:
            for i in range(n):
                for j in range(n):
                    change_t[j * n + i] = change[i * n + j]
                change_t[i * n + i] = 0.0  # a change of the diagonal is not read
            if ceiling_active:
                for i in range(n):
                    for j in range(n):
                        seen_t[j * n + i] = seen[i * n + j]
                _read_cells(o2[r], th, change_t, seen_t, posture_evidence, spiral_bias, low, high, N)
            else:
                _read_cells_unverified(o2[r], th, change_t, unverified, posture_evidence, spiral_bias, low, high, N)
    return sink


@njit(cache=True, nogil=True, error_model="numpy")
def _trust_cells(exp_neg_social, trust, N):
    one = np.float32(1.0)
    for x in range(N):
        trust[x] = np.float64(one / (one + exp_neg_social[x]))


@njit(cache=True, nogil=True, error_model="numpy")
def _threat_cells(trust, neg_cap, base, pushed, threat, adjustment, N):
    for x in range(N):
        target = trust[x] * neg_cap[x] + base[x]
        target += pushed[x]
        target = 1.0 if target > 1.0 else target
        threat[x] += (target - threat[x]) * adjustment


@njit(cache=True, nogil=True, error_model="numpy")
def _threat_cells_irritant(trust, neg_cap, base, irritant, keep, pushed, threat, adjustment, N):
    for x in range(N):
        target = trust[x] * neg_cap[x] + base[x]
        load = irritant[x] * keep
        irritant[x] = load
        target += load
        target += pushed[x]
        target = 1.0 if target > 1.0 else target
        threat[x] += (target - threat[x]) * adjustment


@njit(cache=True, nogil=True, error_model="numpy")
def _posture_cells(threat, posture, k_cell, fatigue, grievance, change, N):
    for x in range(N):
        before = posture[x]
        push = threat[x] * k_cell[x]
        a = before * ((1.0 - fatigue) - push) + push + fatigue * grievance[x]
        a = 1.0 if a > 1.0 else a
        change[x] = a - before
        posture[x] = a


@njit(cache=True, nogil=True, error_model="numpy")
def _posture_cells_capped(threat, posture, k_cell, fatigue, grievance, ceiling, unverified, change, seen, N):
    for x in range(N):
        before = posture[x]
        push = threat[x] * k_cell[x]
        a = before * ((1.0 - fatigue) - push) + push + fatigue * grievance[x]
        a = 1.0 if a > 1.0 else a
        cap = ceiling[x]
        a = cap if a > cap else a
        seen[x] = 1.0 if cap < 1.0 else unverified
        change[x] = a - before
        posture[x] = a


@njit(cache=True, nogil=True, error_model="numpy")
def _read_cells(own, threat, change_t, seen_t, posture_evidence, spiral_bias, low, high, N):
    """Cell y = (j, i): j reads the change of A[i, j] (``change_t``, 0 = nothing to read)."""
    for y in range(N):
        d = change_t[y]
        fear = spiral_bias * threat[y]
        x = posture_evidence * d
        delta = x * (1.0 + fear) if d > 0.0 else x * (1.0 - fear) * seen_t[y]
        before = own[y]
        o = before - delta
        o = low if o < low else o
        o = high if o > high else o
        own[y] = o if d != 0.0 else before


@njit(cache=True, nogil=True, error_model="numpy")
def _read_cells_unverified(own, threat, change_t, unverified, posture_evidence, spiral_bias, low, high, N):
    """_read_cells without caps: every fall is read with ``unverified``."""
    for y in range(N):
        d = change_t[y]
        fear = spiral_bias * threat[y]
        x = posture_evidence * d
        delta = x * (1.0 + fear) if d > 0.0 else x * (1.0 - fear) * unverified
        before = own[y]
        o = before - delta
        o = low if o < low else o
        o = high if o > high else o
        own[y] = o if d != 0.0 else before


@njit(cache=True, nogil=True)
def _composite_rows(matrix, r, comp_index, comp_members, comp_starts):
    """Composite c's row (its own diagonal entry kept) = mean of its members' rows, summed in
    member order. Members are never composites, so the order of composites does not matter."""
    n = matrix.shape[2]
    acc = np.empty(n)
    for c in range(comp_index.shape[0]):
        row = comp_index[c]
        lo, hi = comp_starts[c], comp_starts[c + 1]
        for k in range(n):
            acc[k] = 0.0
        for t in range(lo, hi):
            m = comp_members[t]
            for k in range(n):
                acc[k] += matrix[r, m, k]
        for k in range(n):
            if k != row:
                matrix[r, row, k] = acc[k] / (hi - lo)


@njit(cache=True, nogil=True)
def signal_pairs(own, threat, rows, all_rows, pairs, weights, cost, evidence, hostile, reassurance, spiral_bias,
                 low, high):
    """An observed act on flat (observer, target) ``pairs`` with ``weights``, in replicates ``rows``
    (or every replicate if ``all_rows``), with ``cost`` and log likelihood ratio ``evidence`` per
    listed replicate. L += e w (1 - sigma P) for reassuring evidence (e > 0), L += e w otherwise;
    conciliatory: P -= r c w (1 - sigma P); hostile: P += r c w. L clipped to the trust bounds,
    P to [0, 1]."""
    count = own.shape[0] if all_rows else rows.shape[0]
    for q in range(count):
        r = q if all_rows else rows[q]
        _read_act(own, threat, r, pairs, weights, 0, pairs.shape[0], cost[q], evidence[q], hostile, reassurance,
                  spiral_bias, low, high)


@njit(cache=True, nogil=True)
def choice_pairs(own, threat, rows, all_rows, seeker, senders, u, p_seeker, p_expansionist, llr_taken, llr_refused,
                 cost, starts, pairs, weights, reassurance, spiral_bias, low, high, all_taken):
    """Each of ``senders`` chooses a conciliatory act by its type, and its observers read the
    choice (sim/mechanisms/signals.py, Signals.act), for every listed replicate in one call.

    Sender k takes the act in listed replicate q if u[q, k] < p, p = ``p_seeker[q]`` if it is a
    security seeker there (``seeker`` (R, n)) else ``p_expansionist[q]``; observers then read
    (cost, ``llr_taken``) or (0, ``llr_refused``) on its pairs[starts[k]:starts[k + 1]], as
    signal_pairs does. Probabilities and log likelihood ratios come precomputed (numpy's
    transcendental functions), so this loop only compares and selects. Senders are read in
    order within a replicate, as one signal_pairs call per sender would. ``all_taken[q]`` is
    cleared where any sender refused."""
    count = own.shape[0] if all_rows else rows.shape[0]
    for q in range(count):
        r = q if all_rows else rows[q]
        for k in range(senders.shape[0]):
            taken = u[q, k] < (p_seeker[q] if seeker[r, senders[k]] else p_expansionist[q])
            if not taken:
                all_taken[q] = False
            _read_act(own, threat, r, pairs, weights, starts[k], starts[k + 1], cost[q] if taken else 0.0,
                      llr_taken[q] if taken else llr_refused[q], False, reassurance, spiral_bias, low, high)


@njit(cache=True, nogil=True)
def choice_pairs_queued(own, threat, active, seeker, senders, sender_starts, u, p_seeker, p_expansionist, llr_taken,
                        llr_refused, cost, starts, pairs, weights, reassurance, spiral_bias, low, high):
    """Several choice_pairs calls (the acts of a month's channels) in one pass over the replicates:
    replicate r runs act a = 0, 1, ... where ``active[a, r]``, each act's senders
    senders[sender_starts[a]:sender_starts[a + 1]] in order, exactly as the calls one after
    another would (a replicate's own and threat rows are then fetched once, not once per act).
    Per-act tables are (A, R), indexed by replicate; u is (R, total senders), the columns of act
    a at its senders' positions; a sender's pairs are pairs[starts[k]:starts[k + 1]]. Whether all
    senders took the act is not returned (channels do not use it).

    Each replicate's own and threat rows are first read in order, one value per 64-byte cache
    line (_touch): the pairs jump about the matrices, an order the hardware prefetcher does not
    follow, so at R = 1000 (the rows no longer in the cache) the reads would wait for memory one
    after another; read in order they stream (about 15% faster measured, same numbers). Only
    when the acts have at least n * n / 2 pairs in all: a few pairs touch a few lines, which
    reading whole rows would make slower (0.78 -> 1.07 ms measured for 42 pairs). Returns the
    sum of the values touched (so that the compiler keeps the reads; callers ignore it)."""
    R = own.shape[0]
    touch = 2 * pairs.shape[0] >= own.shape[1]
    sink = 0.0
    for r in range(R):
        if touch:
            sink += _touch(own, r) + _touch(threat, r)
        for a in range(active.shape[0]):
            if not active[a, r]:
                continue
            for k in range(sender_starts[a], sender_starts[a + 1]):
                taken = u[r, k] < (p_seeker[a, r] if seeker[r, senders[k]] else p_expansionist[a, r])
                _read_act(own, threat, r, pairs, weights, starts[k], starts[k + 1], cost[a, r] if taken else 0.0,
                          llr_taken[a, r] if taken else llr_refused[a, r], False, reassurance, spiral_bias, low, high)
    return sink


@njit(cache=True, nogil=True, inline="always")
def _touch(flat, r):
    """Read row r of a (R, n * n) float64 array in order, one value per 64-byte cache line."""
    acc = 0.0
    for x in range(0, flat.shape[1], 8):
        acc += flat[r, x]
    return acc


@njit(cache=True, nogil=True, inline="always")
def _read_act(own, threat, r, pairs, weights, lo, hi, c, e, hostile, reassurance, spiral_bias, low, high):
    """One act with cost ``c`` and log likelihood ratio ``e`` read on pairs[lo:hi] of replicate r
    (the update signal_pairs documents)."""
    for p in range(lo, hi):
        idx = pairs[p]
        w = weights[p]
        t = threat[r, idx]
        discount = 1.0 - spiral_bias * t
        if e > 0.0:
            new_own = own[r, idx] + e * w * discount
        else:
            new_own = own[r, idx] + e * w
        if hostile:
            t = t + reassurance * c * w
            if t > 1.0:
                t = 1.0
        else:
            t = t - reassurance * c * w * discount
            if t < 0.0:
                t = 0.0
        if new_own < low:
            new_own = low
        if new_own > high:
            new_own = high
        own[r, idx] = new_own
        threat[r, idx] = t


@njit(cache=True, nogil=True)
def segment_means(values, index, starts, slots, scale, out):
    """out[r, slots[g]] += scale[g] * sum of values[r, index[starts[g]:starts[g + 1]]] for each
    segment g in order (crisis tension: a slot's one or two means over threat pairs).

    Four replicates at a time, each with its own running sum (the same additions in the same
    order as one at a time): a single sum is a chain of dependent additions, four overlap. Their
    rows are first read in order (_touch, as choice_pairs_queued does: 0.68 -> 0.41 ms at R =
    1000 measured; returns the sum touched)."""
    R = values.shape[0]
    r = 0
    sink = 0.0
    touch = 2 * index.shape[0] >= values.shape[1]  # enough pairs to read whole rows (as choice_pairs_queued)
    while r + 4 <= R:
        if touch:
            for q in range(r, r + 4):
                sink += _touch(values, q)  # rows read in order first (as choice_pairs_queued)
        for g in range(slots.shape[0]):
            a0 = a1 = a2 = a3 = 0.0
            for t in range(starts[g], starts[g + 1]):
                x = index[t]
                a0 += values[r, x]
                a1 += values[r + 1, x]
                a2 += values[r + 2, x]
                a3 += values[r + 3, x]
            out[r, slots[g]] += scale[g] * a0
            out[r + 1, slots[g]] += scale[g] * a1
            out[r + 2, slots[g]] += scale[g] * a2
            out[r + 3, slots[g]] += scale[g] * a3
        r += 4
    for r in range(r, R):
        for g in range(slots.shape[0]):
            acc = 0.0
            for t in range(starts[g], starts[g + 1]):
                acc += values[r, index[t]]
            out[r, slots[g]] += scale[g] * acc
    return sink


@njit(cache=True, nogil=True)
def crisis_damage(own, threat, trust, rows, hit_row, hit_slot, fixed, attributive, bias, has_dense, dense, pairs,
                  pair_starts, shares, evidence, fear_damped, fear_plain, weight, low, high):
    """The month's crises (docs/model.md §7.5), per replicate: for each hit (row, slot) in slot
    order and each pair x = (i, j), the hit's log likelihood ratio e about target j
    (``evidence`` (h, n): a conflict contained or escalated, sim/mechanisms/crises.py) read with
    weight w = F_s + A_s m ** b, m = 1 - T[i, j] for bad news (e < 0: the distrusted are
    blamed) and T[i, j] for good news (friends are credited); bad news is damped by the
    channels' D. gain += w_fear (f_d D + f_p) with w_fear = F_s + A_s (1 - T) ** b. Then
    L_own += weight * sum, clipped to the trust bounds, and P += gain (capped at 1). ``hit_row``
    indexes ``rows`` and is sorted. Each hit's channel dampening D through pair x is the smallest
    of dense[p, x] (if ``has_dense``) and the ``shares[p, k]`` of the structures k whose pairs
    pairs[pair_starts[k]:pair_starts[k + 1]] include x (sim/mechanisms/structures.py: DamageShares)."""
    P = own.shape[1]
    n = evidence.shape[1]
    delta = np.empty(P)
    gain = np.empty(P)
    through = np.empty(P)
    h = hit_row.shape[0]
    p = 0
    while p < h:
        q = hit_row[p]
        r = rows[q]
        for x in range(P):
            delta[x] = 0.0
            gain[x] = 0.0
        while p < h and hit_row[p] == q:
            s = hit_slot[p]
            for x in range(P):
                through[x] = dense[p, x] if has_dense else 1.0
            for k in range(shares.shape[1]):
                v = shares[p, k]
                if v < 1.0:
                    for t in range(pair_starts[k], pair_starts[k + 1]):
                        x = pairs[t]
                        through[x] = v if v < through[x] else through[x]
            for x in range(P):
                f = fixed[s, x]
                a = attributive[s, x]
                if f == 0.0 and a == 0.0:
                    continue
                d = through[x]
                e = evidence[p, x % n]
                t = trust[r, x]
                if a != 0.0:
                    m = 1.0 - t
                    w_fear = f + a * (m * m if bias == 2.0 else m ** bias)
                else:
                    w_fear = f
                if e < 0.0:
                    delta[x] += w_fear * e * d
                elif e > 0.0:
                    w = f + a * (t * t if bias == 2.0 else t ** bias) if a != 0.0 else f
                    delta[x] += w * e
                gain[x] += w_fear * (fear_damped[p] * d + fear_plain[p])
            p += 1
        for x in range(P):
            o = own[r, x] + weight * delta[x]
            if o < low:
                o = low
            if o > high:
                o = high
            own[r, x] = o
            t = threat[r, x] + gain[x]
            threat[r, x] = t if t < 1.0 else 1.0


@njit(cache=True, nogil=True, error_model="numpy")
def column_means(trust, threat, posture, source, index, starts, out):
    """out[r, c] = mean of one state array (``source[c]``: 0 trust, 1 threat, 2 posture) over the
    flat pairs index[starts[c]:starts[c + 1]] (a single pair for a dyad column). Long sums use
    four running partial sums (a fixed order, so still deterministic) to break the chain of
    dependent additions. Two replicates at a time, each with its own four sums in the same order
    (the index list is read once for both, and the two chains overlap); their rows are first read
    in order (_touch, as choice_pairs_queued does: the index jumps about; returns the sum touched)."""
    R = trust.shape[0]
    C = source.shape[0]
    r = 0
    sink = 0.0
    touch = 2 * index.shape[0] >= trust.shape[1]  # enough pairs to read whole rows (as choice_pairs_queued)
    while r + 2 <= R:
        if touch:
            for q in range(r, r + 2):
                sink += _touch(trust, q) + _touch(threat, q) + _touch(posture, q)
        for c in range(C):
            lo, hi = starts[c], starts[c + 1]
            a = trust if source[c] == 0 else (threat if source[c] == 1 else posture)
            x0, x1 = a[r], a[r + 1]
            s0 = s1 = s2 = s3 = 0.0
            u0 = u1 = u2 = u3 = 0.0
            t = lo
            while t + 4 <= hi:
                i0, i1, i2, i3 = index[t], index[t + 1], index[t + 2], index[t + 3]
                s0 += x0[i0]
                s1 += x0[i1]
                s2 += x0[i2]
                s3 += x0[i3]
                u0 += x1[i0]
                u1 += x1[i1]
                u2 += x1[i2]
                u3 += x1[i3]
                t += 4
            while t < hi:
                s0 += x0[index[t]]
                u0 += x1[index[t]]
                t += 1
            out[r, c] = ((s0 + s1) + (s2 + s3)) / (hi - lo)
            out[r + 1, c] = ((u0 + u1) + (u2 + u3)) / (hi - lo)
        r += 2
    for r in range(r, R):
        for c in range(C):
            lo, hi = starts[c], starts[c + 1]
            a = trust if source[c] == 0 else (threat if source[c] == 1 else posture)
            s0 = s1 = s2 = s3 = 0.0
            t = lo
            while t + 4 <= hi:
                s0 += a[r, index[t]]
                s1 += a[r, index[t + 1]]
                s2 += a[r, index[t + 2]]
                s3 += a[r, index[t + 3]]
                t += 4
            while t < hi:
                s0 += a[r, index[t]]
                t += 1
            out[r, c] = ((s0 + s1) + (s2 + s3)) / (hi - lo)
    return sink


@njit(cache=True, nogil=True)
def brier(trust, seeker, mask, out):
    """out[r] = mean over the pairs where ``mask`` of (T[r, i, j] - seeker[r, j])^2: the Brier
    score of trust as a forecast of the target's type (outcome belief_error).

    Four replicates at a time, each summing its pairs in the same order (as segment_means). The
    outcome 1 or 0 is the type converted to a number, not a branch (types are random, so a branch
    would be mispredicted about half the time)."""
    R, n = trust.shape[0], trust.shape[1]
    pairs = np.flatnonzero(mask.ravel())  # row-major, the order of the sum
    count = pairs.shape[0]
    target = pairs % n  # each pair's j, computed once (an integer division per pair and replicate was most of the cost)
    flat = trust.reshape(R, n * n)
    r = 0
    while r + 4 <= R:
        a0 = a1 = a2 = a3 = 0.0
        for p in range(count):
            x = pairs[p]
            j = target[p]
            d0 = flat[r, x] - np.float64(seeker[r, j])
            d1 = flat[r + 1, x] - np.float64(seeker[r + 1, j])
            d2 = flat[r + 2, x] - np.float64(seeker[r + 2, j])
            d3 = flat[r + 3, x] - np.float64(seeker[r + 3, j])
            a0 += d0 * d0
            a1 += d1 * d1
            a2 += d2 * d2
            a3 += d3 * d3
        out[r] = a0 / count
        out[r + 1] = a1 / count
        out[r + 2] = a2 / count
        out[r + 3] = a3 / count
        r += 4
    for r in range(r, R):
        acc = 0.0
        for p in range(count):
            d = flat[r, pairs[p]] - np.float64(seeker[r, target[p]])
            acc += d * d
        out[r] = acc / count


@njit(cache=True, nogil=True)
def pair_means(flat, rows, pairs, out):
    """out[q] = mean of flat[rows[q], pairs], summed in the order of ``pairs`` (one replicate's
    value never depends on the other rows listed: channel suspension's mean trust)."""
    for q in range(rows.shape[0]):
        out[q] = _pair_mean(flat, rows[q], pairs)


@njit(cache=True, nogil=True, inline="always")
def _pair_mean(flat, r, pairs):
    """Mean of flat[r, pairs], summed in the order of ``pairs``."""
    acc = 0.0
    for t in range(pairs.shape[0]):
        acc += flat[r, pairs[t]]
    return acc / pairs.shape[0]


@njit(cache=True, nogil=True)
def richardson_threat(threat, posture, cap, mistrust, irritant, off_diagonal, held, held_value, theta, w_posture, out):
    """One set-up month of threat with beliefs fixed (sim/core/equilibrium.py), element by
    element the operations of dyn.threat_target and dyn.threat_step on (n, n) matrices:
    P* = clip(cap_j (wA A[j, i] + M[i, j]) + I[i, j], 0, 1) * off[i, j], M = wT (1 - T);
    out = held value where held, else P + theta (P* - P)."""
    n = threat.shape[0]
    for i in range(n):
        for j in range(n):
            raw = cap[j] * (w_posture * posture[j, i] + mistrust[i, j])
            t = raw + irritant[i, j]
            t = 0.0 if t < 0.0 else t
            t = 1.0 if t > 1.0 else t
            t = t * off_diagonal[i, j]
            out[i, j] = held_value[i, j] if held[i, j] else threat[i, j] + theta * (t - threat[i, j])


@njit(cache=True, nogil=True)
def richardson_posture(posture, threat, k, fatigue, grievance, out):
    """One set-up month of posture (dyn.posture_step without caps), element by element:
    A' = clip(A + k_i P (1 - A) - a (A - G), 0, 1). Returns the largest |A' - A|."""
    n = posture.shape[0]
    change = 0.0
    for i in range(n):
        for j in range(n):
            a = posture[i, j]
            g = a + k[i] * threat[i, j] * (1.0 - a) - fatigue * (a - grievance[i, j])
            g = 0.0 if g < 0.0 else g
            g = 1.0 if g > 1.0 else g
            out[i, j] = g
            c = abs(g - a)
            change = c if c > change else change
    return change


@njit(cache=True, nogil=True)
def suspensions(flat, rows, strength, draws, pairs, base, hit, p_hit):
    """Channel suspension after an escalation in replicates ``rows``: row r is suspended where the
    channel is open (strength[r] > 0) and draws[r] < p = base (1 - mean of flat[r, pairs]), the
    mean summed as pair_means does (computed only where draws[r] < base: p is below it). Writes
    the suspended rows, in order, and their p into ``hit`` and ``p_hit``; returns their number."""
    count = 0
    for q in range(rows.shape[0]):
        r = rows[q]
        u = draws[r]
        if strength[r] > 0.0 and u < base:
            p = base * (1.0 - _pair_mean(flat, r, pairs))
            if u < p:
                hit[count] = r
                p_hit[count] = p
                count += 1
    return count
