"""glean_query_code on the three fixture projects, indexed by the real indexers (indexed_sample)."""

from __future__ import annotations

from typing import Any

import pytest

from toolorch.backends.glean.tool import query_code

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def run(sample: Any, lang: str, query: str, limit: int = 500) -> dict[str, Any]:
    return await query_code(
        {"project_name": sample.project[lang], "query": query, "limit": limit}, sample.ctx())


def names(out: dict[str, Any]) -> list[str]:
    return [f["key"]["name"] for f in out["facts"]]


async def test_python_functions_include_haversine(indexed_sample: Any) -> None:
    out = await run(indexed_sample, "python", 'code.Symbol { kind = "function" }')
    assert {"area", "circle_area", "total_area", "haversine", "describe", "summary",
            "demo"} <= set(names(out))
    (hav,) = [f["key"] for f in out["facts"] if f["key"]["name"] == "haversine"]
    assert hav["file"] == "shapes/geometry.py" and hav["line"] == 27
    assert "great-circle distance" in (hav["documentation"] or "")
    assert "lat1" in (hav["signature"] or "")


async def test_seed_query_all_symbols(indexed_sample: Any) -> None:
    out = await run(indexed_sample, "python", "code.Symbol _", limit=1000)
    assert out["count"] > 20 and not out["truncated"]
    kinds = {f["key"]["kind"] for f in out["facts"]}
    assert {"class", "function", "method"} <= kinds


async def test_python_references_to_a_function(indexed_sample: Any) -> None:
    out = await run(indexed_sample, "python",
                    'code.Reference { symbol = code.Symbol { name = "total_area", '
                    'kind = "function" } }')
    files = {f["key"]["file"] for f in out["facts"]}
    # imported and called in report.py, re-exported in __init__.py
    assert {"shapes/report.py", "shapes/__init__.py"} <= files
    report_lines = {f["key"]["line"] for f in out["facts"] if f["key"]["file"] == "shapes/report.py"}
    assert 18 in report_lines          # lines.append(f"total {total_area(shapes):.2f}")


async def test_python_variable_join_finds_callers_file(indexed_sample: Any) -> None:
    out = await run(indexed_sample, "python",
                    'S = code.Symbol { name = "haversine" }; code.Reference { symbol = S, '
                    "file = F }; code.File { path = F }")
    assert [f["key"]["path"] for f in out["facts"]] == ["shapes/__init__.py"]


async def test_python_methods_of_a_class(indexed_sample: Any) -> None:
    out = await run(indexed_sample, "python",
                    'code.Symbol { kind = "method", enclosing = { name = "Circle" } }')
    assert {"area", "perimeter", "scaled", "name"} <= set(names(out))


async def test_typescript_definitions_and_prefix(indexed_sample: Any) -> None:
    out = await run(indexed_sample, "typescript",
                    'code.Definition { name = "hav"..,  file = { language = "typescript" } }')
    assert [(f["key"]["name"], f["key"]["file"], f["key"]["line"]) for f in out["facts"]] == [
        ("haversine", "src/geom.ts", 16)]
    assert out["facts"][0]["key"]["end_line"] > 16


async def test_rust_trait_implementations(indexed_sample: Any) -> None:
    out = await run(indexed_sample, "rust",
                    'code.Relationship { kind = "implementation", target = { name = "Shape", '
                    'kind = "trait" } }')
    assert out["count"] >= 2, out
    impl_names = await run(indexed_sample, "rust",
                           'I where code.Relationship { kind = "implementation", symbol = S, '
                           'target = { name = "Shape" } }; code.Symbol { symbol = S, name = I }')
    assert {"Circle", "Square"} <= {f["value"] for f in impl_names["facts"]}


async def test_rust_functions_and_kinds(indexed_sample: Any) -> None:
    out = await run(indexed_sample, "rust",
                    'code.Symbol { kind = "function" | "method" | "static_method" }')
    assert {"haversine", "area", "total_area", "kind_of", "demo", "new", "scaled"} <= set(names(out))
    (hav,) = [f["key"] for f in out["facts"] if f["key"]["name"] == "haversine"]
    assert hav["file"] == "src/geometry.rs" and hav["line"] == 29
    kinds = await run(indexed_sample, "rust", "K where code.Symbol { kind = K }")
    assert {"trait", "struct", "enum", "function"} <= {f["value"] for f in kinds["facts"]}


async def test_projects_do_not_mix(indexed_sample: Any) -> None:
    out = await run(indexed_sample, "rust", "F where code.File { path = F }")
    assert all(v["value"].endswith(".rs") for v in out["facts"])
