"""qdrant_search_similar: the symbols (or any 384-d collection's points) closest to a text."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.from_thread

from toolorch.backends.vectors.embedder import embedder_of
from toolorch.backends.vectors.ingest import progress_from_thread, sync_of
from toolorch.backends.vectors.store import SYMBOLS_COLLECTION, store_of
from toolorch.backends.vectors.texts import public_payload
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.core.stamps import stamp
from toolorch.errors import BackendError, ValidationError


async def search_similar(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    """Embed `text` with all-MiniLM-L6-v2 and return the `limit` nearest points (cosine).

    On `code_symbols`, projects re-indexed since their last sync (here or in another server
    process) are embedded first, with progress reported, so no symbol is silently missing."""
    text = str(args.get("text") or "").strip()
    if not text:
        raise ValidationError("text must contain something to look for", field="text")
    collection = str(args.get("collection") or SYMBOLS_COLLECTION)
    limit = max(1, min(int(args.get("limit") or 5), ctx.settings.max_rows))
    report = progress_from_thread(ctx)
    store = store_of(ctx.services)

    def waiting(seconds: float, message: str) -> None:
        report(0.0, None, message)

    def run() -> tuple[list[tuple[float, dict[str, Any]]], list[str], Any]:
        synced: list[str] = []
        sync = sync_of(ctx)
        if collection == SYMBOLS_COLLECTION:
            synced = sync.ensure_fresh(report, anyio.from_thread.check_cancelled)
        # stamped now, before searching: a sync landing meanwhile must invalidate the cache entry
        marker = stamp(sync.marker.ensure()) or sync.marker.path
        existing = store.collections(waiting)
        if collection not in existing:
            hint = (" (it is filled by scip_index_code: index a project first)"
                    if collection == SYMBOLS_COLLECTION else "")
            raise BackendError(
                f"collection {collection!r} does not exist in {store.where}{hint}; existing "
                f"collections: {', '.join(existing) if existing else 'none'}")
        vector = embedder_of(ctx.services).embed([text])[0]
        return store.search(collection, vector.tolist(), limit, waiting), synced, marker

    hits, synced, marker = await anyio.to_thread.run_sync(run)
    ctx.record_input(Dataset.store(f"vectors/{collection}"))
    ctx.record_read(marker)  # a FileStamp taken at read time (the engine cache accepts both)
    return {
        "hits": [{"score": round(score, 6), "payload": public_payload(payload)}
                 for score, payload in hits],
        "collection": collection,
        "count": len(hits),
        "synced_projects": synced,
    }
