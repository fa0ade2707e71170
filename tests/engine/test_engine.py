"""The engine's call path on real (small) tools: validation, cache, retry, timeout, breaker."""

from __future__ import annotations

import random

import pytest

from toolorch.config import Settings
from toolorch.core.runs import RunInfo, RunOutcome
from toolorch.engine.engine import Engine
from toolorch.errors import UnknownToolError
from toolorch.registry.retry import RetryPolicy

from .conftest import Sleeps

pytestmark = pytest.mark.anyio


async def test_success_then_cache_hit(engine: Engine) -> None:
    first = await engine.execute("echo", {"text": "hi"})
    assert first.success and first.output == {"text": "hi", "length": 2}
    assert first.attempts == 1 and not first.cached and first.cost == pytest.approx(0.1)
    second = await engine.execute("echo", {"text": "hi"})
    assert second.cached and second.attempts == 0 and second.output == first.output and second.cost == 0
    other = await engine.execute("echo", {"text": "other"})
    assert not other.cached
    snap = engine.metrics.snapshot()
    assert snap["overall"]["cache_hit_rate"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"text": 5}, "argument 'text': 5 is not of type 'string'"),
        ({}, "missing required argument 'text'"),
        ({"text": "a", "extra": 1}, "allowed arguments: text"),
        ({"text": "x" * 200_000}, "the limit is 100000"),
        ([1, 2], "arguments must be a JSON object"),
    ],
)
async def test_invalid_arguments_fail_without_calling(engine: Engine, args: object, needle: str) -> None:
    r = await engine.execute("echo", args)
    assert not r.success and r.attempts == 0
    assert r.error is not None and r.error.kind == "validation"
    assert needle in r.error.message


async def test_unknown_tool_raises(engine: Engine) -> None:
    with pytest.raises(UnknownToolError, match="known tools: .*echo"):
        await engine.execute("nope", {})


async def test_retries_with_backoff_then_success(engine: Engine, sleeps: Sleeps) -> None:
    r = await engine.execute("flaky", {"key": "k1", "fail_times": 2})
    assert r.success and r.attempts == 3 and r.output == {"calls": 3}
    policy = RetryPolicy(initial_interval_s=0.01, backoff_coefficient=2.0, maximum_interval_s=0.05, maximum_attempts=3)
    rng = random.Random(7)
    assert sleeps.delays == pytest.approx([policy.delay_s(1, rng.random()), policy.delay_s(2, rng.random())])
    assert r.cost == pytest.approx(3.0)  # every attempt is paid for


async def test_retries_exhausted(engine: Engine, sleeps: Sleeps) -> None:
    r = await engine.execute("flaky", {"key": "k2", "fail_times": 10})
    assert not r.success and r.attempts == 3 and len(sleeps.delays) == 2
    assert r.error is not None and "flaky failure 3 of 10" in r.error.message


async def test_non_retryable_error_is_not_retried(engine: Engine, sleeps: Sleeps) -> None:
    r = await engine.execute("boom", {"reason": "test"})
    assert not r.success and r.attempts == 1 and sleeps.delays == []


async def test_timeout_does_not_hang(engine: Engine) -> None:
    r = await engine.execute("sleepy", {"seconds": 30})
    assert not r.success and r.error is not None and r.error.kind == "timeout"
    assert r.time_s < 5


async def test_backend_bug_becomes_an_error_result(engine: Engine) -> None:
    r = await engine.execute("crash", {"reason": "test"})
    assert not r.success and r.error is not None
    assert "internal error RuntimeError: a bug inside a backend" in r.error.message


async def test_breaker_opens_after_consecutive_failures(tmp_path, sleeps: Sleeps) -> None:  # type: ignore[no-untyped-def]
    from .conftest import SUPPORT_REGISTRY

    s = Settings(home=tmp_path / "h", registry_dir=SUPPORT_REGISTRY, breaker_failures=4, breaker_reset_s=60,
                 policy_enabled=False)
    async with Engine(s, observers=[], sleep=sleeps) as engine:
        first = await engine.execute("flaky", {"key": "b", "fail_times": 100})   # 3 failures
        second = await engine.execute("flaky", {"key": "b", "fail_times": 100})  # 4th opens it
        assert first.attempts == 3 and not second.success
        third = await engine.execute("flaky", {"key": "b", "fail_times": 100})
        assert third.error is not None and third.error.kind == "unavailable"
        assert third.attempts == 0 and "retry in" in third.error.message
        # a different backend is unaffected
        assert (await engine.execute("echo", {"text": "still fine"})).success


async def test_direct_calls_are_logged_with_session_state(engine: Engine) -> None:
    await engine.call("step_a", {"seed": "s"}, session_id="sess")
    await engine.call("echo", {"text": 1}, session_id="sess")  # invalid: logged as undesirable
    await engine.call("step_b", {"alpha": "a(s)"}, session_id="sess")
    engine.flush_experiences()
    exps = engine.store.recent(10)
    assert [e.action for e in exps] == ["step_a", "echo", "step_b"]
    assert [e.desirable for e in exps] == [True, False, True]
    assert exps[1].error_kind == "validation"
    assert exps[2].artifacts == ("alpha",)
    assert exps[2].history == (("step_a", True), ("echo", False))


async def test_observers_see_start_and_finish(settings: Settings, sleeps: Sleeps) -> None:
    seen: list[tuple[str, str, bool | None]] = []

    class Recorder:
        def run_started(self, run: RunInfo) -> None:
            seen.append(("start", run.tool, None))

        def run_finished(self, run: RunInfo, outcome: RunOutcome) -> None:
            seen.append(("finish", run.tool, outcome.success))
            assert [d.name for d in outcome.outputs] == (["alpha/z"] if outcome.success else [])

    async with Engine(settings, observers=[Recorder()], sleep=sleeps) as engine:
        await engine.execute("step_a", {"seed": "z"})
    assert seen == [("start", "step_a", None), ("finish", "step_a", True)]


async def test_progress_is_forwarded(engine: Engine) -> None:
    got: list[str | None] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        got.append(message)

    r = await engine.execute("sleepy", {"seconds": 0.02}, progress=progress)
    assert r.success and got == [f"sleeping {i}/4" for i in range(1, 5)]


@pytest.mark.parametrize("how", ["cancelled", "refused"])
async def test_a_half_open_trial_that_ends_without_a_verdict_frees_the_circuit(tmp_path, how: str) -> None:  # type: ignore[no-untyped-def]
    """A trial call that is cancelled, or that the backend refuses (a non-retryable error, which
    says nothing of its health), must not hold the circuit half-open forever."""
    import anyio

    from .conftest import SUPPORT_REGISTRY

    s = Settings(home=tmp_path / "h", registry_dir=SUPPORT_REGISTRY, breaker_failures=1, breaker_reset_s=0.05,
                 policy_enabled=False)
    tool, args = ("sleepy", {"seconds": 0}) if how == "cancelled" else ("boom", {"reason": "no"})
    async with Engine(s, observers=[]) as engine:
        engine.breaker(engine.registry.get(tool)).record_failure()   # open
        await anyio.sleep(0.06)                                      # half-open: one trial may go
        if how == "cancelled":
            with anyio.move_on_after(0.02):
                await engine.execute("sleepy", {"seconds": 1})
        else:
            assert (await engine.execute(tool, args)).error.kind == "backend"  # type: ignore[union-attr]
        again = await engine.execute(tool, args)
        assert again.error is None or again.error.kind != "unavailable"
        assert again.attempts == 1


async def test_backends_are_arguments_a_mock_answers_through_the_real_call_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from toolorch.backends.mock import MockBackend
    from toolorch.errors import BackendError

    from .conftest import SUPPORT_REGISTRY

    answers = iter([BackendError("try again", retryable=True), {"text": "hi", "length": 2}])

    def handler(args: dict) -> dict:  # type: ignore[type-arg]
        got = next(answers)
        if isinstance(got, Exception):
            raise got
        return got

    mock = MockBackend(handler)
    s = Settings(home=tmp_path / "h", registry_dir=SUPPORT_REGISTRY, policy_enabled=False)
    sleeps: list[float] = []

    async def sleep(d: float) -> None:
        sleeps.append(d)

    async with Engine(s, observers=[], backends={"echo": mock}, sleep=sleep) as engine:
        r = await engine.execute("echo", {"text": "hi"})
        assert r.success and r.attempts == 2 and r.output == {"text": "hi", "length": 2} and len(sleeps) == 1
        assert mock.calls == [{"text": "hi"}, {"text": "hi"}]
        bad = await engine.execute("echo", {})
        assert bad.error is not None and bad.error.kind == "validation" and len(mock.calls) == 2
    with pytest.raises(UnknownToolError, match="'nope'"):
        Engine(s, observers=[], backends={"nope": mock})
