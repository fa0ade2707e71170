"""`embedded` binding: a Python callable named in the registry, imported on first use."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from toolorch.backends.base import Backend
from toolorch.core.context import ToolContext
from toolorch.errors import NotAvailableError

ToolFn = Callable[[dict[str, Any], ToolContext], Awaitable[dict[str, Any]]]


class EmbeddedBackend(Backend):
    def __init__(self, tool: str, target: str) -> None:
        self.tool = tool
        self.target = target
        self.name = f"embedded:{target}"
        self._fn: ToolFn | None = None

    def _resolve(self) -> ToolFn:
        if self._fn is None:
            module_name, _, attr = self.target.partition(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name and module_name.startswith(exc.name):
                    raise NotAvailableError(
                        f"{self.tool} is not available yet: its embedded implementation "
                        f"{self.target} is not part of this installation"
                    ) from exc
                raise NotAvailableError(
                    f"{self.tool} needs the Python module {exc.name!r}, which is not installed; "
                    "run `make setup` (or pip install the package) and restart the server"
                ) from exc
            fn = getattr(module, attr, None)
            if fn is None:
                raise NotAvailableError(
                    f"{self.tool} is not available yet: {module_name} has no {attr!r}"
                )
            self._fn = fn
        return self._fn

    async def call(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        return await self._resolve()(args, ctx)
