"""Shared services behind typed keys: made once, peeked without making, closed newest first."""

from __future__ import annotations

from pathlib import Path

from toolorch.config import Settings
from toolorch.core.services import ServiceKey, Services


class Thing:
    closed: list[str] = []

    def __init__(self, name: str) -> None:
        self.name = name

    def close(self) -> None:
        Thing.closed.append(self.name)


A: ServiceKey[Thing] = ServiceKey("a")
B: ServiceKey[Thing] = ServiceKey("b")


def test_made_once_peeked_and_closed_in_reverse(tmp_path: Path) -> None:
    services = Services(Settings(home=tmp_path))
    assert services.peek(A) is None
    first = services.get(A, lambda: Thing("a"))
    assert services.get(A, lambda: Thing("other")) is first and services.peek(A) is first
    services.get(B, lambda: Thing("b"))
    Thing.closed = []
    services.close()
    assert Thing.closed == ["b", "a"] and services.peek(A) is None
