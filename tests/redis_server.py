"""A real `redis-server` for tests: started on 127.0.0.1 with a free port and a tmp dir, no
persistence, stopped afterwards. Tests that need an outage call `.kill()` (SIGKILL, like a crash)
and `.start()` again, which reuses the same port so clients reconnect to the same URL.

Use from tests/conftest.py:  `from tests.redis_server import redis_server, redis_url  # noqa: F401`
(handle type for annotations: `tests.redis_server.RedisServer`).
Skips, with the reason, only when `redis-server` is not installed (CI installs it).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REDIS_SERVER = "redis-server"
START_TIMEOUT_S = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ping(port: int, timeout_s: float = 0.2) -> bool:
    """Raw RESP PING, so the helper does not depend on the client library under test."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process; `url` stays valid across kill()/start()."""

    def __init__(self, binary: str, workdir: Path, port: int | None = None, *,
                 persistent: bool = False) -> None:
        self.binary = binary
        self.workdir = workdir
        self.persistent = persistent
        self.port = port or _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        if self.running:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.workdir),
            "--save", "", "--protected-mode", "yes", "--daemonize", "no",
            *(("--appendonly", "yes", "--appendfsync", "always") if self.persistent
              else ("--appendonly", "no")),
            "--logfile", str(self.workdir / "redis.log"),
        ]
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            while time.monotonic() < deadline:
                if _ping(self.port):
                    return
                if self.proc.poll() is not None:
                    break  # died: most likely the port is still held by the killed one; retry
                time.sleep(0.02)
            if time.monotonic() >= deadline:
                self.stop()
                log = (self.workdir / "redis.log")
                tail = log.read_text()[-2000:] if log.exists() else ""
                raise RuntimeError(f"redis-server did not answer PING on port {self.port}:\n{tail}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the server vanishes mid-conversation, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._reap()

    def pause(self) -> None:
        """SIGSTOP: the server keeps its sockets but stops answering (clients time out)."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.resume()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reap()

    def _reap(self) -> None:
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None


def _running(tmp: pytest.TempPathFactory, persistent: bool) -> Iterator[RedisServer]:
    binary = shutil.which(REDIS_SERVER) or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: `apt-get install redis-server`); "
                    "the Redis store and cache tests need a real server")
    server = RedisServer(binary, tmp.mktemp("redis"), persistent=persistent)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A running redis-server, no persistence (handle: .url, .kill(), .start(), .pause(),
    .resume(); after kill() + start() it is empty)."""
    yield from _running(tmp_path_factory, persistent=False)


@pytest.fixture
def persistent_redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Like redis_server, with an fsync-always append-only file, so what it acknowledged before
    a kill() is there again after start() -- a production Redis, for outage tests."""
    yield from _running(tmp_path_factory, persistent=True)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """URL of a running redis-server (redis://127.0.0.1:PORT/0)."""
    return redis_server.url
