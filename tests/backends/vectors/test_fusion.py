"""Weighted reciprocal rank fusion and the coverage string."""

from __future__ import annotations

import pytest

from toolorch.backends.vectors.fusion import (
    DENSE_WEIGHT,
    LEXICAL_WEIGHT,
    RRF_K,
    coverage_text,
    fuse,
)
from toolorch.backends.vectors.tool import DENSE_WAIT_S, dense_weight


def _r(*ids: str) -> list[tuple[str, dict]]:
    return [(i, {"name": i}) for i in ids]


def test_shipped_defaults_are_pinned() -> None:
    # measured by `toolorch bench search quality` (README); a change must be re-measured
    assert (RRF_K, LEXICAL_WEIGHT, DENSE_WEIGHT) == (10.0, 0.75, 1.0)
    assert DENSE_WAIT_S == 1.0


def test_scores_are_weighted_reciprocal_ranks() -> None:
    fused = fuse({"lexical": _r("a", "b"), "dense": _r("b", "c")},
                 {"lexical": 0.5, "dense": 1.0}, k=10.0)
    by_id = {f.id: f for f in fused}
    assert by_id["b"].score == pytest.approx(0.5 / 12 + 1.0 / 11)
    assert by_id["a"].score == pytest.approx(0.5 / 11)
    assert by_id["c"].score == pytest.approx(1.0 / 12)
    assert [f.id for f in fused] == ["b", "c", "a"]
    assert by_id["b"].ranks == {"lexical": 2, "dense": 1}


def test_weights_decide_between_single_source_hits() -> None:
    """Rank 1 of one source against rank 1 of the other: the heavier source wins, and a
    weight of exactly equal value falls back to the id order (deterministic)."""
    rankings = {"lexical": _r("lex"), "dense": _r("den")}
    assert fuse(rankings, {"lexical": 1.01, "dense": 1.0})[0].id == "lex"
    assert fuse(rankings, {"lexical": 0.99, "dense": 1.0})[0].id == "den"
    assert [f.id for f in fuse(rankings, {"lexical": 1.0, "dense": 1.0})] == ["den", "lex"]


def test_small_k_favours_the_top_of_each_list() -> None:
    """k=1: agreement at ranks 2 and 3 (1/3 + 1/4) beats a lone rank 1 (1/2); k=0.1: the lone
    rank 1 (1/1.1) beats it (1/2.1 + 1/3.1), tying with the other list's rank 1 (id order)."""
    rankings = {"lexical": _r("top", "both"), "dense": _r("x", "y", "both")}
    assert fuse(rankings, {"lexical": 1.0, "dense": 1.0}, k=1.0)[0].id == "both"
    assert fuse(rankings, {"lexical": 1.0, "dense": 1.0}, k=0.1)[0].id == "top"


def test_first_source_payload_is_kept_and_duplicates_count_once() -> None:
    fused = fuse({"lexical": [("a", {"v": "fresh"}), ("a", {"v": "dup"})],
                  "dense": [("a", {"v": "stale"})]}, {"lexical": 1.0, "dense": 1.0}, k=10.0)
    assert len(fused) == 1 and fused[0].payload == {"v": "fresh"}
    assert fused[0].score == pytest.approx(1 / 11 + 1 / 11)


def test_limit_and_unknown_sources() -> None:
    fused = fuse({"lexical": _r("a", "b", "c"), "other": _r("z")}, {"lexical": 1.0}, limit=2)
    assert [f.id for f in fused] == ["a", "b"]
    assert fuse({}, {}) == []


def test_coverage_text() -> None:
    assert coverage_text(1200, 3543) == "dense 1,200/3,543"
    assert coverage_text(0, 0) == "dense 0/0"


def test_dense_weight_follows_coverage() -> None:
    assert dense_weight(0, 100) == 0.0
    assert dense_weight(25, 100) == pytest.approx(0.25 * DENSE_WEIGHT)
    assert dense_weight(100, 100) == DENSE_WEIGHT
    assert dense_weight(120, 100) == DENSE_WEIGHT  # never above the full weight
    assert dense_weight(0, 0) == DENSE_WEIGHT      # nothing to cover
