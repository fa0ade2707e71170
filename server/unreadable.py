"""Every line a client sends gets an answer, even one the SDK cannot read (issue 13, point 3).

The SDK's stdio reader turns a line it cannot parse — invalid JSON, or JSON nested deeper than
pydantic-core reads (≈ 200 levels) — into an `Exception` item, and its dispatcher logs that at
debug level and drops it: the client waits forever. `answer_unreadable` sits between the transport
and the server and answers such an item with a JSON-RPC error carrying the request's id when the
raw line shows it (`null` when it does not, as JSON-RPC 2.0 says for parse errors).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import anyio
import mcp_types as types
from mcp.shared.message import SessionMessage

log = logging.getLogger("toolorch.server")

#: JSON-RPC 2.0's codes
PARSE_ERROR = -32700
INVALID_REQUEST = -32600

_ID = re.compile(r'"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")')


def request_id(raw: str) -> int | str | None:
    """The top-level id of a raw request line: the first `"id"` before `"params"` (clients write
    `jsonrpc, id, method, params`), or after it when there is none before."""
    params_at = raw.find('"params"')
    matches = list(_ID.finditer(raw, 0, len(raw)))
    before = [m for m in matches if params_at < 0 or m.start() < params_at]
    chosen = (before or matches)[:1]
    if not chosen:
        return None
    try:
        value = json.loads(chosen[0].group(1))
    except ValueError:
        return None
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def error_for(exc: Exception) -> types.JSONRPCError:
    """The answer to an unreadable line: its id when visible, the reason, and what to do."""
    details: list[Any] = exc.errors() if hasattr(exc, "errors") else []  # pydantic ValidationError
    first = details[0] if details else {}
    raw = first.get("input") if isinstance(first.get("input"), str) else ""
    reason = str(first.get("msg") or exc)[:300]
    if "recursion limit" in reason:
        code, message = INVALID_REQUEST, (f"request nested too deeply to read ({reason}); "
                                          "send arguments nested fewer than 100 levels")
    elif first.get("type") == "json_invalid":
        code, message = PARSE_ERROR, f"not valid JSON ({reason})"
    else:
        code, message = INVALID_REQUEST, f"not a JSON-RPC 2.0 message ({reason})"
    return types.JSONRPCError(jsonrpc="2.0", id=request_id(raw) if raw else None,
                              error=types.ErrorData(code=code, message=message))


async def answer_unreadable(read: Any, write: Any, out: Any) -> None:
    """Forward `read`'s messages to `out`; answer its exceptions on `write` instead."""
    async with out:
        async for item in read:
            if isinstance(item, Exception):
                reply = error_for(item)
                log.warning("unreadable request (id %r): %s", reply.id, reply.error.message)
                try:
                    await write.send(SessionMessage(reply))
                except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                    return
                continue
            await out.send(item)
