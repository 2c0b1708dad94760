"""The scenarios: each ``scenarios/<name>.yaml`` is the ``scenario`` config group's choice ``<name>``.

The files are Hydra config files like those in ``configs/`` (a ``defaults`` list, a
``# @package`` header), kept beside the code that builds a scenario's calendar and initial
beliefs. :func:`register` stores each of them in Hydra's ConfigStore as ``scenario/<name>``, so
``scenario=postwar_2008`` on the command line, ``- scenario: ...`` in a defaults list and
``- /scenario/baseline_2010`` inside a scenario all find it. ``sim.config`` calls it on import.
A user's own scenarios stay files of a ``--config-dir`` (``DIR/scenario/<name>.yaml``).
"""

from __future__ import annotations

import re
from pathlib import Path

GROUP = "scenario"
SCENARIO_DIR = Path(__file__).resolve().parent
_PACKAGE = re.compile(r"^\s*#\s*@package\s+(\S+)")


def scenario_files() -> list[Path]:
    """The scenario files, sorted by name."""
    return sorted(SCENARIO_DIR.glob("*.yaml"))


def names() -> list[str]:
    """The scenarios' names (the ``scenario`` group's choices)."""
    return [p.stem for p in scenario_files()]


def package_of(path: Path) -> str | None:
    """The ``# @package`` header of a config file (None: Hydra's default, the group's name).
    Like Hydra, only comment lines before the first content line count."""
    for line in Path(path).read_text().splitlines():
        m = _PACKAGE.match(line)
        if m:
            return m.group(1)
        if line.strip() and not line.lstrip().startswith("#"):
            return None
    return None


def register() -> None:
    """Store every scenario file in Hydra's ConfigStore as ``scenario/<name>``, with its package."""
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    store = ConfigStore.instance()
    for path in scenario_files():
        store.store(group=GROUP, name=path.stem, node=OmegaConf.load(path), package=package_of(path))
