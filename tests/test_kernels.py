"""Compiled kernels against their numpy references: each must give exactly the same numbers
(the speed work keeps every replicate bit-identical), on states pushed away from equilibrium so
that every branch (bounds, signs, diagonal, caps) is exercised."""

from __future__ import annotations

import numpy as np
import pytest

from sim.mechanisms.signals import act_reference
from sim.model import EurosecModel


@pytest.fixture(scope="module")
def moved_model():
    """Five replicates a year into a run with a channel (members acting every month)."""
    model = EurosecModel(rng=7, replicates=5, scenario="baseline_2010", options="nrc", record_events=False)
    return model.run(12)


def _randomised_state(model, seed: int) -> None:
    eng, rng = model.engine, np.random.default_rng(seed)
    s = eng.state
    low, high = eng.logit_bounds
    s.threat[:] = rng.uniform(0.0, 1.0, s.threat.shape)
    s.own[:] = rng.uniform(low, high, s.own.shape)
    s.own[:, :, ::4] = high  # some pairs at the bounds, so that clipping is exercised
    s.own[:, :, 1::5] = low


@pytest.mark.parametrize("rows", [None, [0, 2, 3]])
def test_compiled_choices_equal_the_numpy_reference(moved_model, rows):
    """Signals.act_each (kernels.choice_pairs with tables per distinct cost) computes exactly
    act_reference: each sender's choice by type, then its reading, sender after sender."""
    model = moved_model
    eng, d = model.engine, model.spec.dynamics
    _randomised_state(model, 3)
    rng = np.random.default_rng(4)
    rows = np.arange(eng.R) if rows is None else np.array(rows)
    senders = (0, 5, 9, 5)  # a sender twice: its second act reads the state its first one left
    observers = [None, (0, 1, 2, 3, 9), (), None]
    cost = rng.choice([0.0, 0.2, 0.45, 0.45, 0.9], rows.size)  # repeated costs, as a phase-in ramp gives
    u = rng.uniform(0.0, 1.0, (rows.size, len(senders)))
    u[0] = 0.0  # all taken in the first row
    s = eng.state
    before = s.own.copy()
    own, threat = s.own.copy(), s.threat.copy()
    weights = [eng.signal_weights((k,), o) for k, o in zip(senders, observers)]
    expected = act_reference(own, threat, rows, weights, cost, u, s.seeker[rows][:, list(senders)], eng.choice,
                             d.reassurance, d.spiral_bias, *eng.logit_bounds)
    taken = eng.act_each(rows, senders, observers, cost, u)
    np.testing.assert_array_equal(taken, expected)
    assert taken[0] and not taken.all() and not np.array_equal(own, before)
    np.testing.assert_array_equal(s.own, own)
    np.testing.assert_array_equal(s.threat, threat)


def test_act_with_shared_observers_equals_act_each(moved_model):
    """act (one observer set for all senders) is act_each with that set repeated."""
    model = moved_model
    eng = model.engine
    rng = np.random.default_rng(5)
    u = rng.uniform(0.0, 1.0, (eng.R, 2))
    _randomised_state(model, 6)
    first = eng.act(np.arange(eng.R), (0, 5), (1, 2, 3), 0.3, u)
    own, threat = eng.state.own.copy(), eng.state.threat.copy()
    _randomised_state(model, 6)
    second = eng.act_each(np.arange(eng.R), (0, 5), [(1, 2, 3), (1, 2, 3)], 0.3, u)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(eng.state.own, own)
    np.testing.assert_array_equal(eng.state.threat, threat)


def test_queued_acts_equal_acting_at_once(moved_model):
    """Acts queued (a month's channels, sim/mechanisms/signals.py: queue_act_each) and read
    together by flush_acts give exactly the numbers of act_each called at each queueing: acts on
    different replicate sets, a sender in two acts, costs repeated and distinct."""
    model = moved_model
    eng = model.engine
    rng = np.random.default_rng(8)
    acts = [(np.array([0, 1, 2, 3, 4]), (0, 5, 9), [None, (0, 1, 2, 3, 9), (1, 2)], rng.choice([0.0, 0.2, 0.45], 5)),
            (np.array([1, 3]), (5, 2), [None, None], 0.3),
            (np.array([0, 2, 3, 4]), (9, 0, 5), [(), None, (1, 9)], np.array([0.01, 0.9, 0.01, 0.01]))]
    draws = [rng.uniform(0.0, 1.0, (rows.size, len(senders))) for rows, senders, _, _ in acts]
    _randomised_state(model, 9)
    for (rows, senders, observers, cost), u in zip(acts, draws):
        eng.act_each(rows, senders, observers, cost, u)
    own, threat = eng.state.own.copy(), eng.state.threat.copy()
    _randomised_state(model, 9)
    before = eng.state.own.copy()
    for (rows, senders, observers, cost), u in zip(acts, draws):
        eng.queue_act_each(rows, senders, observers, cost, u)
    np.testing.assert_array_equal(eng.state.own, before)  # nothing read before the flush
    eng.flush_acts()
    assert not np.array_equal(eng.state.own, before)
    np.testing.assert_array_equal(eng.state.own, own)
    np.testing.assert_array_equal(eng.state.threat, threat)


def test_acting_reads_the_queued_acts_first(moved_model):
    """An act after queued ones reads them first (act_each flushes the queue), so the order of a
    replicate's acts is the order in which they were asked for."""
    model = moved_model
    eng = model.engine
    rows = np.arange(eng.R)
    u1, u2 = np.full((eng.R, 2), 0.3), np.full((eng.R, 1), 0.6)
    _randomised_state(model, 10)
    eng.act_each(rows, (0, 5), [None, None], 0.2, u1)
    eng.act_each(rows, (5,), [None], 0.4, u2)
    own = eng.state.own.copy()
    _randomised_state(model, 10)
    eng.queue_act_each(rows, (0, 5), [None, None], 0.2, u1)
    eng.act_each(rows, (5,), [None], 0.4, u2)
    np.testing.assert_array_equal(eng.state.own, own)


@pytest.mark.parametrize("R", [1, 4, 7])
def test_threat_posture_step_equals_its_one_pass_reference(moved_model, R):
    """kernels.threat_posture_step (three passes per replicate) equals the single-pass loop it
    replaced, threat_posture_reference, with irritants decaying, caps binding and the spiral on or off."""
    from sim.numerics import kernels

    model = moved_model
    eng, d = model.engine, model.spec.dynamics
    rng = np.random.default_rng(8)
    s, k = eng.state, eng.beliefs.constants
    n = eng.n
    take = np.arange(R) % eng.R
    base = s.irritant_floor[take] + k["cT"]
    exp_neg = np.exp(-rng.uniform(-4, 4, (R, n, n))).astype(np.float32)
    ceiling = np.where(rng.uniform(size=(R, n, n)) < 0.3, rng.uniform(0.0, 0.5, (R, n, n)), 1.0)
    for active, evidence in ((True, d.posture_evidence), (False, 0.0), (False, d.posture_evidence)):
        state = {name: rng.uniform(0.0, 1.0, (R, n, n)) for name in ("trust", "irritant", "threat", "posture", "grievance")}
        state["own"] = rng.uniform(*eng.logit_bounds, (R, n, n))
        results = []
        for kernel in (kernels.threat_posture_step, threat_posture_reference):
            st = {name: a.copy() for name, a in state.items()}
            kernel(exp_neg, st["trust"], base, st["irritant"], 1.0 - d.irritant_decay, active, k["neg_cT"], k["cA"],
                   d.threat_adjustment, st["threat"], st["posture"], k["react"], d.posture_fatigue, st["grievance"],
                   ceiling, active, k["comp_index"], k["comp_members"], k["comp_starts"], st["own"], evidence,
                   d.spiral_bias, d.unverified_reading, *eng.logit_bounds)
            results.append(st)
        for name in state:
            np.testing.assert_array_equal(results[0][name], results[1][name], err_msg=name)


def threat_posture_reference(exp_neg_social, trust, base, irritant, irritant_keep, irritant_active, neg_cap_mistrust,
                             cap_posture, adjustment, threat, posture, react, fatigue, grievance, ceiling,
                             ceiling_active, comp_index, comp_members, comp_starts, own, posture_evidence, spiral_bias,
                             unverified, low, high):
    """The monthly threat and posture step written as one loop per replicate, element by element
    (the compiled kernel before it was split into passes), in plain Python."""
    R, n = threat.shape[0], threat.shape[1]
    one = np.float32(1.0)
    for r in range(R):
        for i in range(n):
            for j in range(n):
                trust[r, i, j] = one / (one + exp_neg_social[r, i, j])
                target = trust[r, i, j] * neg_cap_mistrust[j] + base[r, i, j]
                if irritant_active:
                    irritant[r, i, j] *= irritant_keep
                    target += irritant[r, i, j]
                target += posture[r, j, i] * cap_posture[j]
                target = min(target, 1.0) if i != j else 0.0
                threat[r, i, j] += (target - threat[r, i, j]) * adjustment
        for c, row in enumerate(comp_index):
            members = comp_members[comp_starts[c]:comp_starts[c + 1]]
            acc = np.zeros(n)
            for m in members:
                acc += threat[r, m]
            keep = threat[r, row, row]
            threat[r, row] = acc / len(members)
            threat[r, row, row] = keep
        for i in range(n):
            for j in range(n):
                push = threat[r, i, j] * react[i]
                a = min(posture[r, i, j] * ((1.0 - fatigue) - push) + push + fatigue * grievance[r, i, j], 1.0)
                if ceiling_active:
                    a = min(a, ceiling[r, i, j])
                change = a - posture[r, i, j]
                posture[r, i, j] = a
                if posture_evidence != 0.0 and change != 0.0 and i != j:
                    fear = spiral_bias * threat[r, j, i]
                    if change > 0.0:
                        o = own[r, j, i] - posture_evidence * change * (1.0 + fear)
                    else:
                        seen = 1.0 if (ceiling_active and ceiling[r, i, j] < 1.0) else unverified
                        o = own[r, j, i] - posture_evidence * change * (1.0 - fear) * seen
                    own[r, j, i] = min(max(o, low), high)


@pytest.mark.parametrize("R", [1, 3, 4, 9])
def test_crisis_tension_and_brier_equal_their_plain_sums(moved_model, R):
    """segment_means and brier (four replicates summed side by side) give each replicate exactly
    the plain in-order sum: crisis tension per slot, the Brier score of trust against the types."""
    from sim.numerics import kernels
    from sim.output.outcomes import _leaf_mask

    eng = moved_model.engine
    rng = np.random.default_rng(9)
    n = eng.n
    threat = rng.uniform(0.0, 1.0, (R, n * n))
    table = eng.crises.table
    seg = table._segments
    tension = np.zeros((R, table.size))
    kernels.segment_means(threat, seg.index, seg.bounds, seg.segment_slots, seg.scale, tension)
    expected = np.zeros((R, table.size))
    for r in range(R):
        for g, slot in enumerate(seg.segment_slots):
            acc = 0.0
            for x in seg.index[seg.bounds[g]:seg.bounds[g + 1]]:
                acc += threat[r, x]
            expected[r, slot] += seg.scale[g] * acc
    np.testing.assert_array_equal(tension, expected)
    assert np.allclose(tension, table.tension(threat.reshape(R, n, n)))

    trust = rng.uniform(0.0, 1.0, (R, n, n))
    seeker = rng.uniform(size=(R, n)) < 0.5
    mask = _leaf_mask(moved_model.spec)
    score = np.empty(R)
    kernels.brier(trust, seeker, mask, score)
    plain = np.empty(R)
    for r in range(R):
        acc = 0.0
        for i, j in zip(*np.nonzero(mask)):
            d = trust[r, i, j] - float(seeker[r, j])
            acc += d * d
        plain[r] = acc / mask.sum()
    np.testing.assert_array_equal(score, plain)


def test_social_step_hands_over_minus_l_in_single_precision(moved_model):
    """social_step's float32 output is exactly numpy's negative of the new L into float32 (the
    pass it replaces before the float32 exp), extremes included."""
    from sim.numerics import kernels

    eng = moved_model.engine
    k = eng.beliefs.constants
    rng = np.random.default_rng(10)
    own = rng.normal(0.0, 5.0, (3, eng.n, eng.n))
    own[0, 0, :4] = [1e-46, -1e-46, 1e300, -0.0]
    social = rng.normal(0.0, 5.0, own.shape)
    out = np.empty(own.shape, dtype=np.float32)
    kernels.social_step(own, k["rho_prior"], k["keep"], social, k["infl_rows"], k["infl_weights"], k["stubbornness"],
                        k["same_bloc"], k["comp_index"], k["comp_members"], k["comp_starts"], out)
    expected = np.empty(own.shape, dtype=np.float32)
    with np.errstate(over="ignore"):
        np.negative(social, out=expected)
    assert out.tobytes() == expected.tobytes()


@pytest.mark.parametrize("members", [(1, 4), (3, 2, 9), (0, 5, 6, 7, 8, 9, 10, 11, 12), tuple(range(23))])
def test_members_mean_trust_does_not_depend_on_the_other_rows(members):
    """Channel suspension's mean trust among members: each replicate's value is the mean of its
    off-diagonal member pairs, the same bits alone and among any other replicates (numpy's sum
    over the gathered block, used before, changed its order with the number of rows)."""
    from sim.mechanisms.effects.channels import members_mean_trust

    rng = np.random.default_rng(len(members))
    trust = rng.uniform(0.0, 1.0, (40, 23, 23)) * rng.choice([1e-3, 1.0, 1e3], (40, 1, 1))
    m = len(members)
    alone = np.array([members_mean_trust(trust, np.array([r]), members)[0] for r in range(40)])
    for r in range(40):
        sub = trust[r][np.ix_(members, members)]
        assert alone[r] == pytest.approx((sub.sum() - np.trace(sub)) / (m * (m - 1)), rel=1e-13)
    for k in (2, 3, 5, 8, 17, 40):
        rows = np.sort(rng.choice(40, k, replace=False))
        assert members_mean_trust(trust, rows, members).tobytes() == alone[rows].tobytes()


def test_shared_floors_equal_the_full_arrays():
    """While no replicate's standing irritants or posture floors have changed, the monthly update
    reads one (1, n, n) copy of each (Beliefs.floor_shared, grievance_shared); a run that reads
    the full (R, n, n) arrays throughout gives exactly the same states, before and after a
    history move relieves irritants and raises posture floors in some replicates."""
    def run(shared: bool):
        model = EurosecModel(rng=11, replicates=6, scenario="history_2008_2015", record_events=False)
        if not shared:
            model.engine.beliefs.floor_shared = model.engine.beliefs.grievance_shared = False
            model.engine.beliefs._base = None
        model.run(40)
        return model

    shared, full = run(True), run(False)
    assert not shared.engine.beliefs.floor_shared and not shared.engine.beliefs.grievance_shared  # both changed
    for name in ("own", "social", "trust", "threat", "posture", "grievance", "irritant_floor"):
        np.testing.assert_array_equal(getattr(shared.engine.state, name), getattr(full.engine.state, name))


def test_act_tables_equal_the_elementwise_choice_model(moved_model):
    """ChoiceModel.act_tables (computed once per distinct cost, cached across calls) gives every
    entry exactly what the elementwise methods give it, for one cost, a few, and again from the cache."""
    choice = moved_model.engine.choice
    for cost in (np.full(7, 0.003), np.array([0.0, 0.2, 0.45, 0.2, 0.0]), np.full(3, 0.003), np.array([0.45, 0.2])):
        for _ in range(2):
            tables = choice.act_tables(cost)
            expected = (choice.probability(cost, np.ones(cost.size, dtype=bool)),
                        choice.probability(cost, np.zeros(cost.size, dtype=bool)), choice.taken(cost), choice.refused(cost))
            for got, want in zip(tables, expected):
                assert got.shape == cost.shape and got.tobytes() == want.tobytes()


@pytest.mark.parametrize("R", [1, 2, 3, 5])
def test_column_means_equal_their_plain_sums(moved_model, R):
    """kernels.column_means (two replicates side by side) gives each replicate exactly the plain
    mean with four running partial sums in index order, for every recorded state column."""
    from sim.numerics import kernels
    from sim.output import outcomes

    rec = moved_model.recorder
    source, index, starts = outcomes.state_plan(moved_model.spec, [rec.outcome_columns[k] for k in rec._state_at])
    rng = np.random.default_rng(12)
    n = moved_model.engine.n
    arrays = [rng.uniform(0.0, 1.0, (R, n * n)) * rng.choice([1e-3, 1.0, 1e3], (R, 1)) for _ in range(3)]
    out = np.empty((R, source.size))
    kernels.column_means(*arrays, source, index, starts, out)
    for r in range(R):
        for c in range(source.size):
            values = arrays[source[c]][r, index[starts[c]:starts[c + 1]]]
            acc = [0.0, 0.0, 0.0, 0.0]
            full = values.size - values.size % 4
            for t in range(full):
                acc[t % 4] += values[t]
            for t in range(full, values.size):
                acc[0] += values[t]
            assert out[r, c] == ((acc[0] + acc[1]) + (acc[2] + acc[3])) / values.size


def _richardson_reference(spec, trust, comps):
    """The set-up iteration written with the numpy functions of sim/mechanisms/dynamics.py."""
    from sim.mechanisms import dynamics as dyn

    d, roster, init = spec.dynamics, spec.roster, spec.initial
    posture = init["posture"][None].copy()
    ones = np.ones_like(posture)
    threat = np.where(init["threat_set"], init["threat"], 0.0)[None]
    for _ in range(d.equilibrate_months):
        target = dyn.threat_target(trust, posture, init["irritant"][None], roster.capability,
                                   d.threat_posture_weight, d.threat_mistrust_weight)
        nxt_threat = np.where(init["threat_set"], init["threat"], dyn.threat_step(threat, target, d.threat_adjustment))
        dyn.composite_rows(nxt_threat, comps)
        nxt_posture = dyn.posture_step(posture, nxt_threat, init["posture"][None], ones, roster.hawkishness,
                                       d.posture_reactivity, d.posture_fatigue)
        done = max(np.max(np.abs(nxt_threat - threat)), np.max(np.abs(nxt_posture - posture))) < 1e-14
        threat, posture = nxt_threat, nxt_posture
        if done:
            break
    return threat[0], posture[0]


@pytest.mark.parametrize("overrides", [["scenario=baseline_2010"], ["scenario=prewar_2008"],
                                       ["scenario=baseline_2010", "dynamics=calibrated", "dynamics.equilibrate_months=40"]])
def test_set_up_iteration_equals_the_numpy_functions(overrides):
    """The start state's Richardson iteration (compiled element-wise loops, sim/core/equilibrium.py)
    gives the numbers of dyn.threat_target, threat_step and posture_step bit for bit, converged
    or cut short by equilibrate_months."""
    from experiments.ensemble import arm_spec
    from sim.core.equilibrium import composite_members, equilibrium

    spec = arm_spec(overrides)
    eq = equilibrium(spec)
    threat, posture = _richardson_reference(spec, eq["trust"][None], composite_members(spec))
    assert eq["threat"].tobytes() == threat.tobytes()
    assert eq["posture"].tobytes() == posture.tobytes()


def test_crisis_dampening_from_sparse_shares_equals_the_dense_shares():
    """crisis_damage reads each hit's channel dampening from the structures' sparse shares (the
    smallest share through each pair); given the same shares as a dense (h, n*n) array
    (DamageShares.dense, numpy's minimum over the pairs) it gives the same numbers, bit for bit."""
    from sim.mechanisms.structures import DamageShares
    from sim.numerics import kernels

    rng = np.random.default_rng(5)
    R, n, S = 6, 7, 3
    P = n * n
    pairs = [np.sort(rng.choice(P, size, replace=False)) for size in (10, 25, 4)]  # overlapping pair sets
    rows = np.array([0, 2, 3, 5])
    hit_row = np.array([0, 0, 1, 2, 3, 3], dtype=np.int64)  # hits by replicate (sorted), two slots in some
    hit_slot = np.array([0, 2, 1, 1, 0, 2], dtype=np.int64)
    h = hit_row.size
    values = [np.where(rng.uniform(size=h) < 0.3, 1.0, rng.uniform(0.2, 1.0, h)) for _ in pairs]
    shares = DamageShares(h, n, None, pairs, values)
    dense = shares.dense().reshape(h, P)
    assert np.isclose(dense.min(), min(v.min() for v in values))
    fixed = rng.uniform(0, 1, (S, P)) * (rng.uniform(size=(S, P)) < 0.7)
    attributive = rng.uniform(0, 1, (S, P)) * (rng.uniform(size=(S, P)) < 0.5)
    evidence = rng.normal(0, 1, (h, n))
    fear_damped, fear_plain = rng.uniform(0, 0.1, h), rng.uniform(0, 0.1, h)
    results = []
    for sparse in (True, False):
        own, threat = np.random.default_rng(9).uniform(-3, 3, (R, P)), np.random.default_rng(10).uniform(0, 1, (R, P))
        trust = 1.0 / (1.0 + np.exp(-own))
        if sparse:
            args = (False, shares.dense_flat, shares.pairs, shares.starts, shares.values)
        else:
            args = (True, np.ascontiguousarray(dense), np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), np.ones((h, 0)))
        kernels.crisis_damage(own, threat, trust, rows, hit_row, hit_slot, fixed, attributive, 2.0, *args, evidence,
                              fear_damped, fear_plain, 0.5, -4.0, 4.0)
        results.append((own.tobytes(), threat.tobytes()))
    assert results[0] == results[1]


def test_channel_suspensions_equal_the_rule():
    """kernels.suspensions (Channel.after_escalation) suspends exactly the open rows whose draw
    is below p = suspension_base (1 - mean trust among members), with members_mean_trust's p."""
    from sim.mechanisms.effects.channels import _member_pairs, members_mean_trust
    from sim.numerics import kernels

    rng = np.random.default_rng(12)
    R, n, base = 60, 23, 0.8
    trust = rng.uniform(0.0, 1.0, (R, n, n))
    strength = np.where(rng.uniform(size=R) < 0.3, 0.0, rng.uniform(0.1, 1.0, R))
    draws = rng.uniform(size=R)
    members = (0, 3, 7, 11, 19)
    rows = np.sort(rng.choice(R, 40, replace=False)).astype(np.int64)
    hit, p = np.empty(rows.size, dtype=np.int64), np.empty(rows.size)
    count = kernels.suspensions(trust.reshape(R, -1), rows, strength, draws, _member_pairs(members, n), base, hit, p)
    p_all = base * (1.0 - members_mean_trust(trust, rows, members))
    expected = (strength[rows] > 0) & (draws[rows] < p_all)
    assert 0 < count < rows.size
    np.testing.assert_array_equal(hit[:count], rows[expected])
    assert p[:count].tobytes() == p_all[expected].tobytes()
