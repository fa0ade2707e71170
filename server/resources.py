"""MCP resources: the registry, live metrics, the experience log summary, the policy's metrics."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import mcp_types as types
from mcp.shared.exceptions import MCPError

from toolorch.engine.engine import Engine


def _registry(engine: Engine) -> dict[str, Any]:
    return {
        "tools": [t.model_dump(mode="json", by_alias=True) for t in engine.registry],
        "models": [m.model_dump(mode="json") for m in engine.registry.models],
        "capabilities": engine.registry.capabilities,
    }


def _metrics(engine: Engine) -> dict[str, Any]:
    return {
        "metrics": engine.metrics.snapshot(),
        "cache": engine.cache.stats(),
        "breakers": engine.breaker_states(),
    }


def _experiences(engine: Engine) -> dict[str, Any]:
    engine.flush_experiences()
    return engine.store.summary()


def _policy(engine: Engine) -> dict[str, Any]:
    if engine.policy is None:
        return {"loaded": False, "note": "the policy loads on the first rl_optimized orchestrate call"}
    return {"loaded": True, **engine.policy.metrics()}


def _settings(engine: Engine) -> dict[str, Any]:
    return engine.settings.public()


RESOURCES: dict[str, tuple[str, str, Callable[[Engine], dict[str, Any]]]] = {
    "toolorch://registry": ("registry", "The nine tools and models, as loaded from registry/.", _registry),
    "toolorch://metrics": ("metrics", "Live metrics: success, latency percentiles, cache, retries, breakers.", _metrics),
    "toolorch://experiences/summary": ("experiences", "The KTO experience log: counts by label, tool, error.", _experiences),
    "toolorch://policy": ("policy", "KTO policy metrics: loss, z0, reward margins, entropy, KL, success.", _policy),
    "toolorch://settings": ("settings", "Effective settings (secrets masked).", _settings),
}


def list_resources() -> list[types.Resource]:
    return [
        types.Resource(uri=uri, name=name, description=desc, mime_type="application/json")
        for uri, (name, desc, _) in RESOURCES.items()
    ]


async def read_resource(engine: Engine, uri: str) -> types.ReadResourceResult:
    entry = RESOURCES.get(str(uri))
    if entry is None:
        raise MCPError(code=-32002, message=f"unknown resource {uri}; known: {', '.join(RESOURCES)}")
    data = await anyio.to_thread.run_sync(entry[2], engine)
    text = json.dumps(data, indent=1, default=str)
    return types.ReadResourceResult(
        contents=[types.TextResourceContents(uri=str(uri), mime_type="application/json", text=text)]
    )
