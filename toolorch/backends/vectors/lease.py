"""One owner at a time for a resource that locks per process (qdrant local mode's folder).

qdrant-client's local mode takes an exclusive, non-blocking lock on its folder for as long as a
client is open, and reading the folder means unpickling every point (≈ 0.1 s per 2,000 points),
so neither "one client per process" (the second process gets an error) nor "open per operation"
(every search pays the load) works for several server processes on one data dir.

`Lease` does this instead: a process opens the resource under an `fcntl.flock` on `<lock>` and
keeps it open while nobody else needs it. A process that needs it and finds the lock taken
*asks* for it by stamping `<lock>.request`, and polls; the owner notices the new stamp (after
its current operation, or from a watcher thread when idle), closes the resource and unlocks.
An owner also lets go after `idle_s` without use. The lock dies with its process, so a crashed
owner never blocks anyone. Within a process, a mutex serialises operations on the resource.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar

from toolorch.errors import BackendError

log = logging.getLogger(__name__)

T = TypeVar("T")
WaitFn = Callable[[float, str], None]


class Lease(Generic[T]):
    """Hold `opener()`'s result under a cross-process file lock, handing it over on request."""

    def __init__(self, lock_path: Path, opener: Callable[[], T], closer: Callable[[T], None], *,
                 what: str, poll_s: float = 0.05, idle_s: float = 30.0,
                 wait_timeout_s: float = 120.0) -> None:
        self.lock_path = lock_path
        self.request_path = lock_path.with_name(lock_path.name + ".request")
        self.what = what
        self.poll_s, self.idle_s, self.wait_timeout_s = poll_s, idle_s, wait_timeout_s
        self.opens = 0
        self._opener, self._closer = opener, closer
        self._mutex = threading.Lock()
        self._fd: int | None = None
        self._resource: T | None = None
        self._request_seen = 0
        self._last_used = 0.0
        self._ownership = 0
        self._closed = False

    @contextmanager
    def hold(self, on_wait: WaitFn | None = None) -> Iterator[T]:
        """The open resource, exclusively for the duration of the `with` block.

        `on_wait(seconds_waited, message)` is called about once a second while another process
        owns it."""
        with self._mutex:
            if self._closed:
                raise BackendError(f"{self.what} is closed (the server is shutting down)")
            if self._resource is None:
                self._acquire(on_wait)
            try:
                yield self._resource  # type: ignore[misc]
            finally:
                self._last_used = time.monotonic()
                if self._requested():
                    self._release()

    @property
    def owned(self) -> bool:
        return self._resource is not None

    def close(self) -> None:
        with self._mutex:
            self._closed = True
            self._release()

    # ---- ownership ---------------------------------------------------------------------------

    def _acquire(self, on_wait: WaitFn | None) -> None:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            waited = wait_for_flock(
                fd, poll_s=self.poll_s, timeout_s=self.wait_timeout_s, on_wait=on_wait,
                each_poll=self._stamp_request,
                waiting=lambda: f"waiting for {self.what}, in use by another toolorch process ({self._owner_of(fd)})",
                busy=lambda: (f"{self.what} stayed busy in another toolorch process ({self._owner_of(fd)}) "
                              f"for {self.wait_timeout_s:.0f}s; retry later"))
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            self._request_seen = self._request_stamp()
            self._resource = self._opener()
        except BaseException:
            os.close(fd)  # closing the descriptor drops the lock too
            raise
        self._fd = fd
        self.opens += 1
        self._ownership += 1
        self._last_used = time.monotonic()
        if waited > 0.5:
            log.info("%s: took over after waiting %.1fs", self.what, waited)
        threading.Thread(target=self._watch, args=(self._ownership,), daemon=True,
                         name=f"lease:{self.lock_path.name}").start()

    def _release(self) -> None:
        """Close the resource and unlock (the caller holds the mutex)."""
        resource, self._resource = self._resource, None
        fd, self._fd = self._fd, None
        try:
            if resource is not None:
                self._closer(resource)
        finally:
            if fd is not None:
                os.close(fd)

    def _watch(self, ownership: int) -> None:
        """Let go when another process asks, or after idle_s without use; one watcher thread per
        ownership, ending with it."""
        while True:
            time.sleep(self.poll_s)
            if not self._mutex.acquire(blocking=False):
                continue  # an operation is running; it checks for requests when it ends
            try:
                if self._resource is None or self._ownership != ownership:
                    return
                idle = time.monotonic() - self._last_used > self.idle_s
                if idle or self._requested():
                    log.debug("%s: released (%s)", self.what, "idle" if idle else "requested")
                    self._release()
                    return
            except Exception:
                log.exception("%s: releasing failed", self.what)
                return
            finally:
                self._mutex.release()

    # ---- the request stamp -------------------------------------------------------------------

    def _stamp_request(self) -> None:
        now = time.time_ns()
        try:
            with open(self.request_path, "a"):
                pass
            os.utime(self.request_path, ns=(now, now))
        except OSError as exc:
            log.debug("cannot stamp %s: %s", self.request_path, exc)

    def _request_stamp(self) -> int:
        try:
            return os.stat(self.request_path).st_mtime_ns
        except FileNotFoundError:
            return 0

    def _requested(self) -> bool:
        return self._resource is not None and self._request_stamp() != self._request_seen

    def _owner_of(self, fd: int) -> str:
        try:
            pid = os.pread(fd, 32, 0).decode().strip()
        except OSError:
            pid = ""
        return f"pid {pid}" if pid else "unknown pid"


@contextmanager
def exclusive_file(path: Path, *, what: str, on_wait: WaitFn | None = None,
                   poll_s: float = 0.1, wait_timeout_s: float = 600.0) -> Iterator[None]:
    """An flock on `path` for the block, polled so that `on_wait` can report (and raise to
    abandon) about once a second while another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        wait_for_flock(fd, poll_s=poll_s, timeout_s=wait_timeout_s, on_wait=on_wait,
                       waiting=lambda: f"waiting for another toolorch process doing {what}",
                       busy=lambda: f"{what} stayed busy in another toolorch process for {wait_timeout_s:.0f}s; retry later")
        yield
    finally:
        os.close(fd)


def wait_for_flock(fd: int, *, poll_s: float, timeout_s: float, on_wait: WaitFn | None,
                   waiting: Callable[[], str], busy: Callable[[], str],
                   each_poll: Callable[[], None] | None = None) -> float:
    """Take an exclusive flock on `fd`, polling every `poll_s`, so that `on_wait(seconds,
    waiting())` can report (or raise to abandon) about once a second; `each_poll` runs on every
    failed try. A retryable BackendError(busy()) after `timeout_s`. Returns the seconds waited."""
    started = time.monotonic()
    next_report = started + 1.0
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return time.monotonic() - started
        except BlockingIOError:
            pass
        if each_poll is not None:
            each_poll()
        now = time.monotonic()
        if now - started > timeout_s:
            raise BackendError(busy(), retryable=True)
        if on_wait is not None and now >= next_report:
            next_report = now + 1.0
            on_wait(now - started, waiting())
        time.sleep(poll_s)
