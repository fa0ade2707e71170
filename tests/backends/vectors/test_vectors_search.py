"""qdrant_search_similar and ingestion on real SCIP facts of the fixture projects."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from toolorch.backends.vectors.ingest import ingest_project, sync_of
from toolorch.backends.vectors.store import SYMBOLS_COLLECTION, point_id, store_of
from toolorch.backends.vectors.sync import project_documents
from toolorch.backends.vectors.tool import search_similar
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services
from toolorch.errors import BackendError
from toolorch.scip import read_index
from toolorch.scip.model import ScipIndex
from toolorch.stores.facts import facts_of

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

PARAPHRASE = "distance along the surface of a globe between two coordinates"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _ctx(home: Path, services: Services | None = None) -> ToolContext:
    settings = Settings(home=home, allowed_roots=str(home))
    services = services or Services(settings)
    return ToolContext(tool="qdrant_search_similar", run_id="r", settings=settings,
                       services=services, roots=settings.roots)


async def test_paraphrase_finds_haversine_in_every_language(indexed_sample) -> None:
    ctx = indexed_sample.ctx("qdrant_search_similar")
    sync_of(ctx).ensure_fresh()  # the background embedding of the three projects is done
    result = await search_similar({"text": PARAPHRASE, "limit": 5}, ctx)
    assert result["collection"] == SYMBOLS_COLLECTION and result["count"] == 5
    assert result["mode"] == "hybrid" and result["dense"]["complete"] and result["note"] is None
    assert result["coverage"] == "dense {0:,}/{0:,}".format(result["dense"]["documents"])
    names = [h["payload"]["name"] for h in result["hits"][:3]]
    assert names.count("haversine") == 3, result["hits"]
    top = result["hits"][0]
    assert 0.3 < top["similarity"] <= 1.0 and set(top["matched"]) == {"lexical", "dense"}
    assert set(top["payload"]) == {"project", "symbol", "name", "kind", "path", "line",
                                   "signature", "documentation"}
    python = next(h["payload"] for h in result["hits"] if h["payload"]["project"] == "python")
    assert (python["path"], python["line"]) == ("shapes/geometry.py", 27)
    assert python["documentation"].startswith("Compute the great-circle distance")
    assert [d.name for d in ctx.inputs] == [f"vectors/{SYMBOLS_COLLECTION}"]
    [read] = ctx.files_read  # the sync marker, stamped when it was read (cache fingerprint)
    assert Path(read.path).name == "sync.json"


async def test_points_are_the_defined_symbols(indexed_sample) -> None:
    ctx = indexed_sample.ctx()
    sync = sync_of(ctx)
    assert sync.ensure_fresh() == [] or sync.stale() == []
    facts = indexed_sample.facts()
    for project in indexed_sample.project.values():
        expected = {point_id(project, d.key) for d in project_documents(facts, project)[1]}
        defined = {r["symbol"] for r in facts.symbols(project) if r["path"]
                   and r["kind"] not in ("parameter", "self_parameter", "type_parameter")}
        assert {point_id(project, s) for s in defined} >= expected
        stored = sync.store.payloads_of(SYMBOLS_COLLECTION, project)
        assert set(stored) == expected and len(expected) > 10
        assert sync.marker.entry(project)["points"] == len(expected)


async def test_unknown_collection_names_the_existing_ones(indexed_sample) -> None:
    with pytest.raises(BackendError, match=r"'nope' does not exist.*existing collections: "
                                           r"code_symbols"):
        await search_similar({"text": "x", "collection": "nope"}, indexed_sample.ctx())


async def test_empty_store_says_how_to_fill_it(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path / "home")
    with pytest.raises(BackendError, match=r"index a project first\); existing collections: none"):
        await search_similar({"text": "anything"}, ctx)
    ctx.services.close()


def _without(index: ScipIndex, name: str) -> ScipIndex:
    """A copy of `index` in which the symbol called `name` is no longer defined."""
    changed = copy.deepcopy(index)
    gone = {s.symbol for d in changed.documents for s in d.symbols if s.display_name == name}
    for doc in changed.documents:
        doc.symbols = [s for s in doc.symbols if s.symbol not in gone]
        doc.occurrences = [o for o in doc.occurrences if o.symbol not in gone]
    return changed


async def test_reingest_replaces_only_that_projects_points(indexed_sample, tmp_path: Path) -> None:
    """Two projects from the real Python index; re-indexing one (a symbol removed, a doc
    changed) replaces its points and leaves the other's alone; deleting it drops them."""
    index = read_index(indexed_sample.index_path["python"])
    ctx = _ctx(tmp_path / "home")
    facts = facts_of(ctx)
    for project in ("alpha", "beta"):
        facts.replace_project(project, "/x", "python", "/x.scip", index, "scip-python")
        first = await ingest_project(ctx, project, wait=True)
        assert first["points"] == first["scheduled"] > 10 and first["generation"] == 1
    store = store_of(ctx.services)
    beta_before = store.payloads_of(SYMBOLS_COLLECTION, "beta")
    total = store.count(SYMBOLS_COLLECTION)
    assert total == 2 * first["points"]

    again = await ingest_project(ctx, "alpha", wait=True)  # same facts: same points
    assert store.count(SYMBOLS_COLLECTION) == total and again["points"] == first["points"]

    changed = _without(index, "haversine")
    area = next(s for d in changed.documents for s in d.symbols if s.display_name == "total_area")
    area.documentation = ["```python\ndef total_area(shapes)\n```",
                          "Add up how much floor the shapes cover."]
    facts.replace_project("alpha", "/x", "python", "/x.scip", changed, "scip-python")
    result = await ingest_project(ctx, "alpha", wait=True)
    assert result["generation"] == 2 and result["points"] == first["points"] - 1
    assert store.count(SYMBOLS_COLLECTION) == total - 1
    assert store.payloads_of(SYMBOLS_COLLECTION, "beta") == beta_before
    alpha = store.payloads_of(SYMBOLS_COLLECTION, "alpha")
    assert "haversine" not in {p["name"] for p in alpha.values()}
    hits = (await search_similar({"text": "how much floor the shapes cover", "limit": 1},
                                 ctx))["hits"]
    assert hits[0]["payload"]["project"] == "alpha" and hits[0]["payload"]["name"] == "total_area"

    facts.delete_project("alpha")  # gone from the facts: its points go after the next search
    result = await search_similar({"text": PARAPHRASE, "limit": 10}, ctx)
    assert result["synced_projects"] == ["alpha"]  # scheduled, not waited for
    assert {h["payload"]["project"] for h in result["hits"]} == {"beta"}  # never a dropped project's
    sync_of(ctx).wait(["alpha"])
    assert store.count(SYMBOLS_COLLECTION) == first["points"]
    ctx.services.close()


async def test_search_syncs_facts_written_without_ingest(indexed_sample, tmp_path: Path) -> None:
    """Facts indexed by a process whose background sync never ran (crashed, say): the next
    search writes their lexical rows, answers from them at once, and schedules the vectors."""
    index = read_index(indexed_sample.index_path["typescript"])
    home = tmp_path / "home"
    writer = _ctx(home)
    facts_of(writer).replace_project("ts", "/x", "typescript", "/x.scip", index, "scip-ts")
    writer.services.close()

    ctx = _ctx(home)
    progress: list[tuple[float, float | None, str | None]] = []

    async def record(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    ctx.report_progress = record
    result = await search_similar({"text": PARAPHRASE, "limit": 3}, ctx)
    assert result["synced_projects"] == ["ts"]
    assert result["hits"][0]["payload"]["name"] == "haversine"
    assert result["hits"][0]["matched"].get("lexical") == 1
    assert os.path.exists(home / "vectors" / "sync.json")
    sync_of(ctx).wait(["ts"])
    assert sync_of(ctx).stale() == []
    ctx.services.close()


async def test_unreachable_qdrant_server_is_a_retryable_backend_error(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path),
                        qdrant_url="http://127.0.0.1:9")
    ctx = ToolContext(tool="qdrant_search_similar", run_id="r", settings=settings,
                      services=Services(settings), roots=settings.roots)
    with pytest.raises(BackendError, match=r"cannot reach Qdrant at http://127.0.0.1:9") as info:
        await search_similar({"text": "anything"}, ctx)
    assert info.value.retryable
    ctx.services.close()
