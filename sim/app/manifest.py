"""Job results that can be verified: written atomically, with a manifest of what was written.

A job's files are written into a hidden ``.partial-*`` folder (marked with the writing process)
and moved into place when complete, the manifest last. The manifest records the job's kind
(``run``, ``compare_options``, ``combinations``), the hash of its resolved config, the config
itself, and the size and SHA-256 of every file. A job folder is *finished* only if its manifest
reads, has the expected kind and config hash, and every file it lists is there with that size
and hash (and every Parquet file carries the same config); anything else is *corrupt*
(redone when the sweep is rerun, reported by the aggregation), *failed* (``failure.json``) or
*unfinished*. An unreadable manifest means unfinished.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sim import __version__
from sim.app.folders import PARTIAL_MARK, PARTIAL_PREFIX, clean_stale_partials, writer_mark

MANIFEST = "manifest.json"
FAILURE = "failure.json"
FORMAT = 1


def config_hash(cfg: dict) -> str:
    """Hash of a resolved config: a job's identity (a resumed sweep skips jobs with results for it)."""
    return hashlib.sha256(json.dumps(cfg, sort_keys=True, default=str).encode()).hexdigest()[:16]


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicResults:
    """Collect a job's files in a marked ``.partial-*`` folder inside ``out_dir``; ``commit()``
    hashes them, writes the manifest and moves everything into place, the manifest last.
    Leaving the context without commit (an exception) removes the partial folder."""

    def __init__(self, out_dir: Path, kind: str, config: dict):
        self.out_dir = Path(out_dir)
        self.kind = kind
        self.config = config
        self.tmp: Path | None = None

    def __enter__(self) -> AtomicResults:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        clean_stale_partials(self.out_dir)
        self.tmp = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=self.out_dir))
        (self.tmp / PARTIAL_MARK).write_text(json.dumps(writer_mark()))
        return self

    def path(self, name: str) -> Path:
        assert self.tmp is not None
        return self.tmp / name

    def commit(self) -> list[Path]:
        assert self.tmp is not None
        files = sorted(p for p in self.tmp.iterdir() if p.name not in (PARTIAL_MARK, MANIFEST))
        listed = {}
        for f in files:
            _fsync(f)
            listed[f.name] = {"bytes": f.stat().st_size, "sha256": file_digest(f)}
        manifest = {"format": FORMAT, "kind": self.kind, "eurosec_version": __version__,
                    "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "config_hash": config_hash(self.config), "files": listed, "config": self.config}
        (self.tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
        _fsync(self.tmp / MANIFEST)
        moved = []
        # a failure record of an earlier attempt is ours and now out of date
        (self.out_dir / FAILURE).unlink(missing_ok=True)
        for f in [*files, self.tmp / MANIFEST]:  # the manifest lands last: its presence means complete
            target = self.out_dir / f.name
            os.replace(f, target)
            moved.append(target)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None
        return moved

    def __exit__(self, *exc) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)


@dataclass
class JobState:
    """What a job folder holds: ``finished`` (verified), ``failed``, ``unfinished``, ``corrupt``
    (results that fail verification) or ``foreign`` (verified results of another config)."""

    status: str
    reason: str = ""
    manifest: dict | None = None
    failure: dict = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status == "finished"


def read_manifest(folder: Path) -> dict | None:
    """The manifest in ``folder``; None if there is none or it cannot be read (unfinished)."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and isinstance(manifest.get("files"), dict) else None


def _parquet_config_hash(path: Path) -> str | None:
    import pyarrow.parquet as pq

    md = pq.read_schema(path).metadata or {}
    raw = md.get(b"eurosec.config")
    return config_hash(json.loads(raw)) if raw is not None else None


def verify_files(folder: Path, manifest: dict) -> str:
    """'' if every file the manifest lists is in ``folder`` unchanged; else what is wrong."""
    for name, info in sorted(manifest["files"].items()):
        path = Path(folder) / name
        if not path.is_file():
            return f"{name} is missing"
        size = path.stat().st_size
        if size != info.get("bytes"):
            return f"{name} has {size} bytes, the manifest says {info.get('bytes')}"
        if file_digest(path) != info.get("sha256"):
            return f"{name} differs from the file the job wrote (SHA-256 mismatch)"
        if name.endswith(".parquet"):
            try:
                embedded = _parquet_config_hash(path)
            except Exception as err:  # noqa: BLE001 - any unreadable table is corrupt
                return f"{name} cannot be read ({type(err).__name__})"
            if embedded is not None and embedded != manifest.get("config_hash"):
                return f"{name} carries another job's config"
    return ""


def inspect_job(folder: Path, kind: str | None = None, expected_hash: str | None = None) -> JobState:
    """Classify a job folder (module docstring); ``expected_hash`` is the job's config hash."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        reason = "manifest.json cannot be read" if (folder / MANIFEST).exists() else ""
        if (folder / FAILURE).exists():
            try:
                failure = json.loads((folder / FAILURE).read_text())
            except (OSError, ValueError):
                failure = {"type": "Error", "message": "failure.json cannot be read"}
            return JobState("failed", failure.get("message", ""), failure=failure if isinstance(failure, dict) else {})
        return JobState("corrupt" if reason else "unfinished", reason)
    if config_hash(manifest.get("config") or {}) != manifest.get("config_hash"):
        return JobState("corrupt", "the manifest's config does not match its hash", manifest)
    if kind is not None and manifest.get("kind") != kind:
        return JobState("foreign", f"holds results of a {manifest.get('kind')} job, not {kind}", manifest)
    if expected_hash is not None and manifest.get("config_hash") != expected_hash:
        return JobState("foreign", "holds results of another config", manifest)
    problem = verify_files(folder, manifest)
    if problem:
        return JobState("corrupt", problem, manifest)
    return JobState("finished", "", manifest)
