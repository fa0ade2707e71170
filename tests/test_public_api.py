"""The flat public surface: `__all__` is sorted and complete, every name resolves lazily to the
module that defines it, and `import toolorch` stays light."""

from __future__ import annotations

import inspect
import subprocess
import sys

import toolorch
import toolorch.errors


def test_all_is_sorted_and_matches_the_lazy_table() -> None:
    assert toolorch.__all__ == sorted(toolorch.__all__)
    assert sorted(n for n in toolorch.__all__ if n != "__version__") == sorted(toolorch._LAZY)


def test_every_name_resolves_to_its_one_home() -> None:
    for name in toolorch.__all__:
        obj = getattr(toolorch, name)
        assert obj is not None
        if name != "__version__":
            assert obj.__module__.startswith(toolorch._LAZY[name]), (name, obj.__module__)


def test_every_error_of_the_tree_is_public() -> None:
    tree = {n for n, c in vars(toolorch.errors).items()
            if inspect.isclass(c) and issubclass(c, toolorch.errors.ToolorchError)}
    assert tree <= set(toolorch.__all__), sorted(tree - set(toolorch.__all__))


def test_unknown_names_raise_attribute_error() -> None:
    try:
        toolorch.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no attribute 'NoSuchThing'" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_is_light() -> None:
    """`import toolorch` must not pull torch, mcp or qdrant (the server starts fast)."""
    code = "import sys, toolorch; print(sorted(m for m in ('torch', 'mcp', 'qdrant_client', 'ladybug') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
