"""The execution engine: every tool call, direct or orchestrated, goes through `Engine.call`.

    validate → cache → breaker → (timeout + retry) → backend → metrics, lineage, experience

The engine knows nothing about MCP; the server and the CLI are thin adapters over it.
"""

from __future__ import annotations

import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from toolorch.backends.base import Backend
from toolorch.config import Settings
from toolorch.core.breaker import CircuitBreaker
from toolorch.core.context import ToolContext
from toolorch.core.ids import new_id
from toolorch.core.progress import ProgressFn, no_progress
from toolorch.core.runs import RunInfo, RunObserver, RunOutcome
from toolorch.core.services import Services
from toolorch.core.state import State
from toolorch.engine.results import ToolResult
from toolorch.engine.validation import ArgumentValidator
from toolorch.errors import BackendError, CircuitOpenError, ToolorchError, ToolTimeoutError, UnknownToolError
from toolorch.registry import Registry, ToolSpec
from toolorch.stores.experience import Experience, ExperienceStore

if TYPE_CHECKING:
    import numpy as np

    from toolorch.engine.cache import ResultCache
    from toolorch.metrics import MetricsTracker
    from toolorch.rl.runner import PolicyRunner
    from toolorch.stores.writer import ExperienceWriter

log = logging.getLogger(__name__)

_EMPTY_SESSION = State("")

SleepFn = Callable[[float], Awaitable[None]]
_SESSIONS = 256  # direct-call histories kept (LRU)


class Engine:
    """Owns the registry, validators, backends, breakers, cache, metrics, stores and observers.

    Use as `async with Engine(settings) as engine:` so backends and stores are closed after.
    `backends` replaces the registry's binding of the tools it names (like an httpx transport:
    tests hand the engine a `MockBackend`); the others are built from the registry on first use.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        registry: Registry | None = None,
        *,
        store: ExperienceStore | None = None,
        cache: ResultCache | None = None,
        metrics: MetricsTracker | None = None,
        observers: list[RunObserver] | None = None,
        backends: Mapping[str, Backend] | None = None,
        sleep: SleepFn = anyio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.settings.ensure_home()
        self.registry = registry or Registry.for_settings(self.settings)
        self.services = Services(self.settings)
        self._validators = {
            t.name: ArgumentValidator(t.name, t.input_schema, self.settings.max_arg_chars) for t in self.registry
        }
        unknown = sorted(set(backends or {}) - set(self.registry.names))
        if unknown:
            raise UnknownToolError(unknown[0], self.registry.names)
        self._backends: dict[str, Backend] = dict(backends or {})
        self._breakers: dict[str, CircuitBreaker] = {}
        self._store = store
        self._writer: ExperienceWriter | None = None
        self._cache = cache
        self._metrics = metrics
        self._observers = observers
        self._sessions: OrderedDict[str, State] = OrderedDict()  # what each client session did so far
        self._limiter = anyio.CapacityLimiter(self.settings.max_concurrency)
        self._roots = self.settings.roots  # resolved once: cwd and symlinks do not move under us
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.policy: PolicyRunner | None = None  # attached by load_policy()

    # -- owned components, created on first use ------------------------------------------------
    @property
    def store(self) -> ExperienceStore:
        if self._store is None:
            from toolorch.stores.factory import open_store

            self._store = open_store(self.settings)
        return self._store

    @property
    def cache(self) -> ResultCache:
        if self._cache is None:
            from toolorch.engine.cache import open_cache

            self._cache = open_cache(self.settings)
        return self._cache

    @property
    def metrics(self) -> MetricsTracker:
        if self._metrics is None:
            from toolorch.metrics import MetricsTracker

            self._metrics = MetricsTracker()
        return self._metrics

    @property
    def observers(self) -> list[RunObserver]:
        if self._observers is None:
            from toolorch.lineage.observer import LineageObserver

            self._observers = [LineageObserver(self.settings, self.services)]
        return self._observers

    def backend(self, spec: ToolSpec) -> Backend:
        b = self._backends.get(spec.name)
        if b is None:
            b = _make_backend(spec)
            self._backends[spec.name] = b
        return b

    def breaker(self, spec: ToolSpec) -> CircuitBreaker:
        key = spec.backend.name
        br = self._breakers.get(key)
        if br is None:
            br = CircuitBreaker(key, self.settings.breaker_failures, self.settings.breaker_reset_s)
            self._breakers[key] = br
        return br

    def breaker_states(self) -> dict[str, dict[str, object]]:
        """Every backend's circuit, for the metrics resource."""
        return {k: b.snapshot() for k, b in self._breakers.items()}

    def session(self, session_id: str) -> State:
        """The state of a client session's next direct call (the newest _SESSIONS sessions kept)."""
        s = self._sessions.get(session_id)
        if s is None:
            s = self._sessions[session_id] = _EMPTY_SESSION
            if len(self._sessions) > _SESSIONS:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(session_id)
        return s

    # -- the call path -------------------------------------------------------------------------
    def validate(self, tool: str, args: Any) -> dict[str, Any]:
        """Arguments checked against the input schema, defaults filled (raises ValidationError)."""
        self.registry.get(tool)
        return self._validators[tool](args)

    async def execute(
        self,
        tool: str,
        args: Any,
        *,
        progress: ProgressFn = no_progress,
        roots: list[Path] | None = None,
        workflow_id: str | None = None,
        strategy: str = "direct",
    ) -> ToolResult:
        """Run one tool through validation, cache, breaker, timeout and retry. Records metrics and
        lineage, not experiences (the caller knows the state; see `call` and the orchestrator).
        Raises UnknownToolError for a name not in the registry; every other problem is a failed
        ToolResult."""
        spec = self.registry.get(tool)
        start = time.perf_counter()
        run_id = new_id()
        try:
            clean = self._validators[tool](args)
        except ToolorchError as exc:
            return self._finish(spec, ToolResult(tool, False, error=exc, run_id=run_id), start, strategy, workflow_id)

        use_cache = spec.cache.enabled and self.settings.cache_enabled
        key = ""
        if use_cache:
            from toolorch.engine.cache import cache_key

            key = cache_key(tool, clean)
            hit = await self.cache.get(key)
            if hit is not None:
                result = ToolResult(tool, True, output=hit.output, attempts=0, cached=True, run_id=run_id)
                self._observe(RunInfo(run_id, tool, clean, time.time(), workflow_id), result, [], [])
                return self._finish(spec, result, start, strategy, workflow_id)

        result, ctx = await self._attempts(spec, clean, run_id, progress, roots, workflow_id)
        if result.success and use_cache and result.output is not None:
            await self.cache.put(key, result.output, ctx.files_read, spec.cache.ttl_s)
        return self._finish(spec, result, start, strategy, workflow_id)

    async def _attempts(
        self,
        spec: ToolSpec,
        args: dict[str, Any],
        run_id: str,
        progress: ProgressFn,
        roots: list[Path] | None,
        workflow_id: str | None,
    ) -> tuple[ToolResult, ToolContext]:
        policy = spec.retry
        breaker = self.breaker(spec)
        attempt = 0
        while True:
            attempt += 1
            ctx = ToolContext(
                tool=spec.name, run_id=run_id if attempt == 1 else f"{run_id}-{attempt}",
                settings=self.settings, services=self.services,
                roots=[*self._roots, *roots] if roots else self._roots, report_progress=progress,
            )
            info = RunInfo(ctx.run_id, spec.name, args, time.time(), workflow_id)
            try:
                breaker.before_call()
            except CircuitOpenError as exc:
                return ToolResult(spec.name, False, error=exc, attempts=attempt - 1, run_id=run_id), ctx
            self._notify_start(info)
            try:
                async with self._limiter:
                    with anyio.fail_after(spec.timeout_s):
                        output = await self.backend(spec).call(args, ctx)
                if not isinstance(output, dict):
                    raise BackendError(f"{spec.name}: backend returned {type(output).__name__}, not an object")
            except TimeoutError:
                error: ToolorchError = ToolTimeoutError(
                    f"{spec.name} timed out after {spec.timeout_s:g}s (attempt {attempt})"
                )
            except ToolorchError as exc:
                error = exc
            except Exception as exc:  # a bug in a backend: report it, never crash the server
                log.exception("%s: unexpected error", spec.name)
                error = BackendError(f"{spec.name}: internal error {type(exc).__name__}: {exc}")
            except BaseException:  # cancelled: says nothing about the backend; free a half-open trial
                breaker.abandon()
                raise
            else:
                breaker.record_success()
                result = ToolResult(spec.name, True, output=output, attempts=attempt, run_id=run_id)
                self._observe(info, result, ctx.inputs, ctx.outputs)
                return result, ctx
            if error.retryable or error.kind == "timeout":
                breaker.record_failure()  # only faults of the backend, not bad queries
            else:
                breaker.abandon()  # a refusal says nothing of the backend's health; frees a trial
            failed = ToolResult(spec.name, False, error=error, attempts=attempt, run_id=run_id)
            self._observe(info, failed, ctx.inputs, ctx.outputs)
            if not policy.should_retry(error, attempt):
                return failed, ctx
            delay = policy.delay_s(attempt, self._rng.random())
            log.info("%s attempt %d failed (%s); retrying in %.2fs", spec.name, attempt, error.kind, delay)
            await progress(attempt, None, f"{spec.name}: attempt {attempt} failed ({error.kind}); retrying")
            await self._sleep(delay)

    def _finish(self, spec: ToolSpec, result: ToolResult, start: float, strategy: str,
                workflow_id: str | None) -> ToolResult:
        result.time_s = time.perf_counter() - start
        result.cost = 0.0 if result.cached else spec.cost * max(1, result.attempts)
        self.metrics.record(
            spec.name, result.success, result.time_s, result.cost, result.cached, result.attempts,
            strategy, workflow_id, result.error_kind,
        )
        return result

    def _notify_start(self, info: RunInfo) -> None:
        for obs in self.observers:
            try:
                obs.run_started(info)
            except Exception:
                log.exception("observer %r failed on start", obs)

    def _observe(self, info: RunInfo, result: ToolResult, inputs: list[Any], outputs: list[Any]) -> None:
        outcome = RunOutcome(result.success, time.time(), list(inputs), list(outputs), result.output, result.error)
        for obs in self.observers:
            try:
                if result.cached:
                    obs.run_started(info)
                obs.run_finished(info, outcome)
            except Exception:
                log.exception("observer %r failed on finish", obs)

    async def call(
        self,
        tool: str,
        args: Any,
        *,
        session_id: str = "",
        progress: ProgressFn = no_progress,
        roots: list[Path] | None = None,
    ) -> ToolResult:
        """A direct call: executed, then logged as one experience whose state is the session's
        history (artifacts produced and tools called before it)."""
        before = self.session(session_id)
        result = await self.execute(tool, args, progress=progress, roots=roots)
        made = self.registry.dataflow.artifacts_of(tool, result.output) if result.success and result.output is not None else {}
        # the session as it is now (another call may have finished meanwhile), plus this one
        self._sessions[session_id] = self.session(session_id).after(tool, result.success, made)
        exp = Experience(
            before, action=tool, desirable=result.success, success=result.success, session_id=session_id,
            strategy="direct", error_kind=result.error_kind, latency_s=result.time_s, cost=result.cost,
            attempts=result.attempts, cached=result.cached,
        )
        await self.log_experiences([exp])
        return result

    @property
    def writer(self) -> ExperienceWriter:
        if self._writer is None:
            from toolorch.stores.writer import ExperienceWriter

            self._writer = ExperienceWriter(self.store, self._on_stored)
        return self._writer

    async def log_experiences(self, exps: list[Experience]) -> None:
        """Queue for the background writer (answers never wait on a commit); once stored they go
        to the online trainer if a policy is loaded. `flush_experiences` waits for the queue."""
        self.writer.submit(exps)

    def flush_experiences(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def _on_stored(self, exps: list[Experience]) -> None:
        if self.policy is not None:
            self.policy.observe(exps)

    # -- the policy ----------------------------------------------------------------------------
    async def load_policy(self) -> str | None:
        """Attach and start the KTO policy (torch loads in a worker thread); returns None, or why
        it is unavailable (rl_optimized then plans by dependency analysis and says so)."""
        if self.policy is not None:
            return None
        if not self.settings.policy_enabled:
            return "the KTO policy is disabled (TOOLORCH_POLICY_ENABLED=0)"
        try:
            from toolorch.rl.runner import PolicyRunner
        except ImportError as exc:
            return f"the KTO policy is not available in this installation ({exc})"
        embed = self._goal_embedder()
        runner = PolicyRunner(self.registry, self.settings, embed, store=self.store)
        try:
            await anyio.to_thread.run_sync(runner.start)
        except ToolorchError as exc:
            return f"the KTO policy could not start: {exc.message}"
        self.policy = runner
        return None

    def _goal_embedder(self) -> Callable[[list[str]], np.ndarray]:
        from toolorch.backends.vectors.embedder import embedder_of

        return embedder_of(self.services).embed

    # -- lifecycle -----------------------------------------------------------------------------
    async def aclose(self) -> None:
        for b in self._backends.values():
            try:
                await b.aclose()
            except Exception:
                log.exception("closing backend %s", b.name)
        if self.policy is not None:
            await anyio.to_thread.run_sync(self.policy.close)
        self.services.close()
        if self._writer is not None:
            await anyio.to_thread.run_sync(self._writer.close)
        if self._store is not None:
            self._store.close()
        for obs in self._observers or []:
            close = getattr(obs, "close", None)
            if callable(close):
                close()

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        with anyio.CancelScope(shield=True):
            await self.aclose()


def _make_backend(spec: ToolSpec) -> Backend:
    kind = spec.backend.kind
    if kind == "embedded":
        from toolorch.backends.embedded import EmbeddedBackend

        assert spec.backend.target is not None
        return EmbeddedBackend(spec.name, spec.backend.target)
    if kind == "http":
        from toolorch.backends.http import HttpBackend

        return HttpBackend(spec.name, spec.backend)
    from toolorch.backends.mcp import McpBackend

    return McpBackend(spec.name, spec.backend)
