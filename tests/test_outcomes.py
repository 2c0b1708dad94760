"""An outcome is one declaration (sim/output/outcomes.py): declared here, it appears in the
summary, in the finals of an ensemble with its reduction, and among the names configs may use;
undeclared, it is gone."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.ensemble import arm_spec, run_arm
from sim.errors import ConfigError
from sim.model import EurosecModel
from sim.output import outcomes
from sim.output.outcomes import OUTCOMES, check_outcome_names, count, declared, outcome, state_mean


def leaves_in_composites(spec) -> list[tuple[int, int]]:
    """(leaf, composite) pairs: every leaf member of every composite, towards the composite."""
    r = spec.roster
    return [(i, c.index) for c in r.actors if c.is_composite for i in r.leaves(c.id)]


# three new outcomes, one declaration each (register=False: ``declared`` registers them for the test)
TRUST_IN_COMPOSITES = state_mean("trust_in_composites", "trust", lambda spec, f: leaves_in_composites(spec),
                                 direction="better", register=False,
                                 description="mean trust of leaves in the composites they belong to")


@outcome("posture_above_half", kind="stock", direction="worse", register=False,
         description="ordered actor pairs whose posture is above 0.5")
def POSTURE_ABOVE_HALF(r: outcomes.Reading) -> np.ndarray:
    return (r.engine.state.posture > 0.5).sum(axis=(1, 2))


# a monthly count no mechanism increments (yet): zeros, summed over the run
SUMMITS = count("summits", direction="better", description="summits this month", register=False)

NEW = (TRUST_IN_COMPOSITES, POSTURE_ABOVE_HALF, SUMMITS)
NAMES = [o.name for o in NEW]


def test_a_declared_outcome_is_recorded_reduced_and_allowed_then_gone():
    before = EurosecModel(rng=1, replicates=3, options="nrc").run(24).summary()
    with declared(*NEW):
        m = EurosecModel(rng=1, replicates=3, options="nrc")
        m.run(24)
        s = m.summary()
        # appended after the existing columns, which are unchanged
        assert list(s.columns) == list(before.columns) + NAMES
        assert s[list(before.columns)].equals(before)
        assert s["trust_in_composites"].dtype == np.float32
        assert s["posture_above_half"].dtype == s["summits"].dtype == np.int16
        last = s[s["step"] == 24].reset_index(drop=True)
        eng, spec = m.engine, m.spec
        pairs = np.array(leaves_in_composites(spec))
        expected = eng.state.trust[:, pairs[:, 0], pairs[:, 1]].mean(axis=1)
        np.testing.assert_allclose(last["trust_in_composites"], expected.astype(np.float32), rtol=1e-6)
        np.testing.assert_array_equal(last["posture_above_half"], (eng.state.posture > 0.5).sum(axis=(1, 2)))
        assert (s["summits"] == 0).all()
        check_outcome_names("outcomes", ["mean_trust", *NAMES], spec)

        # the finals of an ensemble: last month's value, or the run total for a count
        arm = run_arm("nrc", arm_spec(["scenario=baseline_2010", "option=[nrc]", "scenario.horizon=12"]), 3, 4,
                      chunk=3, progress=False)
        f, summary = arm.finals, arm.summary
        for name in NAMES:
            assert name in f.columns and name in summary.columns
        end = summary[summary["step"] == 12].sort_values("replicate")
        np.testing.assert_array_equal(f.sort_values("replicate")["posture_above_half"], end["posture_above_half"])
        # outcomes kept at their last value, then run totals, then the agreement flags
        assert list(f.columns[-4:]) == ["crises", "escalations", "summits", "agreed_nrc"]
        assert list(f.columns[-6:-4]) == ["trust_in_composites", "posture_above_half"]
        totals = summary.groupby("replicate")["crises"].sum().to_numpy()
        np.testing.assert_array_equal(f.sort_values("replicate")["crises"], totals)
        assert (f["summits"] == 0).all()
    assert not set(NAMES) & set(OUTCOMES)
    assert list(EurosecModel(rng=1, replicates=3, options="nrc").summary().columns) == list(before.columns)
    with pytest.raises(ConfigError) as err:
        check_outcome_names("outcomes", ["mean_trust", "posture_above_half"], m.spec)
    assert err.value.key == "outcomes[1]" and "trust_RUS_NATO" in err.value.allowed


def test_unknown_outcome_names_are_refused_naming_the_key_and_the_outcomes():
    spec = arm_spec(["scenario=baseline_2010"])
    with pytest.raises(ConfigError) as err:
        check_outcome_names("outcome", "trust_RUS_MARS", spec)
    assert err.value.key == "outcome" and "mean_trust" in err.value.allowed and "crises" in err.value.allowed


def test_declarations_describe_every_column():
    spec = arm_spec(["scenario=baseline_2010"])
    rows = outcomes.describe(spec)
    assert [r["name"] for r in rows] == outcomes.column_names(spec)
    by_name = {r["name"]: r for r in rows}
    assert by_name["crises"]["final"] == "sum" and by_name["mean_trust"]["final"] == "last"
    assert by_name["trust_RUS_NATO"]["outcome"] == "trust_{observer}_{target}"
    assert all(r["description"] and r["direction"] in ("better", "worse", "neutral") for r in rows)
    with pytest.raises(ValueError, match="already declared"):
        outcomes.declare(OUTCOMES["mean_trust"])
