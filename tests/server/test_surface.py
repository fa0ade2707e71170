"""What an agent meets over stdio besides tools/call: compact orchestrate results with resource
links, resource templates, prompts, the logging capability, monotonic progress, errors that name
the unexpected key."""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError

from .conftest import server_env, stdio_session

pytestmark = pytest.mark.anyio


def text_of(r: Any) -> str:
    return str(r.content[0].text)


async def test_compact_result_links_to_the_whole_one(tmp_path: Any) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with stdio_session(server_env(tmp_path / "home")) as s:
        r = await s.call_tool("orchestrate", {"goal": "make delta", "inputs": {"seed": "s"}},
                              progress_callback=on_progress)
        assert not r.is_error
        out = r.structured_content
        assert out is not None and out["success"] and out["planner"] == "intent" and out["strategy"] == "adaptive"
        assert out["inferred"]["deliverables"] == ["step_d"] and "the goal reads as step_d" in out["why"]
        assert out["deliverable"] == {"name": "step_d", "made": True, "value": {"delta": "d(b(a(s)),c(a(s)))"}}
        assert [st["step"] for st in out["steps"]] == [1, 2, 3, 4]
        first = out["steps"][0]
        assert first["tool"] == "step_a" and first["ok"] and first["outputs"] == {"alpha": "a(s)"}
        assert set(first) >= {"time_s", "cost", "cached"} and "arguments" not in first
        assert "outputs" not in out and "plan" not in out   # the full result's repeats are gone
        assert out["full"] == f"toolorch://workflows/{out['workflow_id']}"
        assert text_of(r).startswith(f"workflow {out['workflow_id']}: succeeded — 4 ok")

        whole = json.loads((await s.read_resource(out["full"])).contents[0].text)  # type: ignore[union-attr]
        assert whole["outputs"]["delta"] == "d(b(a(s)),c(a(s)))" and len(whole["plan"]) == 4
        step2 = json.loads((await s.read_resource(out["full"] + "/steps/2")).contents[0].text)  # type: ignore[union-attr]
        assert step2["tool"] == "step_b" and step2["arguments"] == {"alpha": "a(s)"}
        with pytest.raises(MCPError, match="has steps 1..4, not '5'"):
            await s.read_resource(out["full"] + "/steps/5")
        with pytest.raises(MCPError, match="unknown or expired workflow 'nope'"):
            await s.read_resource("toolorch://workflows/nope")

        unsure = await s.call_tool("orchestrate", {"goal": "do the usual", "inputs": {"seed": "s"}})
        assert not unsure.is_error and unsure.structured_content is not None
        assert unsure.structured_content["steps"] == [] and "nothing run" in text_of(unsure)
    values = [v for v, _, _ in seen]
    assert values and all(b > a for a, b in zip(values, values[1:]))
    assert {t for _, t, _ in seen} == {4}   # whole (mcp_types sends floats: 4.0 on the wire)
    assert seen[0][2] == "step 1/4 step_a started"


async def test_templates_prompts_and_errors(tmp_path: Any) -> None:
    async with stdio_session(server_env(tmp_path / "home")) as s:
        templates = {t.uri_template for t in (await s.list_resource_templates()).resource_templates}
        assert {"toolorch://projects/{project}/facts", "toolorch://projects/{project}/graph-schema",
                "toolorch://lineage/{dataset}", "toolorch://workflows/{workflow_id}",
                "toolorch://workflows/{workflow_id}/steps/{step}"} <= templates
        schema = json.loads((await s.read_resource("toolorch://projects/demo/graph-schema")).contents[0].text)  # type: ignore[union-attr]
        assert "CALLS" in {e["type"] for e in schema["edges"]} and schema["project"] == "demo"
        with pytest.raises(MCPError, match="no project is indexed yet"):
            await s.read_resource("toolorch://projects/demo/facts")

        names = [p.name for p in (await s.list_prompts()).prompts]
        assert names == ["explore_repository", "find_callers", "project_to_n8n"]
        got = await s.get_prompt("find_callers", {"symbol": "total_area", "project_name": "python"})
        body = got.messages[0].content
        assert isinstance(body, types.TextContent) and '"name": "total_area"' in body.text
        with pytest.raises(MCPError, match="missing argument 'project_name'"):
            await s.get_prompt("find_callers", {"symbol": "x"})

        langs = await s.complete(types.PromptReference(type="ref/prompt", name="explore_repository"),
                                 {"name": "language", "value": "ty"})
        assert langs.completion.values == ["typescript"] and langs.completion.total == 1
        wf = await s.call_tool("orchestrate", {"goal": "make alpha", "inputs": {"seed": "s"}})
        wid = wf.structured_content["workflow_id"]  # type: ignore[index]
        ids = await s.complete(types.ResourceTemplateReference(type="ref/resource", uri="toolorch://workflows/{workflow_id}"),
                               {"name": "workflow_id", "value": wid[:4]})
        assert ids.completion.values == [wid]
        none = await s.complete(types.PromptReference(type="ref/prompt", name="other"), {"name": "x", "value": ""})
        assert none.completion.values == []

        bad = await s.call_tool("echo", {"text": "x", "colour": "red"})
        assert bad.is_error and "unexpected argument 'colour'; allowed arguments: text" in text_of(bad)
        bad2 = await s.call_tool("orchestrate", {"goal": "g", "inptus": {}})
        assert bad2.is_error and "unexpected argument 'inptus'; allowed: goal, inputs" in text_of(bad2)


async def test_log_lines_reach_the_client_at_its_level(tmp_path: Any) -> None:
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    from .conftest import server_params

    got: list[types.LoggingMessageNotificationParams] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        got.append(params)

    env = server_env(tmp_path / "home", TOOLORCH_LOG_LEVEL="INFO")
    async with stdio_client(server_params(env)) as (read, write), \
            ClientSession(read, write, logging_callback=on_log) as s:
        init = await s.initialize()
        assert init.capabilities.logging is not None
        await s.call_tool("flaky", {"key": "k1", "fail_times": 1})   # logs "attempt 1 failed" at INFO
        assert got == []                                              # default level: warning
        with pytest.warns(MCPDeprecationWarning):   # deprecated in 2026-07-28, served for 2025-11-25
            await s.set_logging_level("info")
        await s.call_tool("flaky", {"key": "k2", "fail_times": 1})
        retry = [g for g in got if "attempt 1 failed" in str(g.data)]
        assert retry and retry[0].level == "info" and retry[0].logger == "toolorch.engine.engine"
