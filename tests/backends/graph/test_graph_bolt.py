"""The Memgraph (Bolt) store. No Memgraph can run here, so: its loading statements (shared Cypher,
batched UNWIND) are executed on LadybugDB and must build the same graph as the embedded loader;
its error translation is checked against a closed port; neo4j values convert to JSON."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from tests.backends.graph.test_graph_builder import sample_index
from toolorch.backends.graph import schema
from toolorch.backends.graph.bolt_store import BoltGraphStore, unwind_load
from toolorch.backends.graph.builder import build_graph
from toolorch.backends.graph.ladybug_store import LadybugGraphStore, count_project
from toolorch.backends.graph.tool import make_store
from toolorch.backends.graph.values import to_json
from toolorch.config import Settings
from toolorch.errors import BackendError

EDGES = ("MATCH (a)-[r]->(b) WHERE a.project = $p OR a.name = $p "
         "RETURN label(r) AS t, coalesce(a.id, a.name) AS src, b.id AS dst, r.line AS line, "
         "r.count AS count ORDER BY t, src, dst, line")


def all_edges(run: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in run(EDGES, {"p": "demo"})]


def test_unwind_statements_build_the_same_graph_as_copy(tmp_path: Path) -> None:
    import ladybug

    graph = build_graph(sample_index(), "demo")
    db = ladybug.Database(str(tmp_path / "unwind.lbug"))
    conn = ladybug.Connection(db)
    for ddl in schema.ladybug_ddl():
        conn.execute(ddl)

    def run(query: str, params: dict[str, Any]) -> list[list[Any]]:
        return conn.execute(query, params).get_all()

    progress: list[float] = []
    unwind_load(run, graph, lambda done, total, msg: progress.append(done), batch_size=2)
    unwind_load(run, graph, batch_size=3)              # loading again replaces, no duplicates
    nodes, edges = graph.counts()
    counts = count_project(run, "demo")
    assert (counts.nodes, counts.edges) == (nodes, edges)
    assert progress == sorted(progress) and progress[-1] == sum(nodes.values()) + sum(edges.values())
    via_unwind = all_edges(run)
    conn.close()
    db.close()

    store = LadybugGraphStore(tmp_path / "copy")
    store.replace_project(graph)
    via_copy = [tuple(r) for r in store.query(EDGES, {"p": "demo"}, 1000, 30).rows]
    store.close()
    assert via_unwind == via_copy and len(via_copy) == sum(edges.values())


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_memgraph_is_a_retryable_backend_error_without_secrets() -> None:
    store = BoltGraphStore(f"bolt://neo:s3cret@127.0.0.1:{closed_port()}")
    assert store.location.startswith("bolt://127.0.0.1:") and "s3cret" not in store.location
    try:
        with pytest.raises(BackendError) as info:
            store.query("RETURN 1", {}, 10, 5.0)
        assert info.value.retryable and "unreachable" in info.value.message
        assert "s3cret" not in info.value.message
        graph = build_graph(sample_index(), "demo")
        with pytest.raises(BackendError, match="unreachable while loading project 'demo'"):
            store.replace_project(graph)
    finally:
        store.close()


def test_non_bolt_url_is_refused() -> None:
    store = BoltGraphStore("http://127.0.0.1:7444")
    with pytest.raises(BackendError, match="not a Bolt URL"):
        store.query("RETURN 1", {}, 10, 5.0)


def test_memgraph_url_selects_the_bolt_store(tmp_path: Path) -> None:
    plain = make_store(Settings(home=tmp_path))
    assert isinstance(plain, LadybugGraphStore) and plain.location == str(tmp_path / "graph" / "code.lbug")
    remote = make_store(Settings(home=tmp_path, memgraph_url="bolt://127.0.0.1:7687",
                                 memgraph_user="u", memgraph_password="p"))
    assert isinstance(remote, BoltGraphStore) and remote.backend == "memgraph"


def test_neo4j_values_convert_to_json() -> None:
    import neo4j.time as nt

    assert to_json([nt.Date(2024, 1, 2), nt.DateTime(2024, 1, 2, 3, 4, 5),
                    nt.Duration(days=1, seconds=30)]) == [
        "2024-01-02", "2024-01-02T03:04:05.000000000", 86430.0]
