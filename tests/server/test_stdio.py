"""The server over real stdio with the SDK's ClientSession (2025-11-25 handshake) and mcp.Client."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from .conftest import server_env, server_params, stdio_session

pytestmark = pytest.mark.anyio


def stored(home: Path) -> int:
    with sqlite3.connect(home / "experiences.sqlite") as db:
        return int(db.execute("select count(*) from experiences").fetchone()[0])


async def test_tools_calls_errors_and_resources(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with stdio_session(server_env(home)) as s:
        listed = await s.list_tools()
        names = [t.name for t in listed.tools]
        assert "orchestrate" in names and "echo" in names and len(names) == 10
        echo = next(t for t in listed.tools if t.name == "echo")
        assert echo.output_schema is not None and echo.annotations is not None
        assert echo.annotations.read_only_hint is True

        ok = await s.call_tool("echo", {"text": "hello"})
        assert not ok.is_error and ok.structured_content == {"text": "hello", "length": 5}
        assert json.loads(ok.content[-1].text) == {"text": "hello", "length": 5}  # type: ignore[union-attr]

        bad = await s.call_tool("echo", {"text": 42})
        assert bad.is_error and "[validation]" in bad.content[0].text  # type: ignore[union-attr]
        assert "'text'" in bad.content[0].text  # type: ignore[union-attr]
        missing = await s.call_tool("echo", {})
        assert missing.is_error and "missing required argument 'text'" in missing.content[0].text  # type: ignore[union-attr]
        huge = await s.call_tool("echo", {"text": "x" * 300_000})
        assert huge.is_error and "limit" in huge.content[0].text  # type: ignore[union-attr]
        with pytest.raises(MCPError, match="unknown tool 'nope'; known tools: .*step_d, orchestrate"):
            await s.call_tool("nope", {})

        with anyio.fail_after(10):
            slow = await s.call_tool("sleepy", {"seconds": 20})
        assert slow.is_error and "[timeout]" in slow.content[0].text  # type: ignore[union-attr]

        flaky = await s.call_tool("flaky", {"key": "f", "fail_times": 2})
        assert not flaky.is_error and flaky.structured_content == {"calls": 3}

        still = await s.call_tool("echo", {"text": "still serving"})
        assert not still.is_error

        res = await s.list_resources()
        uris = {str(r.uri) for r in res.resources}
        assert {"toolorch://registry", "toolorch://metrics", "toolorch://experiences/summary"} <= uris
        metrics = json.loads((await s.read_resource("toolorch://metrics")).contents[0].text)  # type: ignore[union-attr]
        assert metrics["metrics"]["overall"]["calls"] >= 7
        summary = json.loads((await s.read_resource("toolorch://experiences/summary")).contents[0].text)  # type: ignore[union-attr]
        assert summary["total"] == 7
    assert stored(home) == 7  # every call, failed or not (the unknown tool is a protocol error)


async def test_orchestrate_with_progress(tmp_path: Path) -> None:
    home = tmp_path / "home"
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with stdio_session(server_env(home)) as s:
        r = await s.call_tool("orchestrate", {"goal": "make delta", "inputs": {"seed": "s"}, "deliverable": "all",
                                              "detail": "full"}, progress_callback=on_progress)
        assert not r.is_error
        out = r.structured_content
        assert out is not None and out["success"] and out["outputs"]["delta"] == "d(b(a(s)),c(a(s)))"
        assert [p["tool"] for p in out["plan"]] == ["step_a", "step_b", "step_c", "step_d"]
        bad = await s.call_tool("orchestrate", {"goal": "x", "strategy": "sideways"})
        assert bad.is_error and "strategy" in bad.content[0].text  # type: ignore[union-attr]
        fb = await s.call_tool("orchestrate", {"feedback": {"workflow_id": out["workflow_id"], "desirable": False}})
        assert not fb.is_error and "relabelled 4" in fb.structured_content["notes"][0]  # type: ignore[index]
    assert sum("started" in m for m in messages) == 4
    assert stored(home) == 4


async def test_default_mcp_client(tmp_path: Path) -> None:
    """mcp.Client negotiates the newer protocol by default: the server must serve it too."""
    async with Client(server_params(server_env(tmp_path / "home"))) as client:
        tools = await client.list_tools()
        assert len(tools.tools) == 10
        r = await client.call_tool("echo", {"text": "modern"})
        assert not r.is_error and r.structured_content == {"text": "modern", "length": 6}
        bad = await client.call_tool("echo", {"text": []})
        assert bad.is_error


async def test_two_servers_one_data_dir(tmp_path: Path) -> None:
    home = tmp_path / "home"
    n = 15

    async def worker(tag: str) -> None:
        async with stdio_session(server_env(home)) as s:
            for i in range(n):
                r = await s.call_tool("step_a", {"seed": f"{tag}{i}"})
                assert not r.is_error

    async with anyio.create_task_group() as tg:
        tg.start_soon(worker, "x")
        tg.start_soon(worker, "y")
    assert stored(home) == 2 * n
