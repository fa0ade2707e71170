"""The defects real n8n and its community-package scanner found (issue 12), each pinned here
without the real engine: structure checks, n8n-workflow's checks, and tsc at its strictest.
`make check-n8n` runs the same artifacts in n8n itself."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from toolorch.backends.n8n.tool import generate_components, generate_workflow
from toolorch.backends.n8n.workflow import DEFAULT_MAX_OPERATIONS

from .conftest import HANDWRITTEN, make_ctx, run_checker, tsc

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


NO_PARAMS = '''namespace Clock
/-- The time now, in seconds. -/
opaque now : Float
/-- A greeting. -/
opaque hello : String
end Clock
'''

LISTS = '''namespace Scene
structure Circle where
  radius : Float

/-- Every circle of the scene. -/
opaque circles : List Circle
/-- The total area of some circles. -/
opaque total (cs : List Circle) : Float
end Scene
'''

NON_PUBLIC = '''namespace Proj.Api
/-- Public.

Source (proj/api.py): `def get(key: str) -> int:` -/
opaque get (key : String) : Int
/-- A helper.

Source (proj/api.py): `def _helper(x: int) -> int:` -/
opaque _helper (x : Int) : Int
end Proj.Api

namespace Proj.Tests.TestApi
opaque test_get (x : Int) : Unit
end Proj.Tests.TestApi

namespace Proj.Demo
/-- An example.

Source (examples/demo.py): `def run(n: int) -> int:` -/
opaque run (n : Int) : Int
end Proj.Demo
'''


def _spec(tmp_path: Path, text: str, name: str = "Spec.lean") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


async def _workflow(tmp_path: Path, text: str, **extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    lean = _spec(tmp_path, text, f"Wf{abs(hash(text)) % 10_000}.lean")
    out = await generate_workflow({"lean4_file_path": str(lean), "workflow_name": "Calc", **extra},
                                  make_ctx(tmp_path))
    return out, json.loads(Path(out["workflow_path"]).read_text())


def _node(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in workflow["nodes"] if n["name"] == name)


def _targets(workflow: dict[str, Any], source: str) -> list[str]:
    outputs = workflow["connections"].get(source, {}).get("main", [[]])
    return [c["node"] for c in outputs[0]]


# -- 1. import:workflow needs a top-level id ----------------------------------------------------
async def test_the_workflow_has_a_deterministic_id(tmp_path: Path) -> None:
    out, workflow = await _workflow(tmp_path, HANDWRITTEN)
    assert re.fullmatch(r"[A-Za-z0-9]{16}", workflow["id"])          # n8n accepts ids of 1-21 chars
    assert out["workflow_id"] == workflow["id"]
    again, _ = await _workflow(tmp_path, HANDWRITTEN)
    assert again["workflow_id"] == workflow["id"]
    other = await generate_workflow({"lean4_file_path": str(_spec(tmp_path, HANDWRITTEN)),
                                     "workflow_name": "Calc 2"}, make_ctx(tmp_path))
    assert other["workflow_id"] != workflow["id"]


# -- 2. a list result must not fan out into items -------------------------------------------------
async def test_list_results_arrive_whole(tmp_path: Path, nodes_json: Path) -> None:
    out, workflow = await _workflow(tmp_path, LISTS)
    calls = [n for n in workflow["nodes"] if n["type"] == "n8n-nodes-base.httpRequest"]
    assert len(calls) == 2
    for call in calls:   # the answer as text in `body`: one item per call, whatever the answer
        assert call["parameters"]["options"] == {"response": {"response": {"responseFormat": "text",
                                                                           "outputPropertyName": "body"}}}
    prepare = _node(workflow, "Prepare total")["parameters"]["assignments"]["assignments"]
    assert prepare == [{"id": prepare[0]["id"], "name": "cs", "type": "array",
                        "value": "={{ JSON.parse($('Call circles').first().json.body) }}"}]
    assert _targets(workflow, "Call circles") == ["Prepare total"]
    collect = _node(workflow, "Collect results")["parameters"]["jsCode"]
    assert '"Scene.circles": answer("Call circles", true)' in collect      # a list: parsed from text
    assert "const body = $(node).first().json.body;" in collect
    code, reports = run_checker(nodes_json, Path(out["workflow_path"]))
    assert code == 0, reports


# -- 5b. the workflow follows the dataflow, capped --------------------------------------------------
async def test_the_workflow_follows_the_dataflow(tmp_path: Path, nodes_json: Path) -> None:
    out, workflow = await _workflow(tmp_path, HANDWRITTEN)
    # make returns the Circle that area and describe take: both hang off make's call
    assert _targets(workflow, "Config") == ["Prepare make"]
    assert _targets(workflow, "Call make") == ["Prepare area", "Prepare describe"]
    assert _targets(workflow, "Prepare area") == ["Call area"]
    assert _targets(workflow, "Call describe") == ["Collect results"]
    collect = _node(workflow, "Collect results")["parameters"]["jsCode"]
    assert '"Calc.make": answer("Call make", true)' in collect          # a structure: parsed
    assert '"Calc.describe": answer("Call describe")\n' in collect      # a string: as n8n hands it on
    area = _node(workflow, "Prepare area")["parameters"]["assignments"]["assignments"]
    assert area[0]["name"] == "c" and area[0]["value"] == "={{ JSON.parse($('Call make').first().json.body) }}"
    call = _node(workflow, "Call area")["parameters"]
    assert call["url"] == "={{ $('Config').first().json.baseUrl }}/Calc.area"
    assert call["jsonBody"] == "={{ JSON.stringify($json) }}"
    # n8n's v1 order runs children top to bottom, depth first: rows follow that order
    rows = {n["name"]: n["position"][1] for n in workflow["nodes"]}
    assert rows["Prepare make"] < rows["Prepare area"] < rows["Prepare describe"]
    assert out["left_out"] == {"count": 0, "operations": []}
    assert out["summary"] == "3 of 3 operations: 3 in 1 dataflow chain, 0 independent"
    code, reports = run_checker(nodes_json, Path(out["workflow_path"]))
    assert code == 0, reports


def _many(chains: int, length: int, loose: int) -> str:
    lines = ["namespace Big"]
    for c in range(chains):
        lines.append(f"structure S{c} where\n  v : Float\n")
        lines.append(f"opaque start{c} (x : Float) : S{c}")
        lines.extend(f"opaque step{c}_{k} (s : S{c}) : S{c}" for k in range(length - 1))
    lines.extend(f"opaque loose{i} (x : Int) : Int" for i in range(loose))
    return "\n".join([*lines, "end Big", ""])


async def test_the_workflow_is_capped_with_a_summary(tmp_path: Path, nodes_json: Path) -> None:
    assert DEFAULT_MAX_OPERATIONS == 50
    out, workflow = await _workflow(tmp_path, _many(chains=3, length=3, loose=20), max_operations=12)
    calls = [n["name"] for n in workflow["nodes"] if n["name"].startswith("Call ")]
    # chained operations first (in dependency order), then independent ones in spec order
    assert calls[:9] == ["Call start0", "Call step0_0", "Call step0_1", "Call start1", "Call step1_0",
                         "Call step1_1", "Call start2", "Call step2_0", "Call step2_1"]
    assert calls[9:] == ["Call loose0", "Call loose1", "Call loose2"]
    assert out["left_out"]["count"] == 17 and out["left_out"]["operations"][:2] == ["Big.loose3", "Big.loose4"]
    assert out["summary"] == ("12 of 29 operations: 9 in 3 dataflow chains, 3 independent; "
                              "17 left out (max_operations=12)")
    assert _targets(workflow, "Config") == ["Prepare start0", "Prepare start1", "Prepare start2",
                                            "Prepare loose0", "Prepare loose1", "Prepare loose2"]
    code, reports = run_checker(nodes_json, Path(out["workflow_path"]))
    assert code == 0, reports
    full, _ = await _workflow(tmp_path, _many(chains=3, length=3, loose=60))
    assert full["left_out"]["count"] == 69 - 50


# -- 3. no unused imports under the strictest tsconfig ----------------------------------------------
@pytest.mark.slow
async def test_components_compile_under_the_strictest_tsconfig(tmp_path: Path) -> None:
    out = await generate_components({"lean4_file_path": str(_spec(tmp_path, NO_PARAMS + HANDWRITTEN))},
                                    make_ctx(tmp_path))
    pkg = Path(out["package_dir"])
    options = json.loads((pkg / "tsconfig.json").read_text())["compilerOptions"]
    for flag in ("strict", "noUnusedLocals", "noUnusedParameters", "noImplicitReturns", "noImplicitOverride",
                 "noFallthroughCasesInSwitch", "noUncheckedIndexedAccess", "exactOptionalPropertyTypes",
                 "noPropertyAccessFromIndexSignature", "allowUnreachableCode", "allowUnusedLabels"):
        assert options[flag] is (flag not in ("allowUnreachableCode", "allowUnusedLabels")), flag
    ops = (pkg / "nodes/Clock/Clock.operations.ts").read_text()
    assert "readJson" not in ops                      # nothing of Clock's takes a json parameter
    done = tsc(pkg)
    assert done.returncode == 0, done.stdout + done.stderr


# -- 4. the community-package scanner's rules ---------------------------------------------------------
async def test_the_package_meets_the_scanner_rules(tmp_path: Path) -> None:
    out = await generate_components({"lean4_file_path": str(_spec(tmp_path, HANDWRITTEN, "Calc.lean"))},
                                    make_ctx(tmp_path))
    pkg = Path(out["package_dir"])
    manifest = json.loads((pkg / "package.json").read_text())
    # no manifest facts beside a hand-written spec: clear placeholders, and the result says so
    assert manifest["author"] == {"name": "UNSET: set the author in package.json",
                                  "email": "unset-author@example.invalid"}
    assert manifest["homepage"] == "https://example.invalid/set-the-homepage-in-package-json"
    assert [w.split(":")[0] for w in out["warnings"]] == ["author", "homepage"]
    node = (pkg / "nodes/Calc/Calc.node.ts").read_text()
    assert "this.helpers.httpRequestWithAuthentication.call(this, 'calcApi', {" in node
    assert "this.helpers.httpRequest(" not in node and "Authorization" not in node
    assert "icon: { light: 'file:calc.svg', dark: 'file:calc.dark.svg' }," in node
    for svg in ("calc.svg", "calc.dark.svg"):
        assert ET.parse(pkg / "nodes/Calc" / svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    assert (pkg / "nodes/Calc/calc.svg").read_bytes() != (pkg / "nodes/Calc/calc.dark.svg").read_bytes()
    # unquoted description keys: the linter sees usableAsTool and subtitle
    assert "\tusableAsTool: true," in node and "subtitle: '={{$parameter[\"operation\"]}}'," in node
    assert not re.search(r'^\s*"\w+":', node, re.MULTILINE)
    ops = (pkg / "nodes/Calc/Calc.operations.ts").read_text()
    assert "\t\tdisplayName: 'Operation'," in ops and not re.search(r'^\s*"\w+":', ops, re.MULTILINE)
    cred = (pkg / "credentials/CalcApi.credentials.ts").read_text()
    assert "icon: Icon = { light: 'file:calcApi.svg', dark: 'file:calcApi.dark.svg' };" in cred
    assert "documentationUrl = 'https://example.invalid/set-the-homepage-in-package-json';" in cred
    assert (pkg / "credentials/calcApi.svg").is_file() and (pkg / "credentials/calcApi.dark.svg").is_file()
    build = manifest["scripts"]["build"]   # icons go to dist/ beside the compiled nodes
    assert build.startswith("tsc -p tsconfig.json && node -e ") and "for (const d of ['nodes', 'credentials'])" in build
    assert "fs.cpSync(d, 'dist/' + d, { recursive: true, filter: (f) => !f.endsWith('.ts') })" in build


async def test_author_and_homepage_come_from_the_project_manifest(tmp_path: Path) -> None:
    lean = _spec(tmp_path, HANDWRITTEN, "Calc.lean")
    (tmp_path / "toolorch-source.json").write_text(json.dumps({
        "project_name": "calc", "manifest": "pyproject.toml", "version": "1.4.0",
        "author": {"name": "Ada Lovelace", "email": "ada@example.org"},
        "homepage": "https://calc.example.org", "license": "BSD-3-Clause"}))
    out = await generate_components({"lean4_file_path": str(lean)}, make_ctx(tmp_path))
    manifest = json.loads((Path(out["package_dir"]) / "package.json").read_text())
    assert manifest["author"] == {"name": "Ada Lovelace", "email": "ada@example.org"}
    assert manifest["homepage"] == "https://calc.example.org"
    assert manifest["version"] == "1.4.0" and manifest["license"] == "BSD-3-Clause"
    assert out["warnings"] == []


# -- 5a. public API only by default -------------------------------------------------------------------
async def test_the_generators_take_the_public_api_by_default(tmp_path: Path) -> None:
    lean = _spec(tmp_path, NON_PUBLIC, "Proj.lean")
    out = await generate_components({"lean4_file_path": str(lean)}, make_ctx(tmp_path))
    assert out["operations"] == ["Proj.Api.get"]
    assert out["excluded"] == {"count": 3, "operations": ["Proj.Api._helper", "Proj.Tests.TestApi.test_get",
                                                          "Proj.Demo.run"]}
    wf = await generate_workflow({"lean4_file_path": str(lean), "workflow_name": "p"}, make_ctx(tmp_path))
    assert wf["operations"] == ["Proj.Api.get"] and wf["excluded"]["count"] == 3
    everything = await generate_components({"lean4_file_path": str(lean), "public_only": False},
                                           make_ctx(tmp_path))
    assert len(everything["operations"]) == 4 and everything["excluded"]["count"] == 0
