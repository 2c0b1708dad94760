"""Check the command line before Hydra runs anything, and compose what Hydra will run.

Hydra reports an unknown member of a list choice (``option=[nrc,zzz]``) as "Could not load
'option/zzz'" without saying what exists, and takes ``option=[nrc,nrc]`` as one nrc: this
check names the group and the allowed choices, and refuses a choice listed twice, for single
runs and for every value of a multirun sweep.

``compose`` builds every job's config the way Hydra will (the basic sweeper's cartesian
product, ``hydra.sweeper.params`` included) together with the folder it will write into, so the
app can validate everything, estimate the resources and claim the folder before Hydra creates
anything. A config Hydra cannot compose becomes a ConfigError naming the key and the keys that
exist beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser

from sim.config import CONFIG_DIR, group_dirs
from sim.errors import ConfigError

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def _choices(group: str, config_dirs: list[Path]) -> list[str]:
    """The group's own choices (``configs/<group>/``, ``scenarios/``) and those of the user's folders."""
    names = {p.stem for p in group_dirs()[group].glob("*.yaml")}
    for d in config_dirs:
        names |= {p.stem for p in (d / group).glob("*.yaml")}
    return sorted(names)


def _named_values(key: str, value) -> list[tuple[str, str]]:
    """(name, choice) of a plain or list value: a list names each position (``option[1]``)."""
    if isinstance(value, list | tuple):
        return [(f"{key}[{k}]", str(v)) for k, v in enumerate(value)]
    return [] if value is None else [(key, str(value))]


def check_choices(key: str, group: str, value, allowed: list[str]) -> None:
    """One value of a group override: every choice exists, none is listed twice."""
    seen: set[str] = set()
    for name, choice in _named_values(key, value):
        if choice not in allowed:
            raise ConfigError(name, f"unknown {group} {choice!r}", allowed)
        if choice in seen:
            raise ConfigError(name, f"{group} {choice!r} is listed twice", "each choice at most once")
        seen.add(choice)


def check_group_overrides(argv: list[str], aliases: dict[str, str] | None = None) -> None:
    """Raise ConfigError for a config-group choice that no config directory provides, or that a
    list names twice, in every value of a sweep. ``aliases`` maps plain keys whose values name
    group members to their group (``{"arms": "option"}`` for experiments.compare_options)."""
    aliases = aliases or {}
    args = hydra_args(argv)
    if args is None:
        return
    config_dirs = [Path(args.config_dir)] if args.config_dir else []
    groups = set(group_dirs())
    try:
        parsed = OverridesParser.create().parse_overrides(list(args.overrides))
    except Exception:  # noqa: BLE001 - Hydra reports syntax errors itself, with position
        return
    for o in parsed:
        key = o.key_or_group.lstrip("+~")
        group = aliases.get(key, key)
        if group not in groups or o.package is not None or o.is_delete():
            continue
        allowed = _choices(group, config_dirs)
        values = list(o.sweep_iterator()) if o.is_sweep_override() else [o.value()]
        for value in values:
            check_choices(key, group, value, allowed)


class _Unparsable(Exception):
    pass


USAGE = ("flags first, then overrides: python -m MODULE [-m] [--config-dir DIR] [--cfg job] KEY=VALUE ... "
         "(see --help)")


def hydra_args(argv: list[str], strict: bool = False):
    """Hydra's own command-line parser on ``argv``. A command line Hydra cannot parse gives None,
    or with ``strict`` a ConfigError saying what is wrong."""
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()

    def fail(message: str):
        raise _Unparsable(message)

    parser.error = fail
    try:
        return parser.parse_args(argv)
    except _Unparsable as err:
        if strict:
            raise ConfigError("command line", str(err), USAGE) from None
        return None


def informational(args) -> bool:
    """Runs that only print (``--help``, ``--cfg``, ``--info``, shell completion): nothing to check."""
    return bool(args.help or args.hydra_help or args.cfg or args.info or args.shell_completion
                or args.experimental_rerun)


@dataclass
class Job:
    num: int
    label: str  # the job's swept values, "" for a single run
    overrides: list[str]
    config: dict  # the resolved app config (no ``hydra`` node)


@dataclass
class Composition:
    """What Hydra will run: the jobs, the folder they write into and the launcher settings."""

    multirun: bool
    folder: Path  # the run folder (single run) or the sweep folder (multirun)
    jobs: list[Job] = field(default_factory=list)
    planned: bool = True  # False: a sweeper other than the basic one chooses the jobs as it goes
    default_subdir: bool = True  # job folders are named by job number
    launcher: dict = field(default_factory=dict)
    built: list = field(default_factory=list)  # what the app's validation built for each job


def _loader(args):
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery

    search_path = create_config_search_path(str(CONFIG_DIR))
    if args.config_dir is not None:
        search_path.prepend(provider="command-line", path=f"file://{Path(args.config_dir).resolve()}",
                            anchor=SearchPathQuery(provider="schema"))
    return ConfigLoaderImpl(config_search_path=search_path)


def _app_config(cfg) -> dict:
    from omegaconf import OmegaConf, open_dict

    with open_dict(cfg):
        del cfg["hydra"]
    return OmegaConf.to_container(cfg, resolve=True)


def _folder(master, key: str) -> Path:
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    HydraConfig.instance().set_config(master)
    try:
        return Path(str(OmegaConf.select(master, key))).absolute()
    finally:
        HydraConfig.instance().cfg = None


def compose(argv: list[str], config_name: str) -> Composition | None:
    """Every job of the command line ``argv`` composed as Hydra will compose it, and the folder
    it will write into; None for runs that only print and for command lines Hydra will refuse
    itself (syntax errors, with their position). A job whose config cannot be composed raises
    ConfigError naming the key, before anything runs."""
    args = hydra_args(argv)
    if args is None or informational(args) or args.config_path is not None:
        return None
    from hydra import version
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.errors import HydraException
    from hydra.types import RunMode
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from hydra.core.utils import setup_globals

    version.setbase("1.3")
    setup_globals()  # Hydra's resolvers (${now:...}, ${hydra:...}) as Hydra itself registers them
    loader = _loader(args)
    multirun = bool(args.multirun or "hydra.mode=MULTIRUN" in args.overrides)
    name = args.config_name or config_name
    overrides = list(args.overrides)
    mode = RunMode.MULTIRUN if multirun else RunMode.RUN
    try:
        master = loader.load_configuration(name, overrides, run_mode=mode)
    except (HydraException, OmegaConfBaseException) as err:
        try:  # the config without the command line, to say which keys exist
            reference = loader.load_configuration(name, [], run_mode=mode)
        except (HydraException, OmegaConfBaseException):
            reference = None
        raise _composition_error(err, overrides, set(), reference, "") from None
    launcher = OmegaConf.to_container(master.hydra.launcher, resolve=False)
    if not multirun:
        folder = _folder(master, "hydra.run.dir")
        try:
            config = _app_config(master)
        except (HydraException, OmegaConfBaseException) as err:
            raise _composition_error(err, overrides, set(), master, "") from None
        return Composition(False, folder, [Job(0, "", overrides, config)], launcher=launcher)
    folder = _folder(master, "hydra.sweep.dir")
    default_subdir = OmegaConf.to_container(master.hydra.sweep, resolve=False).get("subdir") == "${hydra.job.num}"
    comp = Composition(True, folder, default_subdir=default_subdir, launcher=launcher)
    if master.hydra.sweeper.get("_target_") != BASIC_SWEEPER:
        comp.planned = False
        return comp
    try:
        params = [f"{k}={v}" for k, v in (master.hydra.sweeper.get("params") or {}).items()]
        task = OmegaConf.to_container(master.hydra.overrides.task)
        parsed = OverridesParser.create(config_loader=loader).parse_overrides(params + task)
        jobs = BasicSweeper.split_arguments(parsed, None)[0]
    except (HydraException, OmegaConfBaseException) as err:
        raise _composition_error(err, overrides, set(), master, "") from None
    swept = {o.get_key_element() for o in parsed if o.is_sweep_override()}
    for num, job in enumerate(jobs):
        label = " ".join(o for o in job if o.split("=", 1)[0] in swept) or "no swept values"
        try:
            config = _app_config(loader.load_sweep_config(master, list(job)))
        except (HydraException, OmegaConfBaseException) as err:
            raise _composition_error(err, list(job), swept, master, f"sweep job {num}: {label}") from None
        comp.jobs.append(Job(num, label, list(job), config))
    return comp


def _composition_error(err, job: list[str], swept: set[str], master, where: str) -> ConfigError:
    """A ConfigError naming the key Hydra could not apply and the keys that exist beside it."""
    from omegaconf import OmegaConf

    full_key = getattr(err, "full_key", None) or getattr(err.__cause__, "full_key", None)
    messages = [str(e).strip() for e in (err, err.__cause__) if e is not None]
    lines = [m.splitlines()[0].strip().rstrip(".") for m in messages if m]
    problem = "; ".join(dict.fromkeys(lines)) or type(err).__name__
    keys = [o.split("=", 1)[0].lstrip("+~") for o in job if not swept or o.split("=", 1)[0] in swept]
    parse_error = _unparsable_override(problem, job)
    if parse_error is not None:
        return ConfigError(parse_error, f"{problem.rstrip('.')} (Hydra could not parse this override)",
                           "Hydra's override syntax; a list item containing '=' goes in double quotes inside "
                           """single ones, e.g. 'overrides=["dynamics=calibrated"]'""")
    key = full_key or next((k for k in keys if k and k in problem), None) \
        or next((k for k in keys if k.split(".")[-1] in problem), keys[0] if keys else "overrides")
    allowed = None
    if master is not None:
        node, parts = master, key.split(".")
        for part in parts:  # the keys beside the first part of the key that does not exist
            child = node.get(part) if OmegaConf.is_dict(node) and part in node else None
            if child is None:
                break
            node = child
        if OmegaConf.is_dict(node) and parts and parts[-1] not in node:
            allowed = sorted(k for k in node.keys() if k != "hydra")
        elif node is not master:
            allowed = _describe_type(node)
    if allowed is None and "Could not" in problem and "/" in problem:
        allowed = "the config groups and files under configs/ (see `--help`)"
    suffix = f" ({where})" if where else ""
    return ConfigError(key, f"{problem.rstrip('.')}{suffix}", allowed or _allowed_for(key))


def _unparsable_override(problem: str, job: list[str]) -> str | None:
    """The key of the override Hydra's grammar rejected ('no viable alternative at input
    '[a='' and the like name a fragment of it, not its key), or None for other errors."""
    import re

    found = re.search(r"(?:no viable alternative|mismatched input|extraneous input|token recognition error)"
                      r" at input '(.*?)'", problem) or re.search(r"(?:mismatched|extraneous) input '(.*?)'", problem)
    if found is None:
        return None
    fragment = found.group(1).strip()
    for override in job:
        key, _, value = override.partition("=")
        if fragment and fragment in value:
            return key.lstrip("+~")
    return None


def _describe_type(value) -> str | None:
    """What a key whose current value is ``value`` accepts, in words."""
    from omegaconf import OmegaConf

    if OmegaConf.is_dict(value):
        return "a mapping with the keys " + ", ".join(sorted(value.keys()))
    if OmegaConf.is_list(value):
        return "a list"
    for kind, words in ((bool, "true or false"), (int, "an integer"), (float, "a number"), (str, "text")):
        if isinstance(value, kind):
            return words
    return None


def _allowed_for(key: str) -> str:
    """What a key accepts, when the config cannot say (the message says what was wrong)."""
    return "a value of the type the schema gives this key (see `python -m sim.run --cfg job`)"
