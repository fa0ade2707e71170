"""VectorSync.stale(): when the marker and the collection disagree (no embedder needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from toolorch.backends.vectors.sync import VectorSync

T = TypeVar("T")


class _Facts:
    def __init__(self, generations: dict[str, int]) -> None:
        self.generations = generations

    def projects(self) -> list[dict[str, Any]]:
        return [{"name": n, "generation": g} for n, g in self.generations.items()]


class _Store:
    """A collection with `count` points, or none at all."""

    def __init__(self, state_dir: Path, exists: bool, count: int) -> None:
        self.state_dir, self.where, self.exists, self.count = state_dir, "local", exists, count

    def inspect(self, name: str, during: Callable[[], T]) -> tuple[bool, int, T]:
        return self.exists, self.count, during()


def _sync(tmp_path: Path, exists: bool, count: int) -> VectorSync:
    sync = VectorSync(_Facts({"empty": 1, "full": 1}), _Store(tmp_path, exists, count), None)  # type: ignore[arg-type]
    sync.marker.synced("empty", 1, 0)        # a project without embeddable symbols
    sync.marker.synced("full", 1, 12)
    return sync


def test_matching_counts_are_fresh(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert _sync(tmp_path, True, 12).stale() == []
    assert "re-syncing" not in caplog.text


def test_missing_collection_with_zero_points_recorded_is_fresh(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sync = VectorSync(_Facts({"empty": 1}), _Store(tmp_path, False, 0), None)  # type: ignore[arg-type]
    sync.marker.synced("empty", 1, 0)
    assert sync.stale() == [] and "re-syncing" not in caplog.text


def test_points_lost_make_every_project_stale(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert _sync(tmp_path, False, 0).stale() == ["empty", "full"]      # collection deleted by hand
    assert "re-syncing every project" in caplog.text
    assert _sync(tmp_path / "b", True, 5).stale() == ["empty", "full"]  # a write cut short
