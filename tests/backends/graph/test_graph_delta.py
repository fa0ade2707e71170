"""Re-creating a project's graph after an edit writes only the changed rows (issue 11, point 4)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.backends.scip.conftest import make_ctx
from toolorch.backends.graph import schema
from toolorch.backends.graph.builder import GraphData
from toolorch.backends.graph.delta import diff_graph
from toolorch.backends.graph.tool import create_graph_from_scip, get_store
from toolorch.backends.scip.tool import index_code

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sample_project"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _graph(symbols: list[dict[str, Any]], calls: list[dict[str, Any]]) -> GraphData:
    edges: dict[str, list[dict[str, Any]]] = {e: [] for e in schema.EDGE_NAMES}
    edges["CALLS"] = calls
    return GraphData("p", {"Project": [{"name": "p", "root": "/", "language": "rust"}],
                           "Document": [], "Symbol": symbols}, edges)


def test_diff_by_key_and_by_edge_set() -> None:
    a = {"id": "p:a", "project": "p", "symbol": "a", "name": "a", "kind": "function",
         "path": "x.rs", "line": 1, "signature": "", "documentation": None}
    b = {**a, "id": "p:b", "symbol": "b", "name": "b"}
    old = _graph([a, b], [{"src": "p:a", "dst": "p:b", "line": 2, "count": 1}])
    new = _graph([{**a, "line": 5}, {**b, "id": "p:c", "symbol": "c", "name": "c"}],
                 [{"src": "p:a", "dst": "p:c", "line": 6, "count": 1}])
    delta = diff_graph(old.nodes, old.edges, new)
    assert [r["id"] for r in delta.update_nodes["Symbol"]] == ["p:a"]   # "" and None are equal
    assert [r["id"] for r in delta.insert_nodes["Symbol"]] == ["p:c"]
    assert delta.delete_nodes["Symbol"] == ["p:b"]
    assert delta.delete_edges["CALLS"] == [{"src": "p:a", "dst": "p:b", "line": 2, "count": 1}]
    assert delta.insert_edges["CALLS"] == [{"src": "p:a", "dst": "p:c", "line": 6, "count": 1}]
    assert delta.update_nodes["Project"] == [] and delta.written() == 5
    assert diff_graph(new.nodes, new.edges, new).written() == 0


def _dump(ctx: Any, project: str) -> dict[str, set[tuple[Any, ...]]]:
    from toolorch.backends.graph.delta import read_edges, read_nodes

    store = get_store(ctx)
    out = {}
    for table in (*schema.NODE_LABELS, *schema.EDGE_NAMES):
        query = read_nodes(table) if table in schema.NODE_PROPERTIES else read_edges(table)
        rows = store.query(query, {"project": project}, 100_000, 30).rows
        out[table] = {tuple(None if v == "" else v for v in r) for r in rows}
    return out


async def test_an_edit_rewrites_only_its_rows(tmp_path: Path) -> None:
    project = tmp_path / "crate"
    shutil.copytree(FIXTURES / "rust", project)
    ctx = make_ctx(tmp_path / "home", tmp_path)
    index = await index_code({"project_path": str(project), "language": "rust"}, ctx)
    args = {"scip_index_path": index["scip_index_path"], "project_name": index["project_name"]}
    first = await create_graph_from_scip(args, ctx)
    assert first["load"] == {"mode": "full"}
    same = await create_graph_from_scip(args, ctx)
    assert same["load"] == {"mode": "delta", "written": {}}
    geometry = project / "src" / "geometry.rs"
    geometry.write_text(geometry.read_text() + "\n/// Extra.\npub fn extra_area() -> f64 "
                        "{ haversine(0.0, 0.0, 1.0, 1.0) }\n")
    await index_code({"project_path": str(project), "language": "rust"}, ctx)
    second = await create_graph_from_scip(args, ctx)
    written = second["load"]["written"]
    assert second["load"]["mode"] == "delta"
    assert written["Symbol"]["inserted"] == 1 and written["Symbol"]["deleted"] == 0
    assert written["CALLS"]["inserted"] >= 1 and "HAS_DOCUMENT" not in written
    total = sum(second["nodes"].values()) + sum(second["edges"].values())
    assert sum(sum(v.values()) for v in written.values()) < total / 5
    # the same rows as a load from scratch into another data dir
    fresh = make_ctx(tmp_path / "home2", tmp_path)
    await create_graph_from_scip(args, fresh)
    assert _dump(ctx, "shapes") == _dump(fresh, "shapes")
    assert second["nodes"] == (await create_graph_from_scip(args, fresh))["nodes"]
    ctx.services.close()
    fresh.services.close()
