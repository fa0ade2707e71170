"""`toolorch bench overhead`: one trivial tool called directly through toolorch's server (the
whole engine path: validation, breaker, timeout, metrics, lineage, experience log) vs the same
tool on a bare low-level mcp Server. Calls interleave, so both see the same machine noise.
Goal (DESIGN.md): p50 ratio ≤ 1.3."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any

import anyio

from toolorch.bench.common import BENCH_REGISTRY, report, stats_ms


async def _measure(calls: int, warmup: int, policy: bool = False) -> dict[str, Any]:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TOOLORCH_HOME": home, "TOOLORCH_REGISTRY_DIR": str(BENCH_REGISTRY),
               "TOOLORCH_LOG_LEVEL": "WARNING", "TOOLORCH_POLICY_ENABLED": "1" if policy else "0",
               # --policy measures the suggestions, not the online trainer's rounds (CPU it takes
               # from the same process every TOOLORCH_TRAIN_EVERY experiences)
               "TOOLORCH_TRAIN_EVERY": "1000000"}
        ours = StdioServerParameters(command=sys.executable, args=["-m", "server"], env=env)
        bare = StdioServerParameters(command=sys.executable, args=["-m", "toolorch.bench.bare_server"], env=env)
        async with stdio_client(ours) as (r1, w1), stdio_client(bare) as (r2, w2):
            async with ClientSession(r1, w1) as s_ours, ClientSession(r2, w2) as s_bare:
                await s_ours.initialize()
                await s_bare.initialize()
                for i in range(warmup):
                    await s_ours.call_tool("echo", {"text": f"w{i}"})
                    await s_bare.call_tool("echo", {"text": f"w{i}"})
                suggested = 0
                if policy:  # --policy: wait until the policy has loaded and results carry suggestions
                    with anyio.fail_after(300):
                        while (await s_ours.call_tool("echo", {"text": "w"})).meta is None:
                            await anyio.sleep(0.2)
                t_ours: list[float] = []
                t_bare: list[float] = []
                for i in range(calls):
                    for session, sink in ((s_ours, t_ours), (s_bare, t_bare)) if i % 2 else ((s_bare, t_bare), (s_ours, t_ours)):
                        t0 = time.perf_counter()
                        r = await session.call_tool("echo", {"text": f"call {i}"})
                        sink.append(time.perf_counter() - t0)
                        suggested += session is s_ours and r.meta is not None
                        if r.is_error:
                            raise RuntimeError(f"echo failed: {r.content}")
    o, b = stats_ms(t_ours), stats_ms(t_bare)
    return {
        "calls": calls,
        "toolorch_p50_ms": o["p50_ms"], "toolorch_p95_ms": o["p95_ms"],
        "bare_p50_ms": b["p50_ms"], "bare_p95_ms": b["p95_ms"],
        "ratio_p50": o["p50_ms"] / b["p50_ms"], "ratio_p95": o["p95_ms"] / b["p95_ms"],
        "goal_ratio_p50": 1.3,
        "policy_suggestions": f"{suggested}/{calls} results carried them" if policy else "off (TOOLORCH_POLICY_ENABLED=0)",
    }


def run(calls: int = 400, warmup: int = 30, policy: bool = False) -> dict[str, Any]:
    return anyio.run(_measure, calls, warmup, policy)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="toolorch bench overhead", description=__doc__)
    p.add_argument("--calls", type=int, default=400)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--policy", action="store_true",
                   help="with the policy loaded: every result carries its next-tool suggestions in _meta")
    ns = p.parse_args(argv)
    rows = run(ns.calls, ns.warmup, ns.policy)
    report("direct call: toolorch server vs bare mcp server", rows)
    return 0
