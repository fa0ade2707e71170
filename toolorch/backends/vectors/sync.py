"""Keeping `code_symbols` in step with the fact store, off the indexing path.

Embedding thousands of symbols takes tens of seconds on two busy cores; scip_index_code may add
only ≈ 10 % to the indexer's time. So `VectorSync` (one per process, in the engine's services)
embeds in a background thread, and searches wait for what they need:

- `schedule(projects)` queues projects; the worker syncs each to the fact store's *current*
  facts: it diffs the wanted points against those stored (ids are deterministic, payloads carry a
  digest of the embedded text), embeds only new or changed texts, upserts them and deletes the
  points of vanished symbols, then records the generation in the marker (marker.py).
- points are written as they are made (every WRITE_EVERY points or WRITE_EVERY_S seconds), each
  write recording in the marker how many of the project's documents now have current vectors,
  so searches use the vectors made so far and say the dense coverage (`coverage`).
- `schedule_stale()` (every search) compares each project's fact-store generation with the
  marker and schedules the stale ones (including those indexed by *another* server process,
  whose own worker may have died with it), without waiting: the search answers with the lexical
  index and whatever vectors exist. A per-project flock makes two processes never embed the same
  project at once: the second waits, then finds it done.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from toolorch.backends.vectors.documents import SearchDoc, build_documents
from toolorch.backends.vectors.lease import exclusive_file
from toolorch.backends.vectors.marker import SyncMarker
from toolorch.backends.vectors.store import SYMBOLS_COLLECTION, VectorStore
from toolorch.backends.vectors.texts import DEFAULT_RECIPE, Recipe, symbol_point
from toolorch.core.services import ServiceKey
from toolorch.errors import BackendError

if TYPE_CHECKING:
    from toolorch.backends.vectors.embedder import Embedder
    from toolorch.stores.facts import FactStore

log = logging.getLogger(__name__)

SERVICE_KEY: ServiceKey[VectorSync] = ServiceKey("vector_sync")
EMBED_BATCH = 64
WRITE_EVERY = 256
WRITE_EVERY_S = 2.0
ProgressFn = Callable[[float, float | None, str], None]


class SyncStopped(Exception):
    """The server is shutting down; the marker still says stale, so the next search redoes it."""


def project_documents(facts: FactStore, project: str) -> tuple[int | None, list[SearchDoc]]:
    """(generation, search documents) of `project` now (None, []: not in the fact store)."""
    generation, rows = read_project(facts, project)
    if generation is None:
        return None, []
    info = facts.project(project) or {}
    return generation, build_documents(project, info.get("root"), rows)


def read_project(facts: FactStore, project: str) -> tuple[int | None, list[dict[str, Any]]]:
    """(generation, symbol rows) read consistently: retried if a re-index lands in between.
    Generation None: the project is not (or no longer) in the fact store."""
    for _ in range(10):
        before = facts.project(project)
        rows = facts.symbols(project) if before else []
        after = facts.project(project)
        if before == after:
            return (int(before["generation"]) if before else None), rows
    raise BackendError(f"project {project!r} kept being re-indexed while reading its symbols; "
                       "retry when indexing has finished", retryable=True)


class VectorSync:
    """Background embedding of projects into `code_symbols`, with waits for searches."""

    def __init__(self, facts: FactStore, store: VectorStore, embedder: Embedder,
                 recipe: Recipe = DEFAULT_RECIPE) -> None:
        self.facts, self.store, self.embedder, self.recipe = facts, store, embedder, recipe
        self.marker = SyncMarker(store.state_dir / "sync.json", store.where)
        self._cond = threading.Condition()
        self._queue: list[str] = []
        self._running: str | None = None
        self._running_generation: int | None = None  # the generation the running sync makes
        self._progress: dict[str, tuple[int, int, str]] = {}
        self._failed: dict[str, str] = {}
        self.last_sync: dict[str, dict[str, int]] = {}  # project → counts of its last sync here
        self._stop = False
        self._thread: threading.Thread | None = None
        self._worker_active = False  # set and cleared under _cond: no job is left unserved

    # ---- scheduling and waiting ------------------------------------------------------------

    def schedule(self, projects: Iterable[str]) -> None:
        with self._cond:
            if self._stop:
                return
            for project in projects:
                if project not in self._queue:
                    self._queue.append(project)
                    self._failed.pop(project, None)
            if self._queue and not self._worker_active:
                self._worker_active = True
                self._thread = threading.Thread(target=self._work, name="vector-sync", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def stale(self) -> list[str]:
        """Projects whose points do not match their facts: re-indexed, never synced, or gone
        from the fact store. A collection holding another number of points than the marker
        records (deleted by hand, a write cut short) makes every project stale."""
        current = {p["name"]: p.get("generation") for p in self.facts.projects()}
        _, count, synced = self.store.inspect(SYMBOLS_COLLECTION, self.marker.projects)
        recorded = sum(int(e.get("points") or 0) for e in synced.values())
        if synced and count != recorded:  # a missing collection holds 0 points: fine if 0 recorded
            log.warning("%s holds %d points, %s records %d: re-syncing every project",
                        SYMBOLS_COLLECTION, count, self.marker.path, recorded)
            self.marker.forget()
            synced = {}
        return sorted(n for n in set(current) | set(synced)
                      if current.get(n) is None or synced.get(n, {}).get("generation")
                      != current[n])

    def busy(self, projects: Iterable[str]) -> list[str]:
        wanted = set(projects)
        with self._cond:
            return [p for p in [self._running, *self._queue] if p in wanted]

    def wait(self, projects: Iterable[str], progress: ProgressFn | None = None,
             check: Callable[[], None] | None = None) -> None:
        """Block until none of `projects` is queued or syncing here; raise if one failed.
        `check` is called every half second (e.g. to notice cancellation)."""
        wanted = set(projects)
        last_report = 0.0
        while True:
            with self._cond:
                pending = {self._running, *self._queue} & wanted
                if self._stop or not pending:
                    failed = {p: self._failed[p] for p in wanted if p in self._failed}
                    break
                self._cond.wait(0.5)
                status = self._status(wanted)
            if check is not None:
                check()
            if progress is not None and time.monotonic() - last_report >= 1.0:
                last_report = time.monotonic()
                progress(*status)
        if pending:
            raise BackendError("the server is shutting down before the symbols of "
                               f"{', '.join(sorted(p for p in pending if p))} were embedded; "
                               "retry on a running server", retryable=True)
        if failed:
            raise BackendError("embedding the symbols failed for " + "; ".join(
                f"{p}: {why}" for p, why in sorted(failed.items())), retryable=True)

    def schedule_stale(self) -> list[str]:
        """Schedule every stale project (see `stale`) and return them; never waits. A project
        being synced here towards its current generation is not queued again."""
        stale = self.stale()
        with self._cond:
            running, target = self._running, self._running_generation
        if running in stale and target is not None:
            info = self.facts.project(running)
            if info is not None and info.get("generation") == target:
                stale.remove(running)
        if stale:
            self.schedule(stale)
        return stale

    def ensure_fresh(self, progress: ProgressFn | None = None,
                     check: Callable[[], None] | None = None) -> list[str]:
        """Sync every stale project and wait for it (benchmarks, tests); returns those synced."""
        stale = self.schedule_stale()
        busy = sorted(set(stale) | set(self.busy(p["name"] for p in self.facts.projects())))
        if busy:
            self.wait(busy, progress, check)
        return busy

    def coverage(self, documents: dict[str, int]) -> dict[str, tuple[int, int]]:
        """project → (documents with vectors of their current text, documents), for the
        projects of `documents` (project → its document count in the lexical index)."""
        current = {p["name"]: p.get("generation") for p in self.facts.projects()}
        entries = self.marker.projects()
        out: dict[str, tuple[int, int]] = {}
        for project, total in documents.items():
            entry = entries.get(project, {})
            generation = current.get(project)
            if generation is not None and entry.get("generation") == generation:
                out[project] = (int(entry.get("points") or 0), int(entry.get("points") or 0))
            elif generation is not None and entry.get("target") == generation:
                out[project] = (int(entry.get("current") or 0), int(entry.get("total") or total))
            else:
                out[project] = (0, total)
        return out

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._queue.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _status(self, wanted: set[str]) -> tuple[float, float | None, str]:
        running = self._running
        if running in wanted and running in self._progress:
            done, total, message = self._progress[running]
            return float(done), float(total), message
        queued = [p for p in self._queue if p in wanted]
        return 0.0, None, f"waiting to embed the symbols of {', '.join(queued) or running}"

    # ---- the worker --------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cond:
                if self._stop or not self._queue:
                    self._running = None
                    self._worker_active = False
                    self._cond.notify_all()
                    return
                project = self._running = self._queue.pop(0)
                self._running_generation = None
                self._progress.pop(project, None)
            try:
                self.last_sync[project] = self.sync_project(project)
            except SyncStopped:
                log.info("vector sync of %r interrupted by shutdown", project)
            except Exception as exc:
                if self._stop:  # the store closed under it at shutdown: the marker says stale
                    log.info("vector sync of %r stopped by shutdown: %s", project, exc)
                    continue
                log.exception("vector sync of %r failed", project)
                with self._cond:
                    self._failed[project] = str(exc)
            with self._cond:
                self._running = None
                self._cond.notify_all()

    def _report(self, project: str, done: int, total: int, message: str) -> None:
        with self._cond:
            if self._stop:
                raise SyncStopped(project)
            self._progress[project] = (done, total, message)

    def sync_project(self, project: str) -> dict[str, int]:
        """Make `project`'s points match its facts now (in the calling thread)."""
        lock = self.store.state_dir / f"sync-{hashlib.sha1(project.encode()).hexdigest()[:16]}.lock"

        def waiting(seconds: float, message: str) -> None:
            self._report(project, 0, 1, f"{project}: {message}")

        with exclusive_file(lock, what=f"the vector sync of project {project!r}", on_wait=waiting):
            return self._sync_locked(project)

    def _sync_locked(self, project: str) -> dict[str, int]:
        generation, docs = project_documents(self.facts, project)
        with self._cond:
            self._running_generation = generation
        if generation is None:
            self.store.delete_project(SYMBOLS_COLLECTION, project)
            self.marker.forget(project)
            return {"points": 0, "embedded": 0, "deleted": 0, "rewritten": 0}
        if self.marker.entry(project).get("generation") == generation:
            return {"points": int(self.marker.entry(project).get("points") or 0),
                    "embedded": 0, "deleted": 0, "rewritten": 0}  # unchanged, or another process did it
        wanted = {pid: (text, payload) for pid, text, payload in
                  (symbol_point(d, self.recipe) for d in docs)}
        self.store.ensure_collection(SYMBOLS_COLLECTION, self.embedder.dimension)
        stored = self.store.payloads_of(SYMBOLS_COLLECTION, project)
        deletes = [pid for pid in stored if pid not in wanted]
        changed = {pid: v for pid, v in wanted.items() if stored.get(pid) != v[1]}
        reuse = [pid for pid, (_, payload) in changed.items()
                 if stored.get(pid, {}).get("digest") == payload["digest"]]
        vectors = self.store.vectors_of(SYMBOLS_COLLECTION, reuse)
        embed_ids = [pid for pid in changed if pid not in vectors]
        total = len(embed_ids)
        present = set(stored) - set(deletes)
        pending = set(embed_ids)

        def flush(ids: list[str]) -> None:
            """Write `ids` (and the deletes, the first time) and record the progress."""
            present.update(ids)
            pending.difference_update(ids)
            points, current = len(present), len(wanted) - len(pending)
            self.store.write(SYMBOLS_COLLECTION, [(pid, vectors[pid], changed[pid][1]) for pid in ids],
                             deletes, then=lambda: self.marker.progress(
                                 project, generation, points=points, current=current,
                                 total=len(wanted)))
            deletes.clear()

        flush([pid for pid in changed if pid in vectors])  # payload-only changes, deletions
        batch: list[str] = []
        last_write = time.monotonic()
        for start in range(0, total, EMBED_BATCH):
            self._report(project, start, total, f"{project}: embedded {start}/{total} symbols")
            chunk = embed_ids[start:start + EMBED_BATCH]
            for pid, vec in zip(chunk, self.embedder.embed([changed[p][0] for p in chunk])):
                vectors[pid] = vec.tolist()
            batch += chunk
            if len(batch) >= WRITE_EVERY or time.monotonic() - last_write >= WRITE_EVERY_S:
                flush(batch)
                batch, last_write = [], time.monotonic()
        self._report(project, total, total, f"{project}: writing the last points")
        self.store.write(SYMBOLS_COLLECTION, [(pid, vectors[pid], changed[pid][1]) for pid in batch],
                         deletes, then=lambda: self.marker.synced(project, generation, len(wanted)))
        log.info("vectors of %r at generation %d: %d points, %d embedded, %d rewritten, "
                 "%d deleted", project, generation, len(wanted), total, len(changed) - total,
                 len(set(stored) - set(wanted)))
        return {"points": len(wanted), "embedded": total, "deleted": len(set(stored) - set(wanted)),
                "rewritten": len(changed) - total}
