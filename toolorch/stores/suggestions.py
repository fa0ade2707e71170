"""How often agents follow the policy's suggestions: one row per direct call that came after a
suggestion in the same session (offered tools, the tool then called). SQLite (WAL) in the data
dir, shared by every server process; `toolorch status` reads `summary()`.

`record` only appends in memory (it runs on a call's answer path); `flush` writes what is pending
in one transaction — the server does so every few seconds from its background task group, and
at shutdown."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from toolorch.stores.sqlite import connect_wal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS followed(ts REAL, session TEXT, offered TEXT, taken TEXT, followed INTEGER, rank INTEGER);
"""


class SuggestionLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: Any = None
        self.pending: list[tuple[float, str, str, str, int, int]] = []

    def _db(self) -> Any:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = connect_wal(self.path, 5.0, check_same_thread=False)
            self._conn.executescript(_SCHEMA)
        return self._conn

    def record(self, session: str, offered: list[str], taken: str) -> bool:
        """Log what the agent did after a suggestion; True when it took one of them."""
        rank = offered.index(taken) + 1 if taken in offered else 0
        self.pending.append((time.time(), session, json.dumps(offered), taken, int(rank > 0), rank))
        return rank > 0

    def flush(self) -> int:
        """Write the pending rows (blocking: call from a worker thread); how many."""
        with self._lock:
            rows, self.pending = self.pending, []
            if rows:
                db = self._db()
                db.executemany("INSERT INTO followed VALUES (?, ?, ?, ?, ?, ?)", rows)
                db.commit()
        return len(rows)

    def summary(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"calls_after_a_suggestion": 0, "followed": 0, "follow_rate": None}
        with self._lock:
            db = self._db()
            n, k, top = db.execute("SELECT count(*), coalesce(sum(followed), 0), coalesce(sum(rank = 1), 0) "
                                   "FROM followed").fetchone()
        return {"calls_after_a_suggestion": n, "followed": k, "followed_first": top,
                "follow_rate": round(k / n, 3) if n else None}

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
