"""Redis first, never lose an experience: the store the engine uses when TOOLORCH_REDIS_URL is set.

Appends go to Redis. When Redis is unreachable (connection refused, reset, or a short socket
timeout) they go to a local SQLite spool in the data dir instead, and the spool is replayed to
Redis, oldest first, as soon as Redis answers again: on a later call once `retry_interval_s` has
passed, or when the owner calls `sync()` periodically. Replay copies a batch to Redis, then deletes
it from the spool; Redis ignores ids it already holds, so a crash between the two steps, an
ambiguous timeout, or two processes replaying the same spool never store an experience twice.
Feedback given while Redis is down is spooled and replayed the same way.

Reads while Redis is up replay the spool first, then read Redis (plus anything still spooled, no
duplicates). While Redis is down they see only the local spool -- partial, logged, and flagged in
`summary()` (`degraded: true`); `count()` then adds the spool to the last count Redis gave.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from toolorch.config import mask_url
from toolorch.core.breaker import CircuitBreaker
from toolorch.errors import BackendError
from toolorch.stores.experience import Experience, ExperienceStore
from toolorch.stores.redis_experiences import RedisExperienceStore
from toolorch.stores.sqlite_experiences import SqliteExperienceStore

log = logging.getLogger(__name__)

T = TypeVar("T")
REPLAY_BATCH = 500


class ResilientExperienceStore(ExperienceStore):
    def __init__(self, redis: RedisExperienceStore, spool: SqliteExperienceStore, *,
                 retry_interval_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.redis, self.spool = redis, spool
        self.retry_interval_s = retry_interval_s
        self._replay_lock = threading.Lock()
        # one failure: spool for retry_interval_s, then one call tries Redis again
        self._breaker = CircuitBreaker("redis experience store", 1, retry_interval_s, clock)
        self.spooled_total = 0          # experiences that went to the spool (this process)
        self.replayed_total = 0         # experiences this process replayed to Redis

    # -- availability ---------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """False while Redis is considered down (until a retry succeeds)."""
        return self._breaker.state == "closed"

    def _mark_down(self, exc: BackendError) -> None:
        if self._breaker.record_failure():
            log.warning("Redis experience store unavailable, spooling to %s: %s",
                        self.spool.path, exc.message)

    def _on_redis(self, fn: Callable[[], T]) -> tuple[bool, T | None]:
        """Run fn against Redis unless it is known down; (ok, result). Non-retryable errors
        (Redis refused the command) propagate: they are bugs or misconfiguration, not outages."""
        if not self._breaker.allow():
            return False, None
        try:
            result = fn()
        except BackendError as exc:
            if not exc.retryable:
                self._breaker.abandon()
                raise
            self._mark_down(exc)
            return False, None
        except BaseException:
            self._breaker.abandon()
            raise
        outage = self._breaker.record_success()
        if outage is not None:
            log.warning("Redis experience store %s is back after %.1fs", mask_url(self.redis.url), outage)
        return True, result

    # -- spool replay ---------------------------------------------------------------------------

    def sync(self) -> bool:
        """Replay the spool if Redis answers; True when nothing is left spooled. Cheap to call
        periodically: while Redis is down it returns at once until the retry interval passed."""
        ok, _ = self._on_redis(self._replay)
        return ok

    def _replay(self) -> None:
        with self._replay_lock:
            for workflow_id, desirable, ts in self.spool.feedback():
                self.redis.relabel(workflow_id, desirable)
                self.spool.forget_feedback(workflow_id, ts)
            while batch := self.spool.oldest(REPLAY_BATCH):
                self.redis.append(batch)
                self.spool.delete([e.id for e in batch])
                self.replayed_total += len(batch)
                log.info("replayed %d spooled experiences to Redis", len(batch))

    # -- ExperienceStore ------------------------------------------------------------------------

    def append(self, exps: list[Experience]) -> None:
        if not exps:
            return

        def write() -> None:
            self._replay()
            self.redis.append(exps)

        ok, _ = self._on_redis(write)
        if not ok:
            self.spool.append(exps)
            self.spooled_total += len(exps)

    def count(self) -> int:
        def redis_count() -> int:
            self._replay()
            n = self.redis.count()
            pending = self.spool.ids()      # empty unless another process spooled meanwhile
            return n + len(pending - self.redis.contains(sorted(pending)))

        ok, n = self._on_redis(redis_count)
        if ok and n is not None:
            return n
        return self.redis.last_length + self.spool.count()

    def iter_all(self) -> Iterator[Experience]:
        ok, _ = self._on_redis(self._replay)
        pending = self.spool.ids()
        if ok:
            try:
                for exp in self.redis.iter_all():
                    pending.discard(exp.id)
                    yield exp
            except BackendError as exc:
                if not exc.retryable:
                    raise
                self._mark_down(exc)
        else:
            log.warning("Redis is down: reading only the %d locally spooled experiences",
                        len(pending))
        for exp in self.spool.iter_all():
            if exp.id in pending:
                yield exp

    def recent(self, n: int) -> list[Experience]:
        def redis_recent() -> list[Experience]:
            self._replay()
            return self.redis.recent(n)

        ok, from_redis = self._on_redis(redis_recent)
        spooled = self.spool.recent(n)
        if not ok or from_redis is None:
            return spooled
        seen = {e.id for e in from_redis}
        merged = from_redis + [e for e in spooled if e.id not in seen]
        return merged[-n:] if n > 0 else []

    def relabel(self, workflow_id: str, desirable: bool) -> int:
        def redis_relabel() -> int:
            self._replay()
            return self.redis.relabel(workflow_id, desirable)

        ok, n = self._on_redis(redis_relabel)
        if ok and n is not None:
            return n
        return self.spool.relabel(workflow_id, desirable)

    def summary(self) -> dict[str, Any]:
        def redis_summary() -> dict[str, Any]:
            self._replay()
            return self.redis.summary()

        ok, data = self._on_redis(redis_summary)
        spooled = self.spool.count()
        if not ok or data is None:
            data = self.spool.summary()
        data.update(backend="redis+spool", degraded=not ok, spooled=spooled,
                    spool_path=str(self.spool.path))
        return data

    def close(self) -> None:
        self.redis.close()
        self.spool.close()
