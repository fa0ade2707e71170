"""End to end: fixture index → Lean spec → n8n node package (compiled with tsc) and workflow
(checked with n8n-workflow against the real n8n-nodes-base node descriptions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from toolorch.backends.lean4.tool import generate_specs
from toolorch.backends.n8n.tool import generate_components, generate_workflow

from .conftest import HANDWRITTEN, make_ctx, run_checker, tsc

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _lean(indexed_sample: Any, language: str) -> Path:
    out = await generate_specs({"scip_index_path": str(indexed_sample.index_path[language]),
                                "project_name": f"n8n-{language}"},
                               indexed_sample.ctx("lean4_generate_specs", f"n8n-{language}"))
    return Path(out["lean4_file_path"])


@pytest.mark.slow
async def test_components_from_the_python_fixture_compile(indexed_sample: Any) -> None:
    lean = await _lean(indexed_sample, "python")
    ctx = indexed_sample.ctx("n8n_generate_components", "n8n-components")
    out = await generate_components({"lean4_file_path": str(lean)}, ctx)
    pkg = Path(out["package_dir"])
    manifest = json.loads((pkg / "package.json").read_text())
    assert manifest["name"] == out["package_name"] == "n8n-nodes-n8n-python"
    assert "n8n-community-node-package" in manifest["keywords"] and manifest["files"] == ["dist"]
    assert manifest["n8n"]["n8nNodesApiVersion"] == 1 and manifest["n8n"]["strict"] is True
    assert manifest["n8n"]["credentials"] == ["dist/credentials/N8nPythonApi.credentials.js"]
    assert "n8n-workflow" in manifest["peerDependencies"]
    assert "N8nPython.Shapes.Geometry.haversine" in out["operations"]
    geometry = pkg / "nodes" / "N8nPythonGeometry"
    ops = (geometry / "N8nPythonGeometry.operations.ts").read_text()
    assert "value: 'N8nPython.Shapes.Geometry.haversine'" in ops
    assert "name: 'lat1',\n\t\ttype: 'number'" in ops
    assert "name: 'shapes',\n\t\ttype: 'json',\n\t\tdefault: '[]'" in ops
    assert "type: 'collection'" in ops and "name: 'radius'" in ops   # optional → Additional Fields
    node = (geometry / "N8nPythonGeometry.node.ts").read_text()
    assert "export class N8nPythonGeometry implements INodeType" in node
    assert "name: 'n8nPythonGeometry'" in node
    assert "this.helpers.httpRequestWithAuthentication.call(this, 'n8nPythonApi', {" in node
    assert "await this.getCredentials('n8nPythonApi')" in node
    trigger = (pkg / "nodes/N8nPythonGeometryTrigger/N8nPythonGeometryTrigger.node.ts").read_text()
    assert "polling: true" in trigger and "async poll(this: IPollFunctions)" in trigger
    assert (pkg / "nodes/N8nPythonGeometryTrigger/n8nPythonGeometry.svg").is_file()
    assert len(out["node_files"]) == 2 * len(out["nodes"])    # custom: action + trigger per group
    assert [Path(p).name for p in out["credential_files"]] == ["N8nPythonApi.credentials.ts"]
    assert ctx.inputs[0].name == str(lean.resolve()) and ctx.outputs[0].name == str(pkg.resolve())
    done = tsc(pkg)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
async def test_action_and_trigger_shapes_compile(tmp_path: Path) -> None:
    lean = tmp_path / "Calc.lean"
    lean.write_text(HANDWRITTEN)
    ctx = make_ctx(tmp_path)
    action = await generate_components({"lean4_file_path": str(lean), "component_type": "action",
                                        "generate_credentials": False}, ctx)
    pkg = Path(action["package_dir"])
    assert action["credential_files"] == [] and not (pkg / "credentials").exists()
    assert [Path(p).name for p in action["node_files"]] == ["Calc.node.ts"]
    node = (pkg / "nodes/Calc/Calc.node.ts").read_text()
    assert "name: 'baseUrl'" in node and "getCredentials" not in node and "this.helpers.httpRequest({" in node
    ops = (pkg / "nodes/Calc/Calc.operations.ts").read_text()
    assert "type: 'options',\n\t\tdefault: 'round'" in ops
    done = tsc(pkg)
    assert done.returncode == 0, done.stdout + done.stderr
    trigger = await generate_components({"lean4_file_path": str(lean), "component_type": "trigger"}, ctx)
    assert [Path(p).name for p in trigger["node_files"]] == ["CalcTrigger.node.ts"]
    done = tsc(Path(trigger["package_dir"]))
    assert done.returncode == 0, done.stdout + done.stderr


def _check_shape(workflow: dict[str, Any]) -> None:
    """A tree from the trigger: every other node has exactly one incoming connection, a child
    sits right of its parent, and no two nodes share a position."""
    nodes = workflow["nodes"]
    assert nodes[0]["type"] == "n8n-nodes-base.manualTrigger"
    assert workflow["settings"] == {"executionOrder": "v1"} and workflow["active"] is False
    assert len({n["name"] for n in nodes}) == len(nodes) == len({n["id"] for n in nodes})
    assert len({tuple(n["position"]) for n in nodes}) == len(nodes)
    where = {n["name"]: n["position"] for n in nodes}
    incoming: dict[str, int] = {}
    for source, outputs in workflow["connections"].items():
        for c in outputs["main"][0]:
            incoming[c["node"]] = incoming.get(c["node"], 0) + 1
            assert where[c["node"]][0] > where[source][0]
    assert incoming == {n["name"]: 1 for n in nodes[1:]}


@pytest.mark.slow
async def test_workflows_pass_the_n8n_checks(indexed_sample: Any, tmp_path: Path, nodes_json: Path) -> None:
    paths = []
    for language in indexed_sample.languages:
        lean = await _lean(indexed_sample, language)
        ctx = indexed_sample.ctx("n8n_generate_workflow", f"wf-{language}")
        out = await generate_workflow({"lean4_file_path": str(lean),
                                       "workflow_name": f"{language} shapes"}, ctx)
        path = Path(out["workflow_path"])
        workflow = json.loads(path.read_text())
        _check_shape(workflow)
        assert out["node_count"] == len(workflow["nodes"]) == 3 + 2 * len(out["operations"])
        assert any(n["name"].endswith("haversine") and n["type"] == "n8n-nodes-base.httpRequest"
                   for n in workflow["nodes"])
        assert ctx.outputs[0].name == str(path.resolve())
        again = await generate_workflow({"lean4_file_path": str(lean),
                                         "workflow_name": f"{language} shapes"}, ctx)
        assert Path(again["workflow_path"]).read_bytes() == path.read_bytes()   # uuid5: stable
        paths.append(path)
    handwritten = tmp_path / "Calc.lean"
    handwritten.write_text(HANDWRITTEN)
    out = await generate_workflow({"lean4_file_path": str(handwritten), "workflow_name": "Calc"},
                                  make_ctx(tmp_path))
    paths.append(Path(out["workflow_path"]))
    code, reports = run_checker(nodes_json, *paths)
    assert code == 0, reports
    assert all(r["ok"] and r["errors"] == [] for r in reports)


async def test_dependency_order_and_mapping(tmp_path: Path) -> None:
    lean = tmp_path / "Calc.lean"
    lean.write_text(HANDWRITTEN)
    out = await generate_workflow({"lean4_file_path": str(lean), "workflow_name": "Calc"}, make_ctx(tmp_path))
    workflow = json.loads(Path(out["workflow_path"]).read_text())
    names = [n["name"] for n in workflow["nodes"]]
    # `area` takes a Circle, which `make` returns: make runs first although declared later
    assert names == ["When clicking ‘Execute workflow’", "Config", "Prepare make", "Call make",
                     "Prepare area", "Call area", "Prepare describe", "Call describe", "Collect results"]
    prepare_area = workflow["nodes"][4]["parameters"]["assignments"]["assignments"]
    assert prepare_area[0]["name"] == "c" and prepare_area[0]["value"] == "={{ JSON.parse($('Call make').first().json.body) }}"
    call = workflow["nodes"][3]["parameters"]
    assert call["method"] == "POST" and call["url"].endswith("}}/Calc.make")
    assert Path(out["workflow_path"]).name == "calc.json"


async def test_the_checker_catches_a_bad_workflow(tmp_path: Path, nodes_json: Path) -> None:
    lean = tmp_path / "Calc.lean"
    lean.write_text(HANDWRITTEN)
    out = await generate_workflow({"lean4_file_path": str(lean), "workflow_name": "Calc"}, make_ctx(tmp_path))
    good = json.loads(Path(out["workflow_path"]).read_text())
    bad = json.loads(json.dumps(good))
    bad["nodes"][2]["type"] = "n8n-nodes-base.noSuchNode"
    bad["nodes"][3]["typeVersion"] = 99
    del bad["nodes"][5]["parameters"]["url"]
    dangling = json.loads(json.dumps(good))
    dangling["connections"]["Config"]["main"][0][0]["node"] = "Nowhere"
    paths = []
    for name, wf in (("good", good), ("bad", bad), ("dangling", dangling)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(wf))
    code, reports = run_checker(nodes_json, *paths)
    assert code == 1
    assert reports[0]["ok"] is True
    errors = reports[1]["errors"]
    assert any("unknown node type n8n-nodes-base.noSuchNode" in e for e in errors)
    assert any("has no typeVersion 99" in e for e in errors)
    assert any('parameter url: Parameter "URL" is required' in e for e in errors)
    assert reports[2]["ok"] is False and "Nowhere" in json.dumps(reports[2]["errors"])
