"""qdrant_search_similar as a hybrid search, with an injected embedder (no model): lexical
results while the model loads or the vectors are partial, never a wait on embedding, and
re-syncs that touch only what changed."""

from __future__ import annotations

import copy
import hashlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from toolorch.backends.vectors import sync as sync_module
from toolorch.backends.vectors import tool as tool_module
from toolorch.backends.vectors.embedder import SERVICE_KEY as EMBEDDER_KEY
from toolorch.backends.vectors.ingest import ingest_project, sync_of
from toolorch.backends.vectors.store import SYMBOLS_COLLECTION
from toolorch.backends.vectors.tool import search_similar
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services
from toolorch.core.stamps import fingerprint
from toolorch.scip import read_index
from toolorch.stores.facts import facts_of

pytestmark = pytest.mark.anyio
QUERY = "great circle distance between two points"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeEmbedder:
    """Hashed bag-of-words unit vectors. `ready` unset: the model is "loading" for ever.
    `gate`: document batches after the first block until it is set (a slow embedder)."""

    dimension = 384
    load_seconds = 0.0

    def __init__(self, ready: bool = True, gate: threading.Event | None = None) -> None:
        self.ready = threading.Event()
        if ready:
            self.ready.set()
        self.gate = gate
        self.batches = 0
        self.queries: list[str] = []

    @property
    def loaded(self) -> bool:
        return self.ready.is_set()

    @property
    def state(self) -> str:
        return "loaded" if self.ready.is_set() else "loading"

    def start_loading(self) -> None:
        pass

    def wait_loaded(self, timeout_s: float) -> bool:
        return self.ready.wait(timeout_s)

    def embed(self, texts: list[str]) -> np.ndarray:
        self.ready.wait(60)  # like Embedder.embed: blocks until the model is loaded
        if len(texts) == 1 and texts[0] == QUERY:
            self.queries.append(texts[0])
        else:
            self.batches += 1
            if self.gate is not None and self.batches > 1:
                self.gate.wait(60)
        out = np.full((len(texts), self.dimension), 1e-3, dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def close(self) -> None:
        if self.gate is not None:
            self.gate.set()


@pytest.fixture
def python_index(indexed_sample: Any) -> Any:
    return read_index(indexed_sample.index_path["python"])


def _ctx(home: Path, fixtures: Path, embedder: FakeEmbedder) -> ToolContext:
    settings = Settings(home=home, allowed_roots=f"{home}:{fixtures}")
    services = Services(settings)
    services.get(EMBEDDER_KEY, lambda: embedder)
    return ToolContext(tool="qdrant_search_similar", run_id="r", settings=settings,
                       services=services, roots=settings.roots)


@pytest.fixture
def small_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(sync_module, "EMBED_BATCH", 8)
    monkeypatch.setattr(sync_module, "WRITE_EVERY", 8)
    monkeypatch.setattr(tool_module, "DENSE_WAIT_S", 0.05)
    yield


def _write_facts(ctx: ToolContext, index: Any, root: Path, project: str = "shapes") -> None:
    facts_of(ctx).replace_project(project, str(root), "python", "/x.scip", index, "scip-python")


async def test_lexical_answer_while_the_model_loads(indexed_sample: Any, python_index: Any,
                                                    tmp_path: Path, small_writes: None) -> None:
    embedder = FakeEmbedder(ready=False)
    ctx = _ctx(tmp_path / "home", indexed_sample.fixtures, embedder)
    try:
        _write_facts(ctx, python_index, indexed_sample.fixtures / "python")
        ingested = await ingest_project(ctx, "shapes")
        assert ingested["lexical"]["documents"] == ingested["scheduled"] > 20
        result = await search_similar({"text": QUERY, "limit": 3}, ctx)
        assert result["mode"] == "lexical" and embedder.queries == []
        assert result["hits"][0]["payload"]["name"] == "haversine"
        assert result["hits"][0]["matched"] == {"lexical": 1} and "bm25" in result["hits"][0]
        assert result["dense"] == {"embedded": 0, "documents": ingested["scheduled"],
                                   "model": "loading", "complete": False}
        assert result["coverage"] == f"dense 0/{ingested['scheduled']}"
        assert "model is loading: lexical results only" in result["note"]
        assert fingerprint(ctx.files_read) is None  # a partial answer is never cached
    finally:
        embedder.ready.set()
        ctx.services.close()


async def test_partial_dense_never_blocks_and_fills_in(indexed_sample: Any, python_index: Any,
                                                       tmp_path: Path, small_writes: None) -> None:
    gate = threading.Event()
    embedder = FakeEmbedder(gate=gate)
    ctx = _ctx(tmp_path / "home", indexed_sample.fixtures, embedder)
    try:
        _write_facts(ctx, python_index, indexed_sample.fixtures / "python")
        total = (await ingest_project(ctx, "shapes"))["scheduled"]
        sync = sync_of(ctx)
        deadline = time.monotonic() + 60
        while sync.marker.entry("shapes").get("current", 0) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)  # the first 8 vectors are written; the worker now blocks in embed
        assert sync.busy(["shapes"]) == ["shapes"] and not gate.is_set()

        result = await search_similar({"text": QUERY, "limit": 5}, ctx)  # returns: no wait
        assert sync.busy(["shapes"]) == ["shapes"]
        assert result["mode"] == "hybrid" and result["coverage"] == f"dense 8/{total}"
        assert "still being made (dense 8/" in result["note"]
        assert "haversine" in [h["payload"]["name"] for h in result["hits"]]
        assert fingerprint(ctx.files_read) is None

        gate.set()
        sync.wait(["shapes"])
        ctx.files_read.clear()
        result = await search_similar({"text": QUERY, "limit": 5}, ctx)
        assert result["coverage"] == f"dense {total}/{total}" and result["note"] is None
        assert result["dense"]["complete"] is True
        top = next(h for h in result["hits"] if h["payload"]["name"] == "haversine")
        assert set(top["matched"]) == {"lexical", "dense"} and top["matched"]["lexical"] == 1
        assert 0 < top["similarity"] <= 1.0
        assert fingerprint(ctx.files_read) is not None  # complete: cacheable on the marker
        assert sync.store.count(SYMBOLS_COLLECTION, "shapes") == total
    finally:
        gate.set()
        ctx.services.close()


async def test_resync_touches_only_changed_documents(indexed_sample: Any, python_index: Any,
                                                     tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    ctx = _ctx(tmp_path / "home", indexed_sample.fixtures, embedder)
    try:
        root = indexed_sample.fixtures / "python"
        _write_facts(ctx, python_index, root)
        total = (await ingest_project(ctx, "shapes", wait=True))["points"]
        sync = sync_of(ctx)
        assert sync.last_sync["shapes"]["embedded"] == total

        writes: list[tuple[int, int]] = []
        original = sync.store.write

        def spy(name: str, upserts: Any, deletes: Any, **kw: Any) -> None:
            writes.append((len(upserts), len(deletes)))
            original(name, upserts, deletes, **kw)

        sync.store.write = spy  # type: ignore[method-assign]
        _write_facts(ctx, python_index, root)   # the same facts again: a new generation
        again = await ingest_project(ctx, "shapes", wait=True)
        assert again["lexical"]["rows_written"] == 0 and again["lexical"]["files_rewritten"] == 0
        assert sync.last_sync["shapes"] == {"points": total, "embedded": 0, "deleted": 0,
                                            "rewritten": 0}
        assert all(up == 0 and down == 0 for up, down in writes)

        changed = copy.deepcopy(python_index)
        area = next(s for d in changed.documents for s in d.symbols if s.display_name == "total_area")
        area.documentation = ["```python\ndef total_area(shapes)\n```", "Add up the floor the shapes cover."]
        writes.clear()
        _write_facts(ctx, changed, root)
        edited = await ingest_project(ctx, "shapes", wait=True)
        assert edited["lexical"]["files_rewritten"] == 1
        assert sync.last_sync["shapes"] == {"points": total, "embedded": 1, "deleted": 0,
                                            "rewritten": 0}
        assert sum(up for up, _ in writes) == 1
    finally:
        ctx.services.close()


def test_warm_up_loads_the_model_and_opens_the_store(tmp_path: Path) -> None:
    """scip_index_code calls warm_up before its indexer: both start in the background."""
    from toolorch.backends.vectors.ingest import warm_up
    from toolorch.backends.vectors.store import store_of

    class Recording(FakeEmbedder):
        started = 0

        def start_loading(self) -> None:
            self.started += 1

    embedder = Recording()
    ctx = _ctx(tmp_path / "home", tmp_path, embedder)
    try:
        warm_up(ctx)
        assert embedder.started == 1
        store = store_of(ctx.services)
        deadline = time.monotonic() + 60
        while store.local_opens == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.local_opens == 1
    finally:
        ctx.services.close()


async def test_index_code_warms_up_before_the_indexer_runs(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from toolorch.backends.scip import tool as scip_tool
    from toolorch.errors import BackendError

    class Recording(FakeEmbedder):
        started = 0

        def start_loading(self) -> None:
            self.started += 1

    embedder = Recording()
    ctx = _ctx(tmp_path / "home", tmp_path, embedder)
    seen: list[int] = []

    async def indexer(*args: Any, **kwargs: Any) -> Any:
        seen.append(embedder.started)  # what the indexer run sees: the model already loading
        raise BackendError("stop here")

    monkeypatch.setattr(scip_tool, "run_indexer", indexer)
    (tmp_path / "proj").mkdir()
    try:
        with pytest.raises(BackendError, match="stop here"):
            await scip_tool.index_code({"project_path": str(tmp_path / "proj"), "language": "python"}, ctx)
        assert seen == [1]
    finally:
        ctx.services.close()
