"""Marquez mode over real HTTP, against a stand-in on 127.0.0.1 that accepts
`POST /api/v1/lineage` events and answers `GET /api/v1/lineage` from them (with toolorch's own
graph builder over its own store: the client side is what is under test)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.lineage.pipeline import COMPONENTS_ERROR, check_marquez_shape, node_id, record_pipeline
from toolorch.backends.lineage.tool import get_lineage
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services
from toolorch.lineage.graph import build_lineage, parse_node_id
from toolorch.lineage.observer import LineageObserver
from toolorch.lineage.store import LineageStore

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class StandIn:
    """A tiny Marquez: events into its own LineageStore, lineage out of it."""

    def __init__(self, db: Path, port: int = 0) -> None:
        self.store = LineageStore(db)
        self.received: list[dict] = []
        self.gets: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def _reply(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                if self.path != "/api/v1/lineage":
                    return self._reply(404, {"code": 404, "message": f"no route {self.path}"})
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.received.append(event)
                outer.store.add_events([event])
                self._reply(201, {})

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != "/api/v1/lineage":
                    return self._reply(404, {"code": 404, "message": f"no route {url.path}"})
                query = parse_qs(url.query)
                nid = query["nodeId"][0]
                outer.gets.append(nid)
                _, ns, name = parse_node_id(nid)
                if not outer.store.namespaces_of(name) or ns not in outer.store.namespaces_of(name):
                    return self._reply(404, {"code": 404, "message": f"node {nid} not found"})
                self._reply(200, build_lineage(outer.store, (ns, name), int(query.get("depth", ["20"])[0])))

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.store.close()


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[StandIn]:
    server = StandIn(tmp_path / "marquez.sqlite")
    yield server
    server.close()


def _wait(cond, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


async def test_events_reach_marquez_and_lineage_is_read_back(standin: StandIn, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path), marquez_url=standin.url)
    services = Services(settings)
    try:
        observer = LineageObserver(settings, services)
        pipeline = record_pipeline(observer, tmp_path)
        assert observer.flush()
        assert _wait(lambda: len(standin.received) == 10)
        # every run arrived as START then its terminal event, in order
        by_run: dict[str, list[str]] = {}
        for ev in standin.received:
            by_run.setdefault(ev["run"]["runId"], []).append(ev["eventType"])
        assert sorted(by_run.values()) == sorted([["START", "COMPLETE"]] * 4 + [["START", "FAIL"]])
        fail = next(ev for ev in standin.received if ev["eventType"] == "FAIL")
        assert fail["run"]["facets"]["errorMessage"]["message"] == COMPONENTS_ERROR

        ctx = ToolContext(tool="marquez_get_lineage", run_id="r", settings=settings, services=services,
                          roots=settings.roots)
        out = await get_lineage({"dataset_name": "workflow.json", "depth": 5}, ctx)
        assert out["source"] == "marquez" and "warning" not in out
        assert standin.gets == [node_id(pipeline.workflow)]
        check_marquez_shape(out["graph"])
        assert out["graph"] == build_lineage(standin.store, ("file", pipeline.workflow.name), 5)["graph"]
        assert {"job:toolorch:scip_index_code", node_id(pipeline.src)} <= {n["id"] for n in out["graph"]}

        local = LineageStore(settings.home / "lineage.sqlite")  # the local copy is kept, all sent
        assert _wait(lambda: local.count_pending() == 0)
        assert local.count_events() == 10
        local.close()
    finally:
        services.close()


@pytest.mark.slow
async def test_marquez_down_then_back_loses_nothing(tmp_path: Path) -> None:
    # a port that refuses connections: bind a stand-in, note its port, stop it
    probe = StandIn(tmp_path / "probe.sqlite")
    port = int(probe.url.rsplit(":", 1)[1])
    probe.close()
    settings = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path),
                        marquez_url=f"http://127.0.0.1:{port}")
    services = Services(settings)
    server = None
    try:
        observer = LineageObserver(settings, services)
        pipeline = record_pipeline(observer, tmp_path)
        assert observer.flush()
        ctx = ToolContext(tool="marquez_get_lineage", run_id="r", settings=settings, services=services,
                          roots=settings.roots)
        out = await get_lineage({"dataset_name": pipeline.workflow.name}, ctx)
        assert out["source"] == "local" and "unreachable" in out["warning"]
        assert "job:toolorch:scip_index_code" in {n["id"] for n in out["graph"]}
        local = LineageStore(settings.home / "lineage.sqlite")
        assert local.count_pending() == 10  # queued in the outbox, not dropped

        server = StandIn(tmp_path / "marquez.sqlite", port=port)  # Marquez comes back
        assert _wait(lambda: local.count_pending() == 0, timeout=20.0)
        assert len(server.received) == 10
        out = await get_lineage({"dataset_name": pipeline.workflow.name}, ctx)
        assert out["source"] == "marquez"
        local.close()
    finally:
        services.close()
        if server is not None:
            server.close()


async def test_unknown_in_marquez_and_locally_lists_close_matches(standin: StandIn, tmp_path: Path) -> None:
    from toolorch.errors import BackendError

    settings = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path), marquez_url=standin.url)
    services = Services(settings)
    try:
        record_pipeline(LineageObserver(settings, services), tmp_path)
        ctx = ToolContext(tool="marquez_get_lineage", run_id="r", settings=settings, services=services,
                          roots=settings.roots)
        with pytest.raises(BackendError, match="close matches: .*Spec.lean"):
            await get_lineage({"dataset_name": "/nowhere/Spec.lea"}, ctx)
        assert standin.gets == ["dataset:file:/nowhere/Spec.lea"]  # Marquez was asked first
    finally:
        services.close()
