"""The code graph on Memgraph over Bolt (neo4j driver), used when TOOLORCH_MEMGRAPH_URL is set.

Same schema and the same Cypher as the embedded store (schema.py): the project's subgraph is
deleted and reloaded in one write transaction with batched `UNWIND $rows ... CREATE`, after
label-property indexes on the lookup keys. Queries run in a session with the tool's timeout as
the transaction timeout. Driver errors are translated: unreachable -> retryable BackendError,
authentication -> BackendError naming the settings, Cypher errors -> QueryError.

Not tested against a live Memgraph (none can be installed where this was written); the loading
statements are tested by running `unwind_load` on LadybugDB.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from toolorch.backends.graph import schema
from toolorch.backends.graph.builder import GraphData
from toolorch.backends.graph.ladybug_store import count_project
from toolorch.backends.graph.store import (
    GraphStore,
    Interrupter,
    LoadCounts,
    ProgressCallback,
    QueryRows,
    _no_progress,
)
from toolorch.errors import BackendError, QueryError, ToolorchError

log = logging.getLogger(__name__)

RunFn = Callable[[str, dict[str, Any]], Any]
_BOLT_SCHEMES = frozenset({"bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"})


def unwind_load(run: RunFn, graph: GraphData, progress: ProgressCallback = _no_progress,
                batch_size: int = 1000) -> None:
    """Delete `graph.project`'s subgraph and load it with batched UNWIND statements through
    `run(query, parameters)`. Engine-neutral: the same text runs on Memgraph and LadybugDB."""
    params = {"project": graph.project}
    for statement in schema.DELETE_PROJECT:
        run(statement, params)
    work = [(label, schema.insert_nodes(label), graph.nodes[label]) for label in schema.NODE_LABELS]
    work += [(edge, schema.insert_edges(edge), graph.edges[edge]) for edge in schema.EDGE_NAMES]
    total = sum(len(rows) for _, _, rows in work) or 1
    done = 0
    for name, statement, rows in work:
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
            run(statement, {"rows": batch})
            done += len(batch)
            progress(done, total, f"loading {name}")


def _redact(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class BoltGraphStore(GraphStore):
    backend = "memgraph"

    def __init__(self, url: str, user: str = "", password: str = "", *,
                 batch_size: int = 1000) -> None:
        parts = urlsplit(url)
        if parts.username and not user:          # bolt://user:pass@host: credentials moved out
            user, password = unquote(parts.username), unquote(parts.password or "")
        self.url = _redact(url)
        self._auth = (user, password) if user else None
        self._secret = password
        self._batch_size = batch_size
        self._driver: Any = None

    @property
    def location(self) -> str:
        return _redact(self.url)

    def _get_driver(self) -> Any:
        if self._driver is None:
            import neo4j

            if urlsplit(self.url).scheme not in _BOLT_SCHEMES:
                raise BackendError(f"TOOLORCH_MEMGRAPH_URL {self.location!r} is not a Bolt URL; "
                                   "use e.g. bolt://127.0.0.1:7687 (schemes: "
                                   f"{', '.join(sorted(_BOLT_SCHEMES))})")

            try:
                self._driver = neo4j.GraphDatabase.driver(self.url, auth=self._auth)
            except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
                raise BackendError(f"TOOLORCH_MEMGRAPH_URL {self.location!r} is not a usable "
                                   "Bolt URL; use e.g. bolt://127.0.0.1:7687") from exc
        return self._driver

    def _translate(self, exc: Exception, doing: str) -> ToolorchError:
        error = self._translate_unsafe(exc, doing)
        if self._secret and self._secret in error.message:
            error.message = error.message.replace(self._secret, "***")
            error.args = (error.message,)
        return error

    def _translate_unsafe(self, exc: Exception, doing: str) -> ToolorchError:
        from neo4j import exceptions as nx

        if isinstance(exc, nx.AuthError):
            return BackendError(f"Memgraph at {self.location} refused the credentials while "
                                f"{doing}; check TOOLORCH_MEMGRAPH_USER / TOOLORCH_MEMGRAPH_PASSWORD")
        if isinstance(exc, (nx.ServiceUnavailable, nx.SessionExpired, OSError)):
            return BackendError(f"Memgraph at {self.location} is unreachable while {doing}: "
                                f"{exc}", retryable=True)
        if isinstance(exc, nx.TransientError):
            return BackendError(f"Memgraph reported a transient error while {doing}: "
                                f"{exc.message or exc}", retryable=True)
        if isinstance(exc, nx.Neo4jError):
            return QueryError(f"Cypher error from Memgraph: {exc.message or exc}")
        return BackendError(f"Memgraph driver error while {doing}: {exc}")

    def replace_project(self, graph: GraphData, progress: ProgressCallback = _no_progress,
                        timeout_s: float = 600.0) -> LoadCounts:
        import neo4j

        driver = self._get_driver()
        try:
            with driver.session() as session:
                for statement in schema.MEMGRAPH_INDEXES:
                    try:
                        session.run(statement).consume()
                    except neo4j.exceptions.ClientError as exc:    # already there: fine
                        log.debug("index statement %r: %s", statement, exc.message)

                def load(tx: Any) -> None:
                    unwind_load(lambda q, p: tx.run(q, p).consume(), graph, progress,
                                self._batch_size)

                session.execute_write(neo4j.unit_of_work(timeout=timeout_s)(load))
                return count_project(
                    lambda q, p: [list(r.values()) for r in session.run(q, p)], graph.project)
        except neo4j.exceptions.DriverError as exc:
            raise self._translate(exc, f"loading project {graph.project!r}") from exc
        except neo4j.exceptions.Neo4jError as exc:
            raise self._translate(exc, f"loading project {graph.project!r}") from exc

    def query(self, text: str, parameters: dict[str, Any], limit: int, timeout_s: float,
              write: bool = False, interrupter: Interrupter | None = None) -> QueryRows:
        import neo4j

        driver = self._get_driver()
        mode = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
        try:
            with driver.session(default_access_mode=mode) as session:
                result = session.run(neo4j.Query(text, timeout=timeout_s), parameters)
                columns = list(result.keys())
                rows: list[list[Any]] = []
                for record in result:
                    rows.append(list(record.values()))
                    if len(rows) > limit:
                        break
                result.consume()
        except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError) as exc:
            raise self._translate(exc, "running a query") from exc
        return QueryRows(columns=columns, rows=rows[:limit], truncated=len(rows) > limit)

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None
