"""Live metrics of tool calls and workflows, over a fixed window of the most recent results.

`record` writes a few integers and floats into numpy ring buffers (a few µs, no allocation);
`snapshot` aggregates the whole window with a handful of `np.bincount` passes, so it stays under a
millisecond at 100k results. To make that possible the categorical fields are integer-coded at
record time: tool, strategy, error kind and four flags (success, cached, retried, inside a
workflow) are packed into one code, so a single `bincount` counts every combination at once, and
the latency is stored as a log-scale bin (ratio 1.02 per bin) so percentiles per tool come from
one more `bincount`. Percentiles are therefore nearest-rank values within ±1%. Latency, cost and
attempt sums per tool are kept as running sums (added on record, the evicted value subtracted,
recomputed exactly with `bincount` each time the ring wraps), so they cost no pass at snapshot
time and are exact up to float rounding. Names beyond the caps below count under "(other)".
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from toolorch.stores.experience import STOP, Experience

OTHER = "(other)"
MAX_TOOLS, MAX_STRATEGIES, MAX_ERRORS = 256, 8, 16   # error id 0 means "no error"
N_FLAGS = 16                                         # success | cached | retried | in workflow
F_SUCCESS, F_CACHED, F_RETRIED, F_WORKFLOW = 8, 4, 2, 1
LAT_MIN_S, LAT_RATIO = 1e-6, 1.02                     # bin b covers [MIN·r^b, MIN·r^(b+1))
N_BINS = math.ceil(math.log(1e4 / LAT_MIN_S) / math.log(LAT_RATIO)) + 1   # up to ~3 hours
_INV_LOG_R = 1.0 / math.log(LAT_RATIO)
#: Representative latency of each bin: its geometric midpoint (≤ 1% from any value in it).
BIN_VALUES = LAT_MIN_S * LAT_RATIO ** (np.arange(N_BINS) + 0.5)
QUANTILES = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
_Q = np.array([q for _, q in QUANTILES])
#: flag code -> [any, success, cached, retried, in workflow]; counts @ _FLAG_COLUMNS sums them.
_FLAG_COLUMNS = np.array([[1, f & F_SUCCESS > 0, f & F_CACHED > 0, f & F_RETRIED > 0,
                           f & F_WORKFLOW > 0] for f in range(16)], dtype=np.int64)


def latency_bin(latency_s: float) -> int:
    if latency_s <= LAT_MIN_S:
        return 0
    return min(int(math.log(latency_s / LAT_MIN_S) * _INV_LOG_R), N_BINS - 1)


class _Names:
    """Interning of names to small integer ids, capped; overflow maps to OTHER."""

    def __init__(self, cap: int, first: tuple[str, ...] = ()) -> None:
        self.cap = cap
        self.names: list[str] = []
        self.ids: dict[str, int] = {}
        for name in (*first, OTHER):
            self.id(name)

    def id(self, name: str) -> int:
        got = self.ids.get(name)
        if got is not None:
            return got
        if len(self.names) >= self.cap:
            return self.ids[OTHER]
        self.ids[name] = len(self.names)
        self.names.append(name)
        return self.ids[name]


def _percentiles(hist: np.ndarray) -> list[list[float | None]]:
    """Nearest-rank p50/p95/p99 per row of a (rows, N_BINS) histogram; None for empty rows.
    One `searchsorted` for all rows: row r's cumulative counts are shifted by r·(total+1), which
    makes the concatenation of all rows one increasing sequence."""
    cum = np.cumsum(hist, axis=1)
    totals = cum[:, -1]
    rows = np.arange(len(hist))
    shift = rows * (int(totals.max(initial=0)) + 1)
    ranks = np.maximum(np.ceil(totals[:, None] * _Q), 1).astype(np.int64)
    flat = np.searchsorted((cum + shift[:, None]).ravel(), (ranks + shift[:, None]).ravel())
    idx = np.minimum(flat.reshape(ranks.shape) - rows[:, None] * N_BINS, N_BINS - 1)
    values = BIN_VALUES[idx].tolist()
    empty: list[float | None] = [None] * len(QUANTILES)
    return [v if t else empty for v, t in zip(values, totals.tolist(), strict=True)]


class MetricsTracker:
    """Ring buffers of the last `capacity` calls and `workflow_capacity` workflows."""

    def __init__(self, capacity: int = 100_000, workflow_capacity: int = 10_000,
                 clock: Callable[[], float] = time.time) -> None:
        if capacity < 1 or workflow_capacity < 1:
            raise ValueError("metrics capacities must be ≥ 1")
        self.capacity, self.workflow_capacity = capacity, workflow_capacity
        self._clock = clock
        self._lock = threading.Lock()
        self._tools = _Names(MAX_TOOLS)
        self._strategies = _Names(MAX_STRATEGIES, ("direct",))
        self._errors = _Names(MAX_ERRORS, ("",))
        # calls
        # int64 (intp) codes: np.bincount would otherwise convert (copy) them on every snapshot
        self._code = np.zeros(capacity, np.int64)      # ((tool·S + strategy)·16 + flags)·E + error
        self._tool = np.zeros(capacity, np.int64)
        self._hcode = np.zeros(capacity, np.int64)     # tool·N_BINS + latency bin
        self._latency = np.zeros(capacity, np.float64)
        self._cost = np.zeros(capacity, np.float64)
        self._attempts = np.zeros(capacity, np.int64)
        self._ts = np.zeros(capacity, np.float64)
        self._n = self._head = self.total_calls = 0
        # running sums per tool id over the window (see module docstring)
        self._lat_sum = [0.0] * MAX_TOOLS
        self._cost_sum = [0.0] * MAX_TOOLS
        self._attempts_sum = 0
        # workflows
        self._wf_strategy = np.zeros(workflow_capacity, np.int32)
        self._wf_success = np.zeros(workflow_capacity, np.float64)
        self._wf_cost = np.zeros(workflow_capacity, np.float64)
        self._wf_latency = np.zeros(workflow_capacity, np.float64)
        self._wf_steps = np.zeros(workflow_capacity, np.float64)
        self._wf_n = self._wf_head = self.total_workflows = 0

    @classmethod
    def from_experiences(cls, exps: Iterable[Experience], capacity: int = 100_000) -> MetricsTracker:
        """Metrics rebuilt from the durable experience log (what `toolorch status` shows: the
        live tracker belongs to a running server's memory). Workflows are folded by id."""
        tracker = cls(capacity=capacity)
        workflows: dict[str, list[Experience]] = {}
        for e in exps:
            if e.action == STOP:
                workflows.setdefault(e.workflow_id or "", []).append(e)
                continue
            tracker.record(e.action, e.success, e.latency_s, e.cost, e.cached, e.attempts,
                           e.strategy, e.workflow_id, e.error_kind)
            if e.workflow_id:
                workflows.setdefault(e.workflow_id, []).append(e)
        for wid, steps in workflows.items():
            tools = [s for s in steps if s.action != STOP]
            if wid and tools:
                tracker.record_workflow(wid, tools[0].strategy, all(s.desirable for s in tools),
                                        sum(s.cost for s in tools), sum(s.latency_s for s in tools), len(tools))
        return tracker

    # -- recording ------------------------------------------------------------------------------

    def record(self, tool: str, success: bool, latency_s: float, cost: float = 0.0,
               cached: bool = False, attempts: int = 1, strategy: str = "direct",
               workflow_id: str | None = None, error_kind: str | None = None) -> None:
        """One tool call (direct or inside a workflow)."""
        flags = ((F_SUCCESS if success else 0) | (F_CACHED if cached else 0)
                 | (F_RETRIED if attempts > 1 else 0) | (F_WORKFLOW if workflow_id else 0))
        lat_bin = latency_bin(latency_s)
        now = self._clock()
        with self._lock:
            t = self._tools.id(tool)
            code = ((t * MAX_STRATEGIES + self._strategies.id(strategy)) * N_FLAGS
                    + flags) * MAX_ERRORS + self._errors.id(error_kind or "")
            i = self._head
            if self._n == self.capacity:                 # evict the oldest from the sums
                old = int(self._tool[i])
                self._lat_sum[old] -= float(self._latency[i])
                self._cost_sum[old] -= float(self._cost[i])
                self._attempts_sum -= int(self._attempts[i])
            self._lat_sum[t] += latency_s
            self._cost_sum[t] += cost
            self._attempts_sum += attempts
            self._code[i] = code
            self._tool[i] = t
            self._hcode[i] = t * N_BINS + lat_bin
            self._latency[i] = latency_s
            self._cost[i] = cost
            self._attempts[i] = attempts
            self._ts[i] = now
            self._head = (i + 1) % self.capacity
            self._n = min(self._n + 1, self.capacity)
            self.total_calls += 1
            if self._head == 0:
                self._resum()

    def _resum(self) -> None:
        """Recompute the running sums exactly (bounds float drift; once per ring wrap)."""
        n = self._n
        self._lat_sum = np.bincount(self._tool[:n], weights=self._latency[:n],
                                    minlength=MAX_TOOLS).tolist()
        self._cost_sum = np.bincount(self._tool[:n], weights=self._cost[:n],
                                     minlength=MAX_TOOLS).tolist()
        self._attempts_sum = int(self._attempts[:n].sum())

    def record_workflow(self, workflow_id: str, strategy: str, success: bool, cost: float,
                        latency_s: float, steps: int) -> None:
        """One finished orchestrate workflow (its steps are recorded with `record`)."""
        del workflow_id  # identifies the workflow for callers' logs; the window keeps no ids
        with self._lock:
            i = self._wf_head
            self._wf_strategy[i] = self._strategies.id(strategy)
            self._wf_success[i] = 1.0 if success else 0.0
            self._wf_cost[i] = cost
            self._wf_latency[i] = latency_s
            self._wf_steps[i] = steps
            self._wf_head = (i + 1) % self.workflow_capacity
            self._wf_n = min(self._wf_n + 1, self.workflow_capacity)
            self.total_workflows += 1

    # -- aggregation ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything over the current window, JSON-ready (None where undefined)."""
        with self._lock:
            calls = self._calls_snapshot()
            workflows = self._workflows_snapshot()
        return {**calls, **workflows}

    def _calls_snapshot(self) -> dict[str, Any]:
        n, n_tools = self._n, len(self._tools.names)
        shape = (n_tools, MAX_STRATEGIES, N_FLAGS, MAX_ERRORS)
        counts = np.bincount(self._code[:n], minlength=math.prod(shape)).reshape(shape)
        hist = np.bincount(self._hcode[:n], minlength=n_tools * N_BINS).reshape(n_tools, N_BINS)
        tsf = counts.sum(axis=3)                                  # (tools, strategies, flags)
        per_tool = (tsf.sum(axis=1) @ _FLAG_COLUMNS).tolist()     # [calls, ok, hit, retry, wf]
        per_strategy = (tsf.sum(axis=0) @ _FLAG_COLUMNS[:, :2]).tolist()
        errors = counts.reshape(n_tools, -1, MAX_ERRORS).sum(axis=1)   # (tools, errors)
        err_total = errors.sum(axis=0).tolist()
        pct = _percentiles(np.vstack([hist, hist.sum(axis=0, keepdims=True)]))
        errors_l = errors.tolist()
        lat_sum, cost_sum = self._lat_sum, self._cost_sum
        err_names, q_names = self._errors.names, [k for k, _ in QUANTILES]

        def latency(row: int, total: float, calls: int) -> dict[str, float | None]:
            return {**dict(zip(q_names, pct[row], strict=True)), "mean": total / calls}

        tools: dict[str, Any] = {}
        for t, name in enumerate(self._tools.names):
            calls, ok, hits, retried, _ = per_tool[t]
            if calls:
                tools[name] = {
                    "calls": calls, "success_rate": ok / calls,
                    "latency_s": latency(t, lat_sum[t], calls),
                    "cache_hit_rate": hits / calls, "retry_rate": retried / calls,
                    "cost_total": cost_sum[t],
                    "errors": {err_names[e]: c for e, c in enumerate(errors_l[t]) if e and c},
                }
        calls, ok, hits, retried, in_wf = (sum(col) for col in zip(*per_tool, strict=True))
        span = float(self._ts[self._head - 1] - self._ts[self._head % n]) if n > 1 else 0.0
        return {
            "window": {"calls": n, "capacity": self.capacity, "total_calls": self.total_calls,
                       "span_s": span, "throughput_per_s": (n - 1) / span if span > 0 else None},
            "overall": {
                "calls": n, "success_rate": ok / n if n else None,
                "latency_s": latency(n_tools, sum(lat_sum), n) if n else
                {**{k: None for k in q_names}, "mean": None},
                "cache_hit_rate": hits / n if n else None,
                "retry_rate": retried / n if n else None,
                "mean_attempts": self._attempts_sum / n if n else None,
                "cost_total": sum(cost_sum), "workflow_calls": in_wf, "direct_calls": n - in_wf,
            },
            "tools": tools,
            "errors": {err_names[e]: c for e, c in enumerate(err_total) if e and c},
            "calls_by_strategy": {
                self._strategies.names[s]: {"calls": c, "success_rate": ok_s / c}
                for s, (c, ok_s) in enumerate(per_strategy) if c},
        }

    def _workflows_snapshot(self) -> dict[str, Any]:
        n, n_s = self._wf_n, len(self._strategies.names)
        sid = self._wf_strategy[:n]
        count = np.bincount(sid, minlength=n_s)
        sums = {name: np.bincount(sid, weights=arr[:n], minlength=n_s)
                for name, arr in (("success", self._wf_success), ("cost", self._wf_cost),
                                  ("latency", self._wf_latency), ("steps", self._wf_steps))}
        strategies = {
            self._strategies.names[s]: {
                "workflows": int(c), "success_rate": float(sums["success"][s] / c),
                "mean_cost": float(sums["cost"][s] / c),
                "mean_latency_s": float(sums["latency"][s] / c),
                "mean_steps": float(sums["steps"][s] / c),
            } for s, c in enumerate(count) if c}
        return {"workflows": {
            "count": n, "total_workflows": self.total_workflows,
            "success_rate": float(sums["success"].sum() / n) if n else None,
            "cost_per_workflow": float(sums["cost"].sum() / n) if n else None,
            "mean_latency_s": float(sums["latency"].sum() / n) if n else None,
            "mean_steps": float(sums["steps"].sum() / n) if n else None,
        }, "strategies": strategies}
