"""Trivial tools the benchmarks measure the engine and server with (bench/registry/)."""

from __future__ import annotations

from typing import Any

from toolorch.core.context import ToolContext


async def echo(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    return {"text": args["text"]}


async def chain_a(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    return {"a": args["seed"] + "-a"}


async def chain_b(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    return {"b": args["a"] + "-b"}


async def chain_c(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    return {"c": args["b"] + "-c"}
