"""The MCP face of toolorch: a low-level mcp 2.x `Server` whose handlers only translate.

Handlers are typed with the lifespan context (`ServerRequestContext[App]`), so no cast is needed.

The engine is created once in `lifespan` and read as `ctx.lifespan_context`.
"""

from __future__ import annotations

import logging
import warnings
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import anyio
import mcp_types as types
import pydantic
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError

from server import resources, tools
from toolorch import __version__
from toolorch.config import Settings
from toolorch.engine.engine import Engine
from toolorch.engine.orchestrator import Orchestrator
from toolorch.engine.request import OrchestrateRequest
from toolorch.errors import OrchestrationError, UnknownToolError
from toolorch.registry import Registry

log = logging.getLogger("toolorch.server")

INSTRUCTIONS = (
    "toolorch gives you code-intelligence tools over real engines. Start with scip_index_code "
    "(project_path, language), then query the project with glean_query_code (Angle), "
    "memgraph_query_graph (Cypher, after memgraph_create_graph_from_scip) or qdrant_search_similar "
    "(plain words); lean4_generate_specs and the n8n tools turn an index into specs and workflows; "
    "marquez_get_lineage shows where any artifact came from. `orchestrate` runs a whole pipeline "
    "for a goal and learns from every outcome which tool to call next."
)


class App:
    """Lifespan state: the engine, its orchestrator, and per-session roots."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.orchestrator = Orchestrator(engine)
        self.tools = tools.list_tools(engine.registry, engine.settings.cypher_allow_writes)
        # per client session; weak keys, so closed sessions (HTTP clients come and go) are dropped
        self._roots: weakref.WeakKeyDictionary[Any, list[Path]] = weakref.WeakKeyDictionary()

    async def roots_of(self, ctx: ServerRequestContext[App]) -> list[Path]:
        """The client's MCP roots (file:// URIs), asked once per session when it offers them."""
        key = ctx.session
        if key in self._roots:
            return self._roots[key]
        roots: list[Path] = []
        caps = ctx.session.client_capabilities
        if caps is not None and caps.roots is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    with anyio.fail_after(2):
                        listed = await ctx.session.list_roots()
                for r in listed.roots:
                    u = urlparse(str(r.uri))
                    if u.scheme == "file":
                        roots.append(Path(unquote(u.path)).resolve())
            except Exception as exc:
                log.info("client roots unavailable: %s", exc)
        self._roots[key] = roots
        return roots


async def on_list_tools(ctx: ServerRequestContext[App], params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
    return types.ListToolsResult(tools=ctx.lifespan_context.tools)


async def on_call_tool(ctx: ServerRequestContext[App], params: types.CallToolRequestParams) -> types.CallToolResult:
    app = ctx.lifespan_context
    name, args = params.name, params.arguments or {}

    async def progress(done: float, total: float | None, message: str | None) -> None:
        await ctx.session.report_progress(done, total, message)

    roots = await app.roots_of(ctx)
    session_id = f"s{id(ctx.session):x}"
    if name == tools.ORCHESTRATE:
        try:
            req = OrchestrateRequest.model_validate(args)
        except pydantic.ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "(arguments)"
            return tools.failure(f"[validation] orchestrate: {field}: {err['msg']}")
        try:
            wf = await app.orchestrator.run(req, progress=progress, roots=roots, session_id=session_id)
        except (OrchestrationError, UnknownToolError) as exc:  # the request, not the server
            return tools.failure(f"[validation] orchestrate: {exc.message}")
        except Exception as exc:  # a bug: say so, as an internal error, and keep serving
            log.exception("orchestrate failed")
            raise MCPError(code=types.INTERNAL_ERROR,
                           message=f"internal error in orchestrate: {type(exc).__name__}: {exc}") from exc
        out = wf.to_dict()
        done = out["totals"]
        summary = (
            f"workflow {wf.workflow_id}: {'succeeded' if wf.success else 'did not succeed'} — "
            f"{done['succeeded']} ok, {done['failed']} failed, {done['skipped']} skipped "
            f"({wf.strategy}, planned by {wf.planner})"
        )
        return tools.success(out, app.engine.settings.max_output_chars, summary)
    try:
        result = await app.engine.call(name, args, session_id=session_id, progress=progress, roots=roots)
    except UnknownToolError as exc:
        raise MCPError(code=types.INVALID_PARAMS, message=exc.message) from exc
    if not result.success:
        return tools.failure(tools.error_text(result.error))
    return tools.success(result.output or {}, app.engine.settings.max_output_chars)


async def on_list_resources(ctx: ServerRequestContext[App], params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
    return types.ListResourcesResult(resources=resources.list_resources())


async def on_read_resource(ctx: ServerRequestContext[App], params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
    return await resources.read_resource(ctx.lifespan_context.engine, str(params.uri))


def build_server(settings: Settings | None = None, registry: Registry | None = None) -> Server[App]:
    @asynccontextmanager
    async def lifespan(_: Server[App]) -> AsyncIterator[App]:
        engine = Engine(settings or Settings(), registry)
        async with engine:
            yield App(engine)

    return Server(
        "toolorch",
        version=__version__,
        title="toolorch",
        description="Code-intelligence tools behind one learning execution engine.",
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        on_list_resources=on_list_resources,
        on_read_resource=on_read_resource,
    )
