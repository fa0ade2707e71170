"""Refuse Cypher that writes, unless writes are allowed.

A small tokenizer walks the query skipping string literals ('...' and "..." with backslash
escapes), backtick-quoted names, comments (// and /* */), parameters ($name), property accesses
(`s.created`, `n.set`), labels (`:Delete`) and map keys (`{set: 1}`); any remaining word that is a
write clause is refused, as is a CALL of a procedure whose name says it writes (`create.node`,
`merge.relationship`, `refactor.*`, `periodic.iterate`...) or reads files (`read_csv`,
`file_info`), and Ladybug's `CALL name = value` settings (they could lift the query timeout).
This is the guard for both engines; LadybugDB is also opened read-only for queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolorch.errors import QueryError

WRITE_CLAUSES = frozenset({
    "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "COPY", "ALTER", "LOAD",
    "FOREACH", "INSTALL", "UNINSTALL", "IMPORT", "EXPORT", "ATTACH", "CHECKPOINT",
})
#: Words in a procedure name (split on . and _) that mark it as writing or reading files.
WRITE_PROCEDURE_WORDS = frozenset({
    "create", "merge", "set", "delete", "remove", "drop", "write", "load", "import", "export",
    "install", "attach", "detach", "refactor", "periodic", "truncate", "clear", "alter", "copy",
    "insert", "update", "assert", "read", "file", "csv", "parquet", "npy", "pandas", "rename",
})

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_.]*")
_SPACE = " \t\r\n\f\v"


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    offset: int
    kind: str               # "word", "name" (backticked), "string", "param", "number", "punct"


def tokenize(query: str) -> list[Token]:
    """The query's tokens, comments dropped. Unterminated strings/comments run to the end."""
    out: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch in _SPACE:
            i += 1
        elif query.startswith("//", i):
            end = query.find("\n", i)
            i = n if end < 0 else end + 1
        elif query.startswith("/*", i):
            end = query.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch in "'\"":
            j = i + 1
            while j < n and query[j] != ch:
                j += 2 if query[j] == "\\" else 1
            out.append(Token(query[i:j + 1], i, "string"))
            i = j + 1
        elif ch == "`":
            j = i + 1
            while j < n:
                if query[j] == "`":
                    if query.startswith("``", j):
                        j += 2
                        continue
                    break
                j += 1
            out.append(Token(query[i:j + 1], i, "name"))
            i = j + 1
        elif ch == "$":
            m = _WORD.match(query, i + 1)
            end = m.end() if m else i + 1
            out.append(Token(query[i:end], i, "param"))
            i = end
        elif (m := _WORD.match(query, i)) is not None:
            out.append(Token(m.group(), i, "word"))
            i = m.end()
        elif (m := _NUMBER.match(query, i)) is not None:
            out.append(Token(m.group(), i, "number"))
            i = m.end()
        else:
            out.append(Token(ch, i, "punct"))
            i += 1
    return out


def _position(query: str, offset: int) -> str:
    line = query.count("\n", 0, offset) + 1
    column = offset - (query.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}" if "\n" in query else f"column {column}"


def _refuse(query: str, what: str, offset: int, tool: str) -> QueryError:
    return QueryError(
        f"{tool} is read-only: found {what} at {_position(query, offset)}; "
        "set TOOLORCH_CYPHER_ALLOW_WRITES=1 to allow writes (a variable with that name can be "
        "renamed or quoted in backticks)"
    )


def find_write(query: str) -> tuple[str, int] | None:
    """The first write construct as (what, offset), or None for a read-only query."""
    tokens = tokenize(query)
    for k, tok in enumerate(tokens):
        if tok.kind != "word":
            continue
        prev = tokens[k - 1].text if k else ""
        nxt = tokens[k + 1].text if k + 1 < len(tokens) else ""
        if prev in (".", ":") or (nxt == ":" and prev in ("{", ",")):
            continue                      # property access, label, map key
        upper = tok.text.upper()
        if upper in WRITE_CLAUSES:
            return upper, tok.offset
        if upper == "CALL":
            found = _check_call(tokens, k + 1)
            if found is not None:
                return found
    return None


def _check_call(tokens: list[Token], start: int) -> tuple[str, int] | None:
    """Inspect the procedure name after CALL (dotted words) and what follows it."""
    parts: list[str] = []
    j = start
    while j < len(tokens) and tokens[j].kind in ("word", "name"):
        parts.append(tokens[j].text.strip("`"))
        if j + 1 < len(tokens) and tokens[j + 1].text == ".":
            j += 2
            continue
        j += 1
        break
    if not parts:
        return None
    name = ".".join(parts)
    offset = tokens[start].offset
    if j < len(tokens) and tokens[j].text == "=":
        return f"the setting CALL {name} =", offset
    words = {w for part in parts for w in re.split(r"[._]", part.lower()) if w}
    if words & WRITE_PROCEDURE_WORDS:
        return f"the procedure {name}", offset
    return None


def check_read_only(query: str, tool: str = "memgraph_query_graph") -> None:
    """Raise QueryError naming the first write construct of `query`, if any."""
    found = find_write(query)
    if found is not None:
        raise _refuse(query, found[0], found[1], tool)


def is_write(query: str) -> bool:
    return find_write(query) is not None
