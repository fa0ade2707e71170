"""The default experience store: one SQLite file (WAL) in the data dir.

Several server processes share one data dir (an agent spawns one stdio server each), so every
append is one `BEGIN IMMEDIATE` transaction and waits on the others through `busy_timeout`; WAL
lets readers run while one process writes. One row per experience: the queried fields as columns,
the whole record as JSON. Experience ids are UNIQUE and appends are `INSERT OR IGNORE`, so
replaying the same experience twice (the Redis spool does) stores it once.

Feedback (relabel) is kept in its own table, one row per workflow, and applied on read: every step
of that workflow, including steps appended later, reads with the feedback label and
`label_source="feedback"`. The Redis store has the same semantics.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from toolorch.errors import BackendError
from toolorch.stores.experience import Experience, ExperienceStore
from toolorch.stores.sqlite import connect_wal

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
READ_BATCH = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS experiences (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    ts            REAL NOT NULL,
    action        TEXT NOT NULL,
    desirable     INTEGER NOT NULL,
    success       INTEGER NOT NULL,
    label_source  TEXT NOT NULL,
    workflow_id   TEXT,
    session_id    TEXT NOT NULL,
    strategy      TEXT NOT NULL,
    error_kind    TEXT,
    policy_version INTEGER,
    data          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS experiences_workflow ON experiences(workflow_id);
CREATE TABLE IF NOT EXISTS feedback (
    workflow_id   TEXT PRIMARY KEY,
    desirable     INTEGER NOT NULL,
    ts            REAL NOT NULL
);
"""

#: Rows with the feedback label applied (f.desirable wins when present).
_SELECT = (
    "SELECT e.seq, e.data, f.desirable FROM experiences e "
    "LEFT JOIN feedback f ON e.workflow_id = f.workflow_id "
)


def _row(exp: Experience) -> tuple[Any, ...]:
    return (
        exp.id, exp.ts, exp.action, int(exp.desirable), int(exp.success), exp.label_source,
        exp.workflow_id or None, exp.session_id, exp.strategy, exp.error_kind, exp.policy_version,
        exp.to_json(),
    )


def _decode(data: str, feedback: int | None) -> Experience:
    exp = Experience.from_json(data)
    if feedback is not None:
        exp.desirable = bool(feedback)
        exp.label_source = "feedback"
    return exp


class SqliteExperienceStore(ExperienceStore):
    """Thread-safe (one connection behind a lock) and multi-process-safe (WAL + busy_timeout)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = connect_wal(self.path, BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            with self._transaction():
                if self._db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                    for statement in filter(str.strip, _SCHEMA.split(";")):
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise BackendError(
                f"cannot open the experience store {self.path}: {exc}; check that the data dir "
                "(TOOLORCH_HOME) is writable and the file is an SQLite database"
            ) from exc

    # -- plumbing -------------------------------------------------------------------------------

    def _transaction(self) -> _Immediate:
        return _Immediate(self._db)

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise BackendError(f"experience store {self.path}: {exc}", retryable=True) from exc

    # -- ExperienceStore ------------------------------------------------------------------------

    def append(self, exps: list[Experience]) -> None:
        if not exps:
            return
        rows = [_row(e) for e in exps]
        with self._lock:
            try:
                with self._transaction():
                    self._db.executemany(
                        "INSERT OR IGNORE INTO experiences (id, ts, action, desirable, success, "
                        "label_source, workflow_id, session_id, strategy, error_kind, "
                        "policy_version, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            except sqlite3.Error as exc:
                raise BackendError(f"experience store {self.path}: append failed: {exc}",
                                   retryable=True) from exc

    def count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM experiences")[0][0])

    def iter_all(self) -> Iterator[Experience]:
        """Oldest first, in batches (a consistent view per batch, not across the whole scan)."""
        last = 0
        while True:
            rows = self._query(_SELECT + "WHERE e.seq > ? ORDER BY e.seq LIMIT ?",
                               (last, READ_BATCH))
            if not rows:
                return
            last = int(rows[-1][0])
            for _, data, fb in rows:
                yield _decode(data, fb)

    def recent(self, n: int) -> list[Experience]:
        if n <= 0:
            return []
        rows = self._query(_SELECT + "ORDER BY e.seq DESC LIMIT ?", (n,))
        return [_decode(data, fb) for _, data, fb in reversed(rows)]

    def relabel(self, workflow_id: str, desirable: bool) -> int:
        """Record feedback for the workflow; returns the number of its steps stored here."""
        with self._lock:
            try:
                with self._transaction():
                    self._db.execute(
                        "INSERT INTO feedback (workflow_id, desirable, ts) VALUES (?,?,?) "
                        "ON CONFLICT(workflow_id) DO UPDATE SET desirable=excluded.desirable, "
                        "ts=excluded.ts", (workflow_id, int(desirable), time.time()))
                    row = self._db.execute(
                        "SELECT COUNT(*) FROM experiences WHERE workflow_id = ?", (workflow_id,)
                    ).fetchone()
            except sqlite3.Error as exc:
                raise BackendError(f"experience store {self.path}: relabel failed: {exc}",
                                   retryable=True) from exc
        return int(row[0])

    def summary(self) -> dict[str, Any]:
        total, desirable, success, workflows, last_ts = self._query(
            "SELECT COUNT(*), COALESCE(SUM(COALESCE(f.desirable, e.desirable)), 0), "
            "COALESCE(SUM(e.success), 0), COUNT(DISTINCT e.workflow_id), MAX(e.ts) "
            "FROM experiences e LEFT JOIN feedback f ON e.workflow_id = f.workflow_id")[0]
        by_action = self._query("SELECT action, COUNT(*) FROM experiences GROUP BY action")
        by_error = self._query("SELECT error_kind, COUNT(*) FROM experiences "
                               "WHERE error_kind IS NOT NULL GROUP BY error_kind")
        relabelled = self._query("SELECT COUNT(*) FROM feedback")[0][0]
        return {
            "backend": "sqlite",
            "path": str(self.path),
            "total": int(total),
            "desirable": int(desirable),
            "undesirable": int(total) - int(desirable),
            "success": int(success),
            "by_action": {a: int(c) for a, c in by_action},
            "by_error_kind": {k: int(c) for k, c in by_error},
            "workflows": int(workflows),
            "relabelled_workflows": int(relabelled),
            "last_ts": last_ts,
        }

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- spool support (used by the resilient Redis store) --------------------------------------

    def oldest(self, n: int) -> list[Experience]:
        """The n oldest experiences as appended (feedback not applied: it is replayed apart)."""
        rows = self._query("SELECT data FROM experiences ORDER BY seq LIMIT ?", (n,))
        return [Experience.from_json(data) for (data,) in rows]

    def ids(self) -> set[str]:
        return {i for (i,) in self._query("SELECT id FROM experiences")}

    def delete(self, ids: list[str]) -> int:
        """Remove experiences by id (after they were copied elsewhere)."""
        if not ids:
            return 0
        with self._lock:
            try:
                with self._transaction():
                    cur = self._db.executemany("DELETE FROM experiences WHERE id = ?",
                                               [(i,) for i in ids])
                    return int(cur.rowcount)
            except sqlite3.Error as exc:
                raise BackendError(f"experience store {self.path}: delete failed: {exc}",
                                   retryable=True) from exc

    def feedback(self) -> list[tuple[str, bool, float]]:
        """Recorded feedback: (workflow_id, desirable, ts), oldest first."""
        rows = self._query("SELECT workflow_id, desirable, ts FROM feedback ORDER BY ts")
        return [(w, bool(d), float(t)) for w, d, t in rows]

    def forget_feedback(self, workflow_id: str, ts: float) -> None:
        """Drop feedback once replayed, unless it was rewritten since (a newer ts)."""
        with self._lock:
            try:
                with self._transaction():
                    self._db.execute("DELETE FROM feedback WHERE workflow_id = ? AND ts = ?",
                                     (workflow_id, ts))
            except sqlite3.Error as exc:
                raise BackendError(f"experience store {self.path}: {exc}", retryable=True) from exc


class _Immediate:
    """`BEGIN IMMEDIATE` … `COMMIT`/`ROLLBACK`: take the write lock up front, so two processes
    never both hold a read snapshot and then deadlock upgrading it."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
