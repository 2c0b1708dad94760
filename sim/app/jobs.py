"""One Hydra job of eurosec's command-line apps: skip it if verified results exist, redo it if
they are corrupt, record why it failed.

In a sweep (``-m``) a job that raises records ``failure.json`` (no partial results: results are
written atomically) and returns, so Hydra runs the other jobs and the end-of-sweep aggregation
reports the failure and exits with status 1. In a single run, bad input found this late exits
with status 2 and one paragraph; a full disk or missing memory with status 1 and one paragraph.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sim.app.folders import watch_parent
from sim.app.manifest import FAILURE, MANIFEST, config_hash, inspect_job
from sim.errors import ConfigError

log = logging.getLogger("eurosec")
EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
T = TypeVar("T")


class FolderConflict(RuntimeError):
    """A job folder holds verified results of another config: they are not overwritten."""


def run_job(kind: str, config: dict, work: Callable[[Path], T], on_skip: Callable[[Path], T] | None = None) -> T | None:
    """Run ``work(out_dir)`` as the current Hydra job of an app of ``kind`` with ``config``.

    In a sweep: a job folder with verified results of this config is skipped (``on_skip`` gives
    what to return), corrupt results are redone, results of another config are left alone and
    the job fails; a failing job records ``failure.json`` and returns None."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    sweeping = hc.mode == RunMode.MULTIRUN
    watch_parent()
    try:
        if sweeping:
            state = inspect_job(out_dir, kind, config_hash(config))
            if state.finished:
                log.info("job %s: verified results for this config are in %s: skipping", out_dir.name, out_dir)
                return on_skip(out_dir) if on_skip else None
            if state.status == "foreign":
                raise FolderConflict(f"{out_dir} {state.reason}; they are not overwritten (use another hydra.sweep.dir)")
            if state.status == "corrupt":
                log.warning("job %s: earlier results fail verification (%s): running it again", out_dir.name,
                            state.reason)
                (out_dir / MANIFEST).unlink(missing_ok=True)  # ours, and no longer true
            clear_failure(out_dir)
        return work(out_dir)
    except Exception as err:
        if sweeping:
            record_failure(out_dir, err)
            return None
        if isinstance(err, ConfigError):
            print(f"eurosec: {err}", file=sys.stderr)
            sys.exit(EXIT_BAD_INPUT)
        if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EACCES,
                                                      errno.EROFS, errno.EIO):
            print(f"eurosec: could not write the results into {out_dir}: {err.strerror or err}. Nothing was "
                  "kept: free some space or choose another folder (hydra.run.dir=...) and run again.",
                  file=sys.stderr)
            sys.exit(EXIT_FAILED)
        if isinstance(err, MemoryError):
            print("eurosec: the run ran out of memory although the estimate said it would fit. Nothing was "
                  "kept: run fewer replicates or record fewer dyads (output.dyad_replicates=20).", file=sys.stderr)
            sys.exit(EXIT_FAILED)
        raise


def record_failure(out_dir: Path, err: BaseException) -> dict:
    """Write ``out_dir/failure.json`` for a sweep job that raised ``err`` (job number, its
    overrides, error type, message and traceback) and log one line naming them."""
    from hydra.core.hydra_config import HydraConfig

    hc = HydraConfig.get()
    out_dir = Path(out_dir)
    info = {"job": out_dir.name, "overrides": list(hc.overrides.task), "type": type(err).__name__,
            "message": str(err).strip(), "traceback": "".join(traceback.format_exception(err))}
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{FAILURE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(info, indent=2))
    os.replace(tmp, out_dir / FAILURE)
    first = info["message"].splitlines()[0] if info["message"] else ""
    log.error("job %s failed (%s): %s; no results written, traceback in %s", info["job"],
              " ".join(info["overrides"]) or "no overrides", f"{info['type']}: {first}" if first else info["type"],
              out_dir / FAILURE)
    return info


def clear_failure(out_dir: Path) -> None:
    """Forget an earlier failure of this job (it is being run again)."""
    (Path(out_dir) / FAILURE).unlink(missing_ok=True)
