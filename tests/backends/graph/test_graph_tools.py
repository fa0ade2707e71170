"""Both graph tools on the real indexes of the fixture projects (embedded LadybugDB)."""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
import pytest

from tests.backends.graph.conftest import GraphEnv
from toolorch.backends.graph.tool import create_graph_from_scip, query_graph
from toolorch.core.datasets import Dataset
from toolorch.errors import PathError, QueryError, ValidationError

pytestmark = pytest.mark.anyio
SEED = 'MATCH (p:Project {name: "X"})-[:HAS_SYMBOL]->(s:Symbol) RETURN s.name'


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def rows(env: GraphEnv, cypher: str, **parameters: Any) -> list[dict[str, Any]]:
    return (await env.query(cypher, parameters=parameters))["rows"]


async def test_create_reports_counts_backend_and_lineage(graph_env: GraphEnv) -> None:
    out = graph_env.created["python"]
    assert out["project_name"] == "python" and out["backend"] == "ladybug"
    assert out["nodes"] == {"Project": 1, "Document": 5, "Symbol": out["nodes"]["Symbol"]}
    assert out["nodes"]["Symbol"] >= 30
    assert out["edges"]["HAS_SYMBOL"] == out["nodes"]["Symbol"]
    assert out["edges"]["CALLS"] > 0 and out["edges"]["IMPLEMENTS"] > 0
    ctx = graph_env.ctx()
    await create_graph_from_scip({"scip_index_path": str(graph_env.index_path["rust"]),
                                  "project_name": "rust"}, ctx)
    assert ctx.inputs == [Dataset.file(graph_env.index_path["rust"])]
    assert [d.name for d in ctx.outputs] == ["graph/rust"]


async def test_known_function_symbol_with_path_and_line(graph_env: GraphEnv) -> None:
    found = await rows(graph_env, "MATCH (d:Document)-[:DEFINES]->(s:Symbol {name: 'haversine'}) "
                                  "WHERE s.project = $project RETURN s.path AS path, s.line AS line, "
                                  "s.kind AS kind, d.path AS doc, s.documentation AS doc_text",
                       project="python")
    assert len(found) == 1
    row = found[0]
    assert (row["path"], row["line"], row["kind"], row["doc"]) == (
        "shapes/geometry.py", 27, "function", "shapes/geometry.py")
    assert row["doc_text"].startswith("Compute the great-circle distance")


@pytest.mark.parametrize("project, caller, callee, callee_path, line", [
    ("python", "describe", "area", "shapes/geometry.py", 12),       # report.py -> geometry.py
    ("typescript", "describe", "makeScene", "src/geom.ts", 5),      # index.ts -> geom.ts
    ("rust", "demo", "total_area", "src/geometry.rs", 12),          # lib.rs -> geometry.rs
])
async def test_calls_across_files(graph_env: GraphEnv, project: str, caller: str, callee: str,
                                  callee_path: str, line: int) -> None:
    found = await rows(graph_env, "MATCH (a:Symbol)-[c:CALLS]->(b:Symbol) WHERE a.project = $p "
                                  "AND a.name = $caller RETURN b.name AS name, b.path AS path, "
                                  "a.path AS from_path, c.line AS line", p=project, caller=caller)
    hit = [r for r in found if r["name"] == callee]
    assert hit and hit[0]["path"] == callee_path and hit[0]["from_path"] != callee_path
    assert hit[0]["line"] == line


@pytest.mark.parametrize("project, impl_kind, trait_kind", [
    ("rust", "struct", "trait"), ("typescript", "class", "interface"),
])
async def test_implements_edges(graph_env: GraphEnv, project: str, impl_kind: str,
                                trait_kind: str) -> None:
    found = await rows(graph_env, "MATCH (a:Symbol)-[:IMPLEMENTS]->(b:Symbol) WHERE a.project = $p "
                                  "AND b.name = 'Shape' RETURN a.name AS a, a.kind AS ak, b.kind AS bk",
                       p=project)
    pairs = {(r["a"], r["ak"], r["bk"]) for r in found}
    assert {("Circle", impl_kind, trait_kind), ("Square", impl_kind, trait_kind)} <= pairs


async def test_recreate_is_idempotent_and_leaves_other_projects(graph_env: GraphEnv) -> None:
    before_ts = await rows(graph_env, "MATCH (s:Symbol) WHERE s.project = 'typescript' "
                                      "RETURN count(s) AS n")
    first = graph_env.created["python"]
    again = await graph_env.create("python", "python")
    assert (again["nodes"], again["edges"]) == (first["nodes"], first["edges"])
    dup = await rows(graph_env, "MATCH (s:Symbol) WHERE s.project = 'python' "
                                "RETURN count(s) AS n, count(DISTINCT s.symbol) AS distinct_n")
    assert dup == [{"n": first["nodes"]["Symbol"], "distinct_n": first["nodes"]["Symbol"]}]
    edges = await rows(graph_env, "MATCH (a:Symbol)-[c:CALLS]->(b:Symbol) WHERE a.project = 'python' "
                                  "RETURN count(c) AS n, count(DISTINCT a.id + '>' + b.id) AS pairs")
    assert edges == [{"n": first["edges"]["CALLS"], "pairs": first["edges"]["CALLS"]}]
    after_ts = await rows(graph_env, "MATCH (s:Symbol) WHERE s.project = 'typescript' "
                                     "RETURN count(s) AS n")
    assert after_ts == before_ts and before_ts[0]["n"] > 0


async def test_projects_coexist_and_ids_are_unique(graph_env: GraphEnv) -> None:
    projects = await rows(graph_env, "MATCH (p:Project) RETURN p.name AS name, p.language AS lang "
                                     "ORDER BY name")
    assert {(r["name"], r["lang"]) for r in projects} >= {
        ("X", "python"), ("python", "python"), ("rust", "rust"), ("typescript", "typescript")}
    # the same index under two names: two disjoint subgraphs with the same shape
    same = await rows(graph_env, "MATCH (p:Project)-[:HAS_SYMBOL]->(s:Symbol) WHERE p.name IN "
                                 "['X', 'python'] RETURN p.name AS p, count(s) AS n, "
                                 "count(DISTINCT s.id) AS ids ORDER BY p")
    assert same[0]["n"] == same[1]["n"] == same[0]["ids"] == same[1]["ids"]
    cross = await rows(graph_env, "MATCH (a:Symbol)-[:CALLS|IMPLEMENTS]->(b:Symbol) "
                                  "WHERE a.project <> b.project RETURN count(*) AS n")
    assert cross == [{"n": 0}]


async def test_seed_example_runs_unchanged(graph_env: GraphEnv) -> None:
    out = await graph_env.query(SEED)
    names = {r["s.name"] for r in out["rows"]}
    assert out["columns"] == ["s.name"] and out["count"] == len(out["rows"])
    assert {"haversine", "Circle", "area", "total_area"} <= names
    assert out["truncated"] is False


async def test_write_query_refused_and_lookalikes_allowed(graph_env: GraphEnv) -> None:
    with pytest.raises(QueryError, match=r"read-only: found SET at column 34;.*ALLOW_WRITES=1"):
        await graph_env.query("MATCH (p:Project {name: 'X'})    SET p.language = 'cobol'")
    with pytest.raises(QueryError, match="found DETACH"):
        await graph_env.query("MATCH (s:Symbol) DETACH DELETE s")
    ok = await graph_env.query("MATCH (s:Symbol) WHERE s.name = 'DELETE' OR s.documentation "
                               "CONTAINS 'SET n.x' RETURN {created: s.name} AS m, s.kind AS created")
    assert ok["rows"] == []
    still = await rows(graph_env, "MATCH (p:Project {name: 'X'}) RETURN p.language AS l")
    assert still == [{"l": "python"}]


async def test_writes_allowed_by_setting(graph_env: GraphEnv) -> None:
    writable = graph_env.settings.model_copy(update={"cypher_allow_writes": True})
    marker = graph_env.settings.home / "graph" / "generation"
    stamp = marker.read_text()
    await graph_env.create("python", "scratch")
    out = await graph_env.query("MATCH (p:Project {name: 'scratch'}) SET p.language = 'cobol' "
                                "RETURN p.language AS l", settings=writable)
    assert out["rows"] == [{"l": "cobol"}]
    assert marker.read_text() != stamp                        # cached reads see the change
    assert await rows(graph_env, "MATCH (p:Project {name: 'scratch'}) RETURN p.language AS l") == [
        {"l": "cobol"}]
    await graph_env.query("MATCH (n:Symbol) WHERE n.project = 'scratch' DETACH DELETE n",
                          settings=writable)
    assert await rows(graph_env, "MATCH (n:Symbol) WHERE n.project = 'scratch' "
                                 "RETURN count(n) AS n") == [{"n": 0}]


async def test_row_cap_and_truncation(graph_env: GraphEnv) -> None:
    out = await graph_env.query("MATCH (s:Symbol) RETURN s.id ORDER BY s.id", limit=5)
    assert out["count"] == 5 and out["truncated"] is True and "row cap of 5" in out["truncated_reason"]
    capped = graph_env.settings.model_copy(update={"max_rows": 3})
    out = await graph_env.query("MATCH (s:Symbol) RETURN s.id", settings=capped, limit=10)
    assert out["count"] == 3 and out["truncated"] is True
    exact = await graph_env.query("MATCH (p:Project) WHERE p.name IN ['rust', 'X'] RETURN p.name",
                                  limit=2)
    assert exact["count"] == 2 and exact["truncated"] is False


async def test_engine_errors_are_query_errors(graph_env: GraphEnv) -> None:
    with pytest.raises(QueryError, match="Cypher error from LadybugDB: Parser exception"):
        await graph_env.query("MATC (n) RETURN n")
    with pytest.raises(QueryError, match="Nope does not exist"):
        await graph_env.query("MATCH (n:Nope) RETURN n")
    with pytest.raises(QueryError, match=r"uses \$missing but `parameters` has no 'missing'"):
        await graph_env.query("MATCH (s:Symbol) WHERE s.name = $missing RETURN s")
    with pytest.raises(QueryError, match="Cypher error from LadybugDB"):
        await graph_env.query("RETURN $xs AS xs", parameters={"xs": [1, "two"]})


@pytest.mark.slow
async def test_query_timeout_interrupts(graph_env: GraphEnv) -> None:
    fast = graph_env.settings.model_copy(update={"cypher_timeout_s": 0.3})
    with pytest.raises(QueryError, match="timeout"):
        await graph_env.query("MATCH (a:Symbol), (b:Symbol), (c:Symbol), (d:Symbol), (e:Symbol) "
                              "WHERE a.line + b.line + c.line + d.line + e.line = -1 "
                              "RETURN count(*)", settings=fast)


async def test_values_are_json(graph_env: GraphEnv) -> None:
    out = await graph_env.query(
        "MATCH p = (d:Document)-[r:DEFINES]->(s:Symbol {name: 'haversine'}) WHERE s.project = "
        "'rust' RETURN p, d, r, s.line AS line, date('2024-01-02') AS day, "
        "timestamp('2024-01-02 03:04:05') AS ts, interval('1 hour') AS span, [1, 2] AS xs, "
        "{a: 1} AS m, 1.5 AS f")
    row = out["rows"][0]
    json.dumps(out)
    assert row["d"]["_label"] == "Document" and row["d"]["path"] == "src/geometry.rs"
    assert row["r"]["_type"] == "DEFINES" and row["r"]["_src"] == row["d"]["_id"]
    assert [n["_label"] for n in row["p"]["nodes"]] == ["Document", "Symbol"]
    assert "root" not in row["p"]["nodes"][1]                 # other tables' columns dropped
    assert (row["day"], row["ts"], row["span"]) == ("2024-01-02", "2024-01-02T03:04:05", 3600.0)
    assert (row["xs"], row["m"], row["f"], row["line"]) == ([1, 2], {"a": 1}, 1.5, 29)


async def test_query_lineage_and_cache_marker(graph_env: GraphEnv) -> None:
    ctx = graph_env.ctx()
    await query_graph({"cypher_query": SEED}, ctx)
    assert [d.name for d in ctx.inputs] == ["graph/X"]
    marker = graph_env.settings.home / "graph" / "generation"
    assert [str(getattr(f, "path", f)) for f in ctx.files_read] == [str(marker)]
    ctx = graph_env.ctx()
    await query_graph({"cypher_query": "MATCH (s:Symbol) WHERE s.project = $project RETURN s",
                       "parameters": {"project": "rust"}, "limit": 1}, ctx)
    assert [d.name for d in ctx.inputs] == ["graph/rust"]


async def test_bad_arguments(graph_env: GraphEnv, tmp_path: Any) -> None:
    outside = tmp_path / "elsewhere.scip"
    outside.write_bytes(b"x")
    with pytest.raises(PathError, match="outside the allowed roots"):
        await create_graph_from_scip({"scip_index_path": str(outside), "project_name": "p"},
                                     graph_env.ctx())
    with pytest.raises(ValidationError, match="no ':'"):
        await graph_env.create("python", "a:b")
    with pytest.raises(ValidationError, match="parameters"):
        await query_graph({"cypher_query": "RETURN 1", "parameters": [1]}, graph_env.ctx())


@pytest.mark.slow
async def test_cancelled_query_is_interrupted_and_releases_the_graph(graph_env: GraphEnv) -> None:
    heavy = ("MATCH (a:Symbol), (b:Symbol), (c:Symbol), (d:Symbol), (e:Symbol) "
             "WHERE a.line + b.line + c.line + d.line + e.line = -1 RETURN count(*)")
    with anyio.move_on_after(0.3) as scope:          # what the engine's timeout does
        await graph_env.query(heavy)
    assert scope.cancelled_caught
    started = time.monotonic()
    again = await graph_env.create("rust", "rust")    # needs the exclusive lock
    assert again["nodes"]["Symbol"] > 0 and time.monotonic() - started < 10


async def test_cypher_text_is_capped_at_the_default(graph_env: GraphEnv) -> None:
    """A 20,000-term `RETURN 1+1+…` stalled the server (issue 13): text over
    TOOLORCH_MAX_QUERY_CHARS (default 20,000) is refused before it is parsed."""
    head = "RETURN 1 AS x"
    ok = await graph_env.query(head + " " * (20_000 - len(head)))
    assert ok["rows"] == [{"x": 1}]
    with pytest.raises(ValidationError, match=r"cypher_query is 20,001 characters, over the cap of "
                                              r"20,000; .*TOOLORCH_MAX_QUERY_CHARS") as err:
        await graph_env.query("RETURN " + "1+" * 9_997)
    assert err.value.field == "cypher_query"
