"""How long work reports progress: `await progress(done, total, message)`.

The engine hands one to every backend (through `ToolContext.report_progress`); the server turns
it into MCP progress notifications, the orchestrator into per-step messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

ProgressFn = Callable[[float, float | None, str | None], Awaitable[None]]


async def no_progress(done: float, total: float | None, message: str | None) -> None:
    """The progress sink of a caller that does not listen."""
    return None
