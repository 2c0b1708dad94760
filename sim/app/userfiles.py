"""Config files are data: a user's YAML may set the model's values, never run code or steer Hydra.

Option, scenario, irritant and roster files are global packages, so without a check a file in a
user's ``--config-dir`` could set ``hydra.*`` keys: a callback whose ``_target_`` opens any file
for writing, a logging handler that writes anywhere. Every YAML file of a user's config folder is
read here, strictly (malformed YAML and duplicate keys are errors with file and line), before
Hydra reads it, and refused if it

- has a ``_target_`` key anywhere (Hydra would import and call it),
- sets ``hydra`` (a top-level ``hydra`` key, a ``# @package`` header that puts it under
  ``hydra``, or a defaults entry that selects a ``hydra/...`` group),
- or lives in a ``hydra/`` folder (launcher, callback and logging presets are code-like:
  they belong in the repository's ``configs/hydra/`` or on the command line).

Hydra settings given on the command line (``hydra.launcher.n_jobs=2``) are the user's own
explicit choice and are not affected.

A user's scenario may not take the name of one of the model's own (``scenarios/<name>.yaml``):
those reach Hydra through its ConfigStore, which Hydra searches after a ``--config-dir``, so a
file of the same name would silently replace the model's scenario, also where other scenarios
build on it (``- /scenario/baseline_2010``).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from scenarios.library import package_of
from sim.errors import ConfigError

DATA_ONLY = ("model values only: no `_target_` keys, no `hydra` settings, no hydra/ folder "
             "(give Hydra settings on the command line, e.g. hydra.launcher.n_jobs=2)")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"found the key {key!r} twice (first on line "
                f"{seen[key] + 1})", key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_strict(path: Path, label: str | None = None):
    """The YAML document in ``path``; a ConfigError naming the file, line and column otherwise."""
    label = label or str(path)
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(label, f"cannot be read ({err})", "a readable UTF-8 YAML file") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(label, f"is not valid YAML{where}: {problem}",
                          "a YAML mapping of keys to values, each key once") from None


def _find_target(node, where: str) -> str | None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "_target_":
                return f"{where}._target_" if where else "_target_"
            found = _find_target(value, f"{where}.{key}" if where else str(key))
            if found:
                return found
    elif isinstance(node, list):
        for k, value in enumerate(node):
            found = _find_target(value, f"{where}[{k}]")
            if found:
                return found
    return None


def _hydra_default(entry) -> bool:
    """A defaults-list entry that selects something in Hydra's own config groups."""
    names = entry.keys() if isinstance(entry, dict) else [entry] if isinstance(entry, str) else []
    for name in names:
        words = str(name).replace("override", " ").replace("optional", " ").split()
        if any(w.lstrip("/").split("/")[0].split("@")[0] == "hydra" for w in words):
            return True
    return False


def check_file(path: Path, root: Path) -> None:
    """Refuse a user config file that is not plain data (module docstring)."""
    label = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    doc = load_strict(path, f"{root.name}/{label}")
    package = package_of(path) or ""
    if "hydra" in package.replace("_global_", "").strip(".").split("."):
        raise ConfigError(f"{label}: @package {package}", "a config file may not write into Hydra's settings",
                          DATA_ONLY)
    if doc is None:
        return
    if isinstance(doc, dict):
        if "hydra" in doc and package in ("", "_global_"):
            raise ConfigError(f"{label}: hydra", "a config file may not set Hydra's settings", DATA_ONLY)
        for entry in doc.get("defaults") or []:
            if _hydra_default(entry):
                raise ConfigError(f"{label}: defaults", f"{entry!r} selects a Hydra config group", DATA_ONLY)
    target = _find_target(doc, "")
    if target:
        raise ConfigError(f"{label}: {target}", "config files are data: `_target_` would import and run code",
                          DATA_ONLY)


def check_config_dir(root: Path) -> None:
    """Check every YAML file of a user's config folder (``--config-dir``) before Hydra reads it."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError("--config-dir", f"{root} is not a folder", "a folder of config files")
    if (root / "hydra").exists():
        raise ConfigError(f"--config-dir {root}: hydra/", "a user config folder may not hold Hydra presets",
                          DATA_ONLY)
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
        check_file(path, root)
    check_scenario_names(root)


def check_scenario_names(root: Path) -> None:
    """Refuse a user scenario named like one of the model's own (module docstring)."""
    from sim.config import config_groups

    own = config_groups()["scenario"]
    for path in sorted((Path(root) / "scenario").glob("*.yaml")):
        if path.stem in own:
            raise ConfigError(f"{path.relative_to(root)}", f"the model has a scenario {path.stem!r} already "
                              "(scenarios/); a file of the same name would replace it",
                              f"another name than {', '.join(own)}")
