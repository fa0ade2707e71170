"""The `http` and `mcp` backend bindings, against a real local HTTP server and a real MCP server."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from toolorch.config import Settings
from toolorch.engine.engine import Engine
from toolorch.registry import Registry, ToolSpec

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _Handler(BaseHTTPRequestHandler):
    calls: list[tuple[str, str, dict]] = []  # type: ignore[type-arg]

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.calls.append(("POST", self.path, body))
        if self.path.startswith("/index/"):
            self._answer(200, {"language": self.path.rsplit("/", 1)[1], "received": body})
        elif self.path == "/flaky":
            n = sum(1 for c in self.calls if c[1] == "/flaky")
            self._answer(503 if n < 3 else 200, {"n": n} if n >= 3 else {"error": "busy"})
        else:
            self._answer(400, {"error": f"bad request to {self.path}"})

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def http_base() -> Iterator[str]:
    _Handler.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _tool(name: str, backend: dict, props: dict | None = None, **kw: object) -> ToolSpec:  # type: ignore[type-arg]
    return ToolSpec.model_validate({
        "name": name, "title": name, "description": name,
        "input_schema": {"type": "object", "properties": props or {}},
        "output_schema": {"type": "object"}, "backend": backend, **kw,
    })


def _engine(tmp_path: Path, *tools: ToolSpec) -> Engine:
    s = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path), policy_enabled=False)

    async def no_sleep(_: float) -> None:
        return None

    return Engine(s, Registry(list(tools)), observers=[], sleep=no_sleep)


async def test_http_binding_fills_path_parameters(tmp_path: Path, http_base: str) -> None:
    spec = _tool("remote_index", {"kind": "http", "url": http_base, "path": "/index/{language}"},
                 {"language": {"type": "string"}, "project_path": {"type": "string"}})
    async with _engine(tmp_path, spec) as engine:
        r = await engine.execute("remote_index", {"language": "rust", "project_path": "/p"})
    assert r.success and r.output == {"language": "rust", "received": {"project_path": "/p"}}
    assert _Handler.calls == [("POST", "/index/rust", {"project_path": "/p"})]


async def test_http_binding_retries_5xx_and_reports_4xx(tmp_path: Path, http_base: str) -> None:
    flaky = _tool("remote_flaky", {"kind": "http", "url": http_base, "path": "/flaky"},
                  retry={"initial_interval_s": 0.01, "maximum_attempts": 3})
    bad = _tool("remote_bad", {"kind": "http", "url": http_base, "path": "/nope"},
                retry={"initial_interval_s": 0.01, "maximum_attempts": 3})
    async with _engine(tmp_path, flaky, bad) as engine:
        ok = await engine.execute("remote_flaky", {})
        assert ok.success and ok.attempts == 3 and ok.output == {"n": 3}
        no = await engine.execute("remote_bad", {})
        assert not no.success and no.attempts == 1
        assert no.error is not None and "answered 400" in no.error.message and "bad request" in no.error.message


async def test_http_binding_unreachable_is_retryable(tmp_path: Path) -> None:
    spec = _tool("gone", {"kind": "http", "url": "http://127.0.0.1:9"}, retry={"initial_interval_s": 0.01, "maximum_attempts": 2})
    async with _engine(tmp_path, spec) as engine:
        r = await engine.execute("gone", {})
    assert not r.success and r.attempts == 2 and "cannot reach" in str(r.error and r.error.message)


async def test_mcp_binding_calls_a_downstream_server(tmp_path: Path) -> None:
    server = {"command": sys.executable, "args": [str(ROOT / "tests" / "support" / "downstream_server.py")]}
    add = _tool("remote_add", {"kind": "mcp", "server": server, "tool": "add"},
                {"a": {"type": "number"}, "b": {"type": "number"}})
    fail = _tool("remote_fail", {"kind": "mcp", "server": server, "tool": "fail"}, retry={"maximum_attempts": 1})
    async with _engine(tmp_path, add, fail) as engine:
        r = await engine.execute("remote_add", {"a": 2, "b": 3})
        assert r.success and r.output == {"sum": 5}
        r2 = await engine.execute("remote_add", {"a": 10, "b": -1})  # same connection, reused
        assert r2.output == {"sum": 9}
        f = await engine.execute("remote_fail", {})
        assert not f.success and "downstream says no" in str(f.error and f.error.message)


async def test_embedded_binding_not_available_is_clear(tmp_path: Path) -> None:
    spec = _tool("later", {"kind": "embedded", "target": "toolorch.backends.not_written_yet:run"})
    async with _engine(tmp_path, spec) as engine:
        r = await engine.execute("later", {})
    assert not r.success and r.error is not None and r.error.kind == "not_available"
    assert "not available yet" in r.error.message


async def test_a_registered_tool_rebound_by_setting(tmp_path: Path, http_base: str) -> None:
    """TOOLORCH_BACKENDS moves a tool of the registry files to an HTTP service, nothing else."""
    s = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path), policy_enabled=False,
                 registry_dir=ROOT / "tests" / "support" / "registry",
                 backends={"echo": {"kind": "http", "url": http_base, "path": "/index/{text}"}})
    async with Engine(s, observers=[]) as engine:
        assert engine.registry.get("echo").backend.kind == "http"
        assert engine.registry.get("step_a").backend.kind == "embedded"
        r = await engine.execute("echo", {"text": "rust"})
    assert r.success and r.output == {"language": "rust", "received": {}}
    assert _Handler.calls == [("POST", "/index/rust", {})]
