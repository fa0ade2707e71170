"""MetricsTracker against hand computations and brute force over the same window."""

from __future__ import annotations

import statistics
import threading
import time
from itertools import count

import numpy as np
import pytest

from toolorch.metrics import LAT_RATIO, MAX_STRATEGIES, OTHER, MetricsTracker

REL = LAT_RATIO - 1  # a percentile is within one bin (2%) of the true value, in fact within 1%


def ticking_clock() -> tuple[count[int], object]:
    ticks = count()
    return ticks, lambda: float(next(ticks))


def test_small_set_by_hand() -> None:
    _, clock = ticking_clock()
    m = MetricsTracker(clock=clock)  # type: ignore[arg-type]
    m.record("a", True, 0.010, cost=1.0)
    m.record("a", False, 0.030, cost=2.0, attempts=3, strategy="sequential", workflow_id="w1",
             error_kind="timeout")
    m.record("a", True, 0.020, cost=0.5, cached=True, strategy="sequential", workflow_id="w1")
    m.record("b", True, 1.0, cost=4.0, attempts=2)
    m.record_workflow("w1", "sequential", True, 2.5, 0.05, 2)
    m.record_workflow("w2", "adaptive", False, 1.0, 0.2, 1)
    m.record_workflow("w3", "sequential", False, 0.5, 0.1, 3)
    s = m.snapshot()

    o = s["overall"]
    assert o["calls"] == 4
    assert o["success_rate"] == 0.75
    assert o["cache_hit_rate"] == 0.25
    assert o["retry_rate"] == 0.5
    assert o["mean_attempts"] == 1.75
    assert o["cost_total"] == 7.5
    assert (o["workflow_calls"], o["direct_calls"]) == (2, 2)
    assert o["latency_s"]["mean"] == pytest.approx(1.06 / 4)
    # nearest rank over [0.01, 0.02, 0.03, 1.0]: p50 = 2nd, p95 = p99 = 4th
    assert o["latency_s"]["p50"] == pytest.approx(0.02, rel=REL)
    assert o["latency_s"]["p95"] == pytest.approx(1.0, rel=REL)
    assert o["latency_s"]["p99"] == pytest.approx(1.0, rel=REL)

    a = s["tools"]["a"]
    assert a["calls"] == 3 and a["success_rate"] == pytest.approx(2 / 3)
    assert a["latency_s"]["p50"] == pytest.approx(0.02, rel=REL)
    assert a["latency_s"]["p95"] == pytest.approx(0.03, rel=REL)
    assert a["latency_s"]["mean"] == pytest.approx(0.02)
    assert a["cache_hit_rate"] == pytest.approx(1 / 3)
    assert a["retry_rate"] == pytest.approx(1 / 3)
    assert a["cost_total"] == 3.5
    assert a["errors"] == {"timeout": 1}
    assert s["tools"]["b"]["errors"] == {}
    assert s["tools"]["b"]["latency_s"]["p50"] == pytest.approx(1.0, rel=REL)
    assert set(s["tools"]) == {"a", "b"}
    assert s["errors"] == {"timeout": 1}
    assert s["calls_by_strategy"] == {"direct": {"calls": 2, "success_rate": 1.0},
                                      "sequential": {"calls": 2, "success_rate": 0.5}}

    assert s["window"]["span_s"] == 3.0                 # clock ticks 0, 1, 2, 3
    assert s["window"]["throughput_per_s"] == 1.0

    w = s["workflows"]
    assert w["count"] == 3
    assert w["success_rate"] == pytest.approx(1 / 3)
    assert w["cost_per_workflow"] == pytest.approx(4.0 / 3)
    assert w["mean_steps"] == 2.0
    seq = s["strategies"]["sequential"]
    assert seq == pytest.approx({"workflows": 2, "success_rate": 0.5, "mean_cost": 1.5,
                                 "mean_latency_s": 0.075, "mean_steps": 2.5})
    assert s["strategies"]["adaptive"]["success_rate"] == 0.0


def test_empty_snapshot_is_all_none() -> None:
    s = MetricsTracker().snapshot()
    assert s["overall"]["calls"] == 0
    assert s["overall"]["success_rate"] is None
    assert s["overall"]["latency_s"]["p50"] is None
    assert s["tools"] == {} and s["errors"] == {}
    assert s["window"]["throughput_per_s"] is None
    assert s["workflows"]["cost_per_workflow"] is None and s["strategies"] == {}


def test_window_matches_brute_force_across_wraps() -> None:
    rng = np.random.default_rng(7)
    cap = 50
    m = MetricsTracker(capacity=cap, workflow_capacity=7)
    rows = []
    for _ in range(173):                                 # wraps three times
        row = (f"t{rng.integers(4)}", bool(rng.random() < 0.7), float(rng.lognormal(-3, 1)),
               float(rng.random()), bool(rng.random() < 0.2), int(rng.integers(1, 4)))
        rows.append(row)
        m.record(*row)
    for i in range(10):
        m.record_workflow(f"w{i}", "adaptive", i % 2 == 0, float(i), 0.1, 1)
    window = rows[-cap:]
    s = m.snapshot()
    assert s["window"]["total_calls"] == 173 and s["overall"]["calls"] == cap
    assert s["overall"]["success_rate"] == pytest.approx(np.mean([r[1] for r in window]))
    assert s["overall"]["latency_s"]["mean"] == pytest.approx(np.mean([r[2] for r in window]))
    assert s["overall"]["cost_total"] == pytest.approx(sum(r[3] for r in window))
    assert s["overall"]["mean_attempts"] == pytest.approx(np.mean([r[5] for r in window]))
    for tool, stats in s["tools"].items():
        mine = [r for r in window if r[0] == tool]
        assert stats["calls"] == len(mine)
        assert stats["cost_total"] == pytest.approx(sum(r[3] for r in mine))
        exact = np.percentile([r[2] for r in mine], 95, method="inverted_cdf")
        assert stats["latency_s"]["p95"] == pytest.approx(exact, rel=REL)
    assert s["workflows"]["count"] == 7                   # the last 7 of 10: w3..w9
    assert s["workflows"]["cost_per_workflow"] == pytest.approx(np.mean(range(3, 10)))


def test_percentiles_within_one_percent_of_exact() -> None:
    rng = np.random.default_rng(1)
    lat = rng.lognormal(-5, 2, 20_000)
    m = MetricsTracker()
    for x in lat:
        m.record("t", True, float(x))
    got = m.snapshot()["overall"]["latency_s"]
    for key, q in (("p50", 50), ("p95", 95), ("p99", 99)):
        exact = np.percentile(lat, q, method="inverted_cdf")
        assert got[key] == pytest.approx(exact, rel=0.0101)


def test_names_beyond_the_cap_count_as_other() -> None:
    m = MetricsTracker()
    for i in range(MAX_STRATEGIES + 3):
        m.record("t", True, 0.1, strategy=f"s{i}")
    by_strategy = m.snapshot()["calls_by_strategy"]
    assert len(by_strategy) == MAX_STRATEGIES - 1        # "direct" is interned but unused
    assert by_strategy[OTHER]["calls"] == 5             # s0..s5 fit beside direct and OTHER


def test_threads_record_concurrently() -> None:
    m = MetricsTracker(capacity=1000)

    def work() -> None:
        for _ in range(5000):
            m.record("t", True, 0.001, cost=1.0)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    s = m.snapshot()
    assert s["window"]["total_calls"] == 20_000
    assert s["overall"]["calls"] == 1000
    assert s["overall"]["cost_total"] == pytest.approx(1000.0)


def test_snapshot_of_100k_is_vectorized_fast() -> None:
    """Guards against an accidental per-result Python loop (the goal, ≤ 1 ms, is measured by
    `toolorch bench core`; this bound is loose so a loaded CI machine does not flake)."""
    rng = np.random.default_rng(0)
    m = MetricsTracker()
    tools = [f"tool{i}" for i in range(10)]
    for i in range(100_000):
        m.record(tools[i % 10], bool(rng.random() < 0.9), float(rng.lognormal(-4, 1)),
                 attempts=1 + i % 2, error_kind="timeout" if i % 7 == 0 else None)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        m.snapshot()
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.02


def test_metrics_rebuilt_from_the_experience_log() -> None:
    from toolorch.core.state import State
    from toolorch.stores.experience import STOP, Experience

    def exp(action: str, ok: bool, wf: str | None, **kw: object) -> Experience:
        return Experience(State("g"), action=action,
                          desirable=ok, success=ok, workflow_id=wf, latency_s=0.1, cost=1.0, **kw)  # type: ignore[arg-type]

    exps = [exp("a", True, "w1", strategy="adaptive"), exp("b", False, "w1", strategy="adaptive",
            error_kind="timeout"), exp(STOP, False, "w1"), exp("a", True, None, cached=True)]
    snap = MetricsTracker.from_experiences(exps).snapshot()
    assert snap["overall"]["calls"] == 3
    assert snap["overall"]["success_rate"] == pytest.approx(2 / 3)
    assert snap["overall"]["cache_hit_rate"] == pytest.approx(1 / 3)
    assert snap["workflows"]["count"] == 1 and snap["workflows"]["success_rate"] == 0.0
    assert snap["errors"] == {"timeout": 1} or snap["errors"].get("timeout") == 1
