"""The nine real tools over stdio on a fixture project, then orchestrate (adaptive and
rl_optimized) — the path an agent takes, with the real registry and real backends."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from toolorch.rl import shipped

from .conftest import ROOT, server_env, stdio_session

SHIPPED = int((shipped.info() or {})["version"])  # the warm start every new data dir begins from

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
FIXTURE = ROOT / "tests" / "fixtures" / "sample_project" / "python"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dst = tmp_path / "shapes"
    shutil.copytree(FIXTURE, dst)
    return dst


async def test_each_tool_then_orchestrate(tmp_path: Path, project: Path) -> None:
    home = tmp_path / "home"
    env = server_env(home, registry=ROOT / "registry", TOOLORCH_POLICY_ENABLED="1", TOOLORCH_TRAIN_EVERY="4",
                     TOOLORCH_TRAIN_STEPS="2", TOOLORCH_INTENT_MODEL="minilm")
    async with stdio_session(env) as s:
        names = {t.name for t in (await s.list_tools()).tools}
        assert len(names) == 10

        async def call(tool: str, args: dict) -> dict:  # type: ignore[type-arg]
            r = await s.call_tool(tool, args)
            assert not r.is_error, f"{tool}: {r.content[0].text}"  # type: ignore[union-attr]
            assert r.structured_content is not None
            return r.structured_content

        # an rl_optimized run loads the policy (the shipped warm start) and indexes the project
        first = await call("orchestrate", {"goal": "index the project", "strategy": "rl_optimized", "max_steps": 1,
                                           "inputs": {"project_path": str(project), "language": "python"},
                                           "deliverable": "scip_index_path"})
        assert first["planner"] == "policy" and first["policy_version"] >= SHIPPED

        r = await s.call_tool("scip_index_code", {"project_path": str(project), "language": "python"})
        assert not r.is_error and r.structured_content is not None
        idx = r.structured_content
        assert idx["counts"]["symbols"] > 10 and Path(idx["scip_index_path"]).exists()
        pname = idx["project_name"]
        # the policy is loaded: the direct call's _meta carries its next tools for this session
        assert r.meta is not None, "no suggestions in _meta"
        suggestions = r.meta["toolorch/suggestions"]
        assert 1 <= len(suggestions) <= 3 and 0 <= r.meta["toolorch/stop_probability"] <= 1
        assert all(set(x) == {"tool", "probability", "why"} and 0 < x["probability"] <= 1 for x in suggestions), suggestions
        assert [x["probability"] for x in suggestions] == sorted((x["probability"] for x in suggestions), reverse=True)
        assert all("(policy v" in x["why"] and x["tool"] in names for x in suggestions)

        facts = await call("glean_query_code", {"project_name": pname, "query": 'code.Symbol { name = "haversine" }'})
        assert facts["count"] >= 1 and facts["facts"][0]["key"]["file"].endswith("geometry.py")

        graph = await call("memgraph_create_graph_from_scip", {"scip_index_path": idx["scip_index_path"],
                                                                "project_name": pname})
        assert graph["nodes"]["Symbol"] > 10
        rows = await call("memgraph_query_graph", {
            "cypher_query": f'MATCH (p:Project {{name: "{pname}"}})-[:HAS_SYMBOL]->(s:Symbol) RETURN s.name'})
        assert "haversine" in {r["s.name"] for r in rows["rows"]}
        refused = await s.call_tool("memgraph_query_graph", {"cypher_query": "MATCH (s:Symbol) DETACH DELETE s"})
        assert refused.is_error and "read-only" in refused.content[0].text  # type: ignore[union-attr]

        hits = await call("qdrant_search_similar", {"text": "distance between two places on a globe", "limit": 3})
        assert any(h["payload"]["name"] == "haversine" for h in hits["hits"])

        lean = await call("lean4_generate_specs", {"scip_index_path": idx["scip_index_path"], "project_name": pname})
        assert any("haversine" in p.read_text() for p in Path(lean["project_dir"]).rglob("*.lean"))
        comps = await call("n8n_generate_components", {"lean4_file_path": lean["lean4_file_path"]})
        assert (Path(comps["package_dir"]) / "package.json").exists()
        wf = await call("n8n_generate_workflow", {"lean4_file_path": lean["lean4_file_path"], "workflow_name": "demo"})
        workflow = json.loads(Path(wf["workflow_path"]).read_text())
        assert workflow["nodes"] and workflow["connections"]

        lineage = await call("marquez_get_lineage", {"dataset_name": wf["workflow_path"]})
        ids = {n["id"] for n in lineage["graph"]}
        assert {"job:toolorch:n8n_generate_workflow", "job:toolorch:lean4_generate_specs",
                "job:toolorch:scip_index_code", f"dataset:file:{project}"} <= ids

        outside = await s.call_tool("scip_index_code", {"project_path": "/etc", "language": "python"})
        assert outside.is_error and "outside the allowed roots" in outside.content[0].text  # type: ignore[union-attr]
        # paths the OS refuses are [path] errors, not "unexpected error" (issue 13, point 7)
        for bad in (f"{project}/{'a' * 5000}", "/proc/1/root/etc"):
            refused = await s.call_tool("scip_index_code", {"project_path": bad, "language": "python"})
            text = refused.content[0].text  # type: ignore[union-attr]
            assert refused.is_error and "[path]" in text and "unexpected" not in text, text

        # the whole pipeline, planned from the dataflow; the compact result stays under 2,000
        # tokens (chars / 4) and links to the whole one
        full = await call("orchestrate", {"goal": "index and explore the shapes project", "deliverable": "all",
                                          "inputs": {"project_path": str(project), "language": "python",
                                                     "search_text": "distance on a globe"}})
        assert full["success"], full
        assert {st["tool"] for st in full["steps"]} == names - {"orchestrate"}
        assert len(json.dumps(full)) / 4 <= 2000, len(json.dumps(full))
        whole = json.loads((await s.read_resource(full["full"])).contents[0].text)  # type: ignore[union-attr]
        assert len(whole["steps"]) == 9 and "lineage_graph" in whole["outputs"]

        # a goal alone runs only what it asks for (MiniLM + lexical reading of the goal)
        read = await call("orchestrate", {"goal": "index and search", "inputs": {
            "project_path": str(project), "language": "python", "search_text": "area of a circle"}})
        assert [st["tool"] for st in read["steps"]] == ["scip_index_code", "qdrant_search_similar"], read
        assert read["inferred"]["scorer"] == "minilm+lexical" and read["inferred"]["confidence"] >= 0.5

        # the policy picks the steps; each is logged with its propensity
        rl = await call("orchestrate", {"goal": "turn the project into an n8n workflow", "strategy": "rl_optimized",
                                        "inputs": {"project_path": str(project), "language": "python"},
                                        "deliverable": "workflow_path", "max_steps": 6, "detail": "full"})
        assert rl["planner"] == "policy" and rl["policy_version"] >= SHIPPED   # the shipped warm start, then online
        assert all(0.0 < st["probability"] <= 1.0 for st in rl["steps"])
        if rl["steps"]:  # an untrained policy may also STOP at once; that is logged too
            assert rl["steps"][0]["tool"] == "scip_index_code"  # the only feasible first tool
        rl_id = rl["workflow_id"]
        policy = json.loads((await s.read_resource("toolorch://policy")).contents[0].text)  # type: ignore[union-attr]
        assert policy["loaded"] is True

    with sqlite3.connect(home / "suggestions.sqlite") as db:
        followed = db.execute("select offered, taken, followed from followed order by ts").fetchall()
    offered, taken, took = followed[0]       # the call after the first suggestion: glean_query_code
    assert taken == "glean_query_code" and took == int(taken in json.loads(offered))

    with sqlite3.connect(home / "experiences.sqlite") as db:
        rows = db.execute("select data from experiences").fetchall()
    exps = [json.loads(r[0]) for r in rows]
    mine = [e for e in exps if e["workflow_id"] == rl_id]
    assert len(mine) - len(rl["steps"]) in (0, 1)  # each step, plus a STOP decision if one was taken
    assert all(0.0 < e["propensity"] <= 1.0 and e["strategy"] == "rl_optimized" for e in mine)
    assert len(exps) >= 12 + len(full["steps"])
