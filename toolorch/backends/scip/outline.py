"""The fallback for Python files scip-python was not given (too deep, or it crashed on them).

A line scanner, not a parser, so it reads what no parser here reads whole: Python 2 files, files
nested past every stack. It finds `def`, `async def` and `class` headers by indentation, gives
each the block that follows as its enclosing range and the first string literal as its docs,
and writes them as scip-python would name them (`scip-python python <pkg> <ver> `a.b`/f().`,
`C#m().`, the module `a.b/__init__:`), so the symbols join the rest of the index. What it cannot
know: references, types, anything inside expressions.
"""

from __future__ import annotations

import re
from pathlib import Path

from toolorch.scip import symbols as S
from toolorch.scip.model import DEFINITION, Document, Occurrence, SymbolInfo

TOOL = "toolorch-python-outline"
_HEADER = re.compile(r"^(?P<indent>[ \t]*)(?P<kw>async[ \t]+def|def|class)[ \t]+(?P<name>\w+)")
_DOC = re.compile(r"^[ \t]*[rRuUbB]{0,2}(\"\"\"|'''|\"|')")


def module_name(relative_path: str) -> str:
    """`pkg/mod.py` -> `pkg.mod`, `pkg/__init__.py` -> `pkg`; a leading `src/` is an import root."""
    parts = relative_path.removesuffix(".pyi").removesuffix(".py").split("/")
    if parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _indent(line: str) -> int:
    return len(line.expandtabs(8)) - len(line.expandtabs(8).lstrip())


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The last line (0-based) of the block whose header is at `start`."""
    last = start
    for i in range(start + 1, len(lines)):
        text = lines[i].strip()
        if not text or text.startswith("#"):
            continue
        if _indent(lines[i]) <= indent:
            break
        last = i
    return last


def _docstring(lines: list[str], header: int, end: int) -> str:
    i = header + 1
    while i <= end and not lines[i - 1].rstrip().endswith(":") and i < len(lines):
        i += 1                                  # a header continued over several lines
    if i > end or i >= len(lines) or not _DOC.match(lines[i]):
        return ""
    text = lines[i].strip().lstrip("rRuUbB")
    quote = text[:3] if text[:3] in ('"""', "'''") else text[:1]
    body = [text[len(quote):]]
    j = i
    while quote not in body[-1] and j < end:
        j += 1
        body.append(lines[j].strip())
    joined = "\n".join(body)
    return joined.split(quote, 1)[0].strip()


def outline_document(relative_path: str, text: str, package: str, version: str) -> Document:
    """The definitions of one Python file as a SCIP document."""
    lines = text.splitlines()
    module = module_name(relative_path)
    head = ("scip-python", "python", package, version)
    mod_desc = S.Descriptor(module, S.NAMESPACE)
    module_symbol = S.global_symbol(*head, mod_desc, S.Descriptor("__init__", S.META))
    doc = Document(relative_path=relative_path, language="python")
    doc.occurrences.append(Occurrence(module_symbol, (0, 0, 0, 0), DEFINITION,
                                      (0, 0, max(len(lines) - 1, 0), 0)))
    doc.symbols.append(SymbolInfo(symbol=module_symbol, kind="module", display_name=module,
                                  documentation=[f"(module) {module}"]))
    stack: list[tuple[int, S.Descriptor, bool]] = []     # (indent, descriptor, is_class)
    for row, line in enumerate(lines):
        match = _HEADER.match(line)
        if not match:
            continue
        indent = _indent(match.group("indent"))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if stack and not stack[-1][2]:
            continue                            # nested in a function: a local, as scip-python
        is_class = match.group("kw") == "class"
        name = match.group("name")
        desc = S.Descriptor(name, S.TYPE) if is_class else S.Descriptor(name, S.METHOD)
        parents = tuple(d for _, d, _ in stack)
        symbol = S.global_symbol(*head, mod_desc, *parents, desc)
        end = _block_end(lines, row, indent)
        col = match.start("name")
        doc.occurrences.append(Occurrence(symbol, (row, col, row, col + len(name)), DEFINITION,
                                          (row, indent, end, len(lines[end]))))
        kind = "class" if is_class else ("method" if stack else "function")
        signature = line.strip().rstrip(":")
        documentation = [f"```python\n{signature}\n```"]
        prose = _docstring(lines, row, end)
        if prose:
            documentation.append(prose)
        doc.symbols.append(SymbolInfo(symbol=symbol, kind=kind, display_name=name,
                                      documentation=documentation, signature=signature,
                                      enclosing_symbol=S.global_symbol(*head, mod_desc, *parents)
                                      if parents else module_symbol))
        stack.append((indent, desc, is_class))
    return doc


def outline_files(root: Path, files: list[str], package: str, version: str) -> list[Document]:
    """Outline documents of `files` (relative to `root`); unreadable files are left out."""
    out = []
    for rel in files:
        try:
            text = (root / rel).read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
        out.append(outline_document(rel, text, package, version))
    return out
