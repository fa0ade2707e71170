"""The server over streamable HTTP on 127.0.0.1, with and without a bearer token."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from .conftest import ROOT, free_port, server_env

pytestmark = pytest.mark.anyio
TOKEN = "s3cret-token"


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = server_env(tmp_path / "home", TOOLORCH_HTTP_TOKEN=TOKEN)
    proc = subprocess.Popen([sys.executable, "-m", "server", "--http", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        for _ in range(200):
            try:
                httpx.get(url, timeout=0.5)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server died") from None
                import time

                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_http_with_token(http_server: str) -> None:
    import httpx2

    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        async with streamable_http_client(http_server, http_client=http) as (read, write):
            async with ClientSession(read, write) as s:
                await s.initialize()
                tools = await s.list_tools()
                assert len(tools.tools) == 10
                r = await s.call_tool("echo", {"text": "over http"})
                assert not r.is_error and r.structured_content == {"text": "over http", "length": 9}
                bad = await s.call_tool("echo", {"text": 1})
                assert bad.is_error
                with anyio.fail_after(10):
                    slow = await s.call_tool("sleepy", {"seconds": 10})
                assert slow.is_error


def test_http_rejects_missing_or_wrong_token(http_server: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    r = httpx.post(http_server, json=body)
    assert r.status_code == 401 and "bearer token" in r.text
    r = httpx.post(http_server, json=body, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


def test_http_dns_rebinding_protection(http_server: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    r = httpx.post(http_server, json=body, headers={"Authorization": f"Bearer {TOKEN}", "Host": "evil.example:80",
                                                   "Accept": "application/json, text/event-stream"})
    assert r.status_code in (403, 421)
