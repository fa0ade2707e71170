"""Evaluate an Angle-subset query over one project's facts in the SQLite fact store.

Results are JSON facts in Glean's shape, `{"predicate": "code.Symbol", "key": {field: value}}`
(reference fields hold the key of the fact they refer to: a symbol string or a file path), or,
when the result is a value variable (`K where code.Symbol { kind = K }`),
`{"variable": "K", "value": "function"}`. Facts are distinct and ordered by file, line, column
and then every other field (values ascending, nulls such as an external symbol's file last), so the same query on the same facts always gives
the same list. At most `limit` come back; `truncated` says whether more matched.

The SQL runs under a deadline: SQLite's progress handler aborts a query (say a join with no
shared variable over large tables) that runs past it, with a QueryError saying how to narrow it.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from toolorch.backends.glean.compiler import CompiledQuery, compile_query
from toolorch.backends.glean.parser import parse
from toolorch.backends.glean.schema import PREDICATES
from toolorch.errors import BackendError, QueryError

log = logging.getLogger(__name__)

#: SQLite virtual-machine steps between two deadline checks.
PROGRESS_STEPS = 10_000


@dataclass(slots=True)
class QueryResult:
    facts: list[dict[str, Any]]
    truncated: bool
    predicates: dict[str, list[str]] = field(default_factory=dict)
    sql_ms: float = 0.0

    def to_output(self) -> dict[str, Any]:
        return {"facts": self.facts, "count": len(self.facts), "truncated": self.truncated,
                "predicates": self.predicates}


def evaluate(conn: sqlite3.Connection, query: str, project: str, *, limit: int = 100,
             deadline_s: float = 20.0) -> QueryResult:
    """Parse, compile and run `query` over `project`'s facts on `conn` (a read-only
    connection); QueryError for a malformed, ill-typed or too slow query."""
    if limit < 1:
        raise QueryError(f"limit must be at least 1, got {limit}")
    compiled = compile_query(parse(query), project)
    return run(conn, compiled, limit=limit, deadline_s=deadline_s)


def run(conn: sqlite3.Connection, compiled: CompiledQuery, *, limit: int,
        deadline_s: float) -> QueryResult:
    """Execute a compiled query, fetching one row past `limit` to tell if it was truncated."""
    params = {**compiled.params, "limit": limit + 1}
    started = time.perf_counter()
    deadline = started + deadline_s

    def over_time() -> int:
        return 1 if time.perf_counter() > deadline else 0

    conn.set_progress_handler(over_time, PROGRESS_STEPS)
    try:
        rows = conn.execute(compiled.sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise QueryError(
                f"query ran longer than {deadline_s:g} s and was stopped; narrow it with more "
                "fields (e.g. name or kind), or join its statements through a shared variable"
            ) from exc
        raise BackendError(f"the fact store failed on the query: {exc}",
                           retryable="locked" in str(exc)) from exc
    except sqlite3.Error as exc:
        raise BackendError(f"the fact store failed on the query: {exc}") from exc
    except UnicodeEncodeError as exc:
        raise QueryError(f"the query holds a character that cannot be encoded: {exc.reason} "
                         f"at {exc.start}; remove lone surrogates") from exc
    finally:
        conn.set_progress_handler(None, 0)
    elapsed_ms = (time.perf_counter() - started) * 1000
    log.debug("angle query: %d rows in %.1f ms: %s", len(rows), elapsed_ms, compiled.sql)
    truncated = len(rows) > limit
    rows = rows[:limit]
    return QueryResult(
        facts=[to_fact(compiled, row) for row in rows],
        truncated=truncated,
        predicates={name: PREDICATES[name].field_names for name in compiled.predicates_used},
        sql_ms=elapsed_ms,
    )


def to_fact(compiled: CompiledQuery, row: Any) -> dict[str, Any]:
    """One result row as a JSON fact (or a variable's value)."""
    if compiled.predicate is None:
        return {"variable": compiled.variable, "value": row[0]}
    return {"predicate": compiled.predicate.name,
            "key": {name: row[i] for i, name in enumerate(compiled.columns)}}
