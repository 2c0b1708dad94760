"""notebooks/02_sensitivity.ipynb executes from top to bottom without an error. When
tests/test_notebooks.py (which executes every notebook in notebooks/) is present, this test
leaves the notebook to it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_sensitivity.ipynb"


@pytest.mark.slow
def test_the_sensitivity_notebook_executes():
    if (ROOT / "tests" / "test_notebooks.py").exists():
        pytest.skip("tests/test_notebooks.py executes every notebook, this one included")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
