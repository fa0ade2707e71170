"""The graph store seam: LadybugDB (embedded) and Memgraph (Bolt) implement the same interface.

Both methods block (call them from a worker thread). `progress(done, total, message)` is called
from that thread as well.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from toolorch.backends.graph.builder import GraphData

ProgressCallback = Callable[[float, float | None, str], None]


def _no_progress(done: float, total: float | None, message: str) -> None:
    return None


@dataclass(slots=True)
class QueryRows:
    columns: list[str]
    rows: list[list[Any]]          # raw engine values; tool.py converts them to JSON
    truncated: bool


@dataclass(slots=True)
class LoadCounts:
    nodes: dict[str, int]
    edges: dict[str, int]
    #: rows written per table when only the difference was loaded (None: a full load)
    delta: dict[str, dict[str, int]] | None = None


class Interrupter:
    """Lets the event loop stop a query running in a worker thread (on cancellation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fn: Callable[[], None] | None = None
        self.cancelled = False

    def bind(self, fn: Callable[[], None] | None) -> None:
        with self._lock:
            self._fn = fn
            if fn is not None and self.cancelled:
                fn()

    def interrupt(self) -> None:
        with self._lock:
            self.cancelled = True
            if self._fn is not None:
                self._fn()


def unique_columns(names: list[str]) -> list[str]:
    """Column names made unique (`a`, `a_2`), so rows can be maps."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0) + 1
        seen[name] = n
        out.append(name if n == 1 else f"{name}_{n}")
    return out


class GraphStore(ABC):
    backend: str = ""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the graph lives (a path or a URL without credentials)."""

    @abstractmethod
    def replace_project(self, graph: GraphData, progress: ProgressCallback = _no_progress,
                        timeout_s: float = 600.0) -> LoadCounts:
        """Delete `graph.project`'s subgraph, load `graph`, and return the counts now stored."""

    @abstractmethod
    def query(self, text: str, parameters: dict[str, Any], limit: int, timeout_s: float,
              write: bool = False, interrupter: Interrupter | None = None) -> QueryRows:
        """Run one query; at most `limit` rows (truncated says more existed). `write` is set
        only when writes are allowed and the query writes."""

    def cache_key_file(self) -> Any:
        """A file whose change means the graph changed (for the result cache), or None."""
        return None

    def close(self) -> None:
        """Release connections."""
