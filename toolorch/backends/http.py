"""`http` binding: POST (or GET/PUT) the arguments to an endpoint; `{name}` in the path template
is filled from the arguments. The response must be a JSON object: the tool's output."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from toolorch.backends.base import Backend
from toolorch.core.context import ToolContext
from toolorch.errors import BackendError, ValidationError
from toolorch.registry.models import BackendSpec

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BODY_TAIL = 500


class HttpBackend(Backend):
    def __init__(self, tool: str, spec: BackendSpec) -> None:
        assert spec.url is not None
        self.tool = tool
        self.spec = spec
        self.name = spec.name
        self._client: Any = None  # httpx.AsyncClient, created on first call

    def url_for(self, args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The request URL with path parameters filled, and the arguments left for the body."""
        rest = dict(args)

        def fill(m: re.Match[str]) -> str:
            key = m.group(1)
            if key not in rest:
                raise ValidationError(f"{self.tool}: path parameter {{{key}}} needs argument {key!r}", key)
            return quote(str(rest.pop(key)), safe="")

        path = _PARAM.sub(fill, self.spec.path)
        return self.spec.url.rstrip("/") + path, rest  # type: ignore[union-attr]

    async def call(self, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(None), headers=self.spec.headers)
        url, rest = self.url_for(args)
        method = self.spec.method
        try:
            if method == "GET":
                params = {k: v if isinstance(v, str) else str(v) for k, v in rest.items()}
                response = await self._client.request(method, url, params=params)
            else:
                response = await self._client.request(method, url, json=rest)
        except httpx.TransportError as exc:
            raise BackendError(f"{self.tool}: cannot reach {url}: {exc}", retryable=True) from exc
        if response.status_code >= 400:
            retryable = response.status_code >= 500 or response.status_code == 429
            raise BackendError(
                f"{self.tool}: {method} {url} answered {response.status_code}: "
                f"{response.text[:_BODY_TAIL]}",
                retryable=retryable,
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise BackendError(f"{self.tool}: {url} did not answer JSON: {response.text[:_BODY_TAIL]}") from exc
        if not isinstance(body, dict):
            raise BackendError(f"{self.tool}: {url} answered {type(body).__name__}, expected a JSON object")
        return body

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
