"""What scip_index_code calls after writing facts: the lexical index now, the vectors later.

`ingest_project` writes the project's lexical index (FTS5, a fraction of a second; only files
whose documents changed are rewritten), starts loading the embedding model in the background if
it is not loaded, and schedules the dense vectors in the process's background `VectorSync`
worker (sync.py). So a search right after indexing has every symbol lexically, and the dense
half fills in. Pass `wait=True` to block until the points are in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread

from toolorch.backends.vectors.embedder import embedder_of
from toolorch.backends.vectors.lexical import LexicalIndex, lexical_of
from toolorch.backends.vectors.store import SYMBOLS_COLLECTION, store_of
from toolorch.backends.vectors.sync import SERVICE_KEY, VectorSync, project_documents
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.errors import BackendError
from toolorch.stores.facts import FactStore, facts_of

log = logging.getLogger(__name__)


def sync_of(ctx: ToolContext) -> VectorSync:
    """The process's VectorSync (its fact store, vector store and embedder are registered in the
    services first, so they are closed after it)."""
    facts = facts_of(ctx)
    store = store_of(ctx.services)
    embedder = embedder_of(ctx.services)
    return ctx.services.get(SERVICE_KEY, lambda: VectorSync(facts, store, embedder))


def progress_from_thread(ctx: ToolContext) -> Callable[[float, float | None, str], None]:
    """A progress callback for worker threads that forwards to ctx.report_progress."""
    def report(done: float, total: float | None, message: str) -> None:
        async def send() -> None:
            await ctx.report_progress(done, total, message)
        anyio.from_thread.run(send)
    return report


def warm_up(ctx: ToolContext) -> None:
    """Start loading the embedding model and opening the vector store in the background (returns
    at once): scip_index_code calls this before running the indexer, so both are ready when it
    returns and the first search has its dense half at once (issue 14: it waited 12.75 s for the
    model; importing qdrant-client and opening local mode cost a first search ≈ 2 s more)."""
    embedder_of(ctx.services).start_loading()
    store = store_of(ctx.services)

    def open_store() -> None:
        try:
            store.collections()
        except Exception as exc:  # the search that needs it reports the error
            log.debug("warming up %s failed: %s", store.where, exc)

    threading.Thread(target=open_store, name="vector-store-warm-up", daemon=True).start()


def write_lexical(facts: FactStore, lexical: LexicalIndex, project: str) -> dict[str, Any]:
    """Bring `project`'s lexical rows to its current facts (dropped when it left the facts)."""
    started = time.perf_counter()
    generation, docs = project_documents(facts, project)
    if generation is None:
        lexical.delete_project(project)
        return {"project": project, "documents": 0, "deleted": True}
    stats = lexical.write_project(project, generation, docs)
    return {**stats, "generation": generation, "seconds": round(time.perf_counter() - started, 4)}


def refresh_lexical(facts: FactStore, lexical: LexicalIndex) -> list[str]:
    """Rewrite the lexical rows of projects whose facts changed since (written by a process
    that did not write them, or before this index existed); returns those projects."""
    current = {p["name"]: p.get("generation") for p in facts.projects()}
    indexed = {name: e["generation"] for name, e in lexical.projects().items()}
    stale = sorted(n for n in set(current) | set(indexed) if current.get(n) != indexed.get(n))
    for project in stale:
        write_lexical(facts, lexical, project)
    return stale


async def ingest_project(ctx: ToolContext, project: str, *, wait: bool = False) -> dict[str, Any]:
    """Write `project`'s lexical index and schedule (re)embedding its documents into
    code_symbols; previous points are replaced (vanished ones deleted, changed ones rewritten,
    other projects untouched). Returns {scheduled: documents, project, generation, collection,
    background, lexical: {...}}; with wait=True also {points, synced_generation}."""

    def schedule() -> tuple[VectorSync, dict[str, Any]]:
        sync = sync_of(ctx)
        sync.embedder.start_loading()  # the model reads while the lexical rows are written
        lexical = write_lexical(sync.facts, lexical_of(ctx.services), project)
        if lexical.get("deleted"):
            raise BackendError(f"project {project!r} is not in the fact store; index it with "
                               "scip_index_code first")
        sync.marker.scheduled(project, lexical["generation"])
        sync.schedule([project])
        return sync, lexical

    sync, lexical = await anyio.to_thread.run_sync(schedule)
    ctx.record_output(Dataset.store(f"vectors/{SYMBOLS_COLLECTION}"))
    result: dict[str, Any] = {"scheduled": lexical["documents"], "project": project,
                              "generation": lexical["generation"],
                              "collection": SYMBOLS_COLLECTION, "background": not wait,
                              "lexical": lexical}
    if wait:
        report = progress_from_thread(ctx)
        await anyio.to_thread.run_sync(
            lambda: sync.wait([project], report, anyio.from_thread.check_cancelled))
        entry = sync.marker.entry(project)
        result["points"] = int(entry.get("points") or 0)
        result["synced_generation"] = entry.get("generation")
    return result
