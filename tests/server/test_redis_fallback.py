"""A server configured with Redis keeps logging when Redis dies mid-run, and loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.redis_server import RedisServer
from toolorch.config import Settings
from toolorch.stores.factory import open_store

from .conftest import SUPPORT_REGISTRY, server_env, stdio_session

pytestmark = pytest.mark.anyio


async def test_redis_killed_mid_run(tmp_path: Path, persistent_redis_server: RedisServer) -> None:
    home = tmp_path / "home"
    env = server_env(home, TOOLORCH_REDIS_URL=persistent_redis_server.url)
    async with stdio_session(env) as s:
        for i in range(10):
            assert not (await s.call_tool("step_a", {"seed": f"up{i}"})).is_error
        assert not (await s.call_tool("echo", {"text": "cached"})).is_error
        persistent_redis_server.kill()
        for i in range(10):
            assert not (await s.call_tool("step_a", {"seed": f"down{i}"})).is_error
        again = await s.call_tool("echo", {"text": "cached"})   # the cache falls back, no error
        assert not again.is_error
        persistent_redis_server.start()
        for i in range(10):
            assert not (await s.call_tool("step_a", {"seed": f"back{i}"})).is_error
    store = open_store(Settings(home=home, registry_dir=SUPPORT_REGISTRY, redis_url=persistent_redis_server.url))
    try:
        store.sync()  # type: ignore[attr-defined]
        exps = list(store.iter_all())
        assert len(exps) == 32 and len({e.id for e in exps}) == 32
        seeds = sum(1 for e in exps if e.action == "step_a")
        assert seeds == 30
    finally:
        store.close()
