"""After a direct call, the result's _meta carries the policy's next tools for the session
(engine/suggest.py); whether the agent then took one is logged for `toolorch status`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from .conftest import ROOT, server_env, stdio_session

pytestmark = pytest.mark.anyio


async def test_suggestions_in_meta_and_how_often_they_were_followed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = server_env(home, TOOLORCH_POLICY_ENABLED="1")
    async with stdio_session(env) as s:
        first = await s.call_tool("step_a", {"seed": "s"})
        assert not first.is_error and first.meta is None     # the policy starts loading now
        meta = None
        with anyio.fail_after(120):
            while meta is None:
                await anyio.sleep(0.5)
                r = await s.call_tool("echo", {"text": "again"})
                meta = r.meta
        suggestions = meta["toolorch/suggestions"]
        assert 1 <= len(suggestions) <= 3
        assert all(set(x) == {"tool", "probability", "why"} and 0 < x["probability"] <= 1 for x in suggestions)
        assert [x["probability"] for x in suggestions] == sorted((x["probability"] for x in suggestions), reverse=True)
        assert all("(policy v" in x["why"] for x in suggestions)
        assert "stop" not in {x["tool"].lower() for x in suggestions}
        follow = suggestions[0]["tool"]
        args = {"echo": {"text": "t"}, "step_a": {"seed": "t"}, "flaky": {"key": "k", "fail_times": 0},
                "sleepy": {"seconds": 0}, "boom": {}, "crash": {}}.get(follow, {})
        await s.call_tool(follow, args)
    status = subprocess.run([sys.executable, "-m", "toolorch.cli", "status"], capture_output=True, text=True,
                            env={**os.environ, **env}, cwd=ROOT, timeout=60)
    followed = json.loads(status.stdout)["policy"]["suggestions"]
    assert followed["calls_after_a_suggestion"] >= 1 and followed["followed"] >= 1
    assert followed["followed_first"] >= 1 and followed["follow_rate"] is not None
