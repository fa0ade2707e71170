"""The one retry model: timing (full jitter, injected randomness), rules, defaults, validation."""

from __future__ import annotations

import pytest

from toolorch.errors import BackendError, QueryError, ToolTimeoutError, ValidationError
from toolorch.registry.retry import RetryPolicy


def test_delay_grows_exponentially_and_is_capped() -> None:
    p = RetryPolicy(initial_interval_s=1.0, backoff_coefficient=2.0, maximum_interval_s=5.0, maximum_attempts=0)
    ceilings = [p.delay_s(a, 0.999999) for a in range(1, 6)]
    assert ceilings == pytest.approx([1.0, 2.0, 4.0, 5.0, 5.0], rel=1e-5)
    assert p.delay_s(3, 0.0) == 0.0            # full jitter: anywhere in [0, ceiling]
    assert p.delay_s(3, 0.5) == pytest.approx(2.0)


def test_default_cap_is_100x_initial() -> None:
    assert RetryPolicy(initial_interval_s=0.5).cap_s == 50.0


def test_defaults_are_decided_once() -> None:
    """One definition (the registry's), Temporal's field names with seconds spelled out."""
    p = RetryPolicy()
    assert (p.initial_interval_s, p.backoff_coefficient, p.maximum_interval_s, p.maximum_attempts) == (0.5, 2.0, None, 3)
    assert p.non_retryable_error_kinds == frozenset() and p.cap_s == 50.0
    assert list(RetryPolicy.model_fields) == ["initial_interval_s", "backoff_coefficient", "maximum_interval_s",
                                              "maximum_attempts", "non_retryable_error_kinds"]


def test_a_tool_without_a_retry_block_gets_the_defaults() -> None:
    from toolorch.registry.models import ToolSpec

    spec = ToolSpec.model_validate({"name": "t", "title": "t", "description": "d", "input_schema": {"type": "object"},
                                    "output_schema": {"type": "object"}, "backend": {"kind": "embedded", "target": "m:f"}})
    assert spec.retry == RetryPolicy()


def test_equal_cap_and_initial_is_allowed() -> None:
    assert RetryPolicy(initial_interval_s=1.0, maximum_interval_s=1.0).cap_s == 1.0


@pytest.mark.parametrize("bad", [
    {"initial_interval_s": 0}, {"backoff_coefficient": 0.5}, {"maximum_attempts": -1},
    {"initial_interval_s": 2.0, "maximum_interval_s": 1.0},
])
def test_invalid_policies_rejected_at_construction(bad: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):
        RetryPolicy(**bad)


def test_should_retry_rules() -> None:
    p = RetryPolicy(maximum_attempts=3, non_retryable_error_kinds=frozenset({"timeout"}))
    transient = BackendError("503", retryable=True)
    assert p.should_retry(transient, 1) and p.should_retry(transient, 2)
    assert not p.should_retry(transient, 3)                      # attempts exhausted
    assert not p.should_retry(ValidationError("bad"), 1)         # validation never retries
    assert not p.should_retry(BackendError("permanent"), 1)      # not retryable
    assert not p.should_retry(ToolTimeoutError("slow"), 1)       # listed as non-retryable
    assert p.should_retry(QueryError("transient engine error", retryable=True), 1)
    unlimited = RetryPolicy(maximum_attempts=0)
    assert unlimited.should_retry(transient, 1000)
