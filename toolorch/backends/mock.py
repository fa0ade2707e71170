"""`MockBackend`: a tool answered by a function, for tests (httpx's MockTransport, for tools).

    engine = Engine(settings, backends={"echo": MockBackend(lambda args: {"text": args["text"]})})

The handler gets the validated arguments (and, if it takes two parameters, the ToolContext) and
returns the output or raises a ToolorchError; it may be sync or async. Everything around it
(validation, cache, breaker, timeout, retry, metrics, experiences) is the real engine's.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from toolorch.backends.base import Backend
from toolorch.core.context import ToolContext

Handler = Callable[..., dict[str, Any] | Awaitable[dict[str, Any]]]


class MockBackend(Backend):
    def __init__(self, handler: Handler, name: str = "mock") -> None:
        self.handler = handler
        self.name = name
        self.calls: list[dict[str, Any]] = []
        self._with_ctx = len(inspect.signature(handler).parameters) >= 2

    async def call(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        self.calls.append(args)
        out = self.handler(args, ctx) if self._with_ctx else self.handler(args)
        if inspect.isawaitable(out):
            out = await out
        return out
