"""Registry entries → MCP `Tool`s, engine results → `CallToolResult`s. No business logic."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import mcp_types as types

from toolorch.engine.request import OrchestrateRequest
from toolorch.errors import ToolorchError
from toolorch.registry import Registry, ToolSpec

ORCHESTRATE = "orchestrate"

_ORCHESTRATE_OUTPUT = {
    "type": "object",
    "properties": {
        "workflow_id": {"type": "string"},
        "goal": {"type": "string"},
        "strategy": {"type": "string"},
        "success": {"type": "boolean"},
        "planner": {"type": "string", "description": "explicit | dataflow | policy | feedback"},
        "plan": {"type": "array", "items": {"type": "object"}},
        "steps": {"type": "array", "items": {"type": "object"}},
        "outputs": {"type": "object"},
        "totals": {"type": "object"},
        "policy_version": {"type": ["integer", "null"]},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["workflow_id", "success", "steps", "totals"],
}


def tool_of(spec: ToolSpec, *, read_only: bool | None = None) -> types.Tool:
    ann = spec.annotations
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=spec.input_schema,
        output_schema=spec.output_schema,
        annotations=types.ToolAnnotations(
            title=ann.title or spec.title,
            read_only_hint=ann.read_only_hint if read_only is None else read_only,
            destructive_hint=ann.destructive_hint,
            idempotent_hint=ann.idempotent_hint,
            open_world_hint=ann.open_world_hint,
        ),
    )


@lru_cache(maxsize=1)
def orchestrate_input_schema() -> dict[str, Any]:
    return _inline_refs(OrchestrateRequest.model_json_schema())


def orchestrate_tool(registry: Registry) -> types.Tool:
    artifacts = sorted(set(registry.dataflow.producers) | {c.artifact for t in registry for c in t.consumes})
    return types.Tool(
        name=ORCHESTRATE,
        title="Orchestrate a code-intelligence workflow",
        description=(
            "Run several tools for a goal. Give `goal` and `inputs` (e.g. project_path and language) "
            "and toolorch plans the steps from the registry's dataflow (strategy adaptive, sequential or "
            "parallel) or lets its learned KTO policy pick them one by one (rl_optimized); or give explicit "
            "`steps`, where arguments may use earlier results as '${artifact}' or '${<step id>.<field>}'. "
            "`deliverable` names what must come out. Rate a past workflow with `feedback`. "
            f"Artifacts: {', '.join(artifacts)}."
        ),
        input_schema=orchestrate_input_schema(),
        output_schema=_ORCHESTRATE_OUTPUT,
        annotations=types.ToolAnnotations(
            title="Orchestrate", read_only_hint=False, destructive_hint=False,
            idempotent_hint=False, open_world_hint=False,
        ),
    )


def list_tools(registry: Registry, cypher_writes: bool) -> list[types.Tool]:
    tools = []
    for spec in registry:
        # memgraph_query_graph is read-only unless writes are enabled in configuration
        ro = False if (cypher_writes and spec.name == "memgraph_query_graph") else None
        tools.append(tool_of(spec, read_only=ro))
    tools.append(orchestrate_tool(registry))
    return tools


def success(output: dict[str, Any], max_chars: int, summary: str | None = None) -> types.CallToolResult:
    text = json.dumps(output, default=str, ensure_ascii=False)
    if len(text) > max_chars:
        text = text[:max_chars] + f"\n… (truncated at {max_chars} characters; the structured content is complete)"
    blocks: list[types.ContentBlock] = []
    if summary:
        blocks.append(types.TextContent(type="text", text=summary))
    blocks.append(types.TextContent(type="text", text=text))
    return types.CallToolResult(content=blocks, structured_content=output, is_error=False)


def failure(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


def error_text(error: ToolorchError | None) -> str:
    """`[kind] message`: what the agent reads in an isError result."""
    if error is None:
        return "failed"
    return f"[{error.kind}] {error.message}"


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Pydantic emits $defs/$ref; some MCP clients render inline schemas better."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                merged = {**walk(defs[ref.split("/")[-1]]), **{k: v for k, v in node.items() if k != "$ref"}}
                return merged
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined
