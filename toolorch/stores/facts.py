"""The fact store: every project's SCIP facts in one SQLite file, the ground truth that the
query engines (Angle subset, graph building, vectors, Lean specs) read.

Tables (lines are 1-based, columns 0-based; local symbols are skipped):

    projects(name PK, root, language, index_path, indexer, indexed_at, generation)
    files(project, path, language)                       PK(project, path)
    symbols(project, symbol, name, kind, signature, documentation, path, line, col, end_line,
            enclosing_symbol)                            PK(project, symbol)
        path/line/col/end_line: the definition site; NULL when the symbol is not defined in the
        project (an external symbol it uses). `documentation` is the prose without the signature.
    occurrences(project, path, symbol, line, col, end_line, end_col, roles, is_definition)
    relationships(project, symbol, target, kind)         kind: reference | implementation |
                                                         type_definition | definition
    meta(key PK, value)                                  'generation': bumped by every write
    document_digests(project, path, digest)              what each document's rows hash to
    document_changes(project, generation, path, change)  the last change: added | changed | removed
    project_state(project PK, fingerprint, summary)      the source tree's fingerprint, the last result

`replace_project` swaps one project's rows in a single transaction: readers see the old facts or
the new ones, never a mix, and other projects are untouched. It rewrites only the rows of
documents whose digest changed (and symbols / relationships whose rows changed), records which
documents were added, changed or removed (`changes(project)`: the per-document change information
for consumers that keep derived data, such as vectors or a lexical index), and bumps the
project's generation only when something changed. WAL journaling and a busy timeout
make one file safe to share between threads and between server processes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolorch.core.services import ServiceKey
from toolorch.errors import BackendError
from toolorch.scip.model import ScipIndex
from toolorch.stores.fact_rows import ProjectRows, project_rows
from toolorch.stores.sqlite import connect_wal

if TYPE_CHECKING:
    from toolorch.core.context import ToolContext

BUSY_TIMEOUT_MS = 30_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects(name TEXT PRIMARY KEY, root TEXT, language TEXT,
    index_path TEXT, indexer TEXT, indexed_at REAL, generation INTEGER);
CREATE TABLE IF NOT EXISTS files(project TEXT, path TEXT, language TEXT, PRIMARY KEY(project, path));
CREATE TABLE IF NOT EXISTS symbols(project TEXT, symbol TEXT, name TEXT, kind TEXT, signature TEXT,
    documentation TEXT, path TEXT, line INTEGER, col INTEGER, end_line INTEGER,
    enclosing_symbol TEXT, PRIMARY KEY(project, symbol));
CREATE TABLE IF NOT EXISTS occurrences(project TEXT, path TEXT, symbol TEXT, line INTEGER,
    col INTEGER, end_line INTEGER, end_col INTEGER, roles INTEGER, is_definition INTEGER);
CREATE TABLE IF NOT EXISTS relationships(project TEXT, symbol TEXT, target TEXT, kind TEXT);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS document_digests(project TEXT, path TEXT, digest TEXT,
    PRIMARY KEY(project, path));
CREATE TABLE IF NOT EXISTS document_changes(project TEXT, generation INTEGER, path TEXT,
    change TEXT);
CREATE TABLE IF NOT EXISTS project_state(project TEXT PRIMARY KEY, fingerprint TEXT, summary TEXT);
CREATE INDEX IF NOT EXISTS symbols_name ON symbols(project, name);
CREATE INDEX IF NOT EXISTS symbols_kind ON symbols(project, kind);
CREATE INDEX IF NOT EXISTS symbols_path ON symbols(project, path);
CREATE INDEX IF NOT EXISTS symbols_enclosing ON symbols(project, enclosing_symbol);
CREATE INDEX IF NOT EXISTS occurrences_symbol ON occurrences(project, symbol);
CREATE INDEX IF NOT EXISTS occurrences_path ON occurrences(project, path, line);
CREATE INDEX IF NOT EXISTS relationships_symbol ON relationships(project, symbol);
CREATE INDEX IF NOT EXISTS relationships_target ON relationships(project, target);
CREATE INDEX IF NOT EXISTS document_changes_project ON document_changes(project);
"""

#: The engine-wide fact store in `Services`.
FACTS: ServiceKey[FactStore] = ServiceKey("facts")


def facts_of(ctx: ToolContext) -> FactStore:
    """The engine-wide FactStore of `ctx` (one per data dir, shared through ctx.services)."""
    return ctx.services.get(FACTS, lambda: FactStore(ctx.settings.home / "facts.sqlite"))


class FactStore:
    """SQLite fact store. One connection per thread (sqlite3 objects are not shared across
    threads); every connection uses WAL, synchronous=NORMAL and a busy timeout."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self._closed = False
        conn = self._conn()
        with self._lock:
            conn.executescript(SCHEMA)

    def _open(self) -> sqlite3.Connection:
        try:
            conn = connect_wal(self.path, BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise BackendError(f"cannot open the fact store {self.path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        return conn

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise BackendError(f"the fact store {self.path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def connect_readonly(self) -> sqlite3.Connection:
        """A new read-only connection (URI mode=ro) for query engines; the caller closes it.
        Rows are sqlite3.Row."""
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                               timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.row_factory = sqlite3.Row
        return conn

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
            self._closed = True
        for conn in conns:
            conn.close()

    # ---- reads -------------------------------------------------------------------------------

    def projects(self) -> list[dict[str, Any]]:
        rows = self._conn().execute("SELECT * FROM projects ORDER BY name").fetchall()
        return [dict(r) for r in rows]

    def project(self, name: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT * FROM projects WHERE name = ?", (name,)).fetchone()
        return dict(row) if row else None

    def symbols(self, project: str) -> list[dict[str, Any]]:
        rows = self._conn().execute(
            "SELECT * FROM symbols WHERE project = ? ORDER BY path, line, symbol", (project,)
        ).fetchall()
        return [dict(r) for r in rows]

    def generation(self) -> int:
        """Bumped by every write: a cheap "did anything change" check for caches."""
        row = self._conn().execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    # ---- writes ------------------------------------------------------------------------------

    def replace_project(self, name: str, root: str, language: str, index_path: str,
                        index: ScipIndex, indexer: str, fingerprint: str = "",
                        summary: dict[str, Any] | None = None) -> dict[str, Any]:
        """Make project `name`'s facts those of `index`, in one transaction, rewriting only what
        changed: the occurrences and file rows of documents whose digest changed, symbols whose
        row changed, relationships added or gone. `fingerprint` (of the source tree) and
        `summary` (JSON, what the index call returned) are stored with them. Returns the row counts of the project and `changes` (see changes())."""
        rows = project_rows(name, index)
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            changes = self._write_delta(conn, name, rows)
            prev = conn.execute("SELECT generation FROM projects WHERE name = ?", (name,)).fetchone()
            generation = (prev[0] if prev else 0) + (1 if changes["any"] or not prev else 0)
            if changes["any"] or not prev:
                conn.execute(
                    "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
                    "SET value = CAST(value AS INTEGER) + 1")
                conn.execute("DELETE FROM document_changes WHERE project = ?", (name,))
                conn.executemany(
                    "INSERT INTO document_changes VALUES (?,?,?,?)",
                    [(name, generation, path, change) for change in ("added", "changed", "removed")
                     for path in changes[change]])
            conn.execute(
                "INSERT OR REPLACE INTO projects VALUES (?,?,?,?,?,?,?)",
                (name, root, language, index_path, indexer, time.time(), generation))
            conn.execute("INSERT OR REPLACE INTO project_state VALUES (?,?,?)",
                         (name, fingerprint, json.dumps(summary or {})))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise BackendError(f"writing facts of project {name!r} to {self.path} failed: {exc}",
                               retryable=isinstance(exc, sqlite3.OperationalError)) from exc
        # planner statistics: without them SQLite takes `project = ?` as selective and scans
        # every occurrence in nested Angle queries (≈ 50 ms instead of ≈ 0.1 ms at 10k symbols);
        # refreshed when a large part of the project was rewritten
        if changes["rewritten_documents"] * 5 >= max(len(rows.files), 1):
            conn.execute("ANALYZE")
        out: dict[str, Any] = rows.counts()
        out["changes"] = {k: changes[k] for k in ("added", "changed", "removed")}
        out["changes"]["unchanged"] = changes["unchanged"]
        out["changes"]["generation"] = generation
        out["rewritten"] = changes["rewritten"]
        return out

    def _write_delta(self, conn: sqlite3.Connection, name: str, rows: ProjectRows) -> dict[str, Any]:
        """The writes of replace_project, inside its transaction."""
        old_digests = dict(conn.execute(
            "SELECT path, digest FROM document_digests WHERE project = ?", (name,)).fetchall())
        old_files = {r[0] for r in conn.execute("SELECT path FROM files WHERE project = ?", (name,))}
        old_paths = old_files | set(old_digests)
        added = sorted(p for p in rows.files if p not in old_paths)
        changed = sorted(p for p in rows.files
                         if p in old_paths and old_digests.get(p) != rows.digests[p])
        removed = sorted(old_paths - set(rows.files))
        rewrite = [*added, *changed]
        for path in [*changed, *removed]:
            conn.execute("DELETE FROM occurrences WHERE project = ? AND path = ?", (name, path))
            conn.execute("DELETE FROM files WHERE project = ? AND path = ?", (name, path))
            conn.execute("DELETE FROM document_digests WHERE project = ? AND path = ?", (name, path))
        conn.executemany("INSERT OR IGNORE INTO files VALUES (?,?,?)",
                         [rows.files[p] for p in rewrite])
        conn.executemany("INSERT INTO occurrences VALUES (?,?,?,?,?,?,?,?,?)",
                         [r for p in rewrite for r in rows.occurrences[p]])
        conn.executemany("INSERT INTO document_digests VALUES (?,?,?)",
                         [(name, p, rows.digests[p]) for p in rewrite])
        old_symbols = {r[1]: tuple(r) for r in conn.execute(
            "SELECT * FROM symbols WHERE project = ?", (name,))}
        gone = [s for s in old_symbols if s not in rows.symbols]
        upsert = [r for s, r in rows.symbols.items() if old_symbols.get(s) != r]
        conn.executemany("DELETE FROM symbols WHERE project = ? AND symbol = ?",
                         [(name, s) for s in gone])
        conn.executemany("INSERT OR REPLACE INTO symbols VALUES (?,?,?,?,?,?,?,?,?,?,?)", upsert)
        old_rels = {tuple(r) for r in conn.execute(
            "SELECT * FROM relationships WHERE project = ?", (name,))}
        rel_gone, rel_new = old_rels - rows.relationships, rows.relationships - old_rels
        conn.executemany("DELETE FROM relationships WHERE project = ? AND symbol = ? AND "
                         "target = ? AND kind = ?", sorted(rel_gone))
        conn.executemany("INSERT INTO relationships VALUES (?,?,?,?)", sorted(rel_new))
        rewritten = {"documents": len(rewrite), "removed_documents": len(removed),
                     "occurrences": sum(len(rows.occurrences[p]) for p in rewrite),
                     "symbols": len(upsert), "symbols_deleted": len(gone),
                     "relationships": len(rel_new), "relationships_deleted": len(rel_gone)}
        return {"added": added, "changed": changed, "removed": removed,
                "unchanged": len(rows.files) - len(rewrite), "rewritten": rewritten,
                "rewritten_documents": len(rewrite) + len(removed),
                "any": bool(rewrite or removed or gone or upsert or rel_gone or rel_new)}

    def changes(self, project: str) -> dict[str, Any]:
        """The documents the last write that changed `project` added, changed or removed:
        {generation, added, changed, removed} (relative paths). A consumer that holds the
        previous generation rewrites only these; one that is further behind rewrites all."""
        out: dict[str, Any] = {"generation": None, "added": [], "changed": [], "removed": []}
        for generation, path, change in self._conn().execute(
                "SELECT generation, path, change FROM document_changes WHERE project = ? "
                "ORDER BY path", (project,)):
            out["generation"] = generation
            out[change].append(path)
        if out["generation"] is None:
            row = self.project(project)
            out["generation"] = row["generation"] if row else None
        return out

    def state(self, project: str) -> tuple[str, dict[str, Any]]:
        """(source-tree fingerprint, summary) stored with the project's facts; ("", {}) when
        there are none."""
        row = self._conn().execute("SELECT fingerprint, summary FROM project_state WHERE "
                                   "project = ?", (project,)).fetchone()
        if not row:
            return "", {}
        try:
            summary = json.loads(row[1] or "{}")
        except json.JSONDecodeError:
            summary = {}
        return str(row[0] or ""), summary if isinstance(summary, dict) else {}

    def delete_project(self, name: str) -> bool:
        """Drop every fact of project `name`; False when it was not there."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in ("files", "symbols", "occurrences", "relationships", "document_digests",
                          "document_changes", "project_state"):
                conn.execute(f"DELETE FROM {table} WHERE project = ?", (name,))
            gone = conn.execute("DELETE FROM projects WHERE name = ?", (name,)).rowcount > 0
            conn.execute("COMMIT")
        except sqlite3.Error:
            conn.execute("ROLLBACK")
            raise
        return gone
