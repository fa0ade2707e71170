"""Filling `code_symbols` from the fact store: what scip_index_code calls after writing facts.

`ingest_project` only schedules the work (a few milliseconds: it counts the symbols and marks
the generation as scheduled); the embedding runs in the process's background `VectorSync`
worker (sync.py), and every search waits for the projects still being synced, so a search
right after indexing sees the new symbols. Pass `wait=True` to block until the points are in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread

from toolorch.backends.vectors.embedder import embedder_of
from toolorch.backends.vectors.store import SYMBOLS_COLLECTION, store_of
from toolorch.backends.vectors.sync import SERVICE_KEY, VectorSync, read_project
from toolorch.backends.vectors.texts import embeddable
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.errors import BackendError
from toolorch.stores.facts import facts_of


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


async def ingest_project(ctx: ToolContext, project: str, *, wait: bool = False) -> dict[str, Any]:
    """Schedule (re)embedding `project`'s symbols into code_symbols; its previous points are
    replaced (points of vanished symbols deleted, changed ones rewritten, other projects
    untouched). Returns {scheduled: symbols to embed, project, generation, collection,
    background}; with wait=True also {points, embedded} once they are stored."""

    def schedule() -> tuple[VectorSync, int, int]:
        sync = sync_of(ctx)
        generation, rows = read_project(sync.facts, project)
        if generation is None:
            raise BackendError(f"project {project!r} is not in the fact store; index it with "
                               "scip_index_code first")
        sync.marker.scheduled(project, generation)
        sync.schedule([project])
        return sync, generation, sum(1 for r in rows if embeddable(r))

    sync, generation, count = await anyio.to_thread.run_sync(schedule)
    ctx.record_output(Dataset.store(f"vectors/{SYMBOLS_COLLECTION}"))
    result: dict[str, Any] = {"scheduled": count, "project": project, "generation": generation,
                              "collection": SYMBOLS_COLLECTION, "background": not wait}
    if wait:
        report = progress_from_thread(ctx)
        await anyio.to_thread.run_sync(
            lambda: sync.wait([project], report, anyio.from_thread.check_cancelled))
        entry = sync.marker.entry(project)
        result["points"] = int(entry.get("points") or 0)
        result["synced_generation"] = entry.get("generation")
    return result
