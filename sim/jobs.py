"""One Hydra job of eurosec's command-line apps, and what a sweep does when a job fails.

Bad input in a single run exits with status 2, one paragraph, and no run folder. In a sweep
(``-m``) a job that raises records ``failure.json`` (no partial results: results are written
atomically) and returns, so Hydra runs the other jobs and the end-of-sweep aggregation
(experiments.aggregate) reports the failure and exits with status 1.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sim.errors import ConfigError

log = logging.getLogger("eurosec")
EXIT_BAD_INPUT = 2
T = TypeVar("T")


def run_job(work: Callable[[Path], T]) -> T | None:
    """Run ``work(out_dir)`` in the current Hydra job; None if a sweep job failed (recorded)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    sweeping = hc.mode == RunMode.MULTIRUN
    try:
        if sweeping:
            clear_failure(out_dir)
        return work(out_dir)
    except Exception as err:
        if sweeping:
            record_failure(out_dir, err)
            return None
        if not isinstance(err, ConfigError):
            raise
        # nothing of ours was written; remove the run folder Hydra created so no partial run is left
        shutil.rmtree(out_dir, ignore_errors=True)
        print(f"eurosec: {err}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


FAILURE = "failure.json"


def record_failure(out_dir: Path, err: BaseException) -> dict:
    """Write ``out_dir/failure.json`` for a sweep job that raised ``err`` (job number, its
    overrides, error type, message and traceback) and log one line naming them."""
    from hydra.core.hydra_config import HydraConfig

    hc = HydraConfig.get()
    out_dir = Path(out_dir)
    info = {"job": out_dir.name, "overrides": list(hc.overrides.task), "type": type(err).__name__,
            "message": str(err).strip(), "traceback": "".join(traceback.format_exception(err))}
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{FAILURE}.tmp"
    tmp.write_text(json.dumps(info, indent=2))
    os.replace(tmp, out_dir / FAILURE)
    log.error("job %s failed (%s): %s; no results written, traceback in %s", info["job"],
              " ".join(info["overrides"]) or "no overrides", describe(info), out_dir / FAILURE)
    return info


def clear_failure(out_dir: Path) -> None:
    """Forget an earlier failure of this job (it is being run again)."""
    (Path(out_dir) / FAILURE).unlink(missing_ok=True)


def describe(info: dict) -> str:
    """``Type: first line of the message`` of a recorded failure."""
    first = (info.get("message") or "").splitlines()
    return f"{info.get('type', 'Error')}: {first[0]}" if first else info.get("type", "Error")
