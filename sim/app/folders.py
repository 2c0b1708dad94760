"""Output folders: a run writes only into names it owns, one run at a time, and cleans up after
itself only.

- ``claim_run_dir``/``claim_sweep_dir``: before Hydra creates anything, refuse a folder that
  already holds a name this run would write (results, ``.hydra/``, the log), unless it is the
  same sweep being resumed; create the folder and lock it (``flock`` on ``.eurosec.lock``, which
  the kernel releases when the process dies, even by ``kill -9``), so two runs never write into
  one folder.
- ``release``: on the way out, if this run created the folder and wrote no results, remove what
  it created there (its lock, Hydra's ``.hydra/`` files and log) and the folder if it is then
  empty. Nothing else is ever deleted.
- Partial results live in ``.partial-*`` folders marked with their writer's process; a later run
  removes those whose writer is dead (``clean_stale_partials``).
- ``watch_parent``: a worker process (a sweep job or an arm) exits when the process that
  started it dies, instead of running on as an orphan.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import ConfigError

log = logging.getLogger("eurosec")

LOCK = ".eurosec.lock"
PARTIAL_PREFIX = ".partial-"
PARTIAL_MARK = ".eurosec-writer.json"
LAUNCHER_ENV = "EUROSEC_LAUNCHER_PID"
HYDRA_FILES = (".hydra/config.yaml", ".hydra/hydra.yaml", ".hydra/overrides.yaml")


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (field 22 of /proc/PID/stat), None if it does not exist:
    together with the pid it names one process, even after the pid is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return "unknown"
        return "unknown"
    return stat.rsplit(")", 1)[1].split()[19]


def writer_mark() -> dict:
    pid = os.getpid()
    return {"pid": pid, "start": process_start(pid), "host": os.uname().nodename}


def writer_alive(mark: dict) -> bool:
    if mark.get("host") != os.uname().nodename:
        return True  # another machine's writer (a shared filesystem): never assume it is dead
    start = process_start(int(mark.get("pid", -1)))
    return start is not None and (start == mark.get("start") or "unknown" in (start, mark.get("start")))


def clean_stale_partials(folder: Path) -> list[Path]:
    """Remove ``.partial-*`` folders in ``folder`` that eurosec marked and whose writer is dead."""
    removed = []
    for p in sorted(Path(folder).glob(f"{PARTIAL_PREFIX}*")):
        mark_file = p / PARTIAL_MARK
        if not p.is_dir() or not mark_file.exists():
            continue
        try:
            mark = json.loads(mark_file.read_text())
        except (OSError, ValueError):
            mark = {}
        if mark and writer_alive(mark):
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
        log.info("removed %s, left by an interrupted run (process %s)", p, mark.get("pid", "?"))
    return removed


# ------------------------------------------------------------------------------------ locking

class FolderBusy(ConfigError):
    pass


@dataclass
class Claim:
    """A folder this process writes into: whether it created it, and the lock it holds."""

    path: Path
    created: list[Path] = field(default_factory=list)  # folders this run created, outermost first
    lock_fd: int | None = None
    existed: frozenset[str] = frozenset()  # names that were there before this run

    def release(self, keep_results: bool, job_name: str | None = None) -> None:
        """Unlock; if ``keep_results`` is False (the run wrote no results), remove what this run
        created: its lock file, Hydra's .hydra files and its log where they were not there
        before, and the folders it created, if they are then empty."""
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None
        if keep_results:
            return
        mine = [LOCK, *HYDRA_FILES, *([f"{job_name}.log"] if job_name else [])]
        for name in mine:
            if name not in self.existed and name.split("/")[0] not in self.existed:
                (self.path / name).unlink(missing_ok=True)
        for folder in ([self.path / ".hydra"] if ".hydra" not in self.existed else []) + list(reversed(self.created)):
            try:
                folder.rmdir()  # only if empty: nothing that is not ours is ever removed
            except OSError:
                pass


def lock_folder(folder: Path, key: str) -> int:
    """Lock ``folder`` for this process (ConfigError if another eurosec run holds it); returns
    the descriptor to close when done (the kernel releases it if the process dies)."""
    return _lock(Path(folder), key)


def _lock(folder: Path, key: str) -> int:
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        holder = ""
        try:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
        except OSError:
            pass
        os.close(fd)
        if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise FolderBusy(key, f"{folder} is in use by another eurosec run ({holder or 'process unknown'})",
                             "another folder, or wait until that run ends") from None
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} on {os.uname().nodename}\n".encode(), 0)
    return fd


def _create(folder: Path, key: str) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, outermost first."""
    missing = []
    p = folder
    while not p.exists():
        missing.append(p)
        p = p.parent
    if not p.is_dir():
        raise ConfigError(key, f"{p} is a file, not a folder", "a folder path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(key, f"cannot create {folder}: {err.strerror}", "a folder you can write to") from None
    return list(reversed(missing))


def _writable(folder: Path, key: str) -> None:
    probe = folder / f".eurosec-probe-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise ConfigError(key, f"cannot write into {folder}: {err.strerror}", "a folder you can write to") from None


def claim(folder: Path, owned: list[str], key: str, resumable=None) -> Claim:
    """Claim ``folder`` for a run that will write the names ``owned`` into it.

    Refuses (ConfigError naming ``key``) a folder that already holds any of them, unless
    ``resumable(folder)`` says the folder is this same run being resumed; creates the folder,
    checks that it can be written, and locks it."""
    folder = Path(folder).absolute()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(key, f"{folder} is a file, not a folder", "a folder path")
    if folder.exists() and not (resumable and resumable(folder)):
        taken = sorted(name for name in owned if (folder / name).exists())
        if taken:
            raise ConfigError(key, f"{folder} already holds {', '.join(taken[:5])}{' ...' if len(taken) > 5 else ''}"
                              ", which this run would overwrite", "a new folder, or an empty one")
    existed = frozenset(p.name for p in folder.iterdir()) if folder.is_dir() else frozenset()
    created = _create(folder, key)
    c = Claim(folder, created, existed=existed)
    try:
        _writable(folder, key)
        c.lock_fd = _lock(folder, key)
    except BaseException:
        c.release(keep_results=False)
        raise
    return c


# ---------------------------------------------------------------------------- orphan watchdog

_watching = False


def mark_launcher() -> None:
    """Called by the launching process: its children know who started them."""
    os.environ[LAUNCHER_ENV] = str(os.getpid())


def watch_parent(interval: float = 1.0) -> None:
    """In a worker process (one started, directly or not, by a eurosec launcher): exit as soon as
    the parent process dies, so no orphan goes on computing and writing after its launcher was
    killed. A no-op in the launcher itself and outside eurosec's command-line apps."""
    global _watching
    launcher = os.environ.get(LAUNCHER_ENV)
    if _watching or launcher is None or launcher == str(os.getpid()):
        return
    parent = os.getppid()
    _watching = True

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                log.error("the process that started this worker (%d) has died: stopping", parent)
                os._exit(70)

    threading.Thread(target=watch, name="eurosec-parent-watch", daemon=True).start()
