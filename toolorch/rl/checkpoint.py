"""Versioned, atomic policy checkpoints shared by every server process on one data dir.

Layout under `<home>/policy/`:

    policy-v000001.pt   torch.save of {version, policy_config, vocab, policy, reference, optimizer, trainer}
    policy-v000002.pt   (the newest `keep` versions are kept)
    latest              JSON {"version": 2, "file": "policy-v000002.pt", "sha256": {"2": "…", "1": "…"},
                              "ts": …, "metrics": {…the round's metrics…}}
    .lock               flock'ed while a version is written, so two trainers never share a number

A version file is written to a temporary name, fsync'ed, then renamed (os.replace is atomic on
POSIX), and the directory is fsync'ed; `latest` is replaced the same way afterwards. A process
killed mid-write leaves only a `.tmp-*` file that no reader looks at. Loading verifies the SHA-256
recorded in `latest` and falls back, newest first, to the last version that loads.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_VERSION_FILE = re.compile(r"^policy-v(\d+)\.pt$")
_TMP_MAX_AGE_S = 600.0


class CheckpointDir:
    """Save and load numbered checkpoints in one directory."""

    def __init__(self, directory: Path, keep: int = 5) -> None:
        self.directory = Path(directory)
        self.keep = max(1, keep)

    # -- paths --------------------------------------------------------------------------------
    @property
    def pointer(self) -> Path:
        return self.directory / "latest"

    def path_of(self, version: int) -> Path:
        return self.directory / f"policy-v{version:06d}.pt"

    def versions(self) -> list[int]:
        """Version numbers with a file, newest first."""
        if not self.directory.is_dir():
            return []
        found = (_VERSION_FILE.match(p.name) for p in self.directory.iterdir())
        return sorted((int(m.group(1)) for m in found if m), reverse=True)

    def _read_pointer(self) -> dict[str, Any]:
        try:
            data = json.loads(self.pointer.read_text())
            return data if isinstance(data, dict) and isinstance(data.get("version"), int) else {}
        except (OSError, ValueError):
            return {}

    def latest_info(self) -> dict[str, Any]:
        """The `latest` pointer (version, file, ts, the round's metrics) without loading torch."""
        return self._read_pointer()

    def latest_version(self) -> int:
        """The version `latest` names (0 when there is none). Cheap: one small file read."""
        return int(self._read_pointer().get("version", 0))

    def newest(self) -> int:
        """The newest version named by `latest` or present as a file (0 when none)."""
        return max([self.latest_version(), *self.versions()[:1]])

    def read_bytes(self, version: int) -> bytes:
        return self.path_of(version).read_bytes()

    # -- writing ------------------------------------------------------------------------------
    def save(self, payload: dict[str, Any], version: int | None = None) -> int:
        """Write the payload as the next version (or as `version`, allocated elsewhere: see
        shared.py; it must be newer than every local one); returns its number."""
        import torch

        self.directory.mkdir(parents=True, exist_ok=True)
        with self._locked():
            newest = self.newest()
            if version is None:
                version = newest + 1
            elif version <= newest:
                raise ValueError(f"checkpoint version {version} is not newer than v{newest} in {self.directory}")
            payload = {**payload, "version": version}
            buf = io.BytesIO()
            torch.save(payload, buf)
            data = buf.getvalue()
            self._install(version, data, payload.get("metrics", {}))
        logger.info("policy checkpoint v%d written (%d bytes)", version, len(data))
        return version

    def import_version(self, version: int, data: bytes, metrics: dict[str, Any] | None = None) -> bool:
        """Install a version written by another machine (already checksummed by the caller);
        False when this directory has it or a newer one already."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._locked():
            if version <= self.newest():
                return False
            self._install(version, data, metrics or {})
        logger.info("policy checkpoint v%d imported (%d bytes)", version, len(data))
        return True

    def _install(self, version: int, data: bytes, metrics: dict[str, Any]) -> None:
        """Under the lock: the version file, then `latest`, then pruning."""
        pointer = self._read_pointer()
        self._write_atomic(self.path_of(version), data)
        sums = {str(version): hashlib.sha256(data).hexdigest()}
        old = pointer.get("sha256", {}) if isinstance(pointer.get("sha256"), dict) else {}
        kept = self.versions()[: self.keep]
        sums.update({k: v for k, v in old.items() if k.isdigit() and int(k) in kept})
        meta = {
            "version": version,
            "file": self.path_of(version).name,
            "sha256": sums,
            "ts": time.time(),
            "metrics": metrics,
        }
        self._write_atomic(self.pointer, json.dumps(meta, indent=1).encode())
        self._prune(kept)

    def _write_atomic(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _prune(self, kept: list[int]) -> None:
        for v in self.versions():
            if v not in kept:
                self.path_of(v).unlink(missing_ok=True)
        now = time.time()
        for tmp in self.directory.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                if now - tmp.stat().st_mtime > _TMP_MAX_AGE_S:
                    tmp.unlink()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.directory / ".lock", "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    # -- reading ------------------------------------------------------------------------------
    def load_latest(self, newer_than: int = 0) -> dict[str, Any] | None:
        """The newest checkpoint that loads and passes its checksum, newer than `newer_than`;
        None when there is none. Corrupt or missing versions are logged and skipped."""
        pointer = self._read_pointer()
        sums = pointer.get("sha256", {}) if isinstance(pointer.get("sha256"), dict) else {}
        candidates = self.versions()
        if pointer.get("version") and pointer["version"] not in candidates:
            logger.warning("policy checkpoint v%s named by %s is missing", pointer["version"], self.pointer)
        for version in candidates:
            if version <= newer_than:
                return None
            payload = self._load(version, sums.get(str(version)))
            if payload is not None:
                return payload
        return None

    def _load(self, version: int, sha256: str | None) -> dict[str, Any] | None:
        import torch

        path = self.path_of(version)
        try:
            data = path.read_bytes()
            if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
                raise ValueError("checksum mismatch (truncated or overwritten)")
            payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
            if not isinstance(payload, dict) or payload.get("version") != version:
                raise ValueError("not a toolorch policy checkpoint")
            return payload
        except Exception as exc:
            logger.warning("skipping policy checkpoint %s: %s; falling back to an older version", path, exc)
            return None
