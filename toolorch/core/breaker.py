"""A circuit breaker per backend: after `failures` consecutive failures the circuit opens and
calls fail fast as "unavailable" (not a tool failure); after `reset_s` one trial call is let
through (half-open); its success closes the circuit, its failure re-opens it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from toolorch.errors import CircuitOpenError


@dataclass(slots=True)
class CircuitBreaker:
    name: str
    failures: int = 5
    reset_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _consecutive: int = 0
    _opened_at: float | None = None
    _trial_in_flight: bool = field(default=False)

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self._opened_at >= self.reset_s else "open"

    def before_call(self) -> None:
        """Raise CircuitOpenError when calls must not reach the backend now."""
        state = self.state
        if state == "closed":
            return
        if state == "half_open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return
        assert self._opened_at is not None
        raise CircuitOpenError(self.name, max(0.0, self.reset_s - (self.clock() - self._opened_at)))

    def record_success(self) -> None:
        self._consecutive, self._opened_at, self._trial_in_flight = 0, None, False

    def record_failure(self) -> None:
        self._trial_in_flight = False
        self._consecutive += 1
        if self._consecutive >= self.failures or self._opened_at is not None:
            self._opened_at = self.clock()

    def snapshot(self) -> dict[str, object]:
        return {"state": self.state, "consecutive_failures": self._consecutive}
