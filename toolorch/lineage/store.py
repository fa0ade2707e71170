"""The local OpenLineage event store: one SQLite file (WAL) in the data dir, shared by every
toolorch process on it.

It keeps each event as received (`events`, also the outbox towards Marquez) and, in the same
transaction, the derived tables the lineage graph is walked over: `runs` (one row per run, its
latest state and merged run facets), `run_io` (which datasets a run read and wrote) and
`datasets` (first/last seen, last written, latest facets). Events are plain OpenLineage JSON
dicts, so events from any producer (or a test's Marquez stand-in) can be stored and walked.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from toolorch.stores.sqlite import connect_wal

DatasetKey = tuple[str, str]  # (namespace, name)

#: OpenLineage eventType -> Marquez RunState. Terminal states are never replaced by START/RUNNING
#: (events can arrive out of order).
RUN_STATES = {"START": "RUNNING", "RUNNING": "RUNNING", "COMPLETE": "COMPLETED",
              "FAIL": "FAILED", "ABORT": "ABORTED"}
TERMINAL = ("COMPLETED", "FAILED", "ABORTED")

#: `events.delivery`: LOCAL = not meant for Marquez; PENDING = to send; SENT = delivered.
LOCAL, PENDING, SENT = -1, 0, 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    event_type TEXT,
    event_time TEXT,
    job_namespace TEXT,
    job_name TEXT,
    payload TEXT NOT NULL,
    delivery INTEGER NOT NULL DEFAULT -1,
    claimed_by TEXT,
    claimed_at REAL
);
CREATE INDEX IF NOT EXISTS events_pending ON events(id) WHERE delivery = 0;
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    job_namespace TEXT NOT NULL,
    job_name TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    parent_run_id TEXT,
    facets TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS runs_job ON runs(job_namespace, job_name);
CREATE TABLE IF NOT EXISTS run_io (
    run_id TEXT NOT NULL,
    io TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (run_id, io, namespace, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS run_io_dataset ON run_io(namespace, name, io);
CREATE TABLE IF NOT EXISTS datasets (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_modified_at REAL,
    facets TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (namespace, name)
) WITHOUT ROWID;
"""

_UPSERT_RUN = """
INSERT INTO runs (run_id, job_namespace, job_name, state, created_at, updated_at, started_at,
                  ended_at, parent_run_id, facets)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(run_id) DO UPDATE SET
    state = CASE WHEN runs.state IN ('COMPLETED', 'FAILED', 'ABORTED')
                      AND excluded.state NOT IN ('COMPLETED', 'FAILED', 'ABORTED')
                 THEN runs.state ELSE excluded.state END,
    created_at = min(runs.created_at, excluded.created_at),
    updated_at = max(runs.updated_at, excluded.updated_at),
    started_at = coalesce(runs.started_at, excluded.started_at),
    ended_at = coalesce(excluded.ended_at, runs.ended_at),
    parent_run_id = coalesce(excluded.parent_run_id, runs.parent_run_id),
    facets = json_patch(runs.facets, excluded.facets)
"""

_UPSERT_DATASET = """
INSERT INTO datasets (namespace, name, created_at, updated_at, last_modified_at, facets)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT(namespace, name) DO UPDATE SET
    created_at = min(datasets.created_at, excluded.created_at),
    updated_at = max(datasets.updated_at, excluded.updated_at),
    last_modified_at = CASE WHEN excluded.last_modified_at IS NULL THEN datasets.last_modified_at
                            ELSE max(coalesce(datasets.last_modified_at, 0),
                                     excluded.last_modified_at) END,
    facets = json_patch(datasets.facets, excluded.facets)
"""


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    job_namespace: str
    job_name: str
    state: str                      # Marquez RunState: RUNNING, COMPLETED, FAILED, ABORTED
    created_at: float
    updated_at: float
    started_at: float | None
    ended_at: float | None
    parent_run_id: str | None
    facets: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    namespace: str
    name: str
    created_at: float
    updated_at: float
    last_modified_at: float | None
    facets: dict[str, Any] = field(default_factory=dict)


def parse_time(text: str | None) -> float:
    """An OpenLineage eventTime (ISO 8601, any offset or `Z`) as epoch seconds."""
    if not text:
        return time.time()
    return datetime.fromisoformat(text).timestamp()


class LineageStore:
    """SQLite store of OpenLineage run events. Safe across processes (WAL, busy timeout) and
    across threads of one process (one connection behind a lock)."""

    def __init__(self, path: Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = connect_wal(path, busy_timeout_s, isolation_level=None)
        with self._lock:
            self._db.executescript(_SCHEMA)  # IF NOT EXISTS: safe when processes race here

    # -- writing ---------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: takes the write lock up front, so concurrent writers wait
        on the busy timeout instead of failing on a lock upgrade."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def add_events(self, events: Iterable[dict[str, Any]], *, deliver: bool = False) -> int:
        """Store OpenLineage run events (dicts) in one transaction; `deliver` queues them for
        Marquez. Returns how many were stored."""
        rows = [(ev, json.dumps(ev, separators=(",", ":"), default=str)) for ev in events]
        with self._write() as db:
            for event, payload in rows:
                self._add(db, event, payload, PENDING if deliver else LOCAL)
        return len(rows)

    def _add(self, db: sqlite3.Connection, event: dict[str, Any], payload: str,
             delivery: int) -> None:
        run = event.get("run") or {}
        job = event.get("job") or {}
        run_id, ns, name = str(run.get("runId", "")), str(job.get("namespace", "")), str(job.get("name", ""))
        if not run_id or not name:
            raise ValueError("an OpenLineage run event needs run.runId and job.name")
        etype = str(event.get("eventType") or "OTHER").upper()
        ts = parse_time(event.get("eventTime"))
        facets = run.get("facets") or {}
        parent = ((facets.get("parent") or {}).get("run") or {}).get("runId")
        db.execute(
            "INSERT INTO events (run_id, event_type, event_time, job_namespace, job_name, payload,"
            " delivery) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_id, etype, event.get("eventTime"), ns, name, payload, delivery))
        state = RUN_STATES.get(etype, "RUNNING")
        db.execute(_UPSERT_RUN, (
            run_id, ns, name, state, ts, ts, ts if etype == "START" else None,
            ts if state in TERMINAL else None, parent,
            json.dumps(facets, default=str) if facets else "{}"))
        written = state == "COMPLETED"
        io_rows, ds_rows = [], []
        for io, key in (("in", "inputs"), ("out", "outputs")):
            for ds in event.get(key) or []:
                dns, dname = str(ds.get("namespace", "")), str(ds.get("name", ""))
                if not dname:
                    continue
                io_rows.append((run_id, io, dns, dname))
                ds_facets = ds.get("facets")
                ds_rows.append((dns, dname, ts, ts, ts if (io == "out" and written) else None,
                                json.dumps(ds_facets, default=str) if ds_facets else "{}"))
        if io_rows:
            db.executemany("INSERT OR IGNORE INTO run_io VALUES (?, ?, ?, ?)", io_rows)
            db.executemany(_UPSERT_DATASET, ds_rows)

    def prune_events(self, older_than_s: float, now: float | None = None) -> int:
        """Delete the raw payloads of events older than `older_than_s` that are not waiting for
        Marquez. Runs, their inputs/outputs and datasets stay, so every lineage graph is
        unchanged; only `events(run_id)` forgets them. Returns how many were deleted."""
        cutoff = (time.time() if now is None else now) - older_than_s
        with self._lock:
            rows = self._db.execute("SELECT id, event_time FROM events WHERE delivery != ?", (PENDING,)).fetchall()
        old = [(i, PENDING) for i, t in rows if t and parse_time(t) < cutoff]
        if old:
            with self._write() as db:
                db.executemany("DELETE FROM events WHERE id = ? AND delivery != ?", old)
        return len(old)

    # -- reading (the graph walk) ----------------------------------------------------------------

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def runs_touching(self, keys: Iterable[DatasetKey], io: str) -> set[str]:
        """Runs that read (`io="in"`) or wrote (`io="out"`) any of the datasets."""
        out: set[str] = set()
        for ns, name in keys:
            out.update(r[0] for r in self._query(
                "SELECT run_id FROM run_io WHERE namespace = ? AND name = ? AND io = ?", (ns, name, io)))
        return out

    def run_io(self, run_ids: Iterable[str]) -> dict[str, tuple[list[DatasetKey], list[DatasetKey]]]:
        """run id -> (inputs, outputs)."""
        result: dict[str, tuple[list[DatasetKey], list[DatasetKey]]] = {}
        for chunk in _chunks(list(run_ids)):
            marks = ",".join("?" * len(chunk))
            for run_id, io, ns, name in self._query(
                    f"SELECT run_id, io, namespace, name FROM run_io WHERE run_id IN ({marks})"
                    " ORDER BY namespace, name", chunk):
                ins, outs = result.setdefault(run_id, ([], []))
                (ins if io == "in" else outs).append((ns, name))
        return result

    def runs(self, run_ids: Iterable[str]) -> dict[str, RunRecord]:
        result: dict[str, RunRecord] = {}
        for chunk in _chunks(list(run_ids)):
            marks = ",".join("?" * len(chunk))
            for row in self._query(f"SELECT * FROM runs WHERE run_id IN ({marks})", chunk):
                result[row[0]] = RunRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                                            row[7], row[8], json.loads(row[9]))
        return result

    def datasets(self, keys: Iterable[DatasetKey]) -> dict[DatasetKey, DatasetRecord]:
        result: dict[DatasetKey, DatasetRecord] = {}
        for ns, name in keys:
            for row in self._query("SELECT * FROM datasets WHERE namespace = ? AND name = ?", (ns, name)):
                result[(ns, name)] = DatasetRecord(row[0], row[1], row[2], row[3], row[4],
                                                   json.loads(row[5]))
        return result

    def dataset_names(self) -> list[DatasetKey]:
        return [(r[0], r[1]) for r in self._query("SELECT namespace, name FROM datasets ORDER BY 1, 2")]

    def namespaces_of(self, name: str) -> list[str]:
        return [r[0] for r in self._query(
            "SELECT namespace FROM datasets WHERE name = ? ORDER BY namespace", (name,))]

    def events(self, run_id: str | None = None) -> list[dict[str, Any]]:
        """Stored events, oldest first (all, or one run's)."""
        if run_id is None:
            rows = self._query("SELECT payload FROM events ORDER BY id")
        else:
            rows = self._query("SELECT payload FROM events WHERE run_id = ? ORDER BY id", (run_id,))
        return [json.loads(r[0]) for r in rows]

    def count_events(self) -> int:
        return int(self._query("SELECT count(*) FROM events")[0][0])

    # -- the outbox towards Marquez --------------------------------------------------------------

    def claim_pending(self, owner: str, limit: int = 100, stale_after_s: float = 60.0
                      ) -> list[tuple[int, dict[str, Any]]]:
        """Claim up to `limit` undelivered events (oldest first) for `owner`; claims older than
        `stale_after_s` (a sender that died) are taken over."""
        now = time.time()
        with self._write() as db:
            rows = db.execute(
                "UPDATE events SET claimed_by = ?, claimed_at = ? WHERE id IN ("
                " SELECT id FROM events WHERE delivery = 0"
                " AND (claimed_by IS NULL OR claimed_by = ? OR claimed_at < ?)"
                " ORDER BY id LIMIT ?) RETURNING id, payload",
                (owner, now, owner, now - stale_after_s, limit)).fetchall()
        return sorted((int(i), json.loads(p)) for i, p in rows)

    def mark_sent(self, ids: list[int]) -> None:
        with self._write() as db:
            db.executemany("UPDATE events SET delivery = 1, claimed_by = NULL WHERE id = ?",
                           [(i,) for i in ids])

    def release(self, ids: list[int]) -> None:
        with self._write() as db:
            db.executemany("UPDATE events SET claimed_by = NULL WHERE id = ?", [(i,) for i in ids])

    def count_pending(self) -> int:
        return int(self._query("SELECT count(*) FROM events WHERE delivery = 0")[0][0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
