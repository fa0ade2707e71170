"""The scip_index_code tool: index a project, load its facts, hand its symbols to the vectors.

    walk the tree (files, symlinks out of the roots, fingerprint) -- unchanged? return at once
    indexer (scip-python | scip-typescript | tree-sitter Rust)  ->  <home>/indexes/<project>.scip
        files it cannot handle are left out, named in `skipped_files`, and Python ones covered
        by the outline fallback
    read_index (gaps filled)  ->  FactStore.replace_project (only changed documents rewritten)
        ->  vectors.ingest_project

The project name comes from the manifest (project.py); two roots never share one. The result's
`changes` lists the documents added, changed and removed since the previous index (also kept in
the fact store: FactStore.changes), for consumers that rewrite only those.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import anyio

from toolorch.backends.scip import coverage
from toolorch.backends.scip.project import project_name
from toolorch.backends.scip.runners import LANGUAGES, python_package, run_indexer
from toolorch.backends.scip.screen import screen_python
from toolorch.backends.scip.tree import SourceTree, walk_tree
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.errors import ToolorchError, ValidationError
from toolorch.scip.reader import read_index
from toolorch.stores.facts import FactStore, facts_of

log = logging.getLogger(__name__)
STEPS = 4
#: Changes to these make an unchanged tree index again (the fingerprint's salt).
INDEXERS = {"python": "scip-python 0.6.6", "typescript": "scip-typescript 0.4.0",
            "rust": "toolorch-rust"}
FORMAT_VERSION = "2"


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


def _identify(args: dict[str, Any], ctx: ToolContext, store: FactStore, root: Path,
              language: str) -> str:
    def known_root(name: str) -> str | None:
        row = store.project(name)
        return str(row["root"]) if row else None

    return project_name(root, language, known_root, str(args.get("project_name") or ""),
                        ctx.settings.max_manifest_bytes)


def _unchanged(store: FactStore, project: str, tree: SourceTree, index_path: Path,
               language: str) -> dict[str, Any] | None:
    """The stored result when the tree's fingerprint is the stored one and the index is there."""
    fingerprint, summary = store.state(project)
    row = store.project(project)
    if (not fingerprint or fingerprint != tree.fingerprint or row is None
            or row["index_path"] != str(index_path) or row["language"] != language
            or not index_path.is_file() or not summary):
        return None
    return summary


async def index_code(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    """scip_index_code: see the module docstring and registry/tools/01_scip_index_code.json."""
    started = time.perf_counter()
    language = str(args.get("language", "")).lower()
    if language not in LANGUAGES:
        raise ValidationError(f"unsupported language {args.get('language')!r}; "
                              f"supported: {', '.join(LANGUAGES)}", field="language")
    root = ctx.resolve_path(args["project_path"], want="dir", what="project_path")
    store = facts_of(ctx)
    project = await anyio.to_thread.run_sync(_identify, args, ctx, store, root, language)
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
    tree = await anyio.to_thread.run_sync(
        walk_tree, root, language, ctx.roots, f"{INDEXERS[language]} {FORMAT_VERSION}")
    timings["walk"] = time.perf_counter() - t0
    ctx.record_input(Dataset.file(root))
    ctx.record_output(Dataset.file(index_path))
    ctx.record_output(Dataset.store(f"facts/{project}"))
    previous = await anyio.to_thread.run_sync(_unchanged, store, project, tree, index_path,
                                              language)
    if previous is not None:
        await ctx.report_progress(STEPS, STEPS, "unchanged since the last index")
        return {**previous, "unchanged": True,
                "facts": {"changes": {"added": [], "changed": [], "removed": [],
                                      "unchanged": previous["counts"]["documents"]}},
                "vectors": {"status": "unchanged"}, "timings_s": {"walk": round(timings["walk"], 4)},
                "elapsed_s": round(time.perf_counter() - started, 4)}

    t0 = time.perf_counter()
    exclude = dict.fromkeys(tree.escaping, "symlink out of the allowed roots")
    if language == "python":
        exclude.update(await anyio.to_thread.run_sync(screen_python, root, tree.files))
    outcome = await run_indexer(language, root, index_path, ctx.settings.node_bin,
                                ctx.settings.indexer_timeout_s, exclude=exclude,
                                stage=ctx.data_path("staging", f"{project}.{os.getpid()}.stage"))
    timings["indexer"] = time.perf_counter() - t0

    await ctx.report_progress(1, STEPS, "reading the SCIP index")
    t0 = time.perf_counter()
    index = await anyio.to_thread.run_sync(
        lambda: read_index(index_path, max_bytes=ctx.settings.max_index_bytes,
                           project_root=root.as_uri()))
    skipped = [{"path": p, "reason": r} for p, r in sorted(outcome.skipped.items())
               if p not in tree.escaping]
    skipped += tree.skipped()
    escaping = coverage.escaping_documents(index, root, ctx.roots)
    if escaping:
        await anyio.to_thread.run_sync(coverage.drop_documents, index, set(escaping), index_path)
        skipped += [{"path": p, "reason": r} for p, r in sorted(escaping.items())]
    fallback: list[str] = []
    covered = [p for p in outcome.skipped if p not in tree.escaping]
    if language == "python" and (covered or outcome.staged):
        package, version = python_package(root, ctx.settings.max_manifest_bytes)
        docs = coverage.python_fallback(root, covered, package, version)
        await anyio.to_thread.run_sync(coverage.append_to_index, index_path, index, docs,
                                       root.as_uri())
        fallback = [d.relative_path for d in docs]
    timings["read"] = time.perf_counter() - t0

    await ctx.report_progress(2, STEPS, "loading facts")
    t0 = time.perf_counter()
    indexer_label = f"{index.tool_name} {index.tool_version}".strip()
    summary: dict[str, Any] = {
        "scip_index_path": str(index_path), "project_name": project, "language": language,
        "project_root": str(root), "counts": index.counts(),
        "indexer": {"name": index.tool_name or outcome.name, "version": index.tool_version},
        "skipped_files": skipped, "fallback": {"tool": "toolorch-python-outline",
                                               "files": fallback} if fallback else None,
        "notes": outcome.notes,
    }
    facts = await anyio.to_thread.run_sync(
        lambda: store.replace_project(project, str(root), language, str(index_path), index,
                                      indexer_label, tree.fingerprint, summary))
    timings["facts"] = time.perf_counter() - t0
    index.documents.clear()

    await ctx.report_progress(3, STEPS, "embedding symbols")
    t0 = time.perf_counter()
    vectors = await _ingest_vectors(ctx, project)
    timings["vectors"] = time.perf_counter() - t0
    await ctx.report_progress(STEPS, STEPS, "done")
    return {**summary, "unchanged": False, "facts": facts, "vectors": vectors,
            "timings_s": {k: round(v, 4) for k, v in timings.items()},
            "elapsed_s": round(time.perf_counter() - started, 4)}

