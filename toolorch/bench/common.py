"""Shared helpers for benchmarks: timing statistics and output."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_REGISTRY = Path(__file__).resolve().parent / "registry"


def stats_ms(samples_s: list[float]) -> dict[str, float]:
    xs = sorted(samples_s)
    def q(p: float) -> float:
        return xs[min(len(xs) - 1, int(p * len(xs)))] * 1e3
    return {"p50_ms": statistics.median(xs) * 1e3, "p95_ms": q(0.95), "min_ms": xs[0] * 1e3, "n": len(xs)}


def time_calls(fn: Callable[[], Any], repeats: int, inner: int = 1) -> list[float]:
    """Seconds per call of `fn`, `repeats` samples each averaged over `inner` calls."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        out.append((time.perf_counter() - t0) / inner)
    return out


def report(title: str, rows: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for k, v in rows.items():
        table.add_row(k, f"{v:.4g}" if isinstance(v, float) else str(v))
    Console(stderr=True).print(table)
    print(json.dumps(rows, indent=1, default=str))
