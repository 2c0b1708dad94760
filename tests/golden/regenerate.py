"""Regenerate the golden reproducibility file after an *intended* change of model behaviour:

    .venv/bin/python tests/golden/regenerate.py

and explain the change in the commit message. The golden file pins a seeded batch run."""

from pathlib import Path

from sim.model import EurosecModel

GOLDEN = Path(__file__).with_name("baseline_seed42.csv")
STEPS = [0, 1, 6, 12, 24, 36, 60, 90, 120]


def golden_frame():
    model = EurosecModel(rng=42, replicates=3).run()
    s = model.summary()
    return s[s["step"].isin(STEPS)].drop(columns=["date"]).reset_index(drop=True)


if __name__ == "__main__":
    golden_frame().to_csv(GOLDEN, index=False, float_format="%.9g")
    print(f"wrote {GOLDEN}")
