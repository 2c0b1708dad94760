"""Check the command line before Hydra runs anything.

Hydra reports an unknown member of a list choice (``option=[nrc,zzz]``) as "Could not load
'option/zzz'" without saying what exists; this check names the group and the allowed choices,
for single runs and for every value of a multirun sweep, before any job starts.

For a multirun (``-m``), every job's config is also composed the way Hydra's basic sweeper
will compose it and checked by the app's own validation (``checked_entry(..., validate=...)``),
so an out-of-range value anywhere in a sweep fails before the sweep folder exists, naming the
job and its swept values. A single run is validated once, by its job.
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


BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


class _Unparsable(Exception):
    pass


def _hydra_args(argv: list[str]):
    """Hydra's own command-line parser on ``argv``; None where Hydra will report an error itself."""
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()

    def fail(message: str):
        raise _Unparsable(message)

    parser.error = fail
    try:
        return parser.parse_args(argv)
    except _Unparsable:
        return None


def sweep_jobs(argv: list[str], config_name: str):
    """The jobs of a multirun on ``argv``, expanded as Hydra's basic sweeper expands them (the
    cartesian product of the swept values, ``hydra.sweeper.params`` included), each composed as
    its job will be: yields ``(number, swept overrides, config)`` where config is the resolved
    app config (no ``hydra`` node). Yields nothing for single runs, other sweepers, ``--cfg``
    and the like, and where Hydra will report a parse error itself. A job whose config cannot
    be composed raises ConfigError naming the key, before any job runs."""
    args = _hydra_args(argv)
    if args is None or not (args.multirun or "hydra.mode=MULTIRUN" in args.overrides):
        return
    if (args.help or args.hydra_help or args.cfg or args.info or args.shell_completion or args.experimental_rerun
            or args.config_path is not None):
        return
    from hydra import version
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery
    from hydra.errors import HydraException
    from hydra.types import RunMode
    from omegaconf import OmegaConf, open_dict
    from omegaconf.errors import OmegaConfBaseException

    version.setbase("1.3")
    search_path = create_config_search_path(str(CONFIG_DIR))
    if args.config_dir is not None:
        search_path.prepend(provider="command-line", path=f"file://{Path(args.config_dir).resolve()}",
                            anchor=SearchPathQuery(provider="schema"))
    loader = ConfigLoaderImpl(config_search_path=search_path)
    try:
        master = loader.load_configuration(args.config_name or config_name, list(args.overrides),
                                           run_mode=RunMode.MULTIRUN)
        if master.hydra.sweeper.get("_target_") != BASIC_SWEEPER:
            return
        params = [f"{k}={v}" for k, v in (master.hydra.sweeper.get("params") or {}).items()]
        task = OmegaConf.to_container(master.hydra.overrides.task)
        parsed = OverridesParser.create(config_loader=loader).parse_overrides(params + task)
        jobs = BasicSweeper.split_arguments(parsed, None)[0]
    except (HydraException, OmegaConfBaseException):
        return  # errors common to every job: Hydra reports them before creating the sweep folder
    swept = {o.get_key_element() for o in parsed if o.is_sweep_override()}
    for num, job in enumerate(jobs):
        label = " ".join(o for o in job if o.split("=", 1)[0] in swept) or "no swept values"
        try:
            cfg = loader.load_sweep_config(master, list(job))
            with open_dict(cfg):
                del cfg["hydra"]
            container = OmegaConf.to_container(cfg, resolve=True)
        except (HydraException, OmegaConfBaseException) as err:
            raise _composition_error(err, job, swept, master, num, label) from None
        yield num, label, container


def _composition_error(err, job, swept, master, num: int, label: str) -> ConfigError:
    """A ConfigError naming the swept key Hydra could not apply and the keys that exist beside it."""
    from omegaconf import OmegaConf

    messages = [str(e).strip() for e in (err, err.__cause__) if e is not None]
    lines = [m.splitlines()[0].strip().rstrip(".") for m in messages if m]
    problem = "; ".join(dict.fromkeys(lines)) or type(err).__name__
    keys = [o.split("=", 1)[0].lstrip("+~") for o in job if o.split("=", 1)[0] in swept]
    key = next((k for k in keys if k in problem), keys[0] if keys else "overrides")
    node, parts = master, key.split(".")
    for part in parts:  # the keys beside the first part of the key that does not exist
        child = node.get(part) if OmegaConf.is_dict(node) and part in node else None
        if child is None:
            break
        node = child
    missing = OmegaConf.is_dict(node) and parts and parts[-1] not in node
    allowed = sorted(k for k in node.keys() if k != "hydra") if missing else None
    return ConfigError(key, f"{problem.rstrip('.')} (sweep job {num}: {label})", allowed)


def check_sweep(argv: list[str], config_name: str, validate) -> int:
    """Compose every job of a multirun on ``argv`` and run ``validate`` (the app's own checks,
    given the job's resolved config) on each; the first ConfigError is raised again naming the
    sweep job and its swept values. Returns the number of jobs checked (0 for a single run:
    single runs validate in their job, once)."""
    checked = 0
    for num, label, cfg in sweep_jobs(argv, config_name):
        try:
            validate(cfg)
        except ConfigError as err:
            raise ConfigError(err.key, f"{err.problem} (sweep job {num}: {label})", err.allowed) from None
        checked += 1
    return checked


def checked_entry(main, aliases: dict[str, str] | None = None, validate=None, config_name: str = "config") -> None:
    """Run a Hydra ``main`` after checking the command line: config-group choices (every value
    of a sweep included) and, for a multirun, every job's config composed and passed to
    ``validate`` (the app's own checks; ``config_name`` is the app's primary config). Bad input
    prints one paragraph and exits with status 2 before Hydra creates a folder or starts a job."""
    import sys

    try:
        check_group_overrides(sys.argv[1:], aliases)
        if validate is not None:
            check_sweep(sys.argv[1:], config_name, validate)
    except ConfigError as err:
        print(f"eurosec: {err}", file=sys.stderr)
        sys.exit(2)
    main()
