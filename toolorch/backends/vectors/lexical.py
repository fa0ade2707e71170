"""The lexical index: SQLite FTS5 (BM25) over the search documents, no model needed.

`<home>/vectors/lexical.sqlite`, written by scip_index_code right after the facts (through
`vectors.ingest`), so a search has lexical results the moment indexing returns, while the dense
vectors are still being made. Columns, with their BM25 weights: name, name words (`totalArea` →
"total area"), qualified name, signature, documentation, body digest, path; the Porter stemmer
over unicode61 tokens (so "computes" finds "compute", `_` and `.` split words).

Incremental: every file's documents carry one digest; a write rewrites the rows of files whose
digest changed (and drops those of vanished files) and leaves the rest alone, so an unchanged
tree writes nothing. `projects` records the fact-store generation each project was built from.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolorch.backends.vectors.documents import SearchDoc
from toolorch.backends.vectors.store import point_id
from toolorch.backends.vectors.texts import clean_signature, name_words
from toolorch.core.services import ServiceKey, Services
from toolorch.errors import BackendError
from toolorch.stores.sqlite import connect_wal

COLUMNS = ("name", "words", "qualified", "signature", "doc", "body", "path")
#: BM25 column weights, in COLUMNS order (measured with `toolorch bench search quality`).
WEIGHTS = (4.0, 4.0, 2.0, 1.0, 2.0, 1.0, 0.5)
MAX_TERMS = 32
_WORD = re.compile(r"[A-Za-z0-9]+")
STOPWORDS = frozenset("""
a an and are as at be by for from has have in into is it its of on or that the this to was were
will with which when where who how what if then than so such not no do does can may should would
return returns given given use used using get gets set sets all any each given
""".split())

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS entries(id INTEGER PRIMARY KEY, project TEXT NOT NULL,
    path TEXT NOT NULL, key TEXT NOT NULL, {", ".join(c for c in COLUMNS if c != "path")},
    payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entries_file ON entries(project, path);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5({", ".join(COLUMNS)}, content='entries',
    content_rowid='id', tokenize='porter unicode61');
CREATE TRIGGER IF NOT EXISTS entries_ai AFTER INSERT ON entries BEGIN
    INSERT INTO fts(rowid, {", ".join(COLUMNS)}) VALUES (new.id, {", ".join("new." + c for c in COLUMNS)});
END;
CREATE TRIGGER IF NOT EXISTS entries_ad AFTER DELETE ON entries BEGIN
    INSERT INTO fts(fts, rowid, {", ".join(COLUMNS)}) VALUES ('delete', old.id, {", ".join("old." + c for c in COLUMNS)});
END;
CREATE TABLE IF NOT EXISTS files(project TEXT, path TEXT, digest TEXT, PRIMARY KEY(project, path));
CREATE TABLE IF NOT EXISTS projects(project TEXT PRIMARY KEY, generation INTEGER,
    documents INTEGER, updated_at REAL);
"""


@dataclass(frozen=True, slots=True)
class LexicalHit:
    id: str                  # the point id of the same document in the dense collection
    score: float             # -bm25: higher is better
    payload: dict[str, Any]


def query_terms(text: str) -> list[str]:
    """Lower-case words of `text` (identifiers split at `_` and camelCase), stopwords and
    one-letter words dropped, each once, at most MAX_TERMS."""
    words = name_words(" ".join(_WORD.findall(re.sub(r"[_\-.]", " ", text)))).split()
    terms = dict.fromkeys(w for w in words if len(w) > 1 and w not in STOPWORDS)
    return list(terms)[:MAX_TERMS]


def _row(doc: SearchDoc) -> tuple[Any, ...]:
    payload = json.dumps({**doc.payload(), "key": doc.key}, separators=(",", ":"))
    return (doc.project, doc.path, doc.key, doc.name, name_words(doc.name), name_words(doc.qualified),
            clean_signature(doc.signature), doc.documentation, name_words(doc.body), payload)


def _file_digest(docs: Iterable[SearchDoc]) -> str:
    h = hashlib.sha1()
    for d in docs:
        h.update(d.digest().encode())
    return h.hexdigest()[:20]


class LexicalIndex:
    """One SQLite file per data dir; safe for threads and processes (WAL, busy timeout)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        with self._conn() as conn:
            conn.executescript(SCHEMA)

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = connect_wal(self.path, 30.0, isolation_level=None)
            except sqlite3.Error as exc:
                raise BackendError(f"cannot open the lexical index {self.path}: {exc}") from exc
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        try:
            yield conn
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise BackendError(f"the lexical index {self.path} failed: {exc}",
                               retryable=isinstance(exc, sqlite3.OperationalError)) from exc

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()

    # ---- reads -------------------------------------------------------------------------------

    def projects(self) -> dict[str, dict[str, Any]]:
        """project → {generation, documents, updated_at}."""
        with self._conn() as conn:
            rows = conn.execute("SELECT project, generation, documents, updated_at FROM projects")
            return {r[0]: {"generation": r[1], "documents": r[2], "updated_at": r[3]} for r in rows}

    def file_digests(self, project: str) -> dict[str, str]:
        with self._conn() as conn:
            return dict(conn.execute("SELECT path, digest FROM files WHERE project = ?", (project,)))

    def search(self, text: str, limit: int, projects: Sequence[str] | None = None) -> list[LexicalHit]:
        """The `limit` best BM25 matches of any of `text`'s words (best first)."""
        terms = query_terms(text)
        if not terms or limit <= 0:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        weights = ", ".join(str(w) for w in WEIGHTS)
        sql = (f"SELECT e.project, e.key, e.payload, bm25(fts, {weights}) AS rank FROM fts "
               "JOIN entries e ON e.id = fts.rowid WHERE fts MATCH ?")
        params: list[Any] = [match]
        if projects is not None:
            if not projects:
                return []
            sql += f" AND e.project IN ({', '.join('?' * len(projects))})"
            params += list(projects)
        sql += " ORDER BY rank LIMIT ?"
        params.append(limit)
        with self._conn() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [LexicalHit(point_id(project, key), -float(rank), json.loads(payload))
                for project, key, payload, rank in rows]

    # ---- writes ------------------------------------------------------------------------------

    def write_project(self, project: str, generation: int, docs: Sequence[SearchDoc]) -> dict[str, int]:
        """Make `project`'s rows those of `docs`, rewriting only files whose digest changed.
        Returns {documents, files, files_rewritten, files_deleted, rows_written}."""
        by_file: dict[str, list[SearchDoc]] = {}
        for d in docs:
            by_file.setdefault(d.path, []).append(d)
        wanted = {path: _file_digest(items) for path, items in by_file.items()}
        written = 0
        with self._conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            stored = dict(conn.execute("SELECT path, digest FROM files WHERE project = ?", (project,)))
            gone = [p for p in stored if p not in wanted]
            changed = [p for p, digest in wanted.items() if stored.get(p) != digest]
            for path in [*gone, *changed]:
                conn.execute("DELETE FROM entries WHERE project = ? AND path = ?", (project, path))
                conn.execute("DELETE FROM files WHERE project = ? AND path = ?", (project, path))
            for path in changed:
                rows = [_row(d) for d in by_file[path]]
                conn.executemany(f"INSERT INTO entries(project, path, key, {', '.join(c for c in COLUMNS if c != 'path')}, payload) "
                                 f"VALUES ({', '.join('?' * (len(COLUMNS) + 3))})", rows)
                conn.execute("INSERT INTO files VALUES (?, ?, ?)", (project, path, wanted[path]))
                written += len(rows)
            conn.execute("INSERT OR REPLACE INTO projects VALUES (?, ?, ?, ?)",
                         (project, generation, len(docs), time.time()))
            conn.execute("COMMIT")
        return {"documents": len(docs), "files": len(wanted), "files_rewritten": len(changed),
                "files_deleted": len(gone), "rows_written": written}

    def delete_project(self, project: str) -> None:
        with self._conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            for table in ("entries", "files", "projects"):
                conn.execute(f"DELETE FROM {table} WHERE project = ?", (project,))
            conn.execute("COMMIT")


SERVICE_KEY: ServiceKey[LexicalIndex] = ServiceKey("lexical_index")


def lexical_of(services: Services) -> LexicalIndex:
    """The process-wide LexicalIndex of the data dir, held by the engine's services."""
    return services.get(SERVICE_KEY, lambda: LexicalIndex(services.settings.home / "vectors" / "lexical.sqlite"))
