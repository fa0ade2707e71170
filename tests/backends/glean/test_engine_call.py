"""glean_query_code through the real Engine and registry: validation, errors, cache freshness."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolorch.config import Settings
from toolorch.engine.engine import Engine
from toolorch.stores.facts import FactStore

from .sample import sample_index

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_engine_call_cache_and_errors(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path),  # type: ignore[call-arg]
                        policy_enabled=False)
    settings.ensure_home()
    writer = FactStore(settings.home / "facts.sqlite")
    writer.replace_project("demo", "/demo", "python", "/x", sample_index(), "scip-python")
    args = {"project_name": "demo", "query": 'code.Symbol { kind = "function" }'}
    async with Engine(settings, observers=[]) as engine:
        first = await engine.call("glean_query_code", args)
        assert first.success and first.output is not None and first.output["count"] == 3
        second = await engine.call("glean_query_code", args)
        assert second.cached and second.output == first.output
        # re-indexing the project (a write to the fact store) makes the cached answer stale
        smaller = sample_index()
        smaller.documents = smaller.documents[:2]
        writer.replace_project("demo", "/demo", "python", "/x", smaller, "scip-python")
        third = await engine.call("glean_query_code", args)
        assert not third.cached and third.output is not None and third.output["count"] == 0

        bad = await engine.call("glean_query_code", {"project_name": "demo",
                                                     "query": "code.Symbol { kind = }"})
        assert not bad.success and bad.error_kind == "query" and bad.attempts == 1
        assert bad.error is not None and "column 22: expected a pattern" in bad.error.message
        unknown = await engine.call("glean_query_code", {"project_name": "nope",
                                                         "query": "code.File _"})
        assert unknown.error is not None and "indexed projects: demo" in unknown.error.message
        invalid = await engine.call("glean_query_code", {"project_name": "demo", "query": ""})
        assert not invalid.success and invalid.error_kind == "validation"
    writer.close()
