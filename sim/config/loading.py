"""Load eurosec configs outside the command line (notebooks, tests, mesa.batch_run).

``load_config(["option=[nrc]", "dynamics.spiral_bias=0.3"])`` composes ``configs/`` with the
same overrides the command line takes, through Hydra's compose API, and returns a plain dict.
Composition errors become a :class:`~sim.errors.ConfigError` naming the override.

The config groups are the folders of ``configs/`` and the ``scenario`` group, whose files live in
``scenarios/`` and reach Hydra through its ConfigStore (:mod:`scenarios.library`, registered when
this module is imported).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

from omegaconf import OmegaConf

from scenarios import library as scenario_library
from sim.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"

scenario_library.register()


def group_dirs() -> dict[str, Path]:
    """The folder holding each config group's files: ``configs/<group>/``, and ``scenarios/`` for
    the ``scenario`` group."""
    dirs = {d.name: d for d in CONFIG_DIR.iterdir() if d.is_dir()}
    dirs[scenario_library.GROUP] = scenario_library.SCENARIO_DIR
    return dict(sorted(dirs.items()))


def config_groups() -> dict[str, list[str]]:
    """Available choices of each config group, e.g. {'option': ['no_contingency', 'nrc', ...]}."""
    return {g: sorted(p.stem for p in d.glob("*.yaml")) for g, d in group_dirs().items()}


@lru_cache(maxsize=128)
def _compose(overrides: tuple[str, ...]) -> dict:
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    import sim.config.schema  # noqa: F401  (registers the schema)

    from hydra.core.global_hydra import GlobalHydra

    # Inside a running Hydra app (e.g. experiments.compare_options) Hydra is initialised
    # already: set it aside while composing the model's config, then put it back.
    outer = GlobalHydra.instance().hydra if GlobalHydra.instance().is_initialized() else None
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(config_name="config", overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as err:
        message = (str(err).splitlines()[0] if str(err) else type(err).__name__).rstrip(".")
        key = _failing_key(err, overrides)
        raise ConfigError(key, message, _keys_beside(key) or _allowed_hint(overrides)) from None
    finally:
        if outer is not None:
            GlobalHydra.instance().clear()
            GlobalHydra.instance().initialize(outer)
    container = OmegaConf.to_container(cfg, resolve=True)
    container.pop("hydra", None)
    return container


def _failing_key(err, overrides) -> str:
    """The key Hydra could not apply: its own ``full_key``, else the override the message names."""
    for e in (err, err.__cause__):
        key = getattr(e, "full_key", None)
        if key:
            return str(key)
    keys = [o.split("=", 1)[0].lstrip("+~") for o in overrides]
    text = str(err)
    return next((k for k in keys if k and k in text), None) or next(
        (k for k in keys if k.split("/")[-1].split(".")[-1] in text), None) or " ".join(overrides) or "config"


def _keys_beside(key: str) -> list[str] | None:
    """The keys of the default config beside a dotted ``key`` that does not exist (or None)."""
    if "." not in key or "/" in key:
        return None
    try:
        node = _compose(())
    except ConfigError:
        return None
    *parents, last = key.split(".")
    for part in parents:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return sorted(node) if isinstance(node, dict) and last not in node else None


def _allowed_hint(overrides) -> str:
    groups = config_groups()
    hints = [f"{g}: {', '.join(v)}" for g, v in groups.items() if any(o.lstrip("+~").startswith(g) for o in overrides)]
    return "; ".join(hints) or "keys of configs/config.yaml (see `python -m sim.run --cfg job`)"


def load_config(overrides=()) -> dict:
    """The resolved config for ``overrides`` as a fresh nested dict (safe to modify)."""
    return copy.deepcopy(_compose(tuple(overrides)))
