"""Result cache: in-process TTL + LRU by default, Redis/DragonflyDB when configured.

Key: the tool name plus a blake2b digest of the canonical JSON of its arguments (sorted keys, no
whitespace), so argument order and formatting never matter. Every entry also carries the stamps
of the files the result was computed from (`toolorch.core.stamps`), and a lookup whose stamps no
longer match the disk (a file changed or vanished) is a miss and drops the entry.

Cached outputs are shared, not copied: treat them as read-only.

`RedisCache` keeps the in-process cache in front of Redis (local hits cost microseconds; Redis is
asked on a local miss and shared between server instances). When Redis fails (refused, reset, or
a short socket timeout) its breaker (toolorch.core.breaker) skips it for `retry_interval_s`, then
lets one call try again; meanwhile the in-process cache serves alone: a cache outage never fails a
tool call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from toolorch.config import Settings, mask_url
from toolorch.core.breaker import CircuitBreaker
from toolorch.core.stamps import FileStamp, fingerprint, is_fresh

log = logging.getLogger(__name__)

REDIS_PREFIX = "toolorch:cache:"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CachedResult:
    output: dict[str, Any]
    files: tuple[FileStamp, ...]
    stored_at: float                 # time.time() when computed
    source: str = "local"            # where this lookup found it: local | redis


def canonical_json(args: Mapping[str, Any]) -> str:
    """Sorted keys, no whitespace, UTF-8 kept; raises TypeError on values JSON cannot carry."""
    return json.dumps(args, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def cache_key(tool: str, args: Mapping[str, Any], *, version: str = "") -> str:
    """`tool:digest`; `version` (e.g. the tool's registry revision) separates incompatible
    results of the same arguments."""
    payload = f"{tool}\0{version}\0{canonical_json(args)}".encode()
    return f"{tool}:{hashlib.blake2b(payload, digest_size=16).hexdigest()}"


class ResultCache(Protocol):
    """What the engine calls."""

    async def get(self, key: str) -> CachedResult | None: ...

    async def put(self, key: str, output: dict[str, Any],
                  files_read: Sequence[Path | str | FileStamp], ttl_s: float) -> None: ...

    def stats(self) -> dict[str, Any]: ...

    async def clear(self) -> None: ...

    async def aclose(self) -> None: ...


class TTLCache:
    """Bounded LRU with per-entry TTL; thread-safe; `clock` injectable for tests."""

    def __init__(self, max_entries: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._data: OrderedDict[str, tuple[float, CachedResult]] = OrderedDict()
        self.hits = self.misses = self.evictions = self.expired = self.invalidated = 0

    def lookup(self, key: str) -> CachedResult | None:
        """The live, fresh entry or None (no hit/miss counting; `get` counts)."""
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            if item[0] <= self._clock():
                del self._data[key]
                self.expired += 1
                return None
            self._data.move_to_end(key)
        if not is_fresh(item[1].files):
            with self._lock:
                if self._data.get(key) is item:
                    del self._data[key]
                    self.invalidated += 1
            return None
        return item[1]

    def store(self, key: str, result: CachedResult, ttl_s: float) -> None:
        if ttl_s <= 0 or self.max_entries <= 0:
            return
        with self._lock:
            self._data[key] = (self._clock() + ttl_s, result)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
                self.evictions += 1

    def get_now(self, key: str) -> CachedResult | None:
        got = self.lookup(key)
        if got is None:
            self.misses += 1
        else:
            self.hits += 1
        return got

    def put_now(self, key: str, output: dict[str, Any],
                files_read: Sequence[Path | str | FileStamp], ttl_s: float) -> None:
        files = fingerprint(files_read)
        if files is not None:
            self.store(key, CachedResult(output, files, time.time()), ttl_s)

    async def get(self, key: str) -> CachedResult | None:
        return self.get_now(key)

    async def put(self, key: str, output: dict[str, Any],
                  files_read: Sequence[Path | str | FileStamp], ttl_s: float) -> None:
        self.put_now(key, output, files_read, ttl_s)

    def clear_now(self) -> None:
        with self._lock:
            self._data.clear()

    async def clear(self) -> None:
        self.clear_now()

    def __len__(self) -> int:
        return len(self._data)

    def stats(self) -> dict[str, Any]:
        return {"backend": "memory", "hits": self.hits, "misses": self.misses,
                "size": len(self._data), "max_entries": self.max_entries,
                "evictions": self.evictions, "expired": self.expired,
                "invalidated": self.invalidated}

    async def aclose(self) -> None:
        return None


class NullCache:
    """Caching disabled (TOOLORCH_CACHE_ENABLED=false): every lookup misses."""

    def __init__(self) -> None:
        self.misses = 0

    async def get(self, key: str) -> CachedResult | None:
        self.misses += 1
        return None

    async def put(self, key: str, output: dict[str, Any],
                  files_read: Sequence[Path | str | FileStamp], ttl_s: float) -> None:
        return None

    def stats(self) -> dict[str, Any]:
        return {"backend": "disabled", "hits": 0, "misses": self.misses, "size": 0}

    async def clear(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


class RedisCache:
    """The in-process cache in front of Redis/DragonflyDB (values JSON, `SET ... PX ttl`).
    redis.asyncio clients belong to one event loop: one is made per running loop."""

    def __init__(self, url: str, *, local: TTLCache | None = None, prefix: str = REDIS_PREFIX,
                 socket_timeout_s: float = 0.25, retry_interval_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        import redis.exceptions

        self.url, self.prefix = url, prefix
        self.local = local if local is not None else TTLCache()
        self.socket_timeout_s, self.retry_interval_s = socket_timeout_s, retry_interval_s
        self._errors: tuple[type[BaseException], ...] = (redis.exceptions.RedisError, OSError,
                                                         TimeoutError)
        self._client: Any = None
        self._client_loop: Any = None
        # one failure skips Redis for retry_interval_s, then one call tries it again
        self._breaker = CircuitBreaker(f"redis cache {mask_url(url)}", 1, retry_interval_s, clock)
        self.hits = self.misses = self.redis_hits = self.redis_errors = 0

    @property
    def redis_available(self) -> bool:
        return self._breaker.state == "closed"

    def _client_for_loop(self) -> Any:
        """The client for the running loop (redis.asyncio clients belong to one loop)."""
        import asyncio

        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            import redis.asyncio
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            self._client = redis.asyncio.Redis.from_url(
                self.url, socket_timeout=self.socket_timeout_s,
                socket_connect_timeout=self.socket_timeout_s, retry=Retry(NoBackoff(), 0))
            self._client_loop = loop
        return self._client

    async def _on_redis(self, op: Callable[[Any], Awaitable[T]]) -> tuple[bool, T | None]:
        """Run `op(client)` unless the breaker says Redis is down: (True, result), or (False,
        None) when skipped or failed (the in-process cache then serves alone)."""
        if not self._breaker.allow():
            return False, None
        try:
            result = await op(self._client_for_loop())
        except self._errors as exc:
            self.redis_errors += 1
            if self._breaker.record_failure():
                log.warning("Redis cache %s unavailable, using the in-process cache for %.0fs: %s",
                            mask_url(self.url), self.retry_interval_s, exc)
            return False, None
        except BaseException:
            self._breaker.abandon()
            raise
        self._breaker.record_success()
        return True, result

    async def get(self, key: str) -> CachedResult | None:
        got = self.local.lookup(key)
        if got is None:
            async def fetch(client: Any) -> tuple[bytes | None, int]:
                async with client.pipeline(transaction=False) as pipe:
                    raw, pttl = await pipe.get(self.prefix + key).pttl(self.prefix + key).execute()
                return raw, int(pttl)

            ok, found = await self._on_redis(fetch)
            if ok and found is not None:
                got = await self._from_redis(key, *found)
        if got is None:
            self.misses += 1
        else:
            self.hits += 1
        return got

    async def _from_redis(self, key: str, raw: bytes | None, pttl: int) -> CachedResult | None:
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            result = CachedResult(data["o"], tuple(FileStamp(*f) for f in data["f"]),
                                  float(data["t"]), "redis")
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("dropping unreadable Redis cache entry %s: %s", key, exc)
            result = None
        if result is None or not is_fresh(result.files):
            await self._on_redis(lambda client: client.delete(self.prefix + key))
            return None
        self.redis_hits += 1
        if pttl > 0:
            self.local.store(key, replace(result, source="local"), pttl / 1000)
        return result

    async def put(self, key: str, output: dict[str, Any],
                  files_read: Sequence[Path | str | FileStamp], ttl_s: float) -> None:
        files = fingerprint(files_read)
        if files is None or ttl_s <= 0:
            return
        result = CachedResult(output, files, time.time())
        self.local.store(key, result, ttl_s)
        if not self.redis_available and self._breaker.retry_in_s() > 0:
            return  # known down: skip the JSON too
        try:
            value = json.dumps({"o": output, "f": [[f.path, f.mtime_ns, f.size] for f in files],
                                "t": result.stored_at}, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            log.debug("not sharing %s through Redis (output is not JSON): %s", key, exc)
            return
        await self._on_redis(lambda client: client.set(self.prefix + key, value, px=max(1, int(ttl_s * 1000))))

    async def clear(self) -> None:
        """Drop every entry under the prefix (here and in Redis)."""
        self.local.clear_now()

        async def drop(client: Any) -> None:
            async for name in client.scan_iter(match=self.prefix + "*", count=500):
                await client.delete(name)

        await self._on_redis(drop)

    def stats(self) -> dict[str, Any]:
        return {"backend": "redis", "hits": self.hits, "misses": self.misses,
                "size": len(self.local), "redis_hits": self.redis_hits,
                "redis_errors": self.redis_errors, "redis_available": self.redis_available,
                "local": self.local.stats()}

    async def aclose(self) -> None:
        if self._client is not None:
            try:
                await self._client.aclose()
            except self._errors:
                pass
            self._client = None


def open_cache(settings: Settings) -> ResultCache:
    """In-process TTL cache, or Redis in front of it when `redis_url` is set; a cache that
    always misses when `cache_enabled` is false."""
    if not settings.cache_enabled:
        return NullCache()
    local = TTLCache(settings.cache_max_entries)
    if not settings.redis_url:
        return local
    return RedisCache(settings.redis_url, local=local)
