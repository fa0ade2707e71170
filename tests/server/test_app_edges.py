"""The MCP edge in process: which failures are the request's (an isError result the agent can act
on) and which are the server's (a protocol-level internal error, never dressed as "[validation]")."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from server.app import App, on_call_tool
from toolorch.config import Settings
from toolorch.engine.engine import Engine
from toolorch.engine.orchestrator import Orchestrator

SUPPORT_REGISTRY = Path(__file__).resolve().parents[1] / "support" / "registry"
pytestmark = pytest.mark.anyio


class _Session:
    client_capabilities = None

    async def report_progress(self, done: float, total: float | None, message: str | None) -> None:
        return None


class _Ctx:
    """The two attributes of ServerRequestContext the handler reads."""

    def __init__(self, app: App) -> None:
        self.lifespan_context = app
        self.session = _Session()


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    settings = Settings(home=tmp_path / "home", registry_dir=SUPPORT_REGISTRY, allowed_roots=str(tmp_path),
                        policy_enabled=False)
    async with Engine(settings, observers=[], rng=random.Random(0)) as engine:
        yield App(engine)


async def call(app: App, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    params = types.CallToolRequestParams(name=name, arguments=arguments)
    return await on_call_tool(_Ctx(app), params)  # type: ignore[arg-type]


def text(result: types.CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, types.TextContent)
    return block.text


async def test_a_bug_in_orchestrate_is_an_internal_error_not_validation(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self: Orchestrator, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("a bug deep inside")

    monkeypatch.setattr(Orchestrator, "run", broken)
    with pytest.raises(MCPError) as info:
        await call(app, "orchestrate", {"goal": "echo it", "inputs": {"text": "hi"}})
    assert info.value.error.code == types.INTERNAL_ERROR
    assert info.value.error.message == "internal error in orchestrate: ValueError: a bug deep inside"


async def test_feedback_on_an_unknown_workflow_is_the_request_s_error(app: App) -> None:
    result = await call(app, "orchestrate", {"feedback": {"workflow_id": "nope", "desirable": True}})
    assert result.is_error
    assert text(result) == "[validation] orchestrate: no experiences of workflow 'nope': check the workflow_id"


async def test_nothing_to_run_is_the_request_s_error(app: App) -> None:
    result = await call(app, "orchestrate", {"goal": "g", "deliverable": "no_such_artifact"})
    assert result.is_error and text(result).startswith("[validation] orchestrate: unknown deliverable 'no_such_artifact'")


async def test_an_unknown_tool_is_a_protocol_error(app: App) -> None:
    with pytest.raises(MCPError) as info:
        await call(app, "no_such_tool", {})
    assert info.value.error.code == types.INVALID_PARAMS


async def test_a_failed_tool_reads_kind_then_message(app: App) -> None:
    result = await call(app, "boom", {"reason": "x"})
    assert result.is_error and text(result) == "[backend] boom: this tool always fails (non-retryable)"
