"""Retry with exponential backoff and full jitter, Temporal-style field names.

The delay is a pure function of (policy, attempt, random draw), so tests inject the randomness;
the engine injects the sleep.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolorch.errors import ToolorchError
from toolorch.registry.models import RetrySpec

#: Kinds that are never worth another attempt, whatever a tool's registry entry says.
ALWAYS_FINAL = frozenset({"validation", "path", "unknown_tool", "not_available", "unavailable"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Frozen and validated at construction.

    initial_interval_s: delay before the first retry (Temporal default 1 s).
    backoff_coefficient: growth per attempt (≥ 1; default 2.0).
    maximum_interval_s: cap on one delay (default 100 × initial).
    maximum_attempts: attempts in all, the first included; 0 = unlimited.
    non_retryable_error_kinds: `ToolorchError.kind` values never retried.
    """

    initial_interval_s: float = 1.0
    backoff_coefficient: float = 2.0
    maximum_interval_s: float | None = None
    maximum_attempts: int = 3
    non_retryable_error_kinds: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.initial_interval_s <= 0:
            raise ValueError("initial_interval_s must be > 0")
        if self.backoff_coefficient < 1:
            raise ValueError("backoff_coefficient must be >= 1")
        if self.maximum_interval_s is not None and self.maximum_interval_s < self.initial_interval_s:
            raise ValueError("maximum_interval_s must be >= initial_interval_s")
        if self.maximum_attempts < 0:
            raise ValueError("maximum_attempts must be >= 0 (0 = unlimited)")

    @classmethod
    def from_spec(cls, spec: RetrySpec) -> RetryPolicy:
        return cls(
            initial_interval_s=spec.initial_interval_s,
            backoff_coefficient=spec.backoff_coefficient,
            maximum_interval_s=spec.maximum_interval_s,
            maximum_attempts=spec.maximum_attempts,
            non_retryable_error_kinds=frozenset(spec.non_retryable_error_kinds),
        )

    @property
    def cap_s(self) -> float:
        return self.maximum_interval_s or 100 * self.initial_interval_s

    def should_retry(self, error: ToolorchError, attempt: int) -> bool:
        """After `attempt` (1-based) failed with `error`, is another attempt allowed?"""
        if error.kind in ALWAYS_FINAL or error.kind in self.non_retryable_error_kinds:
            return False
        if not error.retryable:
            return False
        return self.maximum_attempts == 0 or attempt < self.maximum_attempts

    def delay_s(self, attempt: int, draw: float) -> float:
        """Full jitter: uniform in [0, min(cap, initial × coefficient^(attempt-1))].
        `attempt` is the 1-based attempt that just failed, `draw` a uniform sample in [0, 1)."""
        ceiling = min(self.cap_s, self.initial_interval_s * self.backoff_coefficient ** (attempt - 1))
        return draw * ceiling
