"""`toolorch bench search quality`: self-supervised search quality on real projects.

For each project (PyPI sdists, see projects.py): every function's docstring is blanked out, the
copy is indexed with the real scip_index_code, and each docstring's summary is a query whose
answer is its function. Measured, over all queries (each searching its own project):

- lexical: the FTS5/BM25 index exactly as qdrant_search_similar uses it;
- dense, for several embedded-text recipes (signature with or without pyright's `# -> …`
  comments, with or without a body digest), by exact cosine over every search document (what
  Qdrant returns, without its storage in the way);
- hybrid: weighted reciprocal rank fusion of lexical and the default recipe, with the shipped
  defaults, plus a sweep of (k, lexical weight) tuned on half the queries and reported on the
  other half (so the chosen defaults are not measured on the queries that chose them).

MRR@10, recall@1/5/10. The queries, the stripped copies and the index live under --cache
(default `.cache/bench-search/`), never in the repository.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from toolorch.backends.vectors.fusion import DENSE_WEIGHT, LEXICAL_WEIGHT, RRF_K, fuse
from toolorch.backends.vectors.texts import DEFAULT_RECIPE, Recipe, symbol_text
from toolorch.bench.search.projects import Project, prepare

log = logging.getLogger(__name__)

POOL = 50
RECIPES = (
    Recipe(clean_signature=False, body_chars=0),   # what toolorch embedded before issue 11
    Recipe(clean_signature=True, body_chars=0),
    Recipe(clean_signature=True, body_chars=200),
    Recipe(clean_signature=False, body_chars=200),  # the default
    Recipe(clean_signature=False, body_chars=400),
)
SWEEP_K = (2.0, 5.0, 10.0, 20.0, 60.0)
SWEEP_LEXICAL = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0)

Ranking = list[str]   # point-id-like document keys, best first


def metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    """MRR@10 and recall@1/5/10 of 1-based gold ranks (None: not retrieved)."""
    n = len(ranks)
    if n == 0:
        return {"n": 0, "mrr@10": 0.0, "r@1": 0.0, "r@5": 0.0, "r@10": 0.0}
    def recall(k: int) -> float:
        return round(sum(1 for r in ranks if r is not None and r <= k) / n, 4)
    mrr = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    return {"n": n, "mrr@10": round(mrr, 4), "r@1": recall(1), "r@5": recall(5), "r@10": recall(10)}


def rank_of(gold: str, ranking: Ranking) -> int | None:
    try:
        return ranking.index(gold) + 1
    except ValueError:
        return None


def index_projects(projects: list[Project], home: Path) -> dict[str, dict[str, Any]]:
    """Index every stripped copy with the real scip_index_code (the background embedding is
    stopped when the services close: this benchmark embeds by itself)."""
    import anyio

    from toolorch.backends.scip.tool import index_code
    from toolorch.config import Settings
    from toolorch.core.context import ToolContext
    from toolorch.core.services import Services

    roots = ":".join(str(p.root.parent) for p in projects)
    settings = Settings(home=home, allowed_roots=roots)
    services = Services(settings)
    results: dict[str, dict[str, Any]] = {}
    try:
        for project in projects:
            ctx = ToolContext(tool="scip_index_code", run_id=f"bench-{project.name}",
                              settings=settings, services=services, roots=settings.roots)
            started = time.perf_counter()
            result = anyio.run(index_code, {"project_path": str(project.root), "language": "python"}, ctx)
            result["wall_s"] = round(time.perf_counter() - started, 2)
            results[project.name] = result
            log.warning("indexed %s: %d lines in %.1fs", project.name, project.lines, result["wall_s"])
    finally:
        services.close()
    return results


def run(specs: Sequence[str], cache: Path, precision: str = "auto",
        recipes: Sequence[Recipe] = RECIPES) -> dict[str, Any]:
    from toolorch.backends.vectors.embedder import Embedder
    from toolorch.backends.vectors.lexical import LexicalIndex
    from toolorch.backends.vectors.sync import project_documents
    from toolorch.stores.facts import FactStore

    projects = [prepare(spec, cache) for spec in specs]
    home = cache / "home"
    indexed = index_projects(projects, home)
    facts = FactStore(home / "facts.sqlite")
    lexical = LexicalIndex(home / "vectors" / "lexical.sqlite")
    embedder = Embedder(precision=precision)

    all_queries: list[tuple[str, str, str]] = []   # (project name in the store, query, gold key)
    docs_of: dict[str, list[Any]] = {}
    summary: dict[str, Any] = {}
    for project in projects:
        name = indexed[project.name]["project_name"]
        _, docs = project_documents(facts, name)
        docs_of[name] = docs
        where = {(d.path, d.line): d.key for d in docs}
        found = [(name, q.text, where[(q.path, q.line)]) for q in project.queries
                 if (q.path, q.line) in where]
        all_queries += found
        summary[project.name] = {"version": project.version, "files": project.files,
                                 "lines": project.lines, "documents": len(docs),
                                 "queries": len(found),
                                 "queries_without_a_document": len(project.queries) - len(found),
                                 "skipped": project.skipped,
                                 "index_s": indexed[project.name]["wall_s"]}

    lexical_rankings = [[h.payload["key"] for h in lexical.search(q, POOL, projects=[p])]
                        for p, q, _ in all_queries]
    query_vectors = embedder.embed([q for _, q, _ in all_queries])
    results: dict[str, Any] = {"lexical": metrics([rank_of(g, r) for (_, _, g), r
                                                   in zip(all_queries, lexical_rankings)])}
    dense_rankings: dict[str, list[Ranking]] = {}
    embedded_texts, embed_seconds = 0, 0.0
    for recipe in recipes:
        rankings: list[Ranking] = [[] for _ in all_queries]
        for name, docs in docs_of.items():
            t0 = time.perf_counter()
            matrix = embedder.embed([symbol_text(d, recipe) for d in docs])
            embed_seconds += time.perf_counter() - t0
            embedded_texts += len(docs)
            rows = [i for i, (p, _, _) in enumerate(all_queries) if p == name]
            if not rows:
                continue
            scores = query_vectors[rows] @ matrix.T
            top = np.argsort(-scores, axis=1)[:, :POOL]
            for row, order in zip(rows, top):
                rankings[row] = [docs[j].key for j in order]
        dense_rankings[recipe.label] = rankings
        results[f"dense ({recipe.label})"] = metrics(
            [rank_of(g, r) for (_, _, g), r in zip(all_queries, rankings)])

    default = dense_rankings.get(DEFAULT_RECIPE.label) or next(iter(dense_rankings.values()))
    golds = [g for _, _, g in all_queries]

    def hybrid(k: float, w_lex: float, rows: Sequence[int]) -> dict[str, float]:
        ranks = []
        for i in rows:
            fused = fuse({"lexical": [(x, {}) for x in lexical_rankings[i]],
                          "dense": [(x, {}) for x in default[i]]},
                         {"lexical": w_lex, "dense": DENSE_WEIGHT}, k, limit=10)
            ranks.append(rank_of(golds[i], [f.id for f in fused]))
        return metrics(ranks)

    everything = range(len(all_queries))
    results[f"hybrid (k={RRF_K:g}, lexical weight {LEXICAL_WEIGHT:g}; shipped)"] = hybrid(
        RRF_K, LEXICAL_WEIGHT, everything)
    results["hybrid (naive RRF: k=60, equal weights)"] = hybrid(60.0, DENSE_WEIGHT, everything)
    tune, held_out = everything[0::2], everything[1::2]
    sweep = {(k, w): hybrid(k, w, tune)["mrr@10"] for k, w in itertools.product(SWEEP_K, SWEEP_LEXICAL)}
    best_k, best_w = max(sweep, key=lambda kw: sweep[kw])
    results[f"hybrid (k={best_k:g}, lexical weight {best_w:g}; tuned on even queries, "
            "measured on odd)"] = hybrid(best_k, best_w, held_out)
    results["dense (default recipe) on odd queries"] = metrics(
        [rank_of(golds[i], default[i]) for i in held_out])
    results["lexical on odd queries"] = metrics(
        [rank_of(golds[i], lexical_rankings[i]) for i in held_out])
    facts.close()
    lexical.close()
    return {
        "projects": summary, "queries": len(all_queries), "precision": embedder.load().precision,
        "default_recipe": DEFAULT_RECIPE.label, "results": results,
        "sweep_mrr@10_even_queries": {f"k={k:g} w_lex={w:g}": v for (k, w), v in sweep.items()},
        "embedding": {"texts": embedded_texts, "seconds": round(embed_seconds, 1),
                      "texts_per_s": round(embedded_texts / embed_seconds, 1) if embed_seconds else None},
    }
