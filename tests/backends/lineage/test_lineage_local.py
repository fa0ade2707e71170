"""Lineage end to end in local mode: observer -> SQLite store -> marquez_get_lineage."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import jsonschema
import pytest

from tests.lineage.pipeline import (
    COMPONENTS_ERROR,
    Pipeline,
    chain,
    check_marquez_shape,
    node_id,
    record_pipeline,
    run_tool,
    upstream_path,
)
from toolorch.backends.lineage.tool import get_lineage
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services
from toolorch.errors import BackendError
from toolorch.lineage.observer import WRITER_KEY, LineageObserver
from toolorch.lineage.store import LineageStore, parse_time

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", allowed_roots=str(tmp_path))


@pytest.fixture
def services(settings: Settings):
    svc = Services(settings)
    yield svc
    svc.close()


@pytest.fixture
def ctx(settings: Settings, services: Services) -> ToolContext:
    return ToolContext(tool="marquez_get_lineage", run_id="r1", settings=settings, services=services,
                       roots=settings.roots)


@pytest.fixture
def pipeline(settings: Settings, services: Services, tmp_path: Path) -> Pipeline:
    observer = LineageObserver(settings, services)
    return record_pipeline(observer, tmp_path)


def _node(graph: list[dict], nid: str) -> dict:
    return next(n for n in graph if n["id"] == nid)


async def test_workflow_file_walks_back_to_the_source_tree(pipeline: Pipeline, ctx: ToolContext) -> None:
    out = await get_lineage({"dataset_name": pipeline.workflow.name}, ctx)
    assert out["source"] == "local" and out["node_id"] == node_id(pipeline.workflow)
    graph = out["graph"]
    check_marquez_shape(graph)
    spec = json.loads((ctx.settings.registry_dir / "tools" / "06_marquez_get_lineage.json").read_text())
    jsonschema.validate(out, spec["output_schema"])

    path = chain(upstream_path(graph, node_id(pipeline.workflow)), node_id(pipeline.src))
    assert path == [
        node_id(pipeline.src), "job:toolorch:scip_index_code", node_id(pipeline.index),
        "job:toolorch:lean4_generate_specs", node_id(pipeline.lean),
        "job:toolorch:n8n_generate_workflow", node_id(pipeline.workflow),
    ]
    ids = {n["id"] for n in graph}
    # scip_index_code's other output is part of its node, as in Marquez ...
    assert node_id(pipeline.facts) in ids
    # ... but siblings that merely read the same index are not ancestors of the workflow.
    assert "job:toolorch:memgraph_create_graph_from_scip" not in ids
    assert "job:toolorch:n8n_generate_components" not in ids

    scip = _node(graph, "job:toolorch:scip_index_code")["data"]
    assert scip["inputs"] == [{"namespace": "file", "name": pipeline.src.name}]
    assert {"namespace": "toolorch", "name": "facts/project"} in scip["outputs"]
    run = scip["latestRun"]
    assert run["state"] == "COMPLETED" and run["durationMs"] >= 0
    assert run["facets"]["toolorch"]["tool"] == "scip_index_code"
    assert '"language":"python"' in run["facets"]["toolorch"]["args"]
    assert run["facets"]["parent"]["job"] == {"namespace": "toolorch", "name": "orchestrate", "facets": {}}
    index = _node(graph, node_id(pipeline.index))["data"]
    assert index["fields"] == [{"name": "documents", "type": "int", "tags": [], "description": None}]
    assert index["lastModifiedAt"] is not None
    assert _node(graph, node_id(pipeline.src))["data"]["lastModifiedAt"] is None  # only ever read


async def test_downstream_walk_shows_the_failed_run_with_its_error(pipeline: Pipeline, ctx: ToolContext) -> None:
    out = await get_lineage({"dataset_name": pipeline.index.name, "namespace": "file"}, ctx)
    ids = {n["id"] for n in out["graph"]}
    assert {"job:toolorch:memgraph_create_graph_from_scip", "job:toolorch:lean4_generate_specs",
            "job:toolorch:n8n_generate_workflow", "job:toolorch:n8n_generate_components",
            "job:toolorch:scip_index_code", node_id(pipeline.graph), node_id(pipeline.workflow)} <= ids
    failed = _node(out["graph"], "job:toolorch:n8n_generate_components")
    run = failed["data"]["latestRun"]
    assert run["state"] == "FAILED"
    assert run["facets"]["errorMessage"]["message"] == COMPONENTS_ERROR
    assert run["facets"]["errorMessage"]["programmingLanguage"] == "python"
    assert run["facets"]["toolorch"]["errorKind"] == "backend"
    assert failed["outEdges"] == []  # it wrote nothing
    assert failed["inEdges"] == [{"origin": node_id(pipeline.lean), "destination": failed["id"]}]


async def test_every_run_has_start_then_complete_or_fail_events(pipeline: Pipeline, settings: Settings,
                                                                 services: Services) -> None:
    services.peek(WRITER_KEY).flush()
    store = LineageStore(settings.home / "lineage.sqlite")
    try:
        for tool, run_id in pipeline.run_ids.items():
            events = store.events(str(uuid.UUID(run_id)))
            assert [e["eventType"] for e in events] == [
                "START", "FAIL" if tool == "n8n_generate_components" else "COMPLETE"]
            assert all(e["job"] == {"namespace": "toolorch", "name": tool, "facets": e["job"]["facets"]}
                       for e in events)
            assert events[0]["producer"].startswith("https://") and events[0]["schemaURL"].endswith("RunEvent")
            assert events[0]["inputs"] == [] and events[0]["outputs"] == []
        fail = store.events(None)[-1]
        assert fail["eventType"] == "FAIL"
        assert fail["run"]["facets"]["errorMessage"]["message"] == COMPONENTS_ERROR
        parents = {e["run"]["facets"]["parent"]["run"]["runId"] for e in store.events()}
        assert len(parents) == 1  # one workflow -> one parent run id
    finally:
        store.close()


async def test_depth_limits_the_walk(pipeline: Pipeline, ctx: ToolContext) -> None:
    def ids(out: dict) -> set[str]:
        return {n["id"] for n in out["graph"]}

    one = ids(await get_lineage({"dataset_name": pipeline.workflow.name, "depth": 1}, ctx))
    assert one == {node_id(pipeline.workflow), "job:toolorch:n8n_generate_workflow", node_id(pipeline.lean)}
    two = ids(await get_lineage({"dataset_name": pipeline.workflow.name, "depth": 2}, ctx))
    assert two == one | {"job:toolorch:lean4_generate_specs", node_id(pipeline.index)}
    three = ids(await get_lineage({"dataset_name": pipeline.workflow.name, "depth": 3}, ctx))
    assert three == two | {"job:toolorch:scip_index_code", node_id(pipeline.src), node_id(pipeline.facts)}
    full = ids(await get_lineage({"dataset_name": pipeline.workflow.name}, ctx))
    assert full == three


async def test_relative_path_and_basename_find_the_file(pipeline: Pipeline, ctx: ToolContext,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rel = await get_lineage({"dataset_name": "out/n8n/workflow.json"}, ctx)
    assert rel["node_id"] == node_id(pipeline.workflow) and "resolved" in rel
    base = await get_lineage({"dataset_name": "Spec.lean"}, ctx)
    assert base["node_id"] == node_id(pipeline.lean)
    store = await get_lineage({"dataset_name": "facts/project"}, ctx)
    assert store["namespace"] == "toolorch" and "resolved" not in store


async def test_unknown_dataset_lists_close_matches(pipeline: Pipeline, ctx: ToolContext) -> None:
    with pytest.raises(BackendError) as err:
        await get_lineage({"dataset_name": "workflw.json"}, ctx)
    assert "unknown dataset 'workflw.json'" in err.value.message
    assert pipeline.workflow.name in err.value.message
    assert not err.value.retryable
    with pytest.raises(BackendError) as err:
        await get_lineage({"dataset_name": "facts/projet"}, ctx)
    assert "toolorch:facts/project" in err.value.message
    with pytest.raises(BackendError) as err:
        await get_lineage({"dataset_name": "facts/project", "namespace": "file"}, ctx)
    assert "in namespace 'file'" in err.value.message and "toolorch:facts/project" in err.value.message


async def test_empty_store_says_how_to_get_lineage(ctx: ToolContext) -> None:
    with pytest.raises(BackendError, match="no lineage recorded yet"):
        await get_lineage({"dataset_name": "anything"}, ctx)


async def test_a_name_in_two_namespaces_needs_one(settings: Settings, services: Services,
                                                  ctx: ToolContext) -> None:
    observer = LineageObserver(settings, services)
    from toolorch.core.datasets import Dataset

    run_tool(observer, "glean_query_code", [Dataset("toolorch", "shared")], [Dataset("file", "shared")])
    with pytest.raises(BackendError, match=r"several namespaces \(file, toolorch\)"):
        await get_lineage({"dataset_name": "shared"}, ctx)
    out = await get_lineage({"dataset_name": "shared", "namespace": "toolorch"}, ctx)
    assert out["node_id"] == "dataset:toolorch:shared"
    assert [e["destination"] for e in out["graph"][0]["outEdges"]] == []  # dataset:file:shared first
    job = next(n for n in out["graph"] if n["type"] == "JOB")
    assert job["outEdges"] == [{"origin": job["id"], "destination": "dataset:file:shared"}]


async def test_repeated_runs_fold_into_one_job_node(settings: Settings, services: Services,
                                                    ctx: ToolContext, tmp_path: Path) -> None:
    observer = LineageObserver(settings, services)
    first = record_pipeline(observer, tmp_path / "a", workflow_id="wf-a")
    record_pipeline(observer, tmp_path / "b", workflow_id="wf-b")  # another project, same tools
    out = await get_lineage({"dataset_name": first.workflow.name}, ctx)
    ids = {n["id"] for n in out["graph"]}
    assert not any("/b/" in i for i in ids)  # project b's runs of the same tools stay out
    again = run_tool(observer, "n8n_generate_workflow", [first.lean], [first.workflow], workflow_id="wf-c")
    out = await get_lineage({"dataset_name": first.workflow.name, "depth": 1}, ctx)
    job = next(n for n in out["graph"] if n["id"] == "job:toolorch:n8n_generate_workflow")
    assert job["data"]["runCount"] == 2
    assert job["data"]["latestRun"]["id"].replace("-", "") == again


async def test_retention_drops_old_raw_events_not_the_graph(pipeline: Pipeline, settings: Settings,
                                                            services: Services, ctx: ToolContext) -> None:
    services.peek(WRITER_KEY).flush()
    store = LineageStore(settings.home / "lineage.sqlite")
    try:
        n = store.count_events()
        old = store.events(None)[0]                             # an old event still to be sent
        old = {**old, "eventTime": "2026-01-01T00:00:00+00:00", "run": {**old["run"], "runId": str(uuid.uuid4())}}
        store.add_events([old], deliver=True)
        before = await get_lineage({"dataset_name": pipeline.workflow.name}, ctx)
        assert store.prune_events(7 * 86400.0, now=parse_time("2030-01-01T00:00:00+00:00")) == n
        assert [e["eventTime"] for e in store.events(None)] == ["2026-01-01T00:00:00+00:00"]
        assert store.prune_events(7 * 86400.0) == 0             # nothing else is older than a week
    finally:
        store.close()
    after = await get_lineage({"dataset_name": pipeline.workflow.name}, ctx)
    assert after["graph"] == before["graph"]                     # runs, inputs/outputs, datasets kept


async def test_the_writer_applies_the_retention_when_it_starts(tmp_path: Path) -> None:
    from toolorch.core.datasets import Dataset

    settings = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path), lineage_retention_days=1)
    store = LineageStore(settings.home / "lineage.sqlite")
    store.add_events([{"eventType": "COMPLETE", "eventTime": "2020-01-01T00:00:00+00:00",
                       "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "toolorch", "name": "old"}}])
    store.close()
    services = Services(settings)
    try:
        observer = LineageObserver(settings, services)
        run_tool(observer, "glean_query_code", [Dataset("toolorch", "facts/p")], [])
        observer.flush()
        store = LineageStore(settings.home / "lineage.sqlite")
        assert [e["job"]["name"] for e in store.events(None)] == ["glean_query_code", "glean_query_code"]
        store.close()
    finally:
        services.close()
