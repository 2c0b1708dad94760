"""EurosecModel: the Mesa model of European security trust and threat dynamics.

One instance advances one replicate (Mesa's convention: ``EurosecModel(rng=seed, **params)``,
``model.step()``, works with ``mesa.batch_run``) or many replicates at once in vectorised
numpy (``EurosecModel(rng=master, replicates=1000)``). Replicate r's trajectory depends only on
its seed, so a seed gives the same results alone, in any batch and through ``mesa.batch_run``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import mesa
import numpy as np

from agents.actors import ActorAgent, CompositeAgent
from sim import __version__
from sim.config import load_config
from sim.engine import Engine
from sim.errors import ConfigError
from sim.negotiation import ProposalView
from sim.records import Recorder
from sim.spec import ModelSpec, compile_spec
from sim.streams import replicate_seeds


def overrides_from_params(scenario=None, options=None, params: Mapping | None = None) -> list[str]:
    """Hydra overrides from Python-friendly arguments. ``options`` is a list or a comma string;
    ``params`` keys use ``__`` for dots (``dynamics__spiral_bias=0.3``)."""
    out = []
    if scenario is not None:
        out.append(f"scenario={scenario}")
    if options is not None:
        ids = [o.strip() for o in options.split(",") if o.strip()] if isinstance(options, str) else list(options)
        out.append(f"option=[{','.join(ids)}]")
    for key, value in (params or {}).items():
        out.append(f"{key.replace('__', '.')}={_override_value(value)}")
    return out


def _override_value(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return "[" + ",".join(_override_value(v) for v in value) + "]"
    return str(value)


class EurosecModel(mesa.Model):
    """Trust and threat among Europe's security actors under negotiated policy moves.

    Args:
        rng: integer master seed (replicate 0's seed); defaults to the config's ``seed``.
        replicates: number of replicates advanced together (default: the config's, usually 1).
        seeds: explicit replicate seeds (overrides ``rng``/``replicates`` for the streams).
        config: a resolved config dict or a compiled ModelSpec; default: ``configs/`` + overrides.
        scenario, options: shortcuts for ``scenario=...`` and ``option=[...]``.
        record_events: keep the event log (default: the config's ``output.events``; off for the fastest sweeps).
        **params: further overrides, ``section__key=value`` (e.g. ``dynamics__spiral_bias=0.3``).
    """

    def __init__(self, rng: int | None = None, *, replicates: int | None = None, seeds: Sequence[int] | None = None,
                 config: Mapping | ModelSpec | None = None, scenario: str | None = None,
                 options: str | Sequence[str] | None = None, record_events: bool | None = None, **params):
        if isinstance(config, ModelSpec):
            spec = config
        else:
            cfg = dict(config) if config is not None else load_config(overrides_from_params(scenario, options, params))
            spec = compile_spec(cfg)
        if rng is not None and (isinstance(rng, bool) or not isinstance(rng, int | np.integer)):
            raise ConfigError("rng", f"{rng!r} is not an integer seed", "an integer")
        master = int(rng) if rng is not None else int(spec.config.get("seed", 0))
        if seeds is None:
            n_rep = replicates if replicates is not None else int(spec.config.get("replicates", 1))
            if isinstance(n_rep, bool) or not isinstance(n_rep, int) or n_rep < 1:
                raise ConfigError("replicates", f"{n_rep!r} is not a positive integer", "an integer >= 1")
            seeds = replicate_seeds(master, n_rep)
        super().__init__(rng=master)
        self.spec = spec
        self.version = __version__
        self.seeds = np.asarray(seeds, dtype=np.int64)
        if record_events is None:
            record_events = bool((spec.config.get("output") or {}).get("events", True))
        self.engine = Engine(spec, self.seeds, self._decide, record_events=record_events)
        self._agents_by_id: dict[str, ActorAgent] = {}
        for a in spec.roster.actors:
            cls = CompositeAgent if a.is_composite else ActorAgent
            self._agents_by_id[a.id] = cls(self, a)
        self.recorder = Recorder(self.engine, spec.dyad_period, spec.dyad_replicates)
        self.datacollector = mesa.DataCollector(
            model_reporters={c: (lambda m, c=c: float(m.recorder.latest()[c][0])) for c in self.recorder.columns})
        self.recorder.record()
        if self.replicates == 1:
            self.datacollector.collect(self)

    # ------------------------------------------------------------------ Mesa API
    def step(self) -> None:
        """Advance every replicate by one month."""
        self.engine.step()
        self.recorder.record()
        if self.replicates == 1:
            self.datacollector.collect(self)
        if self.engine.step_count >= self.spec.horizon:
            self.running = False

    def run(self, months: int | None = None) -> EurosecModel:
        """Run ``months`` more steps (default: to the scenario's horizon)."""
        todo = self.spec.horizon - self.engine.step_count if months is None else months
        for _ in range(max(todo, 0)):
            self.step()
        return self

    # -------------------------------------------------------------- conveniences
    @property
    def replicates(self) -> int:
        return len(self.seeds)

    @property
    def month(self) -> int:
        return self.engine.step_count

    @property
    def date(self) -> str:
        return self.spec.date(self.engine.step_count)

    def index(self, actor_id: str) -> int:
        return self.spec.roster.index(actor_id)

    def actor(self, actor_id: str) -> ActorAgent:
        if actor_id not in self._agents_by_id:
            raise ConfigError("actor", f"unknown actor {actor_id!r}", self.spec.ids)
        return self._agents_by_id[actor_id]

    def trust(self, observer: str, target: str) -> np.ndarray:
        """(R,) trust of ``observer`` in ``target`` in each replicate."""
        return self.engine.state.trust[:, self.index(observer), self.index(target)].copy()

    def threat(self, observer: str, target: str) -> np.ndarray:
        return self.engine.state.threat[:, self.index(observer), self.index(target)].copy()

    def summary(self):
        return self.recorder.summary_frame()

    def dyads(self):
        return self.recorder.dyads_frame()

    def events(self):
        return self.engine.log.frame(self.seeds, self.spec.date)

    def _decide(self, decider: int, view: ProposalView) -> tuple[np.ndarray, np.ndarray]:
        agent = self._agents_by_id[self.spec.ids[decider]]
        return agent.respond(view), agent.utility(view)
