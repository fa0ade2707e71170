"""The scip_index_code tool: index a project, load its facts, hand its symbols to the vectors.

    indexer (scip-python | scip-typescript | tree-sitter Rust)  ->  <home>/indexes/<project>.scip
    read_index (gaps filled)  ->  FactStore.replace_project  ->  vectors.ingest_project

The project name is the sanitized directory name; re-indexing a project replaces its facts and
leaves every other project's untouched.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import anyio

from toolorch.backends.scip.runners import LANGUAGES, run_indexer, sanitize_name
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.errors import ToolorchError, ValidationError
from toolorch.scip.reader import read_index
from toolorch.stores.facts import facts_of

log = logging.getLogger(__name__)
STEPS = 4


async def _ingest_vectors(ctx: ToolContext, project: str) -> dict[str, Any]:
    """Hand the project's symbols to the vector backend. Facts stay valid if this fails, so a
    failure is reported in the result rather than raised."""
    try:
        from toolorch.backends.vectors.ingest import ingest_project
    except ModuleNotFoundError as exc:
        if exc.name != "toolorch.backends.vectors.ingest":
            raise
        log.warning("vector ingestion is not available: %s", exc)
        return {"status": "unavailable", "error": "toolorch.backends.vectors.ingest is missing"}
    try:
        result = await ingest_project(ctx, project)
    except ToolorchError as exc:
        log.warning("vector ingestion of %s failed: %s", project, exc.message)
        return {"status": "failed", "error": exc.message}
    return dict(result) if isinstance(result, dict) else {"status": "done", "result": result}


async def index_code(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    """scip_index_code: see the module docstring and registry/tools/01_scip_index_code.json."""
    started = time.perf_counter()
    language = str(args.get("language", "")).lower()
    if language not in LANGUAGES:
        raise ValidationError(f"unsupported language {args.get('language')!r}; "
                              f"supported: {', '.join(LANGUAGES)}", field="language")
    root = ctx.resolve_path(args["project_path"], want="dir", what="project_path")
    project = sanitize_name(root.name)
    output_name = args.get("output_name") or f"{project}.scip"
    if "/" in output_name or output_name in (".", ".."):
        raise ValidationError(f"output_name {output_name!r} must be a plain file name",
                              field="output_name")
    index_path: Path = ctx.data_path("indexes", output_name)
    timings: dict[str, float] = {}

    await ctx.report_progress(0, STEPS, f"indexing {project} ({language})")
    # --- search hook (vectors/ingest.py, issue 11): the embedding model loads while the indexer runs
    from toolorch.backends.vectors.ingest import warm_up
    warm_up(ctx)
    # --- end of the search hook
    t0 = time.perf_counter()
    indexer_name, _argv = await run_indexer(language, root, index_path, ctx.settings.node_bin)
    timings["indexer"] = time.perf_counter() - t0

    await ctx.report_progress(1, STEPS, "reading the SCIP index")
    t0 = time.perf_counter()
    index = await anyio.to_thread.run_sync(read_index, index_path)
    timings["read"] = time.perf_counter() - t0

    await ctx.report_progress(2, STEPS, "loading facts")
    t0 = time.perf_counter()
    store = facts_of(ctx)
    indexer_label = f"{index.tool_name} {index.tool_version}".strip()
    facts = await anyio.to_thread.run_sync(
        store.replace_project, project, str(root), language, str(index_path), index, indexer_label)
    timings["facts"] = time.perf_counter() - t0
    ctx.record_input(Dataset.file(root))
    ctx.record_output(Dataset.file(index_path))
    ctx.record_output(Dataset.store(f"facts/{project}"))

    await ctx.report_progress(3, STEPS, "embedding symbols")
    t0 = time.perf_counter()
    vectors = await _ingest_vectors(ctx, project)
    timings["vectors"] = time.perf_counter() - t0
    await ctx.report_progress(STEPS, STEPS, "done")

    return {
        "scip_index_path": str(index_path),
        "project_name": project,
        "language": language,
        "project_root": str(root),
        "counts": index.counts(),
        "indexer": {"name": index.tool_name or indexer_name, "version": index.tool_version},
        "facts": facts,
        "vectors": vectors,
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
        "elapsed_s": round(time.perf_counter() - started, 4),
    }
