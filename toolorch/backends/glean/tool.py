"""glean_query_code: an Angle-subset query over the facts of a project indexed by scip_index_code.

Arguments: `project_name`, `query` (see parser.py for the grammar), `limit` (default 100, capped
by settings.max_rows; facts are also dropped from the end to keep the output under
settings.max_output_chars). Output: `facts` (see evaluator.py for their shape), `count`, `truncated`,
and `predicates`: the fields of each predicate the query used, so an agent can refine it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import anyio

from toolorch.backends.glean.compiler import compile_query
from toolorch.backends.glean.evaluator import run
from toolorch.backends.glean.parser import parse
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.errors import QueryError, check_query_length

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 100
#: Wall-clock budget of the SQL itself; below the tool's registry timeout (30 s) so a runaway
#: query ends with an explanation instead of a bare timeout.
DEADLINE_S = 20.0


async def query_code(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    """Run `args["query"]` over the facts of `args["project_name"]` in a worker thread."""
    from toolorch.stores.facts import facts_of

    project = str(args["project_name"])
    text = str(args["query"])
    check_query_length(text, ctx.settings.max_query_chars, "query")
    limit = min(int(args.get("limit") or DEFAULT_LIMIT), ctx.settings.max_rows)
    compiled = compile_query(parse(text), project)      # pure and fast: errors before any I/O

    def work() -> dict[str, Any]:
        store = facts_of(ctx)
        if store.project(project) is None:
            names = [p["name"] for p in store.projects()]
            known = (f"indexed projects: {', '.join(names)}" if names
                     else "no project is indexed yet")
            raise QueryError(f"unknown project {project!r}; {known}. Index one with "
                             "scip_index_code (its project_name output names it).")
        _record_store(ctx, store.path)          # stamped before reading: a concurrent write
        conn = store.connect_readonly()         # then invalidates the cached result
        try:
            result = run(conn, compiled, limit=limit, deadline_s=DEADLINE_S)
        finally:
            conn.close()
        output = result.to_output()
        return _fit(output, ctx.settings.max_output_chars)

    output = await anyio.to_thread.run_sync(work)
    ctx.record_input(Dataset.store(f"facts/{project}"))
    return output


def _fit(output: dict[str, Any], max_chars: int) -> dict[str, Any]:
    """Keep the serialized output under `max_chars` by dropping facts from the end (and saying
    so with `truncated`), so long documentation strings cannot blow up an agent's context."""
    budget = max_chars - len(json.dumps(output["predicates"])) - 200
    kept = 0
    for fact in output["facts"]:
        budget -= len(json.dumps(fact, ensure_ascii=False)) + 2
        if budget < 0:
            break
        kept += 1
    if kept < len(output["facts"]):
        output["facts"] = output["facts"][:kept]
        output["count"] = kept
        output["truncated"] = True
    return output


def _record_store(ctx: ToolContext, path: Path) -> None:
    """The result depends on the fact store. In WAL mode a write lands in the -wal file and
    reaches the main file only at a checkpoint, so both are fingerprinted (the -wal one when it
    exists; it does while any connection, such as the shared FactStore's, is open)."""
    ctx.record_read(path)
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        ctx.record_read(wal)
