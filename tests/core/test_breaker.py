"""The one cooldown mechanism: the circuit breaker (injected clock)."""

from __future__ import annotations

import pytest

from toolorch.core.breaker import CircuitBreaker
from toolorch.errors import CircuitOpenError


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


def test_success_resets_the_count() -> None:
    br = CircuitBreaker("b", failures=2, reset_s=1.0, clock=lambda: 0.0)
    br.record_failure()
    br.record_success()
    br.record_failure()
    assert br.state == "closed"
