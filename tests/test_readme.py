"""The README's Python examples run as written (with fewer replicates)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


@pytest.mark.parametrize("marker", ["EurosecModel(rng=42", "run_arms("])
def test_readme_python_example_runs(marker):
    matplotlib.use("Agg")
    block = next(b for b in python_blocks() if marker in b)
    code = block.replace("replicates=1000", "replicates=20").replace("replicates=200", "replicates=20")
    namespace: dict = {}
    exec(compile(code, f"README.md ({marker})", "exec"), namespace)  # noqa: S102 - our own README
    if marker == "run_arms(":
        effects = namespace["effects"]
        assert set(effects["arm"]) == {"nrc", "corfu"} and len(effects) == 4
        assert effects["n"].eq(20).all()


def test_readme_results_api_example_runs(tmp_path, monkeypatch):
    """The "For analysts" example, on a small comparison written where "latest" looks."""
    import subprocess
    import sys

    folder = tmp_path / "results" / "compare_options" / "small"
    proc = subprocess.run([sys.executable, "-m", "experiments.compare_options", f"hydra.run.dir={folder}", "replicates=6",
                           "arms=[nrc,solidarity]", "progress=false", "workers=1", "overrides=['scenario.horizon=24']"],
                          cwd=README.parent, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    monkeypatch.chdir(tmp_path)
    block = next(b for b in python_blocks() if "results.load(" in b)
    namespace: dict = {}
    exec(compile(block, "README.md (results API)", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["res"].path == folder.relative_to(tmp_path)
