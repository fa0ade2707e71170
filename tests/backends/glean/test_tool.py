"""The glean_query_code tool function on a ToolContext whose data dir holds the sample facts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from toolorch.backends.glean.tool import query_code
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.core.services import Services
from toolorch.errors import QueryError, ValidationError
from toolorch.stores.facts import FactStore, facts_of

from .sample import AREA, HAVERSINE, sample_index

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_ctx(tmp_path: Path, **settings: object) -> ToolContext:
    s = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path), **settings)  # type: ignore[arg-type]
    return ToolContext(tool="glean_query_code", run_id="r1", settings=s, services=Services(s),
                       roots=s.roots)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ToolContext]:
    c = make_ctx(tmp_path)
    facts_of(c).replace_project("demo", "/demo", "python", "/demo/index.scip", sample_index(),
                                "scip-python")
    yield c
    c.services.close()


async def test_query_returns_facts_and_records_lineage(ctx: ToolContext) -> None:
    out = await query_code({"project_name": "demo", "query": 'code.Symbol { kind = "function" }'},
                           ctx)
    assert out["count"] == 3 and out["truncated"] is False
    assert [f["key"]["name"] for f in out["facts"]] == ["area", "haversine", "describe"]
    assert out["facts"][1]["key"]["symbol"] == HAVERSINE
    assert out["predicates"]["code.Symbol"][:3] == ["symbol", "name", "kind"]
    store_path = ctx.settings.home / "facts.sqlite"
    read = [Path(getattr(f, "path", f)) for f in ctx.files_read]   # FileStamps or paths
    assert read[0] == store_path
    assert set(read) <= {store_path, store_path.with_name("facts.sqlite-wal")}
    assert ctx.inputs == [Dataset.store("facts/demo")]
    spec = json.loads((ctx.settings.registry_dir / "tools" / "02_glean_query_code.json").read_text())
    jsonschema.validate(out, spec["output_schema"])
    values = await query_code({"project_name": "demo", "query": "K where code.Symbol { kind = K }"},
                              ctx)
    jsonschema.validate(values, spec["output_schema"])


async def test_limit_default_and_settings_cap(tmp_path: Path) -> None:
    c = make_ctx(tmp_path, max_rows=2)
    try:
        facts_of(c).replace_project("demo", "/demo", "python", "/x", sample_index(), "scip-python")
        out = await query_code({"project_name": "demo", "query": "code.Symbol _", "limit": 50}, c)
        assert out["count"] == 2 and out["truncated"] is True
        out = await query_code({"project_name": "demo", "query": "code.File _"}, c)
        assert out["count"] == 2 and out["truncated"] is True
    finally:
        c.services.close()


async def test_output_size_cap(tmp_path: Path) -> None:
    c = make_ctx(tmp_path, max_output_chars=1000)
    try:
        facts_of(c).replace_project("demo", "/demo", "python", "/x", sample_index(), "scip-python")
        out = await query_code({"project_name": "demo", "query": "code.Symbol _"}, c)
        assert 0 < out["count"] < 8 and out["count"] == len(out["facts"])
        assert out["truncated"] is True
        assert len(json.dumps(out)) <= 1000
    finally:
        c.services.close()


async def test_nested_query(ctx: ToolContext) -> None:
    out = await query_code({"project_name": "demo", "limit": 1,
                            "query": 'code.Reference { symbol = { name = "area", '
                                     'kind = "function" } }'}, ctx)
    assert out["facts"] == [{"predicate": "code.Reference", "key": {
        "symbol": AREA, "name": "area", "file": "demo/report.py", "line": 1, "col": 25,
        "end_line": 1, "end_col": 29}}]
    assert out["truncated"] is True


async def test_unknown_project_lists_the_indexed_ones(ctx: ToolContext) -> None:
    with pytest.raises(QueryError, match=r"unknown project 'nope'; indexed projects: demo\."):
        await query_code({"project_name": "nope", "query": "code.File _"}, ctx)
    assert ctx.inputs == []


async def test_unknown_project_in_an_empty_store(tmp_path: Path) -> None:
    c = make_ctx(tmp_path)
    try:
        with pytest.raises(QueryError, match="no project is indexed yet.*scip_index_code"):
            await query_code({"project_name": "demo", "query": "code.File _"}, c)
    finally:
        c.services.close()


async def test_syntax_error_comes_before_the_project_check(ctx: ToolContext) -> None:
    with pytest.raises(QueryError) as info:
        await query_code({"project_name": "nope", "query": "code.Symbol { kind = }"}, ctx)
    assert info.value.message.startswith("column 22: expected a pattern")
    assert info.value.retryable is False


async def test_sees_a_reindexed_project(ctx: ToolContext) -> None:
    before = await query_code({"project_name": "demo", "query": "code.File _"}, ctx)
    smaller = sample_index()
    smaller.documents = smaller.documents[:2]
    FactStore(ctx.settings.home / "facts.sqlite").replace_project(
        "demo", "/demo", "python", "/x", smaller, "scip-python")
    after = await query_code({"project_name": "demo", "query": "code.File _"}, ctx)
    assert before["count"] == 5 and after["count"] == 2


async def test_query_text_is_capped_before_parsing(tmp_path: Path) -> None:
    """TOOLORCH_MAX_QUERY_CHARS (issue 13): the cap holds at its boundary and names the setting."""
    ctx = make_ctx(tmp_path, max_query_chars=100)
    at_cap = "x" * 100                                   # reaches the parser, which refuses it
    with pytest.raises(QueryError):
        await query_code({"project_name": "p", "query": at_cap}, ctx)
    with pytest.raises(ValidationError) as err:
        await query_code({"project_name": "p", "query": at_cap + "x"}, ctx)
    assert err.value.field == "query"
    assert str(err.value) == ("query is 101 characters, over the cap of 100; send a shorter query "
                              "or raise TOOLORCH_MAX_QUERY_CHARS")
    ctx.services.close()
