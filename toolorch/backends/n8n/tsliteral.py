"""Python values as TypeScript object literals, written the way n8n's own nodes are.

Keys are bare identifiers where they can be (`displayName: 'Operation'`): n8n's linters read
the description's properties by identifier, so JSON-quoted keys hide `usableAsTool` and
`subtitle` from them. Strings are single-quoted; a small literal fits on one line; `TsCode`
is written as is (`NodeConnectionTypes.Main`, a `...spread`).
"""

from __future__ import annotations

import json
import re
from typing import Any

_IDENT = re.compile(r"^[A-Za-z_$][\w$]*$")
INLINE_WIDTH = 80
MAX_INLINE_MEMBERS = 3     # a literal with more members gets a line each


class TsCode(str):
    """TypeScript source to emit verbatim."""


def ts_string(text: str) -> str:
    body = json.dumps(text, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{body}'"


def _key(key: str) -> str:
    return key if _IDENT.match(key) else ts_string(key)


def _inline(value: Any, budget: int) -> str | None:
    """`value` on one line, or None when it needs more than `budget` characters (checked as it
    is built, so a large literal costs no more than the budget)."""
    if isinstance(value, TsCode):
        text = str(value)
    elif isinstance(value, str):
        text = ts_string(value)
    elif isinstance(value, bool) or value is None or isinstance(value, int | float):
        text = json.dumps(value)
    elif isinstance(value, list | dict):
        if len(value) > MAX_INLINE_MEMBERS:
            return None
        if not value:
            return "[]" if isinstance(value, list) else "{}"
        parts: list[str] = []
        used = 4
        pairs = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        for k, v in pairs:
            inner = _inline(v, budget - used)
            if inner is None:
                return None
            part = inner if k is None else f"{_key(str(k))}: {inner}"
            used += len(part) + 2
            if used > budget:
                return None
            parts.append(part)
        text = "[" + ", ".join(parts) + "]" if isinstance(value, list) else "{ " + ", ".join(parts) + " }"
    else:
        raise TypeError(f"no TypeScript literal for {type(value).__name__}")
    return text if len(text) <= budget else None


def ts_literal(value: Any, indent: int = 0) -> str:
    """`value` as a TypeScript literal whose continuation lines are indented by `indent` tabs."""
    flat = _inline(value, INLINE_WIDTH - indent * 4)
    if flat is not None:
        return flat
    pad, inner = "\t" * indent, "\t" * (indent + 1)
    if isinstance(value, list):
        return "[\n" + "".join(f"{inner}{ts_literal(v, indent + 1)},\n" for v in value) + f"{pad}]"
    if isinstance(value, dict):
        return "{\n" + "".join(f"{inner}{_key(str(k))}: {ts_literal(v, indent + 1)},\n"
                               for k, v in value.items()) + f"{pad}}}"
    return _inline(value, 1 << 30) or ""
