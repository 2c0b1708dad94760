"""Check config-group choices on the command line before Hydra runs anything.

Hydra reports an unknown member of a list choice (``option=[nrc,zzz]``) as "Could not load
'option/zzz'" without saying what exists; this check names the group and the allowed choices,
for single runs and for every value of a multirun sweep, before any job starts.
"""

from __future__ import annotations

from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser

from sim.config import CONFIG_DIR
from sim.errors import ConfigError


def _choices(group: str, config_dirs: list[Path]) -> list[str]:
    names = set()
    for d in [CONFIG_DIR, *config_dirs]:
        names |= {p.stem for p in (d / group).glob("*.yaml")}
    return sorted(names)


def _flatten(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [v for item in value for v in _flatten(item)]
    return [] if value is None else [str(value)]


def check_group_overrides(argv: list[str], aliases: dict[str, str] | None = None) -> None:
    """Raise ConfigError for a config-group choice that no config directory provides, in every
    value of a sweep. ``aliases`` maps plain keys whose values name group members to their group
    (``{"arms": "option"}`` for experiments.compare_options), so bad sweep lists fail before
    any job starts."""
    aliases = aliases or {}
    config_dirs, overrides, skip = [], [], False
    for k, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg in ("--config-dir", "-cd") and k + 1 < len(argv):
            config_dirs.append(Path(argv[k + 1]))
            skip = True
        elif arg.startswith("--config-dir="):
            config_dirs.append(Path(arg.split("=", 1)[1]))
        elif not arg.startswith("-") and "=" in arg:
            overrides.append(arg)
    groups = {d.name for d in CONFIG_DIR.iterdir() if d.is_dir()}
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except Exception:  # noqa: BLE001 - Hydra reports syntax errors itself, with position
        return
    for o in parsed:
        key = o.key_or_group.lstrip("+~")
        group = aliases.get(key, key)
        if group not in groups or o.package is not None:
            continue
        allowed = _choices(group, config_dirs)
        if o.is_sweep_override():
            named = [(key, v) for v in _flatten(list(o.sweep_iterator()))]
        elif isinstance(o.value(), list):  # a plain list names each position: arms[1]
            named = [(f"{key}[{k}]", str(v)) for k, v in enumerate(o.value())]
        else:
            named = [(key, v) for v in _flatten([o.value()])]
        for name, value in named:
            if value not in allowed:
                raise ConfigError(name, f"unknown {group} {value!r}", allowed)


def checked_entry(main, aliases: dict[str, str] | None = None) -> None:
    """Run a Hydra ``main`` after checking group choices on the command line; bad input prints
    one paragraph and exits with status 2 before Hydra starts any job."""
    import sys

    try:
        check_group_overrides(sys.argv[1:], aliases)
    except ConfigError as err:
        print(f"eurosec: {err}", file=sys.stderr)
        sys.exit(2)
    main()
