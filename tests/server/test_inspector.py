"""Drive the server through the MCP inspector CLI (@modelcontextprotocol/inspector, pinned 0.15.0)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, server_env

INSPECTOR = ROOT / "node_modules" / ".bin" / "mcp-inspector"


def inspector(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not INSPECTOR.exists():
        pytest.fail(f"{INSPECTOR} missing: run `make setup` (npm ci installs the pinned inspector)")
    env = {**os.environ, **server_env(home), "HOME": str(home.parent)}
    cmd = [str(INSPECTOR), "--cli"]
    for key in ("TOOLORCH_HOME", "TOOLORCH_REGISTRY_DIR", "PYTHONPATH", "TOOLORCH_POLICY_ENABLED", "TOOLORCH_ALLOWED_ROOTS"):
        cmd += ["-e", f"{key}={env[key]}"]
    cmd += [sys.executable, "-m", "server", *args]
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_inspector_lists_and_calls(tmp_path: Path) -> None:
    home = tmp_path / "home"
    listed = inspector(home, "--method", "tools/list")
    assert listed.returncode == 0, listed.stderr
    names = [t["name"] for t in json.loads(listed.stdout)["tools"]]
    assert "orchestrate" in names and "echo" in names

    called = inspector(home, "--method", "tools/call", "--tool-name", "echo", "--tool-arg", "text=inspected")
    assert called.returncode == 0, called.stderr
    result = json.loads(called.stdout)
    assert result.get("structuredContent") == {"text": "inspected", "length": 9}

    bad = inspector(home, "--method", "tools/call", "--tool-name", "flaky", "--tool-arg", "key=k")
    out = json.loads(bad.stdout)
    assert out.get("isError") is True and "fail_times" in out["content"][0]["text"]


def test_inspector_reads_prompts_templates_and_sets_the_log_level(tmp_path: Path) -> None:
    """These exited 1 with -32601 before issue 14."""
    home = tmp_path / "home"
    prompts = inspector(home, "--method", "prompts/list")
    assert prompts.returncode == 0, prompts.stderr
    assert "find_callers" in [p["name"] for p in json.loads(prompts.stdout)["prompts"]]
    templates = inspector(home, "--method", "resources/templates/list")
    assert templates.returncode == 0, templates.stderr
    uris = [t["uriTemplate"] for t in json.loads(templates.stdout)["resourceTemplates"]]
    assert "toolorch://projects/{project}/facts" in uris
    level = inspector(home, "--method", "logging/setLevel", "--log-level", "info")
    assert level.returncode == 0 and json.loads(level.stdout) == {}, level.stderr
