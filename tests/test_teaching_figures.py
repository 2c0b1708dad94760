"""docs/img/teaching_figures.py (the figures of docs/teaching.md): it makes every figure the guide
shows, and one demonstration (the costly signal, two 48-month runs) writes valid PNGs of the
dashboard's compact plot size. The script draws with the dashboard's views, which need only
matplotlib and networkx (base dependencies, not the viz extra): the test skips without them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("networkx")

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "img" / "teaching_figures.py"


@pytest.fixture(scope="module")
def figures():
    spec = importlib.util.spec_from_file_location("teaching_figures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_figure_of_the_guide_is_made(figures):
    made = {name for names in figures.FIGURES.values() for name in names}
    assert figures.guide_figures() == made  # the guide shows exactly the figures the script makes
    assert set(figures.FIGURES) == set(figures.DEMOS)


def test_one_demonstration_writes_its_pngs(figures, tmp_path, capsys):
    from matplotlib.image import imread

    paths = figures.signal(tmp_path)
    assert sorted(paths) == sorted(tmp_path.iterdir())
    assert sorted(p.name for p in paths) == sorted(figures.FIGURES["signal"])
    for path in paths:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        image = imread(path)  # decodes the whole image
        assert image.shape[:2] == (504, 720)  # the compact plot (6.0 x 4.2 in) at 120 dpi, as docs/img's
        assert image.std() > 0  # not blank
    out = capsys.readouterr().out
    assert "teach_signal_with.png: baseline_2010, seed 4" in out and "agreement" in out
