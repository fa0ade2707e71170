"""What search finds: one document per project symbol worth finding, built from the fact store
and the project's source files. Both indexes (lexical and dense) are made from these.

Which symbols: those defined in the project (a definition site), except parameters and
*nested functions* — a function or method whose definition lies inside another function's body
is part of that body (its words are in the parent's body digest), not a hit of its own: left in,
closures and local helpers crowd the results with fragments of one function.

Recovered: a Python function named `_` (`@singledispatch` overloads, `@x.register` handlers):
scip-python gives it a symbol but no definition, and several of them share one symbol. Each
`def _` of its module (or class) becomes a document, keyed `<symbol>@<line>` from the second on.

Body digest: the words of a function's body (identifiers, comments), with its docstring and
header left out, read from the source by the definition's line range; "" when the file cannot be
read (then only names, signatures and docs are searched).
"""

from __future__ import annotations

import ast
import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Kinds that are not worth a document of their own.
SKIPPED_KINDS = frozenset({"parameter", "self_parameter", "type_parameter"})
FUNCTION_KINDS = frozenset({"function", "method", "static_method", "class_method", "constructor",
                            "trait_method", "macro"})
BODY_CHARS = 2000
DOC_CHARS = 300
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COMMENT = re.compile(r"(?:#|//)\s?(.*)$")
_KEYWORDS = frozenset("""
and as assert async await break class continue def del elif else except finally for from global
if import in is lambda nonlocal not or pass raise return try while with yield None True False self
cls const let var function new this typeof instanceof export default extends implements interface
public private protected readonly static void null undefined fn pub impl mut ref match loop mod use
crate super struct enum trait where move unsafe type dyn Self str int float bool dict list tuple
set bytes object string number boolean any unknown never
""".split())


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """One searchable symbol. `key` is the symbol, or `<symbol>@<line>` for a second definition
    sharing it (Python `_`)."""

    project: str
    key: str
    symbol: str
    name: str
    kind: str
    path: str
    line: int | None
    end_line: int | None
    signature: str
    documentation: str
    qualified: str
    body: str = ""

    def payload(self) -> dict[str, Any]:
        """What an agent sees of a hit (documentation: first paragraph)."""
        return {"project": self.project, "symbol": self.symbol, "name": self.name,
                "kind": self.kind, "path": self.path, "line": self.line,
                "signature": self.signature, "documentation": short_doc(self.documentation)}

    def digest(self) -> str:
        """Changes when anything searchable or shown changes."""
        parts = (self.key, self.name, self.kind, self.path, str(self.line), str(self.end_line),
                 self.signature, self.documentation, self.qualified, self.body)
        return hashlib.sha1("\x00".join(parts).encode()).hexdigest()[:16]


def short_doc(documentation: str | None) -> str:
    """The first paragraph, at most DOC_CHARS characters."""
    text = (documentation or "").strip()
    first = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    first = " ".join(first.split())
    return first if len(first) <= DOC_CHARS else first[:DOC_CHARS - 1].rstrip() + "…"


def qualified_name(symbol: str) -> str:
    """`scip-python python shapes 0.1.0 \\`shapes.geometry\\`/haversine().` → shapes.geometry.haversine"""
    from toolorch.scip import symbols as S

    parsed = S.try_parse(symbol)
    if parsed is None or parsed.is_local:
        return ""
    names = [d.name for d in parsed.descriptors if d.name and d.name != "__init__"]
    return ".".join(names)


def build_documents(project: str, root: str | Path | None,
                    rows: Iterable[dict[str, Any]]) -> list[SearchDoc]:
    """The project's search documents, ordered by path and line."""
    rows = list(rows)
    sources = _Sources(Path(root) if root else None)
    by_symbol = {r["symbol"]: r for r in rows}
    docs: list[SearchDoc] = []
    for row in rows:
        kind = str(row.get("kind") or "")
        if kind in SKIPPED_KINDS:
            continue
        if row.get("path"):
            docs.append(_document(project, row, sources))
        elif kind in FUNCTION_KINDS and row.get("name") == "_":
            docs.extend(_recover_underscore(project, row, by_symbol, sources))
    kept = _drop_nested(docs)
    kept.sort(key=lambda d: (d.path, d.line or 0, d.key))
    return kept


def _document(project: str, row: dict[str, Any], sources: _Sources) -> SearchDoc:
    kind = str(row.get("kind") or "")
    line, end = row.get("line"), row.get("end_line")
    body = ""
    if kind in FUNCTION_KINDS and line and end and end > line:
        body = body_digest(sources.lines(row["path"]), int(line), int(end))
    return SearchDoc(project=project, key=row["symbol"], symbol=row["symbol"],
                     name=str(row.get("name") or ""), kind=kind, path=row["path"], line=line,
                     end_line=end, signature=str(row.get("signature") or ""),
                     documentation=str(row.get("documentation") or ""),
                     qualified=qualified_name(row["symbol"]), body=body)


def body_digest(lines: list[str] | None, line: int, end_line: int) -> str:
    """Comment words and identifiers of lines line+1..end_line (1-based; the header line and
    Python docstrings skipped), each identifier once, in order, at most BODY_CHARS."""
    if not lines:
        return ""
    body = lines[line:end_line]
    text = "\n".join(body)
    text = re.sub(r'("""|\'\'\')(.*?)\1', " ", text, flags=re.DOTALL)  # docstrings, not code
    seen: dict[str, None] = {}
    out: list[str] = []
    size = 0
    for raw in text.splitlines():
        comment = _COMMENT.search(raw)
        code = raw[:comment.start()] if comment else raw
        words = [w for w in _IDENT.findall(re.sub(r"(['\"]).*?\1", " ", code))
                 if w not in _KEYWORDS and len(w) > 1 and w not in seen]
        if comment and comment.group(1).strip():
            words.append(comment.group(1).strip())
        for w in words:
            seen[w] = None
            out.append(w)
            size += len(w) + 1
            if size >= BODY_CHARS:
                return " ".join(out)[:BODY_CHARS]
    return " ".join(out)


def _drop_nested(docs: list[SearchDoc]) -> list[SearchDoc]:
    """Drop functions defined inside another function's range in the same file."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for d in docs:
        if d.kind in FUNCTION_KINDS and d.line and d.end_line and d.end_line > d.line:
            spans.setdefault(d.path, []).append((int(d.line), int(d.end_line)))
    kept = []
    for d in docs:
        if d.kind in FUNCTION_KINDS and d.line and any(
                start < int(d.line) <= end for start, end in spans.get(d.path, ())):
            continue
        kept.append(d)
    return kept


def _recover_underscore(project: str, row: dict[str, Any], by_symbol: dict[str, dict[str, Any]],
                        sources: _Sources) -> list[SearchDoc]:
    """Every `def _` directly in the module (or class) that encloses `row`'s symbol."""
    parent = by_symbol.get(str(row.get("enclosing_symbol") or ""))
    if parent is None or not parent.get("path") or not str(parent["path"]).endswith((".py", ".pyi")):
        return []
    lines = sources.lines(parent["path"])
    if lines is None:
        return []
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return []
    scope: list[ast.stmt] = tree.body
    if parent.get("kind") == "class":
        cls = next((n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)
                    and n.lineno == parent.get("line")), None)
        if cls is None:
            return []
        scope = cls.body
    found = [n for n in scope if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
             and n.name == "_"]
    docs = []
    for i, node in enumerate(found):
        end = node.end_lineno or node.lineno
        first_body = node.body[0].lineno if node.body else node.lineno + 1
        header = " ".join(x.strip() for x in lines[node.lineno - 1:max(node.lineno, first_body - 1)])
        decorators = " ".join("@" + ast.unparse(d) for d in node.decorator_list)
        docs.append(SearchDoc(
            project=project, key=row["symbol"] if i == 0 else f"{row['symbol']}@{node.lineno}",
            symbol=row["symbol"], name="_", kind=str(row.get("kind") or "function"),
            path=parent["path"], line=node.lineno, end_line=end,
            signature=f"{decorators}\n{header}".strip(), documentation=ast.get_docstring(node) or "",
            qualified=qualified_name(row["symbol"]), body=body_digest(lines, node.lineno, end)))
    return docs


class _Sources:
    """Source lines of the project's files, read once each (None when unreadable)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._cache: dict[str, list[str] | None] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def _read(self, path: str) -> list[str] | None:
        if self.root is None:
            return None
        full = (self.root / path).resolve()
        if not full.is_relative_to(self.root.resolve()):
            return None
        try:
            return full.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None
