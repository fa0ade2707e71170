"""MCP resources: the registry, live metrics, the experience log summary, the policy's metrics;
and templates for per-project data (facts summary, graph schema), the lineage of any artifact,
and recent workflow results (what compact orchestrate results link to)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import mcp_types as types
from mcp.shared.exceptions import MCPError

from server.workflows import PREFIX as WORKFLOWS
from server.workflows import WorkflowResults
from toolorch.engine.engine import Engine
from toolorch.errors import ToolorchError


def _registry(engine: Engine) -> dict[str, Any]:
    return {
        "tools": [t.model_dump(mode="json", by_alias=True) for t in engine.registry],
        "models": [m.model_dump(mode="json") for m in engine.registry.models],
        "capabilities": engine.registry.capabilities,
    }


def _metrics(engine: Engine) -> dict[str, Any]:
    return {
        "metrics": engine.metrics.snapshot(),
        "cache": engine.cache.stats(),
        "breakers": engine.breaker_states(),
    }


def _experiences(engine: Engine) -> dict[str, Any]:
    engine.flush_experiences()
    return engine.store.summary()


def _policy(engine: Engine) -> dict[str, Any]:
    if engine.policy is None:
        return {"loaded": False, "note": "the policy loads on the first rl_optimized orchestrate call"}
    return {"loaded": True, **engine.policy.metrics()}


def _settings(engine: Engine) -> dict[str, Any]:
    return engine.settings.public()


RESOURCES: dict[str, tuple[str, str, Callable[[Engine], dict[str, Any]]]] = {
    "toolorch://registry": ("registry", "The nine tools and models, as loaded from registry/.", _registry),
    "toolorch://metrics": ("metrics", "Live metrics: success, latency percentiles, cache, retries, breakers.", _metrics),
    "toolorch://experiences/summary": ("experiences", "The KTO experience log: counts by label, tool, error.", _experiences),
    "toolorch://policy": ("policy", "KTO policy metrics: loss, z0, reward margins, entropy, KL, success.", _policy),
    "toolorch://settings": ("settings", "Effective settings (secrets masked).", _settings),
}


def list_resources() -> list[types.Resource]:
    return [
        types.Resource(uri=uri, name=name, description=desc, mime_type="application/json")
        for uri, (name, desc, _) in RESOURCES.items()
    ]


#: (URI template, name, description)
TEMPLATES: list[tuple[str, str, str]] = [
    ("toolorch://projects/{project}/facts", "project facts",
     "An indexed project's files by language, symbols by kind, occurrence and relationship counts."),
    ("toolorch://projects/{project}/graph-schema", "code graph schema",
     "The code graph's labels, properties and edges, with example Cypher for this project."),
    ("toolorch://lineage/{dataset}", "lineage of an artifact",
     "Who made an artifact and from what (a file path, a basename, or a store name such as facts/<project>; "
     "URL-encode slashes as %2F)."),
    ("toolorch://workflows/{workflow_id}", "workflow result",
     "A recent orchestrate result, whole (every step's arguments and output)."),
    ("toolorch://workflows/{workflow_id}/steps/{step}", "workflow step",
     "One step of a recent workflow, whole (steps are numbered from 1)."),
]


def list_templates() -> list[types.ResourceTemplate]:
    return [types.ResourceTemplate(uri_template=t, name=n, description=d, mime_type="application/json")
            for t, n, d in TEMPLATES]


async def _templated(engine: Engine, results: WorkflowResults, uri: str) -> dict[str, Any] | None:
    from urllib.parse import unquote

    from toolorch.engine.projects import facts_summary, graph_schema

    if uri.startswith(WORKFLOWS):
        return results.read(uri)
    if uri.startswith("toolorch://projects/"):
        project, _, what = uri[len("toolorch://projects/"):].partition("/")
        project = unquote(project)
        if what == "facts":
            return await anyio.to_thread.run_sync(facts_summary, engine.settings, project)
        if what == "graph-schema":
            return graph_schema(project)
        return None
    if uri.startswith("toolorch://lineage/"):
        dataset = unquote(uri[len("toolorch://lineage/"):])
        result = await engine.execute("marquez_get_lineage", {"dataset_name": dataset}, strategy="resource")
        if not result.success:
            assert result.error is not None
            raise result.error
        return result.output
    return None


async def read_resource(engine: Engine, results: WorkflowResults, uri: str) -> types.ReadResourceResult:
    entry = RESOURCES.get(str(uri))
    if entry is not None:
        data = await anyio.to_thread.run_sync(entry[2], engine)
    else:
        try:
            found = await _templated(engine, results, str(uri))
        except ToolorchError as exc:
            raise MCPError(code=-32002, message=f"{uri}: {exc.message}") from exc
        if found is None:
            known = ", ".join([*RESOURCES, *(t for t, _, _ in TEMPLATES)])
            raise MCPError(code=-32002, message=f"unknown resource {uri}; known: {known}")
        data = found
    text = json.dumps(data, indent=1, default=str)
    return types.ReadResourceResult(
        contents=[types.TextResourceContents(uri=str(uri), mime_type="application/json", text=text)]
    )
