"""Spawn real `toolorch-server` processes (stdio or HTTP) over the test registry."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_REGISTRY = ROOT / "tests" / "support" / "registry"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def server_env(home: Path, registry: Path = SUPPORT_REGISTRY, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "PYTHONPATH": str(ROOT),
        "TOOLORCH_HOME": str(home),
        "TOOLORCH_REGISTRY_DIR": str(registry),
        "TOOLORCH_ALLOWED_ROOTS": str(home.parent),
        "TOOLORCH_LOG_LEVEL": "WARNING",
        "TOOLORCH_POLICY_ENABLED": "0",
        "TOOLORCH_INTENT_MODEL": "lexical",
        "HF_HUB_OFFLINE": "1",
    }
    env.update(extra)
    return env


def server_params(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "server"], env=env, cwd=str(ROOT))


@asynccontextmanager
async def stdio_session(env: dict[str, str]) -> AsyncIterator[ClientSession]:
    async with stdio_client(server_params(env)) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
