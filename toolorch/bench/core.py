"""`toolorch bench core`: registry lookup, metrics aggregation over 100k results, and the engine's
own overhead for a 3-step workflow of cached tools. Goals (DESIGN.md): ≤ 1 µs, ≤ 1 ms, ≤ 5 ms."""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from toolorch.bench.common import BENCH_REGISTRY, report, stats_ms, time_calls


def bench_lookup() -> dict[str, Any]:
    from toolorch.config import PROJECT_ROOT
    from toolorch.registry import Registry

    reg = Registry.load(PROJECT_ROOT / "registry")
    names = reg.names
    get = reg.get
    n = 100_000

    def loop() -> None:
        for i in range(n):
            get(names[i % 9])

    samples = time_calls(loop, repeats=7)
    return {"registry_lookup_us": min(stats_ms(samples)["p50_ms"] * 1e3 / n, 1e9), "registry_lookup_goal_us": 1.0}


def bench_metrics(n: int = 100_000) -> dict[str, Any]:
    from toolorch.metrics import MetricsTracker

    rng = random.Random(0)
    tools = [f"tool_{i}" for i in range(9)]
    tracker = MetricsTracker(capacity=n)
    t0 = time.perf_counter()
    for i in range(n):
        tracker.record(rng.choice(tools), rng.random() < 0.9, rng.random() * 0.2, rng.random(),
                       rng.random() < 0.3, 1 + (rng.random() < 0.1), rng.choice(["adaptive", "sequential"]),
                       f"wf{i // 3}", None)
    record_us = (time.perf_counter() - t0) / n * 1e6
    samples = time_calls(tracker.snapshot, repeats=21)
    return {"metrics_record_us": record_us, "metrics_snapshot_100k_ms": stats_ms(samples)["p50_ms"],
            "metrics_snapshot_goal_ms": 1.0}


async def _engine_overhead(repeats: int) -> dict[str, Any]:
    from toolorch.config import Settings
    from toolorch.engine.engine import Engine
    from toolorch.engine.orchestrator import Orchestrator
    from toolorch.engine.request import OrchestrateRequest

    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), registry_dir=BENCH_REGISTRY, policy_enabled=False)
        async with Engine(settings) as engine:
            orch = Orchestrator(engine)
            req = OrchestrateRequest(goal="bench", inputs={"seed": "x"}, strategy="sequential", deliverable="all")
            first = await orch.run(req)  # fills the cache
            assert first.success, first.to_dict()
            samples = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                wf = await orch.run(req)
                samples.append(time.perf_counter() - t0)
                assert all(s.result is not None and s.result.cached for s in wf.steps)
            engine.flush_experiences()
    return {"engine_3_cached_steps_ms": stats_ms(samples)["p50_ms"],
            "engine_3_cached_steps_p95_ms": stats_ms(samples)["p95_ms"], "engine_goal_ms": 5.0}


def run(repeats: int = 200) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    rows.update(bench_lookup())
    rows.update(bench_metrics())
    rows.update(anyio.run(_engine_overhead, repeats))
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="toolorch bench core", description=__doc__)
    p.add_argument("--repeats", type=int, default=200)
    ns = p.parse_args(argv)
    report("core timings", run(ns.repeats))
    return 0
