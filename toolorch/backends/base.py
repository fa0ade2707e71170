"""The backend seam: what a tool implementation receives and must return.

An embedded tool is `async def tool(args: dict, ctx: ToolContext) -> dict` named in the registry
(`backend.target = "package.module:function"`). It returns the structured output (matching the
tool's output schema) or raises a `toolorch.errors.ToolorchError`. Blocking work goes to a worker
thread (`await anyio.to_thread.run_sync(...)`); from there, report progress with
`anyio.from_thread.run(ctx.report_progress, done, total, message)`.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from toolorch.config import Settings
from toolorch.paths import resolve_inside

T = TypeVar("T")
ProgressFn = Callable[[float, float | None, str | None], Awaitable[None]]


async def _no_progress(done: float, total: float | None, message: str | None) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset for lineage. Files: namespace "file", name = absolute path. toolorch's stores:
    namespace "toolorch", names like "facts/<project>", "graph/<project>", "vectors/<collection>"."""

    namespace: str
    name: str
    facets: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def file(cls, path: Path | str, **facets: Any) -> Dataset:
        return cls("file", str(Path(path).resolve()), dict(facets))

    @classmethod
    def store(cls, name: str, **facets: Any) -> Dataset:
        return cls("toolorch", name, dict(facets))


class Services:
    """Long-lived shared objects (fact store, graph, vector store, embedding model...) created
    lazily on first use and owned by the engine; `close()` closes those that can be closed.

    Backends ask by key with a factory: `ctx.services.get("facts", lambda: FactStore(path))`.
    Thread-safe, since backends build them in worker threads.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._items: dict[str, Any] = {}
        self._lock = threading.RLock()

    def get(self, key: str, factory: Callable[[], T]) -> T:
        item = self._items.get(key)
        if item is None:
            with self._lock:
                item = self._items.get(key)
                if item is None:
                    item = factory()
                    self._items[key] = item
        return item  # type: ignore[no-any-return]

    def peek(self, key: str) -> Any | None:
        return self._items.get(key)

    def close(self) -> None:
        with self._lock:
            items, self._items = list(self._items.values()), {}
        for item in reversed(items):
            close = getattr(item, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:
                    pass


@dataclass(slots=True)
class ToolContext:
    """Per-call context handed to a backend."""

    tool: str
    run_id: str
    settings: Settings
    services: Services
    roots: list[Path]
    report_progress: ProgressFn = _no_progress
    files_read: list[Any] = field(default_factory=list)  # FileStamps (or paths) for the cache
    inputs: list[Dataset] = field(default_factory=list)
    outputs: list[Dataset] = field(default_factory=list)

    def resolve_path(self, raw: str | Path, *, must_exist: bool = True, want: str | None = None,
                     what: str = "path") -> Path:
        """A user-given path, checked against the allowed roots (see toolorch.paths)."""
        return resolve_inside(raw, self.roots, must_exist=must_exist, want=want, what=what)

    def data_path(self, *parts: str) -> Path:
        """A path under the data dir (TOOLORCH_HOME); its parent directory is created."""
        path = self.settings.home.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def record_read(self, path: Path | Any) -> None:
        """A file whose content the result depends on: the cache entry is invalidated when it
        changes (mtime/size fingerprint), stamped now: a change during the run also counts."""
        from toolorch.engine.cache import FileStamp, stamp

        self.files_read.append(path if isinstance(path, FileStamp) else (stamp(path) or path))

    def record_input(self, dataset: Dataset) -> None:
        self.inputs.append(dataset)

    def record_output(self, dataset: Dataset) -> None:
        self.outputs.append(dataset)


class Backend(ABC):
    """One way of running a tool. Subclasses: EmbeddedBackend, HttpBackend, McpBackend."""

    name: str

    @abstractmethod
    async def call(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        """Run once (the engine adds timeout, retry and the breaker around this)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections; called when the engine shuts down."""
