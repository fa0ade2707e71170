"""Dependencies come from the dataflow, not from code: the natural pipeline must fall out."""

from __future__ import annotations

import pytest

from toolorch.config import PROJECT_ROOT
from toolorch.errors import PlanningError
from toolorch.registry import Registry
from toolorch.registry.dataflow import render

BASE = {"project_path", "language", "goal"}


@pytest.fixture(scope="module")
def df():  # type: ignore[no-untyped-def]
    return Registry.load(PROJECT_ROOT / "registry").dataflow


def test_full_pipeline_levels(df) -> None:  # type: ignore[no-untyped-def]
    plan = df.closure(BASE)
    levels = df.levels(plan, BASE)
    assert levels[0] == ["scip_index_code"]
    assert set(levels[1]) == {"glean_query_code", "memgraph_create_graph_from_scip", "qdrant_search_similar",
                              "lean4_generate_specs"}
    assert set(levels[2]) == {"memgraph_query_graph", "n8n_generate_components", "n8n_generate_workflow"}
    assert levels[3] == ["marquez_get_lineage"]  # every run feeds lineage: it waits for all producers


def test_dag_edges(df) -> None:  # type: ignore[no-untyped-def]
    plan = df.closure(BASE)
    dag = df.dag(plan, BASE)
    assert dag["memgraph_query_graph"] == {"memgraph_create_graph_from_scip", "scip_index_code"}  # project_name
    assert dag["n8n_generate_workflow"] == {"lean4_generate_specs", "scip_index_code"}
    assert dag["marquez_get_lineage"] >= {"scip_index_code", "n8n_generate_workflow", "n8n_generate_components"}


def test_plan_for_deliverable_is_minimal(df) -> None:  # type: ignore[no-untyped-def]
    assert df.plan_for("workflow_path", BASE) == ["scip_index_code", "lean4_generate_specs", "n8n_generate_workflow"]
    assert df.plan_for("memgraph_query_graph", BASE) == [
        "scip_index_code", "memgraph_create_graph_from_scip", "memgraph_query_graph"]
    assert df.plan_for("lineage_graph", BASE | {"dataset_name"}) == ["marquez_get_lineage"]
    with pytest.raises(PlanningError, match="unknown deliverable 'nonsense'"):
        df.plan_for("nonsense", BASE)
    with pytest.raises(PlanningError, match="nothing can produce"):
        df.plan_for("workflow_path", {"goal"})


def test_feasibility_masks(df) -> None:  # type: ignore[no-untyped-def]
    assert df.feasible_tools({"goal"}) == []
    assert df.feasible_tools(BASE) == ["scip_index_code"]
    after = BASE | {"scip_index_path", "project_name", "code_facts", "symbol_vectors", "dataset_name"}
    assert "memgraph_query_graph" not in df.feasible_tools(after)
    assert "qdrant_search_similar" in df.feasible_tools(after)  # text defaults to the goal
    assert df.missing("n8n_generate_workflow", BASE) == ["lean4_file_path", "workflow_name"]


def test_binding_and_templates(df) -> None:  # type: ignore[no-untyped-def]
    arts = {"goal": "find distance code", "project_name": "shapes", "code_graph": True}
    q = df.bind("memgraph_query_graph", arts)
    assert q["parameters"] == {"project": "shapes"} and "$project" in q["cypher_query"]
    assert df.bind("qdrant_search_similar", arts) == {"text": "find distance code"}
    assert df.bind("qdrant_search_similar", arts, {"text": "explicit"}) == {"text": "explicit"}
    assert render("${n} and ${m}", {"n": 1, "m": "x"}) == "1 and x"
    assert render("${n}", {"n": [1]}) == [1]
    assert df.artifacts_of("scip_index_code", {"scip_index_path": "/x.scip", "project_name": "p"}) == {
        "scip_index_path": "/x.scip", "project_name": "p", "code_facts": True, "symbol_vectors": True,
        "dataset_name": "/x.scip"}
