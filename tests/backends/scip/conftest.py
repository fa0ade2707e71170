"""Helpers for the scip_index_code tests on projects written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_ctx(home: Path, *roots: Path, **settings: object) -> ToolContext:
    allowed = ":".join(str(r) for r in roots)
    s = Settings(home=home, allowed_roots=allowed, **settings)  # type: ignore[arg-type]
    return ToolContext(tool="scip_index_code", run_id="r", settings=s, services=Services(s),
                       roots=s.roots)


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
