"""`<home>/vectors/sync.json`: which fact-store generation of each project is in `code_symbols`.

Small, shared by every server process on the data dir, rewritten atomically (write, rename)
under an flock. Per project: `generation` (the facts the points were made from, None until the
first sync), `points` (in the collection now), `synced_at`, `scheduled` (the newest generation
handed to a background sync), and the progress of the sync under way: `target` (its generation),
`current` of `total` documents with vectors of their current text. Its file also serves as the cache fingerprint of qdrant_search_similar: it changes when a
sync is scheduled and when one lands. `where` names the Qdrant it describes, so switching
TOOLORCH_QDRANT_URL on or off makes every project stale instead of trusting the other store.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

VERSION = 1


class SyncMarker:
    def __init__(self, path: Path, where: str) -> None:
        self.path = path
        self.where = where
        self._lock_path = path.with_name(path.name + ".lock")

    def projects(self) -> dict[str, dict[str, Any]]:
        """Project → entry, as last written (empty when the marker describes another store)."""
        data = self._load()
        return dict(data["projects"]) if data.get("where") == self.where else {}

    def entry(self, project: str) -> dict[str, Any]:
        return self.projects().get(project, {})

    def ensure(self) -> Path:
        """Create the file if missing (so it can be fingerprinted) and return its path."""
        if not self.path.exists():
            self._update(lambda projects: None)
        return self.path

    def scheduled(self, project: str, generation: int) -> None:
        def change(projects: dict[str, dict[str, Any]]) -> None:
            projects.setdefault(project, {"generation": None, "points": 0})["scheduled"] = generation
        self._update(change)

    def synced(self, project: str, generation: int, points: int) -> None:
        def change(projects: dict[str, dict[str, Any]]) -> None:
            entry = projects.setdefault(project, {})
            entry.update(generation=generation, points=points, synced_at=round(time.time(), 3),
                         target=generation, current=points, total=points)
            entry.setdefault("scheduled", generation)
        self._update(change)

    def progress(self, project: str, target: int, *, points: int, current: int, total: int) -> None:
        """A sync towards generation `target` is under way: the collection holds `points` of the
        project's points, `current` of its `total` documents have vectors of their current text."""
        def change(projects: dict[str, dict[str, Any]]) -> None:
            entry = projects.setdefault(project, {"generation": None})
            entry.update(points=points, target=target, current=current, total=total)
        self._update(change)

    def forget(self, *projects: str) -> None:
        """Drop entries (all when none named): those projects will be synced from scratch."""
        def change(entries: dict[str, dict[str, Any]]) -> None:
            for name in projects or list(entries):
                entries.pop(name, None)
        self._update(change)

    # ---- file --------------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {"version": VERSION, "where": self.where, "projects": {}}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s (%s): every project will be re-synced",
                        self.path, exc)
            return {"version": VERSION, "where": self.where, "projects": {}}
        if not isinstance(data, dict) or not isinstance(data.get("projects"), dict):
            return {"version": VERSION, "where": self.where, "projects": {}}
        return data

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _update(self, change: Callable[[dict[str, dict[str, Any]]], None]) -> None:
        with self._locked():
            data = self._load()
            if data.get("where") != self.where:
                data = {"version": VERSION, "where": self.where, "projects": {}}
            change(data["projects"])
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
            os.replace(tmp, self.path)
