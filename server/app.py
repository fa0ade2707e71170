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
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError

from server import completions, prompts, resources, tools
from server.logs import LEVELS, LogRelay
from server.workflows import WorkflowResults, link, resource_links
from toolorch import __version__
from toolorch.config import Settings
from toolorch.engine.engine import Engine
from toolorch.engine.orchestrator import Orchestrator
from toolorch.engine.progress import MonotonicProgress
from toolorch.engine.request import OrchestrateRequest
from toolorch.engine.suggest import Recommender
from toolorch.engine.summary import deliverable_of, summarize
from toolorch.errors import OrchestrationError, PlanningError, UnknownToolError
from toolorch.registry import Registry
from toolorch.stores.suggestions import SuggestionLog

log = logging.getLogger("toolorch.server")

INSTRUCTIONS = (
    "toolorch gives you code-intelligence tools over real engines. Start with scip_index_code "
    "(project_path, language), then query the project with glean_query_code (Angle), "
    "memgraph_query_graph (Cypher, after memgraph_create_graph_from_scip) or qdrant_search_similar "
    "(plain words); lean4_generate_specs and the n8n tools turn an index into specs and workflows; "
    "marquez_get_lineage shows where any artifact came from. `orchestrate` runs only what a goal "
    "needs (name a `deliverable`, or it reads the goal and asks when unsure), returns a compact "
    "summary with links to full outputs (toolorch://workflows/...), and learns from every outcome "
    "which tool to call next. Prompts: explore_repository, find_callers, project_to_n8n."
)


class App:
    """Lifespan state: the engine, its orchestrator, and per-session roots."""

    def __init__(self, engine: Engine, relay: LogRelay | None = None, background: Any = None) -> None:
        self.engine = engine
        self.orchestrator = Orchestrator(engine)
        self.tools = tools.list_tools(engine.registry, engine.settings.cypher_allow_writes)
        self.results = WorkflowResults()
        self.relay = relay or LogRelay()
        self.recommender = Recommender(engine.registry)
        self.followed = SuggestionLog(engine.settings.home / "suggestions.sqlite")
        self._background = background     # the lifespan's task group (None: no background work)
        self._policy_loading = False
        # per client session; weak keys, so closed sessions (HTTP clients come and go) are dropped
        self._roots: weakref.WeakKeyDictionary[Any, list[Path]] = weakref.WeakKeyDictionary()

    async def suggestions(self, session_id: str, tool: str) -> dict[str, Any] | None:
        """The `_meta` of a direct call's result: the policy's next tools for this session. Logs
        whether this call took one of the tools suggested before it."""
        offered = self.recommender.taken(session_id, tool)
        policy = self.engine.policy
        if offered is not None:
            self.followed.record(session_id, offered, tool)   # in memory; flushed in the background
        if policy is None:
            if self.engine.settings.policy_enabled and not self._policy_loading and self._background is not None:
                self._policy_loading = True    # from the next call on, suggestions come
                self._background.start_soon(self.engine.load_policy)
            return None
        state = self.engine.session(session_id)
        found = self.recommender.cached(policy, state)
        if found is None:
            found = await anyio.to_thread.run_sync(self.recommender.suggest, policy, state)
        self.recommender.offered(session_id, [s["tool"] for s in found["toolorch/suggestions"]])
        return found

    async def roots_of(self, ctx: ServerRequestContext[App]) -> list[Path]:
        """The client's MCP roots (file:// URIs), asked once per session when it offers them."""
        key = connection_of(ctx)
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


def connection_of(ctx: ServerRequestContext[App]) -> Any:
    """The client connection behind a request (mcp 2.x builds a ServerSession proxy per request,
    so the proxy is no key for per-client state)."""
    return getattr(ctx.session, "_connection", ctx.session)


async def on_call_tool(ctx: ServerRequestContext[App], params: types.CallToolRequestParams) -> types.CallToolResult:
    app = ctx.lifespan_context
    connection = connection_of(ctx)
    logs = app.relay.start(ctx.session, connection)
    try:
        return await _call_tool(ctx, app, params, connection, logs.flush)
    finally:
        with anyio.CancelScope(shield=True):
            await logs.flush()


async def _call_tool(ctx: ServerRequestContext[App], app: App, params: types.CallToolRequestParams,
                     connection: Any, flush_logs: Any) -> types.CallToolResult:
    name, args = params.name, params.arguments or {}

    async def report(done: float, total: float | None, message: str | None) -> None:
        await ctx.session.report_progress(done, total, message)
        await flush_logs()

    progress = MonotonicProgress(report)
    roots = await app.roots_of(ctx)
    session_id = f"s{id(connection):x}"
    if name == tools.ORCHESTRATE:
        try:
            req = OrchestrateRequest.model_validate(args)
        except pydantic.ValidationError as exc:
            return tools.failure(tools.request_error(exc))
        try:
            wf = await app.orchestrator.run(req, progress=progress, roots=roots, session_id=session_id)
        except (OrchestrationError, PlanningError, UnknownToolError) as exc:  # the request, not the server
            return tools.failure(f"[validation] orchestrate: {exc.message}")
        except Exception as exc:  # a bug: say so, as an internal error, and keep serving
            log.exception("orchestrate failed")
            raise MCPError(code=types.INTERNAL_ERROR,
                           message=f"internal error in orchestrate: {type(exc).__name__}: {exc}") from exc
        full = app.results.add(wf)
        if req.detail == "full":
            return tools.success(full, app.engine.settings.max_output_chars, tools.workflow_line(wf))
        compact = summarize(wf, app.engine.registry, deliverable_of(wf), link)
        answer = tools.success(compact, app.engine.settings.max_output_chars, tools.workflow_line(wf))
        answer.content.extend(resource_links(compact))
        return answer
    try:
        result = await app.engine.call(name, args, session_id=session_id, progress=progress, roots=roots)
    except UnknownToolError as exc:
        raise MCPError(code=types.INVALID_PARAMS,
                       message=f"{exc.message}, {tools.ORCHESTRATE} (the meta tool)") from exc
    meta = await app.suggestions(session_id, name)
    if not result.success:
        answer = tools.failure(tools.error_text(result.error))
    else:
        answer = tools.success(result.output or {}, app.engine.settings.max_output_chars)
    if meta is not None:
        answer.meta = meta
    return answer


async def on_set_logging_level(ctx: ServerRequestContext[App], params: types.SetLevelRequestParams) -> types.EmptyResult:
    if params.level not in LEVELS:
        raise MCPError(code=types.INVALID_PARAMS, message=f"unknown level {params.level!r}; one of {', '.join(LEVELS)}")
    ctx.lifespan_context.relay.set_level(connection_of(ctx), params.level)
    return types.EmptyResult()


async def on_completion(ctx: ServerRequestContext[App], params: types.CompleteRequestParams) -> types.CompleteResult:
    app = ctx.lifespan_context
    return await anyio.to_thread.run_sync(
        completions.complete, params.argument.name, params.argument.value, app.engine.settings.home,
        app.results.ids())


async def on_list_prompts(ctx: ServerRequestContext[App], params: types.PaginatedRequestParams | None) -> types.ListPromptsResult:
    return types.ListPromptsResult(prompts=prompts.list_prompts())


async def on_get_prompt(ctx: ServerRequestContext[App], params: types.GetPromptRequestParams) -> types.GetPromptResult:
    return prompts.get_prompt(params.name, params.arguments)


async def on_list_resource_templates(ctx: ServerRequestContext[App],
                                     params: types.PaginatedRequestParams | None) -> types.ListResourceTemplatesResult:
    return types.ListResourceTemplatesResult(resource_templates=resources.list_templates())


async def on_list_resources(ctx: ServerRequestContext[App], params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
    return types.ListResourcesResult(resources=resources.list_resources())


async def on_read_resource(ctx: ServerRequestContext[App], params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
    app = ctx.lifespan_context
    return await resources.read_resource(app.engine, app.results, str(params.uri))


FLUSH_S = 5.0   # how often followed-suggestion rows reach the data dir


async def _flush_every(log: SuggestionLog, seconds: float) -> None:
    while True:
        await anyio.sleep(seconds)
        if log.pending:
            await anyio.to_thread.run_sync(log.flush)


def build_server(settings: Settings | None = None, registry: Registry | None = None) -> Server[App]:
    @asynccontextmanager
    async def lifespan(_: Server[App]) -> AsyncIterator[App]:
        engine = Engine(settings or Settings(), registry)
        if engine.settings.policy_enabled and engine.settings.policy_warm_start:   # not v0 in a new data dir
            from toolorch.rl import shipped
            from toolorch.rl.checkpoint import CheckpointDir

            home = CheckpointDir(engine.settings.home / "policy")
            await anyio.to_thread.run_sync(lambda: shipped.install(home, registry=engine.registry))
        relay = LogRelay()
        logging.getLogger("toolorch").addHandler(relay)
        try:
            async with engine, anyio.create_task_group() as background:
                app = App(engine, relay, background)
                background.start_soon(_flush_every, app.followed, FLUSH_S)
                try:
                    yield app
                finally:
                    background.cancel_scope.cancel()
                    app.followed.close()   # writes what is pending (a few rows at most: blocking is fine here)
        finally:
            logging.getLogger("toolorch").removeHandler(relay)

    with warnings.catch_warnings():  # logging is deprecated in 2026-07-28, and still in 2025-11-25
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        return _server(lifespan)


def _server(lifespan: Any) -> Server[App]:
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
        on_list_resource_templates=on_list_resource_templates,
        on_read_resource=on_read_resource,
        on_list_prompts=on_list_prompts,
        on_get_prompt=on_get_prompt,
        on_set_logging_level=on_set_logging_level,
        on_completion=on_completion,
    )
