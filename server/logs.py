"""The logging capability: the server's log lines reach the client that caused them.

`logging/setLevel` sets a connection's level (default: warning). While a request runs, records
of the `toolorch` loggers emitted in its context — on the event loop or in a worker thread it
started — are queued and sent as `notifications/message` on that request's connection, with its
progress notifications and before its answer. Records
from threads no request started (the background embedder, the trainer) go to stderr only.
"""

from __future__ import annotations

import contextvars
import logging
import warnings
import weakref
from collections import deque
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPDeprecationWarning

#: MCP level → the lowest Python level it lets through
LEVELS: dict[str, int] = {
    "debug": logging.DEBUG, "info": logging.INFO, "notice": logging.INFO + 5, "warning": logging.WARNING,
    "error": logging.ERROR, "critical": logging.CRITICAL, "alert": logging.CRITICAL + 5,
    "emergency": logging.CRITICAL + 10,
}
DEFAULT = "warning"


def mcp_level(levelno: int) -> types.LoggingLevel:
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


class _Sink:
    """One request's pending records (appended from any thread, sent from the event loop)."""

    def __init__(self, session: Any, threshold: int) -> None:
        self.session, self.threshold = session, threshold
        self.pending: deque[tuple[types.LoggingLevel, str, str]] = deque(maxlen=200)

    async def flush(self) -> None:
        while self.pending:
            level, name, text = self.pending.popleft()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", MCPDeprecationWarning)
                    await self.session.send_log_message(level, text, logger=name)
            except Exception:  # the client went away: the answer will fail anyway
                self.pending.clear()
                return


_CURRENT: contextvars.ContextVar[_Sink | None] = contextvars.ContextVar("toolorch_log_sink", default=None)


class LogRelay(logging.Handler):
    """Attached to the `toolorch` logger while the server runs."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self._levels: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    def set_level(self, connection: Any, level: str) -> None:
        self._levels[connection] = level

    def level_of(self, connection: Any) -> str:
        return self._levels.get(connection, DEFAULT)

    def emit(self, record: logging.LogRecord) -> None:
        sink = _CURRENT.get()   # worker threads started with anyio.to_thread carry the context
        if sink is None or record.levelno < sink.threshold:
            return
        try:
            text = record.getMessage()
        except Exception:  # a bad format string: never break the caller
            return
        sink.pending.append((mcp_level(record.levelno), record.name, text))

    def start(self, session: Any, connection: Any) -> _Sink:
        """Collect the current request's records from here on; `flush` sends them (the server
        flushes on every progress notification and before the answer)."""
        sink = _Sink(session, LEVELS.get(self.level_of(connection), logging.WARNING))
        _CURRENT.set(sink)
        return sink
