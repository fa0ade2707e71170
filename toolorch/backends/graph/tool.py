"""memgraph_create_graph_from_scip and memgraph_query_graph: the code graph tools.

The store is LadybugDB under the data dir by default and Memgraph when TOOLORCH_MEMGRAPH_URL is
set; one store per engine, shared through `ctx.services` under the key "graph.store".
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import anyio

from toolorch.backends.graph.guard import check_read_only, find_write, tokenize
from toolorch.backends.graph.store import GraphStore, Interrupter, unique_columns
from toolorch.backends.graph.values import to_json
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.core.services import ServiceKey
from toolorch.errors import PathError, QueryError, ValidationError, check_query_length

SERVICE_KEY: ServiceKey[GraphStore] = ServiceKey("graph.store")
CREATE_TIMEOUT_S = 600.0
MAX_SOURCE_BYTES = 4 * 1024 * 1024
_PROJECT_KEY = r"(?:Project\s*\{\s*name|\.project|project)\s*(?::|=)\s*"
_PROJECT_IN_QUERY = re.compile(_PROJECT_KEY + r"""(['"])((?:\\.|(?!\1).)*)\1""")
_PROJECT_PARAM = re.compile(_PROJECT_KEY + r"\$(\w+)")


def make_store(settings: Settings) -> GraphStore:
    """The configured store: Memgraph over Bolt when a URL is set, else embedded LadybugDB."""
    if settings.memgraph_url:
        from toolorch.backends.graph.bolt_store import BoltGraphStore

        return BoltGraphStore(settings.memgraph_url, settings.memgraph_user,
                              settings.memgraph_password)
    from toolorch.backends.graph.ladybug_store import LadybugGraphStore

    return LadybugGraphStore(settings.home / "graph")


def get_store(ctx: ToolContext) -> GraphStore:
    return ctx.services.get(SERVICE_KEY, lambda: make_store(ctx.settings))


def _project_name(raw: Any) -> str:
    name = str(raw).strip()
    if not name:
        raise ValidationError("project_name is empty", field="project_name")
    if ":" in name or any(ord(c) < 32 for c in name) or len(name) > 200:
        raise ValidationError(
            f"project_name {name[:60]!r} is not usable: use at most 200 characters, no ':' "
            "(it separates the project from the path in node ids) and no control characters",
            field="project_name")
    return name


def _progress_from_thread(ctx: ToolContext) -> Any:
    async def send(done: float, total: float | None, message: str) -> None:
        await ctx.report_progress(done, total, message)

    def report(done: float, total: float | None, message: str) -> None:
        anyio.from_thread.run(send, done, total, message)
    return report


def _source_loader(ctx: ToolContext, root: Path | None) -> Any:
    """Read a document's source (inside the allowed roots) to tell calls from references."""
    if root is None:
        return None

    def load(relative_path: str) -> str | None:
        try:
            path = ctx.resolve_path(root / relative_path, want="file", what="source file")
            if path.stat().st_size > MAX_SOURCE_BYTES:
                return None
            return path.read_text(encoding="utf-8", errors="replace")
        except (PathError, OSError):
            return None
    return load


async def create_graph_from_scip(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    """Load a SCIP index into the code graph, replacing the project's previous subgraph."""
    from toolorch.backends.graph.builder import build_graph
    from toolorch.scip import read_index
    from toolorch.scip.reader import project_root_path

    index_path = ctx.resolve_path(args["scip_index_path"], want="file", what="scip_index_path")
    project = _project_name(args["project_name"])
    ctx.record_input(Dataset.file(index_path))
    store = get_store(ctx)
    report = _progress_from_thread(ctx)

    def work() -> tuple[Any, Any, float]:
        started = time.monotonic()
        report(0, None, f"reading {index_path.name}")
        index = read_index(index_path, max_bytes=ctx.settings.max_index_bytes)
        report(0, None, f"building the graph of {len(index.documents)} documents")
        graph = build_graph(index, project, _source_loader(ctx, project_root_path(index)))
        counts = store.replace_project(graph, report, CREATE_TIMEOUT_S)
        return graph, counts, time.monotonic() - started

    graph, counts, elapsed = await anyio.to_thread.run_sync(work)
    ctx.record_output(Dataset.store(f"graph/{project}", backend=store.backend,
                                    location=store.location))
    return {
        "project_name": project,
        "nodes": counts.nodes,
        "edges": counts.edges,
        "backend": store.backend,
        "database": store.location,
        "skipped": graph.skipped,
        "load": {"mode": "full"} if counts.delta is None else {
            "mode": "delta", "written": {k: v for k, v in counts.delta.items() if any(v.values())}},
        "elapsed_s": round(elapsed, 3),
    }


def _projects_named(text: str, parameters: dict[str, Any]) -> list[str]:
    """Projects a query names (for lineage): `Project {name: "X"}`, `s.project = 'X'`, the
    same with a parameter, or a parameter `$project` / `$project_name` used anywhere."""
    found = [m.group(2) for m in _PROJECT_IN_QUERY.finditer(text)]
    keys = [m.group(1) for m in _PROJECT_PARAM.finditer(text)]
    keys += [k for k in ("project", "project_name") if re.search(rf"\${k}\b", text)]
    found += [parameters[k] for k in keys if isinstance(parameters.get(k), str)]
    return list(dict.fromkeys(found))


def _check_parameters(text: str, parameters: dict[str, Any]) -> None:
    """Every $name the query uses must be given (Ladybug would silently read a missing one as
    null when no parameters are passed at all)."""
    used = {tok.text[1:] for tok in tokenize(text) if tok.kind == "param" and len(tok.text) > 1}
    missing = sorted(used - set(parameters))
    if missing:
        wanted = ", ".join(f'"{name}": ...' for name in missing)
        raise QueryError(f"the query uses ${missing[0]} but `parameters` has no {missing[0]!r}; "
                         f"pass parameters {{{wanted}}}")


def _cap_rows(rows: list[dict[str, Any]], max_chars: int) -> tuple[list[dict[str, Any]], bool]:
    """Keep rows while their JSON stays under `max_chars`."""
    size = 0
    for i, row in enumerate(rows):
        size += len(json.dumps(row, ensure_ascii=False, default=str)) + 1
        if size > max_chars:
            return rows[:i], True
    return rows, False


async def query_graph(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    """Run a Cypher query on the code graph (read-only unless writes are allowed)."""
    settings = ctx.settings
    text = str(args["cypher_query"])
    check_query_length(text, settings.max_query_chars, "cypher_query")
    parameters = args.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ValidationError("parameters must be an object of $name -> value", field="parameters")
    limit = max(1, min(int(args.get("limit") or 1000), settings.max_rows))
    _check_parameters(text, parameters)
    writes = find_write(text) is not None
    if writes and not settings.cypher_allow_writes:
        check_read_only(text)
    store = get_store(ctx)
    interrupter = Interrupter()
    marker = store.cache_key_file()
    if marker is not None:      # stamped before the query: a load during it invalidates the cache
        ctx.record_read(marker)

    def work() -> Any:
        return store.query(text, parameters, limit, settings.cypher_timeout_s,
                           write=writes, interrupter=interrupter)

    try:
        result = await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    except anyio.get_cancelled_exc_class():
        interrupter.interrupt()
        raise

    columns = unique_columns(result.columns)
    rows = [dict(zip(columns, (to_json(v) for v in row), strict=True)) for row in result.rows]
    rows, cut = _cap_rows(rows, settings.max_output_chars)
    names = _projects_named(text, parameters)
    for name in names or [""]:
        ctx.record_input(Dataset.store(f"graph/{name}" if name else "graph"))
    if writes:
        ctx.record_output(Dataset.store("graph"))
    out: dict[str, Any] = {"columns": columns, "rows": rows, "count": len(rows),
                           "truncated": result.truncated or cut}
    if cut:
        out["truncated_reason"] = (f"output cap of {settings.max_output_chars} characters "
                                   "(TOOLORCH_MAX_OUTPUT_CHARS); return fewer columns or rows")
    elif result.truncated:
        out["truncated_reason"] = f"row cap of {limit} (the limit argument, at most TOOLORCH_MAX_ROWS)"
    return out
