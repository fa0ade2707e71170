"""An importable n8n workflow that calls a Lean spec's operations along their dataflow.

Shape: Manual Trigger → "Config" (Set: the service's baseUrl) → a tree of operations (see
dataflow.py: each hangs off the call whose result it takes, or off Config) → "Collect results"
(Code: every call's answer in one item), after the last call n8n runs. Per operation a
"Prepare <op>" Set node (the request body: parameters typed as the spec says, a structured one
taken whole from its producer's answer) and a "Call <op>" HTTP Request node (POST
<baseUrl>/<operation>, JSON body; the answer read as text into `body`: one item per call, so a
list result stays one value instead of fanning out into items, and a string answer is not
parsed twice; readers `JSON.parse` it). Node types and
versions are real n8n-nodes-base ones (checked against its node descriptions); the workflow id
and node ids are derived from the project and workflow name, so the same spec and name give the
same file, and `n8n import:workflow` of a new version replaces the old one.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from toolorch.backends.n8n.dataflow import Plan, plan_dataflow
from toolorch.backends.n8n.leanparse import LeanOperation, LeanSpec
from toolorch.backends.n8n.operations import map_type

#: (type, typeVersion) of the n8n-nodes-base nodes used; all exist in n8n-nodes-base 2.41.
MANUAL_TRIGGER = ("n8n-nodes-base.manualTrigger", 1)
SET = ("n8n-nodes-base.set", 3.4)
HTTP_REQUEST = ("n8n-nodes-base.httpRequest", 4.2)
CODE = ("n8n-nodes-base.code", 2)
X_STEP, Y_STEP = 220, 160
NAMESPACE = uuid.UUID("6f1c1f38-6c3e-5d55-9a43-6e8e5c8a7f10")
DEFAULT_MAX_OPERATIONS = 50
MAX_OPERATIONS_LIMIT = 500
_SET_TYPES = {"number": "number", "string": "string", "boolean": "boolean", "options": "string"}
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TEXT_RESPONSE = {"response": {"response": {"responseFormat": "text", "outputPropertyName": "body"}}}


def workflow_id(project: str, workflow_name: str) -> str:
    """16 base62 characters from the project and the workflow name (n8n takes 1-21)."""
    n = int.from_bytes(hashlib.sha256(f"{project}\x00{workflow_name}".encode()).digest()[:12], "big")
    chars = []
    for _ in range(16):
        n, r = divmod(n, 62)
        chars.append(_BASE62[r])
    return "".join(chars)


class _Builder:
    def __init__(self, workflow_name: str) -> None:
        self.name = workflow_name
        self.nodes: list[dict[str, Any]] = []
        self.connections: dict[str, Any] = {}
        self.names: set[str] = set()

    def unique(self, name: str) -> str:
        name = name[:120]
        base, n = name, 1
        while name in self.names:
            n += 1
            name = f"{base} {n}"
        self.names.add(name)
        return name

    def add(self, name: str, kind: tuple[str, float], parameters: dict[str, Any], x: int, y: int,
            after: str | None, *, claimed: bool = False) -> str:
        """Add a node at (x, y), connected from `after`; `claimed`: `name` came from unique()."""
        name = name if claimed else self.unique(name)
        self.nodes.append({
            "id": str(uuid.uuid5(NAMESPACE, f"{self.name}\x00{name}")),
            "name": name, "type": kind[0], "typeVersion": kind[1],
            "position": [x, y], "parameters": parameters,
        })
        if after is not None:
            outputs = self.connections.setdefault(after, {"main": [[]]})["main"][0]
            outputs.append({"node": name, "type": "main", "index": 0})
        return name


def _assignment(wf: str, node: str, key: str, value: Any, kind: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid5(NAMESPACE, f"{wf}\x00{node}\x00{key}")), "name": key,
            "value": value, "type": kind}


def _parsed(spec: LeanSpec, op: LeanOperation) -> bool:
    """Whether `Collect results` parses the answer: n8n hands objects and lists on as JSON text,
    numbers and booleans as they are, and strings as they are (so those are never parsed)."""
    mapped = map_type(op.result, spec, op.group) if op.result else None
    return mapped is None or mapped[0] not in ("string", "options")


def _label(op: LeanOperation) -> str:
    return op.full_name.split(".", 1)[-1] if "." in op.full_name else op.full_name


def _body(b: _Builder, spec: LeanSpec, op: LeanOperation, prepare: str,
          sources: dict[str, str]) -> list[dict[str, Any]]:
    """The Set node's assignments: scalars at their defaults, structured values whole from the
    producer's answer (`body`) or empty."""
    assignments = []
    for p in op.params:
        mapped = map_type(p.type, spec, op.group)
        if mapped is None:
            continue
        kind, default, _options, _optional = mapped
        if kind == "json":
            set_type = "array" if default == "[]" else "object"
            source = sources.get(p.name)
            value: Any = (f"={{{{ JSON.parse($('{source}').first().json.body) }}}}" if source
                          else ("={{ [] }}" if set_type == "array" else "={{ {} }}"))
        else:
            value, set_type = default, _SET_TYPES[kind]
        assignments.append(_assignment(b.name, prepare, p.name, value, set_type))
    return assignments


def build_workflow(spec: LeanSpec, workflow_name: str, base_url: str = "http://localhost:8080", *,
                   operations: list[LeanOperation] | None = None, project: str = "",
                   max_operations: int = DEFAULT_MAX_OPERATIONS) -> dict[str, Any]:
    """The workflow JSON for `operations` (default: every operation of `spec`), at most
    `max_operations` of them (`meta.toolorch` says what was left out)."""
    ops = spec.operations if operations is None else operations
    plan = plan_dataflow(ops, spec, max_operations)
    b = _Builder(workflow_name)
    trigger = b.add("When clicking ‘Execute workflow’", MANUAL_TRIGGER, {}, 0, 0, None)
    config = b.add("Config", SET, {
        "mode": "manual",
        "assignments": {"assignments": [_assignment(workflow_name, "Config", "baseUrl", base_url, "string")]},
        "includeOtherFields": False, "options": {},
    }, X_STEP, 0, trigger)
    calls: list[str] = []
    for row, step in enumerate(plan.steps):
        op, x = step.op, (2 + 2 * step.depth) * X_STEP
        sources = {name: calls[k] for name, k in step.sources.items()}
        prepare = b.unique(f"Prepare {_label(op)}")
        b.add(prepare, SET, {
            "mode": "manual", "assignments": {"assignments": _body(b, spec, op, prepare, sources)},
            "includeOtherFields": False, "options": {},
        }, x, row * Y_STEP, config if step.parent is None else calls[step.parent], claimed=True)
        calls.append(b.add(f"Call {_label(op)}", HTTP_REQUEST, {
            "method": "POST",
            "url": f"={{{{ $('{config}').first().json.baseUrl }}}}/{op.full_name}",
            "sendBody": True, "specifyBody": "json",
            "jsonBody": "={{ JSON.stringify($json) }}",
            "options": json.loads(json.dumps(TEXT_RESPONSE)),
        }, x + X_STEP, row * Y_STEP, prepare))
    lines = ",\n".join(f"  {json.dumps(step.op.full_name)}: answer({json.dumps(call)}"
                       f"{', true' if _parsed(spec, step.op) else ''})" for step, call in zip(plan.steps, calls))
    last = b.nodes[-1]
    note = f"// {plan.summary(len(ops), max_operations)}.\n"
    b.add("Collect results", CODE, {
        "mode": "runOnceForAllItems", "language": "javaScript",
        "jsCode": (f"// Every operation's answer, keyed by its Lean name.\n{note}"
                   "// n8n reads a JSON answer, then writes objects and lists back as text: parse those.\n"
                   "const answer = (node, structured = false) => {\n  const body = $(node).first().json.body;\n"
                   "  return structured && typeof body === 'string' && body !== '' ? JSON.parse(body) : body;\n};\n"
                   f"return [{{ json: {{\n{lines}\n}} }}];\n"),
    }, last["position"][0] + X_STEP, last["position"][1], calls[-1] if calls else config)
    return {
        "id": workflow_id(project, workflow_name),
        "name": workflow_name, "nodes": b.nodes, "connections": b.connections,
        "settings": {"executionOrder": "v1"}, "active": False, "pinData": {},
        "meta": {"generatedBy": "toolorch n8n_generate_workflow", "toolorch": _meta(plan, len(ops), max_operations)},
        "tags": [],
    }


def _meta(plan: Plan, total: int, max_operations: int) -> dict[str, Any]:
    return {"summary": plan.summary(total, max_operations),
            "operations": [s.op.full_name for s in plan.steps],
            "left_out": {"count": len(plan.left_out), "operations": [o.full_name for o in plan.left_out[:50]]}}
