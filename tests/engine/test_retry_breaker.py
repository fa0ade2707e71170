"""Retry timing (full jitter, injected randomness) and the circuit breaker (injected clock)."""

from __future__ import annotations

import pytest

from toolorch.core.breaker import CircuitBreaker
from toolorch.errors import BackendError, CircuitOpenError, QueryError, ToolTimeoutError, ValidationError
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


def test_breaker_opens_half_opens_and_closes() -> None:
    now = [0.0]
    br = CircuitBreaker("b", failures=3, reset_s=10.0, clock=lambda: now[0])
    for _ in range(3):
        br.before_call()
        br.record_failure()
    assert br.state == "open"
    with pytest.raises(CircuitOpenError, match="temporarily unavailable.*retry in 10.0s"):
        br.before_call()
    now[0] = 10.0
    assert br.state == "half_open"
    br.before_call()                 # one trial goes through
    with pytest.raises(CircuitOpenError):
        br.before_call()             # a second concurrent trial does not
    br.record_failure()              # trial failed: open again, timer restarted
    assert br.state == "open"
    now[0] = 20.0
    br.before_call()
    br.record_success()
    assert br.state == "closed" and br.snapshot()["consecutive_failures"] == 0


def test_success_resets_the_count() -> None:
    br = CircuitBreaker("b", failures=2, reset_s=1.0, clock=lambda: 0.0)
    br.record_failure()
    br.record_success()
    br.record_failure()
    assert br.state == "closed"


def test_breaker_reports_an_outage_once_and_its_length() -> None:
    """What the Redis users log: the first failure of an outage, and how long it lasted."""
    now = [100.0]
    br = CircuitBreaker("redis", failures=1, reset_s=2.0, clock=lambda: now[0])
    assert br.allow() and br.record_failure() is True          # outage begins
    assert not br.allow() and br.retry_in_s() == 2.0
    now[0] = 102.0
    assert br.allow() and br.record_failure() is False         # trial failed: same outage, re-opened
    assert not br.allow() and br.retry_in_s() == 2.0
    now[0] = 105.0
    assert br.allow()
    assert br.record_success() == 5.0                           # ended an outage that began at 100
    assert br.record_success() is None and br.state == "closed"


def test_breaker_abandon_frees_the_trial_without_a_verdict() -> None:
    now = [0.0]
    br = CircuitBreaker("b", failures=1, reset_s=1.0, clock=lambda: now[0])
    br.record_failure()
    now[0] = 1.0
    assert br.allow() and not br.allow()      # one trial at a time
    br.abandon()
    assert br.state == "half_open" and br.allow()
    assert br.snapshot() == {"state": "half_open", "consecutive_failures": 1}


def test_breaker_stays_closed_below_the_threshold() -> None:
    br = CircuitBreaker("b", failures=3, reset_s=1.0, clock=lambda: 0.0)
    assert br.record_failure() is False and br.record_failure() is False and br.state == "closed"
    assert br.record_failure() is True and br.state == "open"
