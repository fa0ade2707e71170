"""Opening SQLite files that several toolorch processes share.

WAL + `synchronous=NORMAL` + a busy timeout. Why a retry loop around `journal_mode=WAL`: switching
a fresh file to WAL needs a lock that SQLite does not wait for through the busy handler, so two
servers opening a new data dir at the same moment could get "database is locked" at once (seen
in CI); the switch is retried until the busy timeout instead.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any


def connect_wal(path: Path | str, busy_timeout_s: float = 30.0, **kwargs: Any) -> sqlite3.Connection:
    """A connection in WAL mode with `busy_timeout`; sqlite3.OperationalError after the timeout."""
    kwargs.setdefault("check_same_thread", False)
    conn: sqlite3.Connection = sqlite3.connect(str(path), timeout=busy_timeout_s, **kwargs)
    try:
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        deadline = time.monotonic() + busy_timeout_s
        delay = 0.005
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
        conn.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn
