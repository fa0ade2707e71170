"""The checks `make check-n8n` runs in the real n8n, each returning what went wrong (empty: ok).

- workflow: `import:workflow`, `execute` against the stand-in; every node ran once, the run
  succeeded, each operation got exactly one request (a list that fanned out into items would
  give more), its body is what the Prepare node says, with chained values and lists equal to
  the producer's answer, and "Collect results" holds every answer whole.
- package: `npm run build`, the community-package scanner (zero errors), `npm pack`, install in
  `.n8n/nodes`, `export:nodes` lists every node (and its credential), then workflows that use
  the generated action nodes with an imported credential (the Bearer key must arrive) and the
  polling trigger, executed against the stand-in.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from toolorch.backends.n8n.leanparse import LeanSpec
from toolorch.backends.n8n.realcheck.engine import Engine, N8nInstance, run
from toolorch.backends.n8n.realcheck.standin import StandIn, sample_value
from toolorch.config import PROJECT_ROOT

_SOURCE = re.compile(r"^=\{\{ JSON\.parse\(\$\('(.+)'\)\.first\(\)\.json\.body\) \}\}$")
API_KEY = "check-n8n-key"


def _run_data(result: dict[str, Any] | None) -> dict[str, Any]:
    runs: dict[str, Any] = ((result or {}).get("data") or {}).get("resultData", {}).get("runData", {})
    return runs


def _run_problems(result: dict[str, Any] | None, names: list[str], done: Any) -> list[str]:
    if result is None:
        return [f"n8n execute printed no run ({done.returncode}): {(done.stdout + done.stderr)[-600:]}"]
    problems = []
    error = result.get("data", {}).get("resultData", {}).get("error")
    if error or result.get("status") not in ("success", None):
        problems.append(f"run status {result.get('status')}: {json.dumps(error)[:400]}")
    ran = _run_data(result)
    missing = [n for n in names if n not in ran]
    if missing:
        problems.append(f"{len(missing)} nodes did not run: {missing[:5]}")
    again = [n for n, runs in ran.items() if len(runs) != 1]
    if again:
        problems.append(f"nodes that ran more than once: {again[:5]}")
    return problems


def _expected_body(prepare: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for a in prepare["parameters"]["assignments"]["assignments"]:
        value = a["value"]
        m = _SOURCE.match(value) if isinstance(value, str) else None
        if m:
            body[a["name"]] = answers[m.group(1)]
        elif value == "={{ [] }}":
            body[a["name"]] = []
        elif value == "={{ {} }}":
            body[a["name"]] = {}
        else:
            body[a["name"]] = value
    return body


def check_workflow(n8n: N8nInstance, workflow_path: Path, stand_in: StandIn, workdir: Path) -> tuple[list[str], dict[str, Any]]:
    workflow = json.loads(workflow_path.read_text())
    config = next(n for n in workflow["nodes"] if n["name"] == "Config")
    config["parameters"]["assignments"]["assignments"][0]["value"] = stand_in.url
    target = workdir / "workflow.json"
    target.write_text(json.dumps(workflow))
    done = n8n.import_workflow(target)
    if done.returncode != 0:
        return [f"import:workflow failed: {(done.stdout + done.stderr)[-600:]}"], {}
    stand_in.take()
    result, done = n8n.execute(workflow["id"])
    requests = stand_in.take()
    names = [n["name"] for n in workflow["nodes"]]
    problems = _run_problems(result, names, done)
    by_name = {n["name"]: n for n in workflow["nodes"]}
    parent = {c["node"]: src for src, out in workflow["connections"].items() for c in out["main"][0]}
    calls = [n for n in workflow["nodes"] if n["type"] == "n8n-nodes-base.httpRequest"]
    op_of = {c["name"]: c["parameters"]["url"].rsplit("}}/", 1)[1] for c in calls}
    answers = {name: stand_in.response(op) for name, op in op_of.items()}
    got: dict[str, list[Any]] = {}
    for r in requests:
        got.setdefault(r.path.lstrip("/"), []).append(r.body)
    for call in calls:
        op = op_of[call["name"]]
        bodies = got.pop(op, [])
        if len(bodies) != 1:
            problems.append(f"{op}: {len(bodies)} requests (one expected)")
            continue
        expected = _expected_body(by_name[parent[call["name"]]], answers)
        if bodies[0] != expected:
            problems.append(f"{op}: body {json.dumps(bodies[0])[:300]} != expected {json.dumps(expected)[:300]}")
    if got:
        problems.append(f"unexpected requests: {sorted(got)[:5]}")
    collected = _run_data(result).get("Collect results", [{}])[0].get("data", {}).get("main", [[{}]])[0]
    if result is not None and collected:
        answer = collected[0].get("json", {})
        wrong = [op for name, op in op_of.items() if answer.get(op) != answers[name]]
        if wrong:
            problems.append(f"Collect results differs from the answers for {wrong[:5]}")
    chained = sum(1 for c in calls for a in by_name[parent[c["name"]]]["parameters"]["assignments"]["assignments"]
                  if isinstance(a["value"], str) and _SOURCE.match(a["value"]))
    lists = sum(1 for v in answers.values() if isinstance(v, list))
    return problems, {"nodes": len(names), "ran": len(_run_data(result)), "requests": len(requests),
                      "chained_values": chained, "list_answers": lists}


def build_package(engine: Engine, package: Path) -> list[str]:
    link = package / "node_modules"
    if not link.exists():
        link.symlink_to(PROJECT_ROOT / "node_modules", target_is_directory=True)
    done = run([engine.npm, "run", "build", "--silent"], env=engine.env(), cwd=package, timeout=600)
    return [] if done.returncode == 0 else [f"npm run build failed: {(done.stdout + done.stderr)[-1200:]}"]


def scan_package(engine: Engine, package: Path) -> tuple[list[str], dict[str, Any]]:
    script = Path(__file__).with_name("scan.mjs")
    done = run([engine.node, script, engine.scanner, package], env=engine.env(), timeout=600)
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return [f"scanner printed no report ({done.returncode}): {done.stderr[-800:]}"], {}
    messages = [m for leg in ("source", "dist") for m in report[leg]["messages"]]
    problems = [f"scanner {m['severity']}: {m['file']}:{m['line']} {m['rule']}: {m['message'][:160]}"
                for m in messages if m["severity"] == "error"]
    if not report["passed"] and not problems:
        problems.append(f"scanner did not pass: {report['source'].get('message')} / {report['dist'].get('message')}")
    return problems, {"errors": report["errors"], "warnings": report["warnings"],
                      "warning_rules": sorted({m["rule"] for m in messages if m["severity"] == "warning"}),
                      "files": report["source"]["files"] + report["dist"]["files"]}


def pack(engine: Engine, package: Path, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    done = run([engine.npm, "pack", "--silent", "--pack-destination", out_dir], env=engine.env(), cwd=package,
               timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"npm pack failed: {done.stderr[-600:]}")
    return out_dir / done.stdout.strip().splitlines()[-1]


def _parameter(kind: str, value: Any) -> Any:
    return json.dumps(value) if kind == "json" else value


def node_workflow(package: Path, manifest: dict[str, Any], spec: LeanSpec, groups: list[dict[str, Any]],
                  credential: str | None, trigger: bool, workflow_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A workflow of the generated nodes (each calling its group's first operation with sample
    parameters) and the request body each must send, by operation."""
    ops = {op.full_name: op for op in spec.operations}
    nodes: list[dict[str, Any]] = []
    expected: dict[str, dict[str, Any]] = {}
    if not trigger:
        nodes.append({"id": "t", "name": "Start", "type": "n8n-nodes-base.manualTrigger", "typeVersion": 1,
                      "position": [0, 0], "parameters": {}})
    from toolorch.backends.n8n.operations import map_type

    for k, group in enumerate(groups):
        op = ops[group["operations"][0]]
        params: dict[str, Any] = {"operation": op.full_name}
        body: dict[str, Any] = {}
        for p in op.params:
            mapped = map_type(p.type, spec, op.group)
            if mapped is None or p.optional or mapped[3]:
                continue
            value = sample_value(p.type, spec, op.group, f"node.{p.name}")
            if mapped[0] == "options":
                value = mapped[2][0]
            params[p.name] = _parameter(mapped[0], value)
            body[p.name] = value
        node: dict[str, Any] = {"id": f"n{k}", "name": f"{group['class']}{' Trigger' if trigger else ''}",
                                "type": f"{manifest['name']}.{group['name']}{'Trigger' if trigger else ''}",
                                "typeVersion": 1, "position": [(k + 1) * 220, 0], "parameters": params}
        if credential:
            node["credentials"] = {credential: {"id": "checkCred0000001", "name": "check credential"}}
        nodes.append(node)
        expected[op.full_name] = body
        if trigger:
            break
    connections = {a["name"]: {"main": [[{"node": b["name"], "type": "main", "index": 0}]]}
                   for a, b in zip(nodes, nodes[1:])}
    return {"id": workflow_id, "name": f"{manifest['name']} nodes", "nodes": nodes, "connections": connections,
            "settings": {"executionOrder": "v1"}, "active": False, "pinData": {}}, expected


def check_nodes_run(n8n: N8nInstance, workflow: dict[str, Any], expected: dict[str, dict[str, Any]],
                    stand_in: StandIn, credential: str | None, workdir: Path) -> list[str]:
    path = workdir / f"{workflow['id']}.json"
    path.write_text(json.dumps(workflow))
    done = n8n.import_workflow(path)
    if done.returncode != 0:
        return [f"import:workflow of the node workflow failed: {(done.stdout + done.stderr)[-600:]}"]
    stand_in.take()
    result, done = n8n.execute(workflow["id"])
    requests = stand_in.take()
    problems = _run_problems(result, [n["name"] for n in workflow["nodes"]], done)
    got = {r.path.lstrip("/"): r for r in requests}
    for op, body in expected.items():
        r = got.get(op)
        if r is None:
            problems.append(f"{op}: no request arrived")
            continue
        if r.body != body:
            problems.append(f"{op}: body {json.dumps(r.body)[:300]} != {json.dumps(body)[:300]}")
        if credential and r.authorization != f"Bearer {API_KEY}":
            problems.append(f"{op}: Authorization {r.authorization!r}, not the credential's Bearer key")
    if len(requests) != len(expected):
        problems.append(f"{len(requests)} requests for {len(expected)} nodes")
    return problems


def check_trigger_active(n8n: N8nInstance, workflow: dict[str, Any], expected: dict[str, dict[str, Any]],
                         stand_in: StandIn, credential: str | None, workdir: Path) -> list[str]:
    """The polling trigger, the way n8n runs one: published, then `n8n start` activates it and
    polls once at activation; its request must arrive with the credential's key."""
    trigger = workflow["nodes"][0]
    trigger["parameters"]["pollTimes"] = {"item": [{"mode": "everyMinute"}]}
    path = workdir / f"{workflow['id']}.json"
    path.write_text(json.dumps(workflow))
    done = n8n.import_workflow(path)
    if done.returncode != 0:
        return [f"import:workflow of the trigger workflow failed: {(done.stdout + done.stderr)[-600:]}"]
    done = n8n.cli("publish:workflow", f"--id={workflow['id']}")
    if done.returncode != 0:
        return [f"publish:workflow failed: {(done.stdout + done.stderr)[-600:]}"]
    stand_in.take()
    (op, body), = expected.items()
    seen: list[Any] = []

    def arrived() -> bool:
        seen.extend(stand_in.take())
        return any(r.path.lstrip("/") == op for r in seen)

    reached, tail = n8n.serve_until(arrived)
    if not reached:
        return [f"{op}: the activated trigger sent no request; n8n said: {tail[-600:]}"]
    request = next(r for r in seen if r.path.lstrip("/") == op)
    problems = []
    if request.body != body:
        problems.append(f"{op}: body {json.dumps(request.body)[:300]} != {json.dumps(body)[:300]}")
    if credential and request.authorization != f"Bearer {API_KEY}":
        problems.append(f"{op}: Authorization {request.authorization!r}, not the credential's Bearer key")
    return problems


def credentials_file(workdir: Path, credential: str, url: str) -> Path:
    path = workdir / "credentials.json"
    path.write_text(json.dumps([{"id": "checkCred0000001", "name": "check credential", "type": credential,
                                 "data": {"baseUrl": url, "apiKey": API_KEY}}]))
    return path


def clean(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
