"""Cross-process coordination for the embedded graph: a readers-writer file lock and a
generation stamp.

LadybugDB lets one process open a database read-write, and a read-only open in another process
is not safe while a writer changes the files. So every toolorch process follows one protocol on
the data dir: readers hold a shared `flock`, writers an exclusive one, and a writer stamps a new
generation before releasing it. A reader may keep a read-only handle between queries as long as
the generation it was opened at is still current. Each acquisition opens its own descriptor, so
threads of one process exclude each other as processes do.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from toolorch.errors import BackendError


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def hold(self, *, exclusive: bool, timeout_s: float, what: str) -> Iterator[float]:
        """Hold the lock; yields the seconds waited. Raises a retryable BackendError after
        `timeout_s` (the graph is busy, not broken)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            waited = _acquire(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH, timeout_s)
            if waited is None:
                raise BackendError(
                    f"the code graph is busy: another toolorch process kept it locked for more "
                    f"than {timeout_s:.0f}s while this one waited to {what}; retry shortly",
                    retryable=True,
                )
            try:
                yield waited
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _acquire(fd: int, mode: int, timeout_s: float) -> float | None:
    start = time.monotonic()
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return time.monotonic() - start
        except BlockingIOError:
            if time.monotonic() - start >= timeout_s:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


class Generation:
    """A stamp file rewritten (atomically) after every change to the graph."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return ""

    def bump(self) -> str:
        stamp = f"{time.time_ns()}-{os.getpid()}"
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(stamp + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
        return stamp
