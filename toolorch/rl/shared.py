"""Policy checkpoints shared through Redis, for server instances that do not share a data dir.

With `TOOLORCH_REDIS_URL` set, every instance already learns from the same experience stream;
this module lets them also run the same policy versions. Keys (prefix `toolorch:policy`):

    <prefix>:next       INCR counter: version numbers are allocated here, so two machines never
                        write the same number
    <prefix>:version    the newest version published
    <prefix>:latest     JSON {"version", "sha256", "ts", "metrics"} of that version
    <prefix>:v<N>       the checkpoint file's bytes; superseded ones expire a minute after the
                        `keep`-th newer version is published

The local `CheckpointDir` stays what every process loads from: `pull_into` copies a newer
published version into it (SHA-256 checked, written atomically), `push` publishes a version right
after it was written locally. When Redis cannot be reached, the process carries on with its local
directory; Redis is not asked again for 30 s (the reload check runs on the decision path), and the
warning is logged once per outage. During an outage versions are numbered locally, so two
instances may write the same number; the counter moves past both once Redis is back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from toolorch.config import mask_url
from toolorch.core.breaker import CircuitBreaker

if TYPE_CHECKING:
    from toolorch.rl.checkpoint import CheckpointDir

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_PREFIX = "toolorch:policy"
RETRY_AFTER_S = 30.0
EXPIRE_SUPERSEDED_S = 60

# allocate the next version: never below what some directory already holds
_NEXT_LUA = """
local n = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if n <= floor then
  n = floor + 1
  redis.call('SET', KEYS[1], n)
end
return n
"""

# store the bytes; move `version`/`latest` forward only (a slow writer never moves them back)
_PUSH_LUA = """
redis.call('SET', KEYS[3], ARGV[3])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SET', KEYS[2], ARGV[2])
  return 1
end
return 0
"""


class RedisCheckpoints:
    """Publish and fetch checkpoint versions through one Redis (or DragonflyDB)."""

    def __init__(self, url: str, prefix: str = DEFAULT_PREFIX, keep: int = 5, *,
                 socket_timeout_s: float = 2.0, connect_timeout_s: float = 0.5) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url, self.prefix, self.keep = url, prefix, max(1, keep)
        self._errors = redis.exceptions
        self._redis: Any = redis.Redis.from_url(
            url, socket_timeout=socket_timeout_s, socket_connect_timeout=connect_timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
        self._next = self._redis.register_script(_NEXT_LUA)
        self._push = self._redis.register_script(_PUSH_LUA)
        # one failure: carry on locally, ask Redis again after RETRY_AFTER_S (toolorch.core.breaker)
        self._breaker = CircuitBreaker("shared policy checkpoints", 1, RETRY_AFTER_S)
        self.pushed = 0
        self.pulled = 0

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def _call(self, what: str, fn: Callable[[], T]) -> T | None:
        """Run one Redis operation; None (and a pause before the next try) when Redis fails."""
        if not self._breaker.allow():
            return None
        try:
            result = fn()
        except self._errors.RedisError as exc:
            if self._breaker.record_failure():
                logger.warning("shared policy checkpoints at %s: %s failed (%s); using the local "
                               "directory, retrying in %.0f s", mask_url(self.url), what, exc, RETRY_AFTER_S)
            return None
        except BaseException:
            self._breaker.abandon()
            raise
        if self._breaker.record_success() is not None:
            logger.info("shared policy checkpoints at Redis are reachable again")
        return result

    # -- writing ------------------------------------------------------------------------------
    def next_version(self, local_newest: int) -> int | None:
        """A version number no other instance will use (None: Redis unreachable, number locally)."""
        n = self._call("allocating a version", lambda: self._next(keys=[self.key("next")], args=[local_newest]))
        return None if n is None else int(n)

    def push(self, version: int, local: CheckpointDir) -> bool:
        """Publish `version` from the local directory. False when Redis is unreachable."""
        data = local.read_bytes(version)
        meta = {"version": version, "sha256": hashlib.sha256(data).hexdigest(), "ts": time.time(),
                "metrics": local.latest_info().get("metrics", {})}
        keys = [self.key("version"), self.key("latest"), self.key(f"v{version}")]
        done = self._call("publishing a version",
                          lambda: self._push(keys=keys, args=[version, json.dumps(meta), data]))
        if done is None:
            return False
        self.pushed += 1
        old = self.key(f"v{version - self.keep}")
        self._call("expiring an old version", lambda: self._redis.expire(old, EXPIRE_SUPERSEDED_S))
        logger.info("policy checkpoint v%d published to Redis (%d bytes)", version, len(data))
        return True

    # -- reading ------------------------------------------------------------------------------
    def latest(self) -> dict[str, Any] | None:
        raw = self._call("reading the latest version", lambda: self._redis.get(self.key("latest")))
        if raw is None:
            return None
        try:
            meta = json.loads(raw)
        except ValueError:
            logger.warning("ignoring %s: not JSON", self.key("latest"))
            return None
        return meta if isinstance(meta, dict) and isinstance(meta.get("version"), int) else None

    def pull_into(self, local: CheckpointDir) -> int:
        """Copy the newest published version into `local` when it is newer there; returns the
        version imported, 0 when there was nothing (newer) to import."""
        meta = self.latest()
        if meta is None or meta["version"] <= local.newest():
            return 0
        version = int(meta["version"])
        data = self._call(f"fetching v{version}", lambda: self._redis.get(self.key(f"v{version}")))
        if data is None:
            return 0
        if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            logger.warning("ignoring published policy v%d: checksum mismatch", version)
            return 0
        if not local.import_version(version, data, meta.get("metrics")):
            return 0
        self.pulled += 1
        return version
