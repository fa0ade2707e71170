"""Find the files an indexer cannot handle, before and after it runs.

Before (Python): a file whose syntax tree nests deeper than MAX_PYTHON_DEPTH (a long `elif`
chain, a chain of conditional expressions, generated code) overflows pyright's stack: scip-python
0.6.6 then drops or garbles the file, hangs for minutes, or dies with `RangeError: Maximum call
stack size exceeded`. The depth is measured on CPython's own tree without recursion; files that
CPython cannot parse are left to the indexer (pyright is tolerant of Python 2 syntax).
After: scip-python's fatal error names the file it was emitting (`currentFilepath: '...'`);
that file is excluded and the run retried.
"""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

#: Deepest syntax tree (in ast nodes) sent to scip-python. Measured: a chain of 1,800
#: conditional expressions (depth ≈ 3,600) overflows pyright's binder; 1,200 (≈ 2,400) passes.
MAX_PYTHON_DEPTH = 2000
MAX_SCREEN_BYTES = 4 * 1024 * 1024

_FATAL = re.compile(r"currentFilepath:\s*['\"]([^'\"]+)['\"]")


def tree_depth(tree: ast.AST, stop_at: int) -> int:
    """The depth of `tree`, counted iteratively (stops early past `stop_at`)."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > stop_at:
                return deepest
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def python_depth_problem(path: Path, max_depth: int = MAX_PYTHON_DEPTH) -> str | None:
    """Why `path` must not go to scip-python, or None."""
    try:
        if path.stat().st_size > MAX_SCREEN_BYTES:
            return None
        source = path.read_bytes()
    except OSError:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    except (RecursionError, MemoryError):
        return "nesting too deep for CPython's parser (and for scip-python's stack)"
    depth = tree_depth(tree, max_depth)
    if depth > max_depth:
        return (f"syntax tree deeper than {max_depth} nodes (scip-python overflows its stack "
                "on such files)")
    return None


def screen_python(root: Path, files: list[str], max_depth: int = MAX_PYTHON_DEPTH) -> dict[str, str]:
    """{relative path: reason} of the files to keep away from scip-python."""
    out: dict[str, str] = {}
    for rel in files:
        reason = python_depth_problem(root / rel, max_depth)
        if reason:
            out[rel] = reason
    return out


def fatal_file(output: str, root: Path) -> str | None:
    """The project file scip-python's fatal error names (relative to `root`), if any."""
    for match in _FATAL.finditer(output):
        path = Path(match.group(1))
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            continue
    return None
