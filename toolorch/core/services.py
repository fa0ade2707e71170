"""Long-lived shared objects (fact store, graph, vector store, embedding model, lineage writer),
created lazily on first use and owned by the engine.

Each is reached through a typed `ServiceKey` declared next to its class, so every site that asks
for it gets the same type (no string keys that two modules could spell, or type, differently):

    FACTS = ServiceKey[FactStore]("facts")
    store = ctx.services.get(FACTS, lambda: FactStore(path))
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

if TYPE_CHECKING:
    from toolorch.config import Settings

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ServiceKey(Generic[T]):
    """The name of one shared object and, for the type checker, its type."""

    name: str


class Services:
    """The engine's shared objects; `close()` closes those that can be closed, newest first.
    Thread-safe, since backends build them in worker threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._items: dict[str, Any] = {}
        self._lock = threading.RLock()

    def get(self, key: ServiceKey[T], factory: Callable[[], T]) -> T:
        """The object under `key`, made by `factory` the first time."""
        item = self._items.get(key.name)
        if item is None:
            with self._lock:
                item = self._items.get(key.name)
                if item is None:
                    item = factory()
                    self._items[key.name] = item
        return cast(T, item)

    def peek(self, key: ServiceKey[T]) -> T | None:
        """The object under `key` if it was made, without making it."""
        return cast("T | None", self._items.get(key.name))

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
