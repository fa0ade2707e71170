"""The backend seam: one way of running a tool (like an httpx transport).

An embedded tool is `async def tool(args: dict, ctx: ToolContext) -> dict` named in the registry
(`backend.target = "package.module:function"`). It returns the structured output (matching the
tool's output schema) or raises a `toolorch.errors.ToolorchError`. Blocking work goes to a worker
thread (`await anyio.to_thread.run_sync(...)`); from there, report progress with
`anyio.from_thread.run(ctx.report_progress, done, total, message)`. `ToolContext` lives in the
shared lower floor (`toolorch.core.context`), so stores can take one too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from toolorch.core.context import ToolContext


class Backend(ABC):
    """One way of running a tool. Subclasses: EmbeddedBackend, HttpBackend, McpBackend, MockBackend."""

    name: str

    @abstractmethod
    async def call(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        """Run once (the engine adds timeout, retry and the breaker around this)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections; called when the engine shuts down."""
