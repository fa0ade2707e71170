"""Small real tools for engine and server tests (bound as `embedded` in tests/support/registry)."""

from __future__ import annotations

import json
from typing import Any

import anyio

from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.errors import BackendError


async def echo(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    return {"text": args["text"], "length": len(args["text"])}


async def flaky(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    """Fails (retryably) the first `fail_times` calls for `key`; counts persist in the data dir."""
    path = ctx.data_path("flaky", f"{args['key']}.json")
    count = json.loads(path.read_text())["calls"] if path.exists() else 0
    path.write_text(json.dumps({"calls": count + 1}))
    if count < args["fail_times"]:
        raise BackendError(f"flaky failure {count + 1} of {args['fail_times']}", retryable=True)
    return {"calls": count + 1}


async def sleepy(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    steps = 4
    for i in range(steps):
        await ctx.report_progress(i, steps, f"sleeping {i + 1}/{steps}")
        await anyio.sleep(args["seconds"] / steps)
    return {"slept": args["seconds"]}


async def boom(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    raise BackendError("boom: this tool always fails (non-retryable)")


async def crash(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    raise RuntimeError("a bug inside a backend")


async def step_a(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    ctx.record_output(Dataset.store(f"alpha/{args['seed']}"))
    return {"alpha": f"a({args['seed']})"}


async def step_b(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    return {"beta": f"b({args['alpha']})"}


async def step_c(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    if args["alpha"] == "a(fail)":
        raise BackendError("step_c refuses alpha a(fail)")
    return {"gamma": f"c({args['alpha']})"}


async def step_d(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    return {"delta": f"d({args['beta']},{args['gamma']})"}
