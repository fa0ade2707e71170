"""The one "try the remote again later" mechanism: a circuit breaker.

After `failures` consecutive failures the circuit opens and calls fail fast; after `reset_s` one
trial call is let through (half-open); its success closes the circuit, its failure re-opens it.
The engine keeps one per backend (calls fail as "unavailable", not as tool failures); the Redis
cache, the Redis experience store and the shared policy checkpoints each keep one with
`failures=1` (skip Redis for a while after an error, then try once).

Thread-safe (the stores call it from writer threads). Every call that `allow()`ed must end in
`record_success`, `record_failure` or `abandon` (cancelled: says nothing about the remote), or a
half-open trial would hold the circuit open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from toolorch.errors import CircuitOpenError


class CircuitBreaker:
    def __init__(self, name: str, failures: int = 5, reset_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.failures, self.reset_s, self.clock = name, failures, reset_s, clock
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: float | None = None    # when the circuit last opened
        self._outage_since: float | None = None  # when it first opened in this outage
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self._opened_at >= self.reset_s else "open"

    def allow(self) -> bool:
        """May a call reach the remote now? In half-open state only one trial at a time."""
        if self._opened_at is None:  # closed: the hot path takes no lock (one read is atomic)
            return True
        with self._lock:
            state = self.state
            if state == "closed":
                return True
            if state == "half_open" and not self._trial_in_flight:
                self._trial_in_flight = True
                return True
            return False

    def retry_in_s(self) -> float:
        """Seconds until the next trial is let through (0 when it may go now)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.reset_s - (self.clock() - self._opened_at))

    def before_call(self) -> None:
        """Raise CircuitOpenError when calls must not reach the backend now."""
        if not self.allow():
            raise CircuitOpenError(self.name, self.retry_in_s())

    def record_success(self) -> float | None:
        """The remote answered. Returns how long the outage lasted when this ended one."""
        if self._consecutive == 0 and self._opened_at is None:  # nothing to reset (the hot path)
            return None
        with self._lock:
            since = self._outage_since
            self._consecutive, self._opened_at, self._outage_since = 0, None, None
            self._trial_in_flight = False
        return None if since is None else self.clock() - since

    def record_failure(self) -> bool:
        """The remote failed. Returns True when this opened a closed circuit (an outage began)."""
        with self._lock:
            self._trial_in_flight = False
            self._consecutive += 1
            if self._consecutive < self.failures and self._opened_at is None:
                return False
            began = self._outage_since is None
            self._opened_at = self.clock()
            if began:
                self._outage_since = self._opened_at
            return began

    def abandon(self) -> None:
        """A call that was let through ended without an answer (cancelled): free the trial."""
        with self._lock:
            self._trial_in_flight = False

    def snapshot(self) -> dict[str, object]:
        return {"state": self.state, "consecutive_failures": self._consecutive}
