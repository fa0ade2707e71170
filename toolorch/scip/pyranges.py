"""Enclosing ranges of Python definitions, which scip-python leaves out of its index.

Parsed with the standard `ast` module: every `def`, `async def` and `class` maps the position of
its name (the definition occurrence's start) to the range of the whole statement, decorators
included. Columns are code points (SCIP's position encoding for Python), not ast's UTF-8 bytes.
"""

from __future__ import annotations

import ast
import re

from toolorch.scip.model import Range

_KEYWORD = re.compile(r"(?:async\s+def|def|class)\s+")


def _char_col(line: str, byte_col: int) -> int:
    """ast's byte offset into `line` as a code-point offset."""
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def python_definition_ranges(text: str) -> dict[tuple[int, int], Range]:
    """{(name line, name column): (start line, start col, end line, end col)}, 0-based; empty
    when the file does not parse (the index stays usable without ranges)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    lines = text.splitlines()
    out: dict[tuple[int, int], Range] = {}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        row = node.lineno - 1
        if row >= len(lines) or node.end_lineno is None or node.end_col_offset is None:
            continue
        line = lines[row]
        start = _char_col(line, node.col_offset)
        match = _KEYWORD.match(line, start)
        if match is None or not line.startswith(node.name, match.end()):
            continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        first_col = 0 if first < row else start
        if first < row:  # a decorator: its '@' is one column before the expression
            first_col = max(0, _char_col(lines[first], node.decorator_list[0].col_offset) - 1)
        end_row = node.end_lineno - 1
        end_col = _char_col(lines[end_row], node.end_col_offset) if end_row < len(lines) else 0
        out[(row, match.end())] = (first, first_col, end_row, end_col)
    return out


def _is_overload(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "overload") or (
        isinstance(target, ast.Attribute) and target.attr == "overload")


def _name_position(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str],
                   ) -> tuple[int, int] | None:
    row = node.lineno - 1
    if row >= len(lines):
        return None
    line = lines[row]
    match = _KEYWORD.match(line, _char_col(line, node.col_offset))
    if match is None or not line.startswith(node.name, match.end()):
        return None
    return row, match.end()


def python_overloads(text: str) -> dict[tuple[int, int], tuple[int, int]]:
    """{stub name position: implementation name position} (0-based line, code-point column)
    for every `@overload` group (stubs then the undecorated implementation, in one scope).
    scip-python makes the first stub the definition; the implementation is the real one."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    lines = text.splitlines()
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for scope in ast.walk(tree):
        body = getattr(scope, "body", None)
        if not isinstance(body, list):
            continue
        stubs: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        for node in body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if any(_is_overload(d) for d in node.decorator_list):
                stubs.setdefault(node.name, []).append(node)
                continue
            group = stubs.pop(node.name, [])
            impl = _name_position(node, lines)
            if impl is None:
                continue
            for stub in group:
                pos = _name_position(stub, lines)
                if pos is not None:
                    out[pos] = impl
    return out
