"""A recorded pipeline for the lineage tests: the run events the engine would report for
source tree -> scip index -> {facts, graph, lean file -> {n8n workflow, n8n components (fails)}}."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from toolorch.core.datasets import Dataset
from toolorch.core.runs import RunInfo, RunObserver, RunOutcome
from toolorch.errors import BackendError

COMPONENTS_ERROR = "n8n_generate_components: no theorem in Spec.lean to turn into a node"


@dataclass
class Pipeline:
    src: Dataset
    index: Dataset
    facts: Dataset
    graph: Dataset
    lean: Dataset
    workflow: Dataset
    run_ids: dict[str, str] = field(default_factory=dict)


def run_tool(observer: RunObserver, tool: str, inputs: list[Dataset], outputs: list[Dataset], *,
             workflow_id: str | None = None, error: str | None = None, args: dict | None = None) -> str:
    """One tool run as the engine reports it: run_started, then run_finished."""
    info = RunInfo(run_id=uuid.uuid4().hex, tool=tool, args=args or {}, started_at=time.time(),
                   workflow_id=workflow_id)
    observer.run_started(info)
    outcome = RunOutcome(
        success=error is None, ended_at=time.time(), inputs=inputs,
        outputs=outputs if error is None else [],
        error=None if error is None else BackendError(error))
    observer.run_finished(info, outcome)
    return info.run_id


def record_pipeline(observer: RunObserver, root: Path, workflow_id: str | None = "wf-1") -> Pipeline:
    out = root / "out"
    p = Pipeline(
        src=Dataset.file(root / "project"),
        index=Dataset.file(out / "project.scip", schema=[{"name": "documents", "type": "int"}]),
        facts=Dataset.store("facts/project"),
        graph=Dataset.store("graph/project"),
        lean=Dataset.file(out / "lean" / "Spec.lean"),
        workflow=Dataset.file(out / "n8n" / "workflow.json"),
    )
    wf = workflow_id
    p.run_ids["scip_index_code"] = run_tool(
        observer, "scip_index_code", [p.src], [p.index, p.facts], workflow_id=wf,
        args={"project_path": str(root / "project"), "language": "python"})
    p.run_ids["memgraph_create_graph_from_scip"] = run_tool(
        observer, "memgraph_create_graph_from_scip", [p.index], [p.graph], workflow_id=wf)
    p.run_ids["lean4_generate_specs"] = run_tool(
        observer, "lean4_generate_specs", [p.index], [p.lean], workflow_id=wf)
    p.run_ids["n8n_generate_workflow"] = run_tool(
        observer, "n8n_generate_workflow", [p.lean], [p.workflow], workflow_id=wf)
    p.run_ids["n8n_generate_components"] = run_tool(
        observer, "n8n_generate_components", [p.lean], [], workflow_id=wf, error=COMPONENTS_ERROR)
    return p


def node_id(ds: Dataset) -> str:
    return f"dataset:{ds.namespace}:{ds.name}"


def upstream_path(graph: list[dict], start: str) -> dict[str, str]:
    """Walk inEdges from `start`: node id -> the node it was reached from (BFS tree)."""
    by_id = {n["id"]: n for n in graph}
    parent: dict[str, str] = {start: start}
    frontier = [start]
    while frontier:
        nxt = []
        for nid in frontier:
            for edge in by_id[nid]["inEdges"]:
                assert edge["destination"] == nid
                if edge["origin"] not in parent:
                    parent[edge["origin"]] = nid
                    nxt.append(edge["origin"])
        frontier = nxt
    return parent


def chain(parent: dict[str, str], end: str) -> list[str]:
    """The path from `end` back to the start of an `upstream_path` walk."""
    path = [end]
    while parent[path[-1]] != path[-1]:
        path.append(parent[path[-1]])
    return path


def check_marquez_shape(graph: list[dict]) -> None:
    """Every node has Marquez's keys, ids are sorted, and every edge joins two nodes of the
    graph and appears on both of them."""
    ids = [n["id"] for n in graph]
    assert ids == sorted(ids)
    known = set(ids)
    for n in graph:
        assert set(n) == {"id", "type", "data", "inEdges", "outEdges"}
        assert n["type"] == ("JOB" if n["id"].startswith("job:") else "DATASET")
        assert n["data"]["id"]["name"] in n["id"] and n["data"]["namespace"] == n["data"]["id"]["namespace"]
        for e in n["inEdges"]:
            assert e["destination"] == n["id"] and e["origin"] in known
        for e in n["outEdges"]:
            assert e["origin"] == n["id"] and e["destination"] in known
    by_id = {n["id"]: n for n in graph}
    for n in graph:
        for e in n["outEdges"]:
            assert e in by_id[e["destination"]]["inEdges"]
