"""An engine over the test registry (tests/support/registry): small real tools, real stores."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from toolorch.config import Settings
from toolorch.engine.engine import Engine

SUPPORT_REGISTRY = Path(__file__).resolve().parents[1] / "support" / "registry"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", registry_dir=SUPPORT_REGISTRY, allowed_roots=str(tmp_path),
                    breaker_failures=50, policy_enabled=False, intent_model="lexical")


class Sleeps:
    """Injected sleep: records the delays instead of waiting them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def engine(settings: Settings, sleeps: Sleeps) -> AsyncIterator[Engine]:
    async with Engine(settings, observers=[], sleep=sleeps, rng=random.Random(7)) as e:
        yield e
