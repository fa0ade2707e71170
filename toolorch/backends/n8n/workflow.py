"""An importable n8n workflow that calls a Lean spec's operations in dependency order.

Shape: Manual Trigger → "Config" (Set: the service's baseUrl) → for each operation a
"Prepare <op>" Set node (the request body: parameters typed as the spec says, taken from an
earlier call's result when its type is that result's type) and a "Call <op>" HTTP Request node
(POST <baseUrl>/<operation>, JSON body) → "Collect results" (Code: every call's answer in one item).
An operation whose parameter type is another operation's result comes after it; otherwise the
spec's order is kept. Node types and versions are real n8n-nodes-base ones (checked by the tests
against n8n-nodes-base's own node descriptions); ids are uuid5 of the workflow and node names, so
the same spec and name always give the same file.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from toolorch.backends.n8n.leanparse import LeanOperation, LeanSpec
from toolorch.backends.n8n.operations import map_type

#: (type, typeVersion) of the n8n-nodes-base nodes used; all exist in n8n-nodes-base 2.41.
MANUAL_TRIGGER = ("n8n-nodes-base.manualTrigger", 1)
SET = ("n8n-nodes-base.set", 3.4)
HTTP_REQUEST = ("n8n-nodes-base.httpRequest", 4.2)
CODE = ("n8n-nodes-base.code", 2)
X_STEP, Y = 220, 300
NAMESPACE = uuid.UUID("6f1c1f38-6c3e-5d55-9a43-6e8e5c8a7f10")
_SET_TYPES = {"number": "number", "string": "string", "boolean": "boolean", "options": "string"}


def _short_type(t: str) -> str:
    t = t.strip()
    while t.startswith("(") and t.endswith(")"):
        t = t[1:-1].strip()
    if t.startswith("Option "):
        t = t[len("Option "):].strip()
    return t.rsplit(".", 1)[-1] if re.fullmatch(r"[\w.]+", t) else t


def _structured(t: str, spec: LeanSpec) -> bool:
    """Only structured values (structures, opaque types, lists...) link operations; a Float
    result does not make every Float parameter depend on it."""
    mapped = map_type(t, spec)
    return mapped is not None and mapped[0] == "json"


def dependency_order(ops: list[LeanOperation], spec: LeanSpec) -> list[LeanOperation]:
    """Stable topological order: a consumer of a structured type after its first producer."""
    producers: dict[str, int] = {}
    for i, op in enumerate(ops):
        if _structured(op.result, spec):
            producers.setdefault(_short_type(op.result), i)
    deps = {i: {producers[_short_type(p.type)] for p in op.params
                if _short_type(p.type) in producers and producers[_short_type(p.type)] != i}
            for i, op in enumerate(ops)}
    done: list[int] = []
    pending = list(range(len(ops)))
    while pending:
        for j, i in enumerate(pending):
            if deps[i] <= set(done):
                done.append(pending.pop(j))
                break
        else:  # a cycle: keep the spec's order for the rest
            done.extend(pending)
            break
    return [ops[i] for i in done]


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

    def add(self, name: str, kind: tuple[str, float], parameters: dict[str, Any]) -> str:
        name = self.unique(name)
        previous = self.nodes[-1]["name"] if self.nodes else None
        self.nodes.append({
            "id": str(uuid.uuid5(NAMESPACE, f"{self.name}\x00{name}")),
            "name": name, "type": kind[0], "typeVersion": kind[1],
            "position": [len(self.nodes) * X_STEP, Y], "parameters": parameters,
        })
        if previous is not None:
            self.connections[previous] = {"main": [[{"node": name, "type": "main", "index": 0}]]}
        return name


def _assignment(wf: str, node: str, key: str, value: Any, kind: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid5(NAMESPACE, f"{wf}\x00{node}\x00{key}")), "name": key,
            "value": value, "type": kind}


def build_workflow(spec: LeanSpec, workflow_name: str, base_url: str = "http://localhost:8080") -> dict[str, Any]:
    b = _Builder(workflow_name)
    b.add("When clicking ‘Execute workflow’", MANUAL_TRIGGER, {})
    config = b.add("Config", SET, {
        "mode": "manual",
        "assignments": {"assignments": [_assignment(workflow_name, "Config", "baseUrl", base_url, "string")]},
        "includeOtherFields": False, "options": {},
    })
    calls: dict[str, str] = {}          # result type -> name of the Call node that produced it
    call_names: list[tuple[str, str]] = []
    for op in dependency_order(spec.operations, spec):
        label = op.full_name.split(".", 1)[-1] if "." in op.full_name else op.full_name
        prepare = f"Prepare {label}"
        assignments = []
        for p in op.params:
            mapped = map_type(p.type, spec)
            if mapped is None:
                continue
            kind, default, _options, _optional = mapped
            source = calls.get(_short_type(p.type)) if kind == "json" else None
            if source is not None:
                value: Any = f"={{{{ $('{source}').item.json }}}}"
                set_type = "object"
            elif kind == "json":
                value, set_type = ("[]" if default == "[]" else "{}"), ("array" if default == "[]" else "object")
                value = f"={{{{ {value} }}}}"
            else:
                value, set_type = default, _SET_TYPES[kind]
            assignments.append(_assignment(workflow_name, prepare, p.name, value, set_type))
        prepare = b.add(prepare, SET, {
            "mode": "manual", "assignments": {"assignments": assignments},
            "includeOtherFields": False, "options": {},
        })
        call = b.add(f"Call {label}", HTTP_REQUEST, {
            "method": "POST",
            "url": f"={{{{ $('{config}').item.json.baseUrl }}}}/{op.full_name}",
            "sendBody": True, "specifyBody": "json",
            "jsonBody": f"={{{{ JSON.stringify($('{prepare}').item.json) }}}}",
            "options": {},
        })
        if _structured(op.result, spec):
            calls.setdefault(_short_type(op.result), call)
        call_names.append((op.full_name, call))
    lines = ",\n".join(f"  {json.dumps(full)}: $({json.dumps(node)}).first().json" for full, node in call_names)
    b.add("Collect results", CODE, {
        "mode": "runOnceForAllItems", "language": "javaScript",
        "jsCode": f"// Every operation's answer, keyed by its Lean name.\nreturn [{{ json: {{\n{lines}\n}} }}];\n",
    })
    return {
        "name": workflow_name, "nodes": b.nodes, "connections": b.connections,
        "settings": {"executionOrder": "v1"}, "active": False, "pinData": {},
        "meta": {"generatedBy": "toolorch n8n_generate_workflow"}, "tags": [],
    }
