"""Writing results: Parquet tables that carry their config, seeds and version. The apps write
them through :class:`sim.app.manifest.AtomicResults` (a hidden temporary folder, then moved
into place with a verified manifest), so that a failed run leaves no partial results."""

from __future__ import annotations

import json
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from sim import __version__

PACKAGES = ("mesa", "numpy", "pandas", "pyarrow", "hydra-core", "matplotlib")


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent, capture_output=True,
                             text=True, timeout=5, check=False)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def run_metadata(config: dict, seeds) -> dict:
    """Provenance written beside and inside every result: version, commit, seeds, packages."""
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = importlib_metadata.version(p)
        except importlib_metadata.PackageNotFoundError:
            versions[p] = None
    return {
        "eurosec_version": __version__,
        "git_commit": git_commit(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seed": config.get("seed"),
        "replicate_seeds": [int(s) for s in seeds],
        "scenario": (config.get("scenario") or {}).get("name"),
        "moves": list((config.get("moves") or {}).keys()),
        "python": platform.python_version(),
        "packages": versions,
    }


def write_parquet(df: pd.DataFrame, path: Path, meta: dict, config: dict) -> None:
    table = pa.Table.from_pandas(df, preserve_index=False)
    extra = {b"eurosec.metadata": json.dumps(meta).encode(), b"eurosec.config": json.dumps(config).encode()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    pq.write_table(table, path, compression="zstd")


def read_metadata(path) -> dict:
    """The eurosec provenance (metadata and config) stored in a result Parquet file."""
    md = pq.read_schema(path).metadata or {}
    return {"metadata": json.loads(md[b"eurosec.metadata"]), "config": json.loads(md[b"eurosec.config"])}


def write_yaml(obj, path: Path) -> None:
    with open(path, "w") as f:
        yaml.safe_dump(obj, f, sort_keys=False, allow_unicode=True)


MANIFEST = "manifest.json"


def config_hash(cfg: dict) -> str:
    """Short hash of a resolved config: a job's identity when a sweep resumes."""
    import hashlib

    return hashlib.sha256(json.dumps(cfg, sort_keys=True, default=str).encode()).hexdigest()[:16]


def manifest_text(cfg: dict) -> str:
    """The manifest written last into a finished job's folder (its presence means complete)."""
    return json.dumps({"config_hash": config_hash(cfg), "config": cfg}, indent=2, default=str)


def finished(cfg: dict, out_dir: Path) -> bool:
    """True if ``out_dir`` already holds the complete results of this exact config (resume)."""
    manifest = Path(out_dir) / MANIFEST
    return manifest.exists() and json.loads(manifest.read_text()).get("config_hash") == config_hash(cfg)

