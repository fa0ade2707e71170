"""qdrant_search_similar: hybrid search over code symbols (lexical BM25 + dense MiniLM, fused).

On `code_symbols` a search never waits for embedding: the lexical index is complete when
scip_index_code returns, the dense vectors fill in behind it, and the result says how far
(`coverage`: "dense 1,200/3,543"). The embedding model is loaded in the background; a search
waits for it at most DENSE_WAIT_S and otherwise answers lexically, saying so. Any other
collection is plain dense search (it has no lexical side).
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.from_thread

from toolorch.backends.vectors.embedder import embedder_of
from toolorch.backends.vectors.fusion import DENSE_WEIGHT, LEXICAL_WEIGHT, RRF_K, coverage_text, fuse
from toolorch.backends.vectors.ingest import progress_from_thread, refresh_lexical, sync_of
from toolorch.backends.vectors.lexical import lexical_of
from toolorch.backends.vectors.store import SYMBOLS_COLLECTION, point_id, store_of
from toolorch.backends.vectors.texts import public_payload
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.core.stamps import stamp
from toolorch.errors import BackendError, ValidationError

#: The longest a search waits for the embedding model before answering lexically.
DENSE_WAIT_S = 1.0
#: Candidates taken from each ranking before fusion (at least, and per requested hit).
POOL_MIN, POOL_PER_HIT = 50, 4
#: Never exists: reading it makes a partial answer (model loading, vectors still being made)
#: uncacheable, since the engine caches only results whose files can all be fingerprinted.
_UNCACHEABLE = ".partial-results-are-not-cached"


def dense_weight(embedded: int, total: int) -> float:
    """The dense ranking's fusion weight, scaled by its coverage: while only part of the
    documents have vectors, the dense ranking cannot rank the others, and must not push the
    lexical ranking's best matches out of the results."""
    return DENSE_WEIGHT * (min(embedded, total) / total if total else 1.0)


def _dense_id(payload: dict[str, Any]) -> str:
    return point_id(str(payload.get("project")), str(payload.get("key") or payload.get("symbol")))


async def search_similar(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    """See the module docstring and registry/tools/05_qdrant_search_similar.json."""
    text = str(args.get("text") or "").strip()
    if not text:
        raise ValidationError("text must contain something to look for", field="text")
    collection = str(args.get("collection") or SYMBOLS_COLLECTION)
    limit = max(1, min(int(args.get("limit") or 5), ctx.settings.max_rows))
    if collection == SYMBOLS_COLLECTION:
        return await _search_symbols(text, limit, ctx)
    return await _search_collection(text, collection, limit, ctx)


async def _search_symbols(text: str, limit: int, ctx: ToolContext) -> dict[str, Any]:
    report = progress_from_thread(ctx)
    pool = max(POOL_MIN, POOL_PER_HIT * limit)

    def waiting(seconds: float, message: str) -> None:
        report(0.0, None, message)

    def run() -> dict[str, Any]:
        sync = sync_of(ctx)
        lexical = lexical_of(ctx.services)
        refresh_lexical(sync.facts, lexical)
        scheduled = sync.schedule_stale()
        documents = {p: int(e["documents"] or 0) for p, e in lexical.projects().items()}
        # stamped before searching: a sync landing meanwhile must invalidate the cache entry
        marker = stamp(sync.marker.ensure()) or sync.marker.path
        lexical_hits = lexical.search(text, pool)
        dense: list[tuple[float, dict[str, Any]]] = []
        model = "loaded" if sync.embedder.wait_loaded(DENSE_WAIT_S) else sync.embedder.state
        exists = SYMBOLS_COLLECTION in sync.store.collections(waiting)
        if not documents and not exists:
            raise BackendError(f"collection {SYMBOLS_COLLECTION!r} does not exist in "
                               f"{sync.store.where} (it is filled by scip_index_code: index a "
                               "project first); existing collections: none")
        if model == "loaded" and exists:
            vector = sync.embedder.embed([text])[0]
            dense = [(score, p) for score, p in
                     sync.store.search(SYMBOLS_COLLECTION, vector.tolist(), pool, waiting)
                     if p.get("project") in documents]  # not of a project dropped meanwhile
        return {"lexical": lexical_hits, "dense": dense, "model": model, "marker": marker,
                "coverage": sync.coverage(documents), "scheduled": scheduled}

    found = await anyio.to_thread.run_sync(run)
    embedded = sum(e for e, _ in found["coverage"].values())
    total = sum(t for _, t in found["coverage"].values())
    similarity = {_dense_id(p): s for s, p in found["dense"]}
    bm25 = {h.id: h.score for h in found["lexical"]}
    fused = fuse({"lexical": [(h.id, h.payload) for h in found["lexical"]],
                  "dense": [(_dense_id(p), p) for _, p in found["dense"]]},
                 {"lexical": LEXICAL_WEIGHT, "dense": dense_weight(embedded, total)}, RRF_K, limit)
    dense_on = found["model"] == "loaded"
    mode = "hybrid" if dense_on else "lexical"
    notes = []
    if not dense_on and found["model"].startswith("failed"):
        notes.append(f"the embedding model could not be loaded ({found['model']}): lexical "
                     "results only")
    elif not dense_on:
        notes.append(f"the embedding model is {found['model']}: lexical results only; dense "
                     "results join in once it is loaded (seconds)")
    elif embedded < total:
        notes.append(f"dense vectors are still being made ({coverage_text(embedded, total)}); "
                     "symbols without one are found lexically")
    ctx.record_input(Dataset.store(f"vectors/{SYMBOLS_COLLECTION}"))
    ctx.record_read(found["marker"])  # a FileStamp taken at read time (the engine cache accepts both)
    if notes:
        ctx.record_read(ctx.settings.home / "vectors" / _UNCACHEABLE)
    hits = []
    for f in fused:
        hit: dict[str, Any] = {"score": round(f.score, 6), "payload": public_payload(f.payload),
                               "matched": dict(f.ranks)}
        if f.id in similarity:
            hit["similarity"] = round(similarity[f.id], 6)
        if f.id in bm25:
            hit["bm25"] = round(bm25[f.id], 4)
        hits.append(hit)
    return {
        "hits": hits, "collection": SYMBOLS_COLLECTION, "count": len(hits), "mode": mode,
        "coverage": coverage_text(embedded, total),
        "dense": {"embedded": embedded, "documents": total, "model": found["model"],
                  "complete": dense_on and embedded >= total},
        "note": "; ".join(notes) if notes else None,
        "synced_projects": found["scheduled"],
    }


async def _search_collection(text: str, collection: str, limit: int,
                             ctx: ToolContext) -> dict[str, Any]:
    """Dense search of any other 384-d collection (waits for the model: no lexical fallback)."""
    report = progress_from_thread(ctx)
    store = store_of(ctx.services)

    def waiting(seconds: float, message: str) -> None:
        report(0.0, None, message)

    def run() -> tuple[list[tuple[float, dict[str, Any]]], Any]:
        sync = sync_of(ctx)
        marker = stamp(sync.marker.ensure()) or sync.marker.path
        existing = store.collections(waiting)
        if collection not in existing:
            raise BackendError(
                f"collection {collection!r} does not exist in {store.where}; existing "
                f"collections: {', '.join(existing) if existing else 'none'}")
        vector = embedder_of(ctx.services).embed([text])[0]
        return store.search(collection, vector.tolist(), limit, waiting), marker

    hits, marker = await anyio.to_thread.run_sync(run)
    ctx.record_input(Dataset.store(f"vectors/{collection}"))
    ctx.record_read(marker)
    return {"hits": [{"score": round(score, 6), "similarity": round(score, 6),
                      "payload": public_payload(payload)} for score, payload in hits],
            "collection": collection, "count": len(hits), "mode": "dense",
            "synced_projects": []}
