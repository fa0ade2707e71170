"""`toolorch bench search speed`: time to first search, time to full dense coverage, embedding
throughput against the model's FLOP bound on this machine, and the cost of re-indexing.

On one real project (a PyPI sdist, whole; default werkzeug 3.1.9), in a fresh data dir:

1. scip_index_code, as an agent calls it (indexer time = the tool's own `timings_s.indexer`);
2. the first qdrant_search_similar right after it returns (its latency, mode and coverage);
3. the time from the index returning to full dense coverage, as a multiple of the indexer time
   (goal of issue 11: ≤ 1×);
4. re-indexing the unchanged tree, then after appending a function to one file: lexical files
   rewritten and symbols re-embedded (goal: nothing, then one file's worth);
5. encoder throughput on the project's own document texts for fp32 / bf16 × 1 / 2 threads, and
   the bound: (peak matrix-multiply FLOP/s measured here at the model's shapes and the same
   precision and threads) / (FLOPs per text from its token count). Throughput / bound is the
   fraction of the machine's limit the encoder reaches.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from toolorch.bench.search.projects import download, unpack

GEMM_SHAPES = ((4096, 384, 1536), (4096, 1536, 384), (4096, 384, 1152))


def gemm_peak(dtype_name: str, threads: int, seconds: float = 2.0) -> float:
    """FLOP/s of the encoder's big matrix products (batch of 4,096 tokens) at `dtype_name`."""
    import torch

    torch.set_num_threads(threads)
    dtype = torch.bfloat16 if dtype_name == "bf16" else torch.float32
    best = 0.0
    for m, k, n in GEMM_SHAPES:
        a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
        for _ in range(3):
            a @ b
        count, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds / len(GEMM_SHAPES):
            a @ b
            count += 1
        best = max(best, 2.0 * m * k * n * count / (time.perf_counter() - t0))
    return best


def encoder_throughput(texts: list[str], precision: str, threads: int,
                       seconds: float) -> dict[str, Any]:
    import torch

    from toolorch.backends.vectors.embedder import model_dir
    from toolorch.backends.vectors.minilm import MiniLM

    torch.set_num_threads(threads)
    model = MiniLM(model_dir(), precision)
    model.encode(texts[:64], batch_size=64)  # warm the kernels
    done, flops, t0 = 0, 0.0, time.perf_counter()
    while time.perf_counter() - t0 < seconds and done < len(texts):
        chunk = texts[done:done + 512]
        model.encode(chunk, batch_size=64)
        flops += sum(model.flops_per_text(n) for n in model.token_counts(chunk))
        done += len(chunk)
    elapsed = time.perf_counter() - t0
    peak = gemm_peak(precision, threads)
    per_text = flops / done
    rate = done / elapsed
    bound = peak / per_text
    return {"precision": precision, "threads": threads, "texts": done,
            "symbols_per_s": round(rate, 1), "achieved_gflop_s": round(flops / elapsed / 1e9, 1),
            "peak_gemm_gflop_s": round(peak / 1e9, 1), "mflop_per_symbol": round(per_text / 1e6, 1),
            "bound_symbols_per_s": round(bound, 1), "fraction_of_bound": round(rate / bound, 3)}


def run(spec: str, cache: Path, seconds: float = 20.0) -> dict[str, Any]:
    import anyio

    from toolorch.backends.scip.tool import index_code
    from toolorch.backends.vectors.ingest import sync_of
    from toolorch.backends.vectors.sync import project_documents
    from toolorch.backends.vectors.texts import symbol_text
    from toolorch.backends.vectors.tool import search_similar
    from toolorch.bench.index import count_lines
    from toolorch.config import Settings
    from toolorch.core.context import ToolContext
    from toolorch.core.services import Services

    root = unpack(download(spec, cache / "sdists"), cache / "src")
    home = cache / f"speed-home-{time.time_ns()}"
    settings = Settings(home=home, allowed_roots=str(root.parent))
    services = Services(settings)
    ctx = ToolContext(tool="bench", run_id="speed", settings=settings, services=services,
                      roots=settings.roots)
    files, lines = count_lines(root, ".py")
    out: dict[str, Any] = {"project": spec, "files": files, "lines": lines}

    async def index() -> dict[str, Any]:
        return await index_code({"project_path": str(root), "language": "python"}, ctx)

    async def search(text: str) -> tuple[float, dict[str, Any]]:
        t0 = time.perf_counter()
        result = await search_similar({"text": text, "limit": 5}, ctx)
        return time.perf_counter() - t0, result

    try:
        t0 = time.perf_counter()
        first = anyio.run(index)
        returned = time.perf_counter()
        took, answer = anyio.run(search, "parse the query string of a URL into a dict")
        project = first["project_name"]
        sync = sync_of(ctx)
        out["index"] = {"wall_s": round(returned - t0, 2), "timings_s": first["timings_s"],
                        "documents": first["vectors"]["scheduled"],
                        "lexical_s": first["vectors"]["lexical"]["seconds"]}
        out["first_search"] = {"latency_s": round(took, 3), "mode": answer["mode"],
                               "coverage": answer["coverage"], "note": answer["note"],
                               "top": [h["payload"]["name"] for h in answer["hits"]]}
        sync.wait([project])
        covered = time.perf_counter() - returned
        indexer = first["timings_s"]["indexer"]
        out["full_dense_coverage"] = {
            "seconds_after_index_returned": round(covered, 2), "indexer_s": indexer,
            "ratio_to_indexer": round(covered / indexer, 3),
            "model_load_s": round(sync.embedder.load_seconds or 0.0, 2),
            "symbols_per_s": round(first["vectors"]["scheduled"] / covered, 1)}
        took, answer = anyio.run(search, "parse the query string of a URL into a dict")
        out["search_after_coverage"] = {"latency_s": round(took, 3), "mode": answer["mode"],
                                        "coverage": answer["coverage"],
                                        "top": [h["payload"]["name"] for h in answer["hits"]]}
        out["reindex_unchanged"] = _reindex(index, sync, project)
        victim = next(p for p in sorted(root.rglob("*.py")) if "test" not in p.name)
        original = victim.read_text()
        victim.write_text(original + "\n\ndef added_for_the_benchmark(x):\n    return x * 2\n")
        try:
            out["reindex_one_file_edited"] = {"file": str(victim.relative_to(root)),
                                              **_reindex(index, sync, project)}
        finally:
            victim.write_text(original)
        _, docs = project_documents(sync.facts, project)
        texts = [symbol_text(d) for d in docs]
    finally:
        services.close()
    out["encoder"] = [encoder_throughput(texts, p, t, seconds)
                      for p in ("fp32", "bf16") for t in (1, 2)]
    return out


def _reindex(index: Any, sync: Any, project: str) -> dict[str, Any]:
    import anyio

    t0 = time.perf_counter()
    result = anyio.run(index)
    sync.wait([project])
    return {"wall_s": round(time.perf_counter() - t0, 2), "indexer_s": result["timings_s"]["indexer"],
            "ingest_s": result["timings_s"]["vectors"],
            "lexical": {k: result["vectors"]["lexical"][k]
                        for k in ("files", "files_rewritten", "files_deleted", "rows_written")},
            "dense": sync.last_sync.get(project, {})}
