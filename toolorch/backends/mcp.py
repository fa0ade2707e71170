"""`mcp` binding: a tool of a downstream MCP server, spoken to over stdio.

The connection is opened on first use and kept: it lives in a private event loop thread (an anyio
blocking portal), because an MCP client session must be entered and left by one task, and the
engine's calls arrive from many."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import anyio

from toolorch.backends.base import Backend
from toolorch.core.context import ToolContext
from toolorch.errors import BackendError
from toolorch.registry.models import BackendSpec


class McpBackend(Backend):
    def __init__(self, tool: str, spec: BackendSpec) -> None:
        assert spec.server is not None
        self.tool = tool
        self.remote_tool = spec.tool or tool
        self.spec = spec
        self.name = spec.name
        self._lock = threading.Lock()
        self._stack: contextlib.ExitStack | None = None
        self._portal: Any = None
        self._client: Any = None

    def _connect(self) -> None:
        """Start the portal thread and open the session (called in a worker thread)."""
        with self._lock:
            if self._client is not None:
                return
            from mcp import Client
            from mcp.client.stdio import StdioServerParameters

            assert self.spec.server is not None
            params = StdioServerParameters(
                command=self.spec.server.command, args=self.spec.server.args, env=self.spec.server.env or None
            )
            stack = contextlib.ExitStack()
            try:
                portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
                client = stack.enter_context(portal.wrap_async_context_manager(Client(params)))
            except Exception as exc:
                stack.close()
                raise BackendError(
                    f"{self.tool}: cannot start downstream MCP server "
                    f"{self.spec.server.command} {' '.join(self.spec.server.args)}: {exc}",
                    retryable=True,
                ) from exc
            self._stack, self._portal, self._client = stack, portal, client

    def _call_blocking(self, args: dict[str, Any]) -> Any:
        self._connect()
        try:
            return self._portal.call(self._client.call_tool, self.remote_tool, args)
        except Exception as exc:
            self._disconnect()  # the next call reconnects
            raise BackendError(f"{self.tool}: downstream MCP call failed: {exc}", retryable=True) from exc

    async def call(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        result = await anyio.to_thread.run_sync(self._call_blocking, args, abandon_on_cancel=True)
        text = "\n".join(getattr(c, "text", "") for c in result.content if getattr(c, "type", "") == "text")
        if result.is_error:
            raise BackendError(f"{self.tool} (downstream {self.remote_tool}): {text or 'error'}")
        if isinstance(result.structured_content, dict):
            return dict(result.structured_content)
        import json

        try:
            parsed = json.loads(text)
        except ValueError:
            return {"content": text}
        return parsed if isinstance(parsed, dict) else {"content": parsed}

    def _disconnect(self) -> None:
        with self._lock:
            stack, self._stack, self._portal, self._client = self._stack, None, None, None
        if stack is not None:
            with contextlib.suppress(Exception):
                stack.close()

    async def aclose(self) -> None:
        await anyio.to_thread.run_sync(self._disconnect)
