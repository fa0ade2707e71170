"""Registry entries → MCP `Tool`s, engine results → `CallToolResult`s. No business logic."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import mcp_types as types
import pydantic

from toolorch.engine.request import OrchestrateRequest
from toolorch.engine.results import WorkflowResult
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
        "why": {"type": ["string", "null"], "description": "Why this strategy (auto)."},
        "inferred": {"type": "object", "description": "What a goal without a deliverable was read as."},
        "deliverable": {"type": ["object", "string", "null"]},
        "selection": {"type": ["object", "null"]},
        "full": {"type": "string", "description": "Resource URI of the whole result."},
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
            "Run several tools for a goal in one call. When: a multi-step job (index then query, or "
            "project → Lean → n8n) you would otherwise chain by hand. Give `goal` and `inputs` by artifact "
            "name (project_path, language, search_text, angle_query, cypher_query, dataset_name, workflow_name, "
            "project_name, scip_index_path, lean4_file_path) and, best, a `deliverable` (an artifact or tool "
            "name): only the cheapest plan that makes it runs. Without a deliverable the goal's words are "
            "read (\"index and search\" → scip_index_code + qdrant_search_similar); the result says what "
            "was inferred and with what confidence, and when unsure it runs nothing and asks. "
            "Strategy `auto` (default) chooses and says why: explicit steps with dependencies → adaptive, "
            "independent ones → parallel; sequential stops at the first failure; parallel starts every "
            "step at once; adaptive follows the dependency DAG (a failure skips only its dependents); "
            "rl_optimized lets the learned KTO policy pick each next tool. Explicit `steps` may use "
            "earlier results as '${artifact}' or '${<step id>.<field>}'. The result is a summary per step "
            "(tool, ok, key outputs, time, cost) plus the deliverable; whole outputs are resources "
            "(toolorch://workflows/<id>, .../steps/<n>), or ask `detail: \"full\"`. Duration: the sum of "
            "its tools' (the whole pipeline on a small project ≈ 15-30 s; indexing dominates on large ones). "
            "Rate a past workflow with `feedback` so the policy learns. "
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


def workflow_line(wf: WorkflowResult) -> str:
    """The one line an agent reads first."""
    steps = wf.steps
    ok = sum(1 for s in steps if s.success)
    failed = sum(1 for s in steps if s.result is not None and not s.success)
    skipped = sum(1 for s in steps if s.result is None)
    if not steps and wf.planner == "intent":
        return f"workflow {wf.workflow_id}: nothing run — {wf.notes[-1] if wf.notes else 'no deliverable'}"
    return (f"workflow {wf.workflow_id}: {'succeeded' if wf.success else 'did not succeed'} — {ok} ok, "
            f"{failed} failed, {skipped} skipped ({wf.strategy}, planned by {wf.planner})")


def request_error(exc: pydantic.ValidationError) -> str:
    """An invalid orchestrate request, naming the field (and an unexpected key as such)."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(arguments)"
    if err["type"] == "extra_forbidden":
        where = OrchestrateRequest if len(err["loc"]) == 1 else None
        allowed = f"; allowed: {', '.join(where.model_fields)}" if where is not None else ""
        return f"[validation] orchestrate: unexpected argument {field!r}{allowed}"
    return f"[validation] orchestrate: {field}: {err['msg']}"


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
