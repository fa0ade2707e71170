"""Fusing the lexical and the dense ranking, and saying how much of the dense side exists.

Weighted reciprocal rank fusion: a document's score is Σ w_s / (k + rank_s) over the rankings s
that contain it (rank 1 = best). Unweighted RRF was *worse* than dense alone on an external
code-search benchmark (0.434 vs 0.528 MRR@10), so the weights and k are measured
(`toolorch bench search quality`, its fusion sweep) and the defaults below are that sweep's best
on half of its 1,024 queries (k=10, lexical weight 0.75; measured on the other half).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: Chosen by the fusion sweep of `toolorch bench search quality` (see README).
RRF_K = 10.0
LEXICAL_WEIGHT = 0.75
DENSE_WEIGHT = 1.0


@dataclass(slots=True)
class Fused:
    id: str
    score: float
    payload: dict[str, Any]
    ranks: dict[str, int] = field(default_factory=dict)  # source → 1-based rank


def fuse(rankings: dict[str, Sequence[tuple[str, dict[str, Any]]]], weights: dict[str, float],
         k: float = RRF_K, limit: int | None = None) -> list[Fused]:
    """Weighted RRF of `rankings` (source → [(id, payload)] best first). The payload kept is the
    first source's in `rankings` order that has the document (put the freshest first). Ties
    break by the best single rank, then by id, so the order is deterministic."""
    fused: dict[str, Fused] = {}
    for source, ranking in rankings.items():
        weight = weights.get(source, 0.0)
        for rank, (doc_id, payload) in enumerate(ranking, start=1):
            entry = fused.get(doc_id)
            if entry is None:
                entry = fused[doc_id] = Fused(doc_id, 0.0, payload)
            if source in entry.ranks:
                continue  # a source listing a document twice counts it once
            entry.ranks[source] = rank
            entry.score += weight / (k + rank)
    ordered = sorted(fused.values(), key=lambda f: (-f.score, min(f.ranks.values()), f.id))
    return ordered if limit is None else ordered[:limit]


def coverage_text(embedded: int, total: int) -> str:
    """"dense 1,200/3,543" — how many documents have dense vectors of their current text."""
    return f"dense {embedded:,}/{total:,}"
