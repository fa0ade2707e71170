"""The one retry model: Temporal's `RetryPolicy` field names (durations in seconds, `_s`), frozen,
validated where the registry is loaded (a bad `retry` block names the file, the tool and the
field), and the engine's decisions as pure functions of (policy, error, attempt, random draw).

Defaults are decided here once (tests pin them): 0.5 s before the first retry (Temporal: 1 s; our
tools answer in milliseconds to seconds, and a retry waits for a transient fault, not a slow one),
coefficient 2.0, cap 100 × initial, 3 attempts in all.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from toolorch.errors import ToolorchError

#: Kinds that are never worth another attempt, whatever a tool's registry entry says.
ALWAYS_FINAL = frozenset({"validation", "path", "unknown_tool", "not_available", "unavailable"})


class RetryPolicy(BaseModel):
    """How the engine retries one tool's failed attempts (exponential backoff, full jitter)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_interval_s: float = Field(0.5, gt=0, description="Delay before the first retry.")
    backoff_coefficient: float = Field(2.0, ge=1.0, description="Growth factor per attempt.")
    maximum_interval_s: float | None = Field(
        None, gt=0, description="Cap on one delay (≥ initial_interval_s); default 100 × initial."
    )
    maximum_attempts: int = Field(3, ge=0, description="Attempts in all, the first included; 0 = unlimited.")
    non_retryable_error_kinds: frozenset[str] = Field(
        default_factory=frozenset, description="`ToolorchError.kind` values never retried (validation never is)."
    )

    @field_validator("maximum_interval_s")
    @classmethod
    def _cap_above_initial(cls, v: float | None, info: ValidationInfo) -> float | None:
        initial = info.data.get("initial_interval_s")
        if v is not None and initial is not None and v < initial:
            raise ValueError(f"must be >= initial_interval_s ({initial:g}), got {v:g}")
        return v

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
