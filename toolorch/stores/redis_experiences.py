"""Experiences in a Redis (or DragonflyDB) stream, shared by many server instances.

Layout, all keys derived from the stream name (default `toolorch:experiences`):

    <stream>            XADD entries {id, j}: j is the Experience JSON; stream order = append order
    <stream>:ids        SET of experience ids: an append of an id already stored is a no-op, so a
                        write retried after an ambiguous timeout, or replayed from the local spool
                        by two processes at once, is stored exactly once
    <stream>:meta       HASH desirable, success (counts by the appended label), last_ts
    <stream>:by_action  HASH action -> count          <stream>:by_error  HASH error kind -> count
    <stream>:wf         HASH workflow -> steps        <stream>:wfdes     HASH workflow -> desirable
    <stream>:labels     HASH workflow -> "1"/"0": agent feedback, applied on read

One Lua script appends a batch and updates the counters atomically, so `summary()` costs O(number
of relabelled workflows), not a scan. Relabel never rewrites stream entries: the feedback hash
overrides the label of every step of the workflow on read (also of steps appended later), with
`label_source="feedback"` -- the same semantics as the SQLite store. The stream is not trimmed
(it is the durable log); the id set costs about 100 bytes per experience.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from toolorch.config import mask_url
from toolorch.errors import BackendError
from toolorch.stores.experience import Experience, ExperienceStore

log = logging.getLogger(__name__)

DEFAULT_STREAM = "toolorch:experiences"
BATCH = 500

_APPEND_LUA = """
local added = 0
for i = 1, #ARGV, 8 do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
    redis.call('XADD', KEYS[1], '*', 'id', ARGV[i], 'j', ARGV[i+1])
    redis.call('HINCRBY', KEYS[4], ARGV[i+2], 1)
    if ARGV[i+3] ~= '' then redis.call('HINCRBY', KEYS[5], ARGV[i+3], 1) end
    if ARGV[i+5] == '1' then redis.call('HINCRBY', KEYS[3], 'desirable', 1) end
    if ARGV[i+6] == '1' then redis.call('HINCRBY', KEYS[3], 'success', 1) end
    if ARGV[i+4] ~= '' then
      redis.call('HINCRBY', KEYS[6], ARGV[i+4], 1)
      if ARGV[i+5] == '1' then redis.call('HINCRBY', KEYS[7], ARGV[i+4], 1) end
    end
    local last = redis.call('HGET', KEYS[3], 'last_ts')
    if (not last) or tonumber(last) < tonumber(ARGV[i+7]) then
      redis.call('HSET', KEYS[3], 'last_ts', ARGV[i+7])
    end
    added = added + 1
  end
end
return {added, redis.call('XLEN', KEYS[1])}
"""


class RedisExperienceStore(ExperienceStore):
    """Connection errors and timeouts raise `BackendError(retryable=True)` (the resilient store
    spools on those); anything else Redis refuses raises a non-retryable `BackendError`."""

    def __init__(self, url: str, stream: str = DEFAULT_STREAM, *, socket_timeout_s: float = 1.0,
                 connect_timeout_s: float = 0.5) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url, self.stream = url, stream
        self._errors = redis.exceptions
        # Any: redis-py's annotations ignore decode_responses=True (values are str here)
        self._redis: Any = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=socket_timeout_s,
            socket_connect_timeout=connect_timeout_s, retry=Retry(NoBackoff(), 0),
        )
        self._keys = [stream, *(f"{stream}:{k}" for k in
                                ("ids", "meta", "by_action", "by_error", "wf", "wfdes"))]
        self._labels_key = f"{stream}:labels"
        self._append_script = self._redis.register_script(_APPEND_LUA)
        self.last_length = 0            # stream length seen by the latest append or count

    # -- plumbing -------------------------------------------------------------------------------

    def _fail(self, what: str, exc: Exception) -> BackendError:
        retryable = isinstance(exc, self._errors.ConnectionError | self._errors.TimeoutError)
        hint = (" (is redis-server running and TOOLORCH_REDIS_URL right?)" if retryable else "")
        return BackendError(f"redis experience store {mask_url(self.url)}: {what} failed: "
                            f"{exc}{hint}", retryable=retryable)

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except self._errors.RedisError:
            return False

    def _labels(self) -> dict[str, bool]:
        return {w: v == "1" for w, v in self._redis.hgetall(self._labels_key).items()}

    @staticmethod
    def _decode(fields: dict[str, str], labels: dict[str, bool]) -> Experience:
        exp = Experience.from_json(fields["j"])
        if exp.workflow_id and exp.workflow_id in labels:
            exp.desirable = labels[exp.workflow_id]
            exp.label_source = "feedback"
        return exp

    # -- ExperienceStore ------------------------------------------------------------------------

    def append(self, exps: list[Experience]) -> None:
        for start in range(0, len(exps), BATCH):
            args: list[Any] = []
            for e in exps[start:start + BATCH]:
                args += [e.id, e.to_json(), e.action, e.error_kind or "", e.workflow_id or "",
                         "1" if e.desirable else "0", "1" if e.success else "0", repr(e.ts)]
            try:
                _, self.last_length = self._append_script(keys=self._keys, args=args)
            except self._errors.RedisError as exc:
                raise self._fail("append", exc) from exc

    def count(self) -> int:
        try:
            self.last_length = int(self._redis.xlen(self.stream))
            return self.last_length
        except self._errors.RedisError as exc:
            raise self._fail("count", exc) from exc

    def iter_all(self) -> Iterator[Experience]:
        try:
            labels = self._labels()
            lower = "-"
            while True:
                entries = self._redis.xrange(self.stream, min=lower, max="+", count=BATCH)
                if not entries:
                    return
                for _, fields in entries:
                    yield self._decode(fields, labels)
                lower = "(" + entries[-1][0]
        except self._errors.RedisError as exc:
            raise self._fail("read", exc) from exc

    def recent(self, n: int) -> list[Experience]:
        if n <= 0:
            return []
        try:
            labels = self._labels()
            entries = self._redis.xrevrange(self.stream, max="+", min="-", count=n)
        except self._errors.RedisError as exc:
            raise self._fail("read", exc) from exc
        return [self._decode(fields, labels) for _, fields in reversed(entries)]

    def relabel(self, workflow_id: str, desirable: bool) -> int:
        """Record feedback; returns the number of the workflow's steps in the stream."""
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(self._labels_key, workflow_id, "1" if desirable else "0")
            pipe.hget(self._keys[5], workflow_id)
            _, steps = pipe.execute()
        except self._errors.RedisError as exc:
            raise self._fail("relabel", exc) from exc
        return int(steps or 0)

    def contains(self, ids: list[str]) -> set[str]:
        """Which of these experience ids are already stored."""
        if not ids:
            return set()
        try:
            flags = self._redis.smismember(self._keys[1], ids)
        except self._errors.RedisError as exc:
            raise self._fail("lookup", exc) from exc
        return {i for i, present in zip(ids, flags, strict=True) if present}

    def summary(self) -> dict[str, Any]:
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.xlen(self.stream)
            for key in self._keys[2:5]:
                pipe.hgetall(key)
            pipe.hlen(self._keys[5])
            pipe.hgetall(self._labels_key)
            total, meta, by_action, by_error, workflows, labels = pipe.execute()
            relabelled = sorted(labels)
            steps, desirable_steps = [], []
            if relabelled:
                steps = self._redis.hmget(self._keys[5], relabelled)
                desirable_steps = self._redis.hmget(self._keys[6], relabelled)
        except self._errors.RedisError as exc:
            raise self._fail("summary", exc) from exc
        desirable = int(meta.get("desirable", 0))
        for wf, n, d in zip(relabelled, steps, desirable_steps, strict=True):
            desirable += (int(n or 0) if labels[wf] == "1" else 0) - int(d or 0)
        return {
            "backend": "redis",
            "url": mask_url(self.url),
            "stream": self.stream,
            "total": int(total),
            "desirable": desirable,
            "undesirable": int(total) - desirable,
            "success": int(meta.get("success", 0)),
            "by_action": {a: int(c) for a, c in by_action.items()},
            "by_error_kind": {k: int(c) for k, c in by_error.items()},
            "workflows": int(workflows),
            "relabelled_workflows": len(relabelled),
            "last_ts": float(meta["last_ts"]) if "last_ts" in meta else None,
        }

    def close(self) -> None:
        self._redis.close()
