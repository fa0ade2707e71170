"""The embedded code graph: LadybugDB (a maintained fork of Kùzu), one database for all projects.

Layout under the data dir: `graph/code.lbug` (the database), `graph/.lock` (the readers-writer
file lock) and `graph/generation` (stamped after every change; see locking.py).

- Loading a project: exclusive lock, open read-write, one transaction that deletes the project's
  subgraph and bulk-loads the new rows with COPY FROM CSV files (~30x faster than UNWIND +
  MATCH + CREATE for edges), commit, stamp a new generation, close.
- Queries: shared lock, a read-only handle kept while the generation is unchanged (opening costs
  ~30-150 ms), a connection per query with the query timeout set. Queries allowed to write take
  the exclusive lock and a read-write handle instead.
Ladybug's own lock errors (another program holding the file) are retried with backoff.
"""

from __future__ import annotations

import csv
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolorch.backends.graph import schema
from toolorch.backends.graph.builder import GraphData
from toolorch.backends.graph.delta import (
    GraphDelta,
    delete_edges,
    delete_nodes,
    diff_graph,
    stored_rows,
    update_nodes,
)
from toolorch.backends.graph.locking import FileLock, Generation
from toolorch.backends.graph.store import (
    GraphStore,
    Interrupter,
    LoadCounts,
    ProgressCallback,
    QueryRows,
    _no_progress,
)
from toolorch.errors import BackendError, QueryError

log = logging.getLogger(__name__)

_LOCKED = "Could not set lock"
_READ_ONLY = "read-only database"


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])


class LadybugGraphStore(GraphStore):
    backend = "ladybug"

    def __init__(self, directory: Path, *, lock_timeout_s: float = 120.0,
                 buffer_pool_bytes: int = 256 * 1024 * 1024) -> None:
        self.directory = directory
        self.db_path = directory / "code.lbug"
        self._lock = FileLock(directory / ".lock")
        self._generation = Generation(directory / "generation")
        self._lock_timeout_s = lock_timeout_s
        self._buffer_pool_bytes = buffer_pool_bytes
        self._reader: tuple[str, Any] | None = None      # (generation, read-only Database)
        self._reader_mutex = threading.Lock()

    @property
    def location(self) -> str:
        return str(self.db_path)

    def cache_key_file(self) -> Path:
        return self._generation.path

    # --- opening ------------------------------------------------------------------------------

    def _open(self, *, read_only: bool, timeout_s: float) -> Any:
        """A Database, retrying while another program (outside our lock) holds the file."""
        import ladybug

        self.directory.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout_s
        delay = 0.01
        while True:
            try:
                return ladybug.Database(str(self.db_path), read_only=read_only,
                                        buffer_pool_size=self._buffer_pool_bytes)
            except RuntimeError as exc:
                if _LOCKED not in str(exc) or time.monotonic() >= deadline:
                    raise BackendError(
                        f"cannot open the code graph database {self.db_path}: {exc}",
                        retryable=_LOCKED in str(exc),
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def _ensure_schema(self, timeout_s: float) -> None:
        """Create the database and its tables once (the generation stamp marks it done)."""
        if self._generation.read() and self.db_path.exists():
            return
        with self._lock.hold(exclusive=True, timeout_s=timeout_s, what="create the graph"):
            if self._generation.read() and self.db_path.exists():
                return
            db = self._open(read_only=False, timeout_s=timeout_s)
            try:
                self._apply_ddl(db)
            finally:
                db.close()
            self._generation.bump()

    @staticmethod
    def _apply_ddl(db: Any) -> None:
        import ladybug

        conn = ladybug.Connection(db)
        try:
            for statement in schema.ladybug_ddl():
                conn.execute(statement)
        finally:
            conn.close()

    def _read_handle(self, generation: str, timeout_s: float) -> Any:
        """The shared read-only Database for `generation` (reopened when it changed). Called
        under the shared file lock, so no writer runs while the handle is in use."""
        with self._reader_mutex:
            if self._reader is not None and self._reader[0] == generation:
                return self._reader[1]
            if self._reader is not None:
                self._reader[1].close()
                self._reader = None
            db = self._open(read_only=True, timeout_s=timeout_s)
            self._reader = (generation, db)
            return db

    # --- loading ------------------------------------------------------------------------------

    def replace_project(self, graph: GraphData, progress: ProgressCallback = _no_progress,
                        timeout_s: float = 600.0) -> LoadCounts:
        import ladybug

        self._ensure_schema(min(timeout_s, self._lock_timeout_s))
        tables = [*schema.NODE_LABELS, *schema.EDGE_NAMES]
        total = len(tables) + 2
        with self._lock.hold(exclusive=True, timeout_s=min(timeout_s, self._lock_timeout_s),
                             what=f"load project {graph.project!r}"):
            tmp = Path(tempfile.mkdtemp(prefix="load-", dir=self.directory))
            db = self._open(read_only=False, timeout_s=timeout_s)
            try:
                conn = ladybug.Connection(db)
                self._apply_ddl(db)
                conn.execute("BEGIN TRANSACTION")
                try:
                    fetch = lambda q, p: _fetch_all(conn, q, p)  # noqa: E731
                    old_nodes, old_edges = stored_rows(fetch, graph.project)
                    if old_nodes["Project"]:
                        progress(1, total, f"comparing with the stored subgraph of {graph.project!r}")
                        delta = diff_graph(old_nodes, old_edges, graph)
                        del old_nodes, old_edges
                        self._apply(conn, tmp, delta)
                    else:
                        delta = None
                        for step, table in enumerate(tables, start=2):
                            self._copy(conn, tmp, table, graph)
                            progress(step, total, f"loaded {table}")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                counts = count_project(fetch, graph.project)
                counts.delta = delta.counts() if delta is not None else None
                progress(total, total, "counted")
                conn.close()
            except RuntimeError as exc:
                raise BackendError(f"loading project {graph.project!r} into the code graph "
                                   f"failed: {exc}") from exc
            finally:
                db.close()
                shutil.rmtree(tmp, ignore_errors=True)
                self._generation.bump()
        return counts

    def _apply(self, conn: Any, tmp: Path, delta: GraphDelta) -> None:
        """Write only the difference (see delta.py): edges and nodes that went away first, then
        node updates in place, then new nodes and new edges (bulk COPY)."""
        for edge in schema.EDGE_NAMES:
            for chunk in _chunks(delta.delete_edges[edge]):
                conn.execute(delete_edges(edge), {"rows": chunk})
        for label in reversed(schema.NODE_LABELS):
            for chunk in _chunks(delta.delete_nodes[label]):
                conn.execute(delete_nodes(label), {"keys": chunk})
        for label in schema.NODE_LABELS:
            for chunk in _chunks(delta.update_nodes[label]):
                conn.execute(update_nodes(label), {"rows": chunk})
            self._copy_rows(conn, tmp, label, delta.insert_nodes[label],
                            schema.node_columns(label))
        for edge in schema.EDGE_NAMES:
            self._copy_rows(conn, tmp, edge, delta.insert_edges[edge], schema.edge_columns(edge))

    @staticmethod
    def _copy(conn: Any, tmp: Path, table: str, graph: GraphData) -> None:
        if table in schema.NODE_PROPERTIES:
            rows, columns = graph.nodes[table], schema.node_columns(table)
        else:
            rows, columns = graph.edges[table], schema.edge_columns(table)
        LadybugGraphStore._copy_rows(conn, tmp, table, rows, columns)

    @staticmethod
    def _copy_rows(conn: Any, tmp: Path, table: str, rows: list[dict[str, Any]],
                   columns: list[str]) -> None:
        if not rows:
            return
        path = tmp / f"{table}.csv"
        _write_csv(path, rows, columns)
        quoted = str(path).replace("\\", "\\\\").replace("'", "\\'")
        conn.execute(f"COPY {table} FROM '{quoted}' (HEADER=false, PARALLEL=false, ESCAPE='\"')")

    # --- querying -----------------------------------------------------------------------------

    def query(self, text: str, parameters: dict[str, Any], limit: int, timeout_s: float,
              write: bool = False, interrupter: Interrupter | None = None) -> QueryRows:
        import ladybug

        started = time.monotonic()
        self._ensure_schema(self._lock_timeout_s)
        with self._lock.hold(exclusive=write, timeout_s=max(timeout_s, 1.0) + 30.0,
                             what="run a query") as waited:
            remaining = max(timeout_s - waited, 0.5)
            if write:
                db = self._open(read_only=False, timeout_s=remaining)
            else:
                db = self._read_handle(self._generation.read(), remaining)
            try:
                conn = ladybug.Connection(db)
                try:
                    conn.set_query_timeout(max(int((timeout_s - (time.monotonic() - started))
                                                   * 1000), 100))
                    if interrupter is not None:
                        interrupter.bind(conn.interrupt)
                    return _run(conn, text, parameters, limit, timeout_s)
                finally:
                    if interrupter is not None:
                        interrupter.bind(None)
                    conn.close()
            finally:
                if write:
                    db.close()
                    self._generation.bump()

    def close(self) -> None:
        with self._reader_mutex:
            if self._reader is not None:
                self._reader[1].close()
                self._reader = None


def _run(conn: Any, text: str, parameters: dict[str, Any], limit: int,
         timeout_s: float) -> QueryRows:
    try:
        result = conn.execute(text, parameters)
    except (RuntimeError, ValueError, TypeError) as exc:   # bad parameter values raise ValueError
        raise _query_error(exc, timeout_s) from exc
    results = result if isinstance(result, list) else [result]
    try:
        last = results[-1]
        columns = list(last.get_column_names())
        rows: list[list[Any]] = []
        while len(rows) <= limit and last.has_next():
            rows.append(list(last.get_next()))
    except RuntimeError as exc:
        raise _query_error(exc, timeout_s) from exc
    finally:
        for r in results:
            r.close()
    truncated = len(rows) > limit
    return QueryRows(columns=columns, rows=rows[:limit], truncated=truncated)


def _chunks(items: list[Any], size: int = 2000) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _fetch_all(conn: Any, query: str, parameters: dict[str, Any]) -> list[list[Any]]:
    result = conn.execute(query, parameters)
    last = result[-1] if isinstance(result, list) else result
    return [list(row) for row in last.get_all()]


def _query_error(exc: Exception, timeout_s: float) -> QueryError:
    message = str(exc)
    if message.strip() == "Interrupted.":
        return QueryError(f"the query ran past its {timeout_s:.0f}s timeout and was interrupted; "
                          "add a LIMIT or narrow the MATCH")
    if _READ_ONLY in message:
        return QueryError("memgraph_query_graph is read-only: the database refused a write "
                          f"({message}); set TOOLORCH_CYPHER_ALLOW_WRITES=1 to allow writes")
    return QueryError(f"Cypher error from LadybugDB: {message}")


def count_project(run: Callable[[str, dict[str, Any]], Any], project: str) -> LoadCounts:
    """Count what is stored for `project`; `run(query, params)` returns rows ([[n]])."""
    params = {"project": project}
    nodes = {label: int(run(schema.count_nodes(label), params)[0][0])
             for label in schema.NODE_LABELS}
    edges = {edge: int(run(schema.count_edges(edge), params)[0][0])
             for edge in schema.EDGE_NAMES}
    return LoadCounts(nodes=nodes, edges=edges)
