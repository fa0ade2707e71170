"""Transports: stdio (default) and streamable HTTP on 127.0.0.1 with an optional bearer token."""

from __future__ import annotations

import hmac
import logging
from typing import Any

import anyio

from toolorch.config import Settings
from toolorch.registry import Registry

log = logging.getLogger("toolorch.server")


async def serve_stdio(settings: Settings, registry: Registry | None = None) -> None:
    from mcp.server.stdio import stdio_server
    from mcp.shared._context_streams import create_context_streams
    from mcp.shared.message import SessionMessage

    from server.app import build_server
    from server.unreadable import answer_unreadable

    server = build_server(settings, registry)
    async with stdio_server() as (read, write), anyio.create_task_group() as tg:
        # the SDK drops lines it cannot parse without an answer: answer them (server/unreadable.py)
        out, checked = create_context_streams[SessionMessage | Exception](0)
        tg.start_soon(answer_unreadable, read, write, out)
        await server.run(checked, write, server.create_initialization_options())
        tg.cancel_scope.cancel()


class BearerAuth:
    """ASGI middleware: every HTTP request must carry `Authorization: Bearer <token>`."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.token = app, token.encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            given = headers.get(b"authorization", b"")
            if not (given.startswith(b"Bearer ") and hmac.compare_digest(given[7:], self.token)):
                body = b'{"error": "missing or wrong bearer token (set Authorization: Bearer <TOOLORCH_HTTP_TOKEN>)"}'
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def http_app(settings: Settings, registry: Registry | None = None) -> Any:
    from server.app import build_server

    server = build_server(settings, registry)
    app: Any = server.streamable_http_app(host=settings.http_host)
    if settings.http_token:
        app = BearerAuth(app, settings.http_token)
    return app


async def serve_http(settings: Settings, registry: Registry | None = None) -> None:
    import uvicorn

    config = uvicorn.Config(
        http_app(settings, registry), host=settings.http_host, port=settings.http_port,
        log_level=settings.log_level.lower(), lifespan="on",
    )
    server = uvicorn.Server(config)
    log.info("toolorch MCP over streamable HTTP at http://%s:%d/mcp", settings.http_host, settings.http_port)
    await server.serve()


def run(settings: Settings, http: bool, registry: Registry | None = None) -> None:
    """`registry`: already loaded (and checked) by the caller; None = load it from `settings`."""
    anyio.run(serve_http if http else serve_stdio, settings, registry)
