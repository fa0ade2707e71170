"""The flat public surface: `__all__` is complete and every name resolves lazily."""

from __future__ import annotations

import subprocess
import sys

import toolorch


def test_all_names_resolve() -> None:
    for name in toolorch.__all__:
        assert getattr(toolorch, name) is not None
    assert sorted(n for n in toolorch.__all__ if n != "__version__") == sorted(toolorch._LAZY)


def test_import_is_light() -> None:
    """`import toolorch` must not pull torch, mcp or qdrant (the server starts fast)."""
    code = "import sys, toolorch; print(sorted(m for m in ('torch', 'mcp', 'qdrant_client', 'ladybug') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
