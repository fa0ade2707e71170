"""Result cache: keys, TTL with an injected clock, LRU bound, file fingerprints, real Redis."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import anyio
import pytest

from tests.redis_server import RedisServer
from toolorch.config import Settings
from toolorch.core.stamps import fingerprint, stamp
from toolorch.engine.cache import NullCache, RedisCache, TTLCache, cache_key, canonical_json, open_cache

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_key_is_canonical() -> None:
    args = {"query": "x", "limit": 5, "opts": {"b": 1, "a": [1, 2]}}
    a = cache_key("glean_query_code", args)
    b = cache_key("glean_query_code", {"opts": {"a": [1, 2], "b": 1}, "limit": 5, "query": "x"})
    assert a == b and a.startswith("glean_query_code:") and len(a.split(":")[1]) == 32
    assert a != cache_key("glean_query_code", {**args, "limit": 6})
    assert a != cache_key("memgraph_query_graph", args)
    assert a != cache_key("glean_query_code", args, version="2")
    assert canonical_json({"b": "é", "a": [1, {"d": None, "c": True}]}) == \
        '{"a":[1,{"c":true,"d":null}],"b":"é"}'
    with pytest.raises(TypeError):
        cache_key("t", {"x": object()})


async def test_ttl_expiry_with_injected_clock() -> None:
    clock = FakeClock()
    cache = TTLCache(clock=clock)
    await cache.put("k", {"v": 1}, [], ttl_s=10)
    clock.now += 9.9
    hit = await cache.get("k")
    assert hit is not None and hit.output == {"v": 1}
    clock.now += 0.2
    assert await cache.get("k") is None
    assert cache.stats() | {} == cache.stats()
    s = cache.stats()
    assert (s["hits"], s["misses"], s["expired"], s["size"]) == (1, 1, 1, 0)
    await cache.put("zero", {"v": 2}, [], ttl_s=0)        # not cacheable
    assert await cache.get("zero") is None


async def test_lru_bound_evicts_least_recently_used() -> None:
    cache = TTLCache(max_entries=2)
    await cache.put("a", {"n": 1}, [], 60)
    await cache.put("b", {"n": 2}, [], 60)
    assert await cache.get("a") is not None              # a is now the most recent
    await cache.put("c", {"n": 3}, [], 60)
    assert await cache.get("b") is None
    assert await cache.get("a") is not None and await cache.get("c") is not None
    assert cache.stats()["evictions"] == 1 and len(cache) == 2


async def test_changed_or_vanished_file_invalidates(tmp_path: Path) -> None:
    src, other = tmp_path / "lib.rs", tmp_path / "main.rs"
    src.write_text("fn a() {}")
    other.write_text("fn main() {}")
    cache = TTLCache()
    await cache.put("k", {"symbols": 1}, [src, other, src], 60)
    hit = await cache.get("k")
    assert hit is not None and [f.path for f in hit.files] == [str(src), str(other)]

    st = src.stat()                                       # same size, new mtime
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert await cache.get("k") is None
    assert cache.stats()["invalidated"] == 1

    await cache.put("k", {"symbols": 1}, [src, other], 60)
    src.write_text("fn a() {} fn b() {}")                 # new size
    assert await cache.get("k") is None

    await cache.put("k", {"symbols": 2}, [src, other], 60)
    other.unlink()
    assert await cache.get("k") is None


async def test_result_from_a_missing_file_is_not_cached(tmp_path: Path) -> None:
    cache = TTLCache()
    await cache.put("k", {"x": 1}, [tmp_path / "gone.py"], 60)
    assert len(cache) == 0
    assert fingerprint([tmp_path / "gone.py"]) is None


async def test_stamp_taken_at_read_time_is_kept(tmp_path: Path) -> None:
    f = tmp_path / "a.py"
    f.write_text("x = 1")
    early = stamp(f)
    assert early is not None
    f.write_text("x = 22")                               # changed after the tool read it
    cache = TTLCache()
    await cache.put("k", {"x": 1}, [early], 60)
    assert await cache.get("k") is None                  # the result is stale: never served


def test_local_get_costs_microseconds(tmp_path: Path) -> None:
    f = tmp_path / "a.py"
    f.write_text("x")
    cache = TTLCache()
    cache.put_now("k", {"x": 1}, [f], 60)
    times = []
    for _ in range(2000):
        start = time.perf_counter()
        assert cache.get_now("k") is not None
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 50e-6


async def test_null_cache_always_misses() -> None:
    cache = NullCache()
    await cache.put("k", {"x": 1}, [], 60)
    assert await cache.get("k") is None
    assert cache.stats()["misses"] == 1


def test_open_cache_follows_settings(tmp_path: Path) -> None:
    assert isinstance(open_cache(Settings(home=tmp_path)), TTLCache)
    assert isinstance(open_cache(Settings(home=tmp_path, cache_enabled=False)), NullCache)
    redis = open_cache(Settings(home=tmp_path, redis_url="redis://127.0.0.1:1/0",
                                cache_max_entries=7))
    assert isinstance(redis, RedisCache) and redis.local.max_entries == 7


def redis_cache(url: str, **kw: object) -> RedisCache:
    return RedisCache(url, retry_interval_s=0.0, **kw)  # type: ignore[arg-type]


async def test_redis_shares_entries_between_instances(redis_url: str, tmp_path: Path) -> None:
    f = tmp_path / "index.scip"
    f.write_bytes(b"\x00\x01")
    a, b = redis_cache(redis_url), redis_cache(redis_url)
    await a.put("k", {"rows": [1, 2]}, [f], 30)
    hit = await b.get("k")
    assert hit is not None and hit.output == {"rows": [1, 2]} and hit.source == "redis"
    again = await b.get("k")                              # now served by b's local cache
    assert again is not None and again.source == "local"
    assert b.stats()["redis_hits"] == 1 and b.stats()["hits"] == 2
    f.write_bytes(b"\x00\x01\x02")                        # invalid everywhere
    c = redis_cache(redis_url)
    assert await c.get("k") is None
    assert await b.get("k") is None
    await a.aclose(), await b.aclose(), await c.aclose()


async def test_redis_ttl_expires(redis_url: str) -> None:
    a, b = redis_cache(redis_url), redis_cache(redis_url)
    await a.put("k", {"x": 1}, [], 0.2)
    assert await b.get("k") is not None
    await anyio.sleep(0.35)
    assert await redis_cache(redis_url).get("k") is None  # gone from Redis (PX)
    assert await b.get("k") is None                       # and from b's local copy
    await a.clear()
    await a.aclose(), await b.aclose()


async def test_redis_down_degrades_to_local(redis_server: RedisServer) -> None:
    cache = redis_cache(redis_server.url)
    await cache.put("before", {"x": 1}, [], 60)
    redis_server.kill()
    assert await cache.get("before") is not None          # local copy
    await cache.put("during", {"x": 2}, [], 60)           # no exception
    hit = await cache.get("during")
    assert hit is not None and hit.output == {"x": 2}
    assert await cache.get("absent") is None
    assert cache.stats()["redis_available"] is False and cache.stats()["redis_errors"] >= 1
    redis_server.start()
    await cache.put("after", {"x": 3}, [], 60)
    other = redis_cache(redis_server.url)
    assert await other.get("after") is not None
    assert cache.stats()["redis_available"] is True
    await cache.aclose(), await other.aclose()


async def test_redis_frozen_times_out_quickly(redis_server: RedisServer) -> None:
    cache = RedisCache(redis_server.url, socket_timeout_s=0.1, retry_interval_s=60.0)
    await cache.put("k", {"x": 1}, [], 60)
    redis_server.pause()
    try:
        start = time.perf_counter()
        assert await cache.get("miss") is None
        assert await cache.get("miss2") is None           # skipped: Redis marked down
        await cache.put("k2", {"x": 2}, [], 60)
        assert time.perf_counter() - start < 1.0
    finally:
        redis_server.resume()
    assert await cache.get("k2") is not None
    await cache.aclose()


