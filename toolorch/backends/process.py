"""Run an external program safely: argv list (no shell), a timeout, and the whole process group
killed on timeout or cancellation, so an indexer's children never outlive the call."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio

from toolorch.errors import SubprocessError, ToolTimeoutError

_TAIL = 4000


@dataclass(frozen=True, slots=True)
class Completed:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    elapsed_s: float


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def run_process(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 600.0,
    check: bool = True,
    what: str | None = None,
) -> Completed:
    """Run `argv` to completion. Raises ToolTimeoutError after `timeout_s` (group killed) and,
    with `check`, SubprocessError carrying the stderr tail on a non-zero exit."""
    name = what or Path(argv[0]).name
    full_env = {**os.environ, **(env or {})}
    start = anyio.current_time()
    try:
        proc = await anyio.open_process(
            list(argv), cwd=cwd, env=full_env, stdin=subprocess.DEVNULL, start_new_session=True
        )
    except FileNotFoundError as exc:
        raise SubprocessError(f"{name}: program not found: {argv[0]} (run `make setup`)") from exc
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []

    async def drain(stream: anyio.abc.ByteReceiveStream | None, sink: list[bytes]) -> None:
        if stream is None:
            return
        async for chunk in stream:
            sink.append(chunk)

    try:
        with anyio.fail_after(timeout_s):
            async with anyio.create_task_group() as tg:
                tg.start_soon(drain, proc.stdout, out_chunks)
                tg.start_soon(drain, proc.stderr, err_chunks)
                await proc.wait()
    except TimeoutError:
        _kill_group(proc.pid)
        with anyio.CancelScope(shield=True):
            await proc.wait()
        tail = b"".join(err_chunks).decode(errors="replace")[-_TAIL:]
        raise ToolTimeoutError(
            f"{name} ran past its {timeout_s:.0f}s timeout; its process group was killed"
            + (f"\n--- stderr (tail) ---\n{tail}" if tail else "")
        ) from None
    except BaseException:
        _kill_group(proc.pid)
        with anyio.CancelScope(shield=True):
            await proc.wait()
        raise
    finally:
        await proc.aclose()
    done = Completed(
        argv=list(argv),
        returncode=proc.returncode if proc.returncode is not None else -1,
        stdout=b"".join(out_chunks).decode(errors="replace"),
        stderr=b"".join(err_chunks).decode(errors="replace"),
        elapsed_s=anyio.current_time() - start,
    )
    if check and done.returncode != 0:
        raise SubprocessError(
            f"{name} exited with status {done.returncode}", stderr_tail=(done.stderr or done.stdout)[-_TAIL:]
        )
    return done
