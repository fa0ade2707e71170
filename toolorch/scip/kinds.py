"""Fill what the real indexers leave empty: a symbol's kind, its signature, a file's language.

scip-python and scip-typescript write neither `kind` nor `Document.language`; what they do write
is the hover text: a Markdown code block whose first line says what the symbol is
(`class Circle(Shape):`, `(method) area(): number`, `enum ShapeKind`...). The kind comes from that
line when it is telling, else from the last descriptor's suffix.
"""

from __future__ import annotations

import inspect
import re
from pathlib import PurePosixPath

from toolorch.scip import symbols as S

LANGUAGE_BY_SUFFIX: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".ts": "typescript", ".tsx": "typescript",
    ".mts": "typescript", ".cts": "typescript", ".js": "javascript", ".jsx": "javascript",
    ".mjs": "javascript", ".cjs": "javascript", ".rs": "rust", ".go": "go", ".java": "java",
    ".kt": "kotlin", ".scala": "scala", ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp",
    ".hpp": "cpp", ".rb": "ruby", ".cs": "csharp", ".lean": "lean",
}

_FENCE = re.compile(r"^```[^\n]*\n(.*?)\n?```\s*$", re.DOTALL)

# First words of a hover line -> kind, tried in order.
_PREFIXES: list[tuple[str, str]] = [
    ("(module)", "module"), ("module ", "module"), ("(enum member)", "enum_member"),
    ("(method)", "method"), ("(property)", "property"), ("(parameter)", "parameter"),
    ("(variable)", "variable"), ("(constant)", "constant"), ("(class)", "class"),
    ("(type parameter)", "type_parameter"), ("(function)", "function"),
    ("abstract class ", "class"), ("class ", "class"), ("interface ", "interface"),
    ("const enum ", "enum"), ("enum ", "enum"), ("type ", "type_alias"),
    ("function ", "function"), ("async function ", "function"), ("constructor", "constructor"),
    ("namespace ", "namespace"), ("const ", "constant"), ("let ", "variable"), ("var ", "variable"),
    ("get ", "property"), ("set ", "property"),
    ("pub struct ", "struct"), ("struct ", "struct"), ("pub enum ", "enum"),
    ("pub trait ", "trait"), ("trait ", "trait"), ("pub fn ", "function"), ("fn ", "function"),
    ("macro_rules!", "macro"),
]


def language_of(relative_path: str) -> str:
    """The language of a file from its extension ("" when unknown)."""
    return LANGUAGE_BY_SUFFIX.get(PurePosixPath(relative_path).suffix.lower(), "")


def split_documentation(documentation: list[str]) -> tuple[str, str]:
    """(signature, prose): the first fenced code block without its fences, and the other parts
    joined by blank lines. scip-python writes `(module) x` unfenced: that is neither."""
    signature = ""
    prose: list[str] = []
    for part in documentation:
        match = _FENCE.match(part.strip())
        if match and not signature:
            signature = match.group(1).strip("\n")
        elif part.strip() and not (part.startswith("(module) ") and "\n" not in part):
            prose.append(inspect.cleandoc(part))
    return signature, "\n\n".join(prose)


def _head(signature: str, documentation: list[str]) -> str:
    lines = [ln.strip() for ln in signature.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("@") and not ln.startswith("#[")]
    if lines:
        return lines[0]
    first = documentation[0].strip() if documentation else ""
    return first if first.startswith("(") else ""


def infer_kind(sym: S.Symbol, signature: str, documentation: list[str]) -> str:
    """The kind name (a toolorch.scip.model.KIND_NAMES value) of a symbol left unspecified."""
    head = _head(signature, documentation)
    last = sym.last
    parent = sym.descriptors[-2] if len(sym.descriptors) >= 2 else None
    in_type = parent is not None and parent.suffix == S.TYPE
    if head.startswith(("def ", "async def ")):
        if last is not None and last.suffix == S.METHOD and last.name == "__init__" and in_type:
            return "constructor"
        return "method" if in_type else "function"
    for prefix, kind in _PREFIXES:
        if head.startswith(prefix):
            if kind == "variable" and in_type:
                return "field"
            return kind
    if sym.is_local:
        return "variable"
    return _kind_from_suffix(last, in_type)


def _kind_from_suffix(last: S.Descriptor | None, in_type: bool) -> str:
    if last is None:
        return "unspecified"
    if last.suffix == S.META:
        return "module" if last.name == "__init__" else "unspecified"
    return {
        S.NAMESPACE: "namespace", S.TYPE: "type", S.METHOD: "method" if in_type else "function",
        S.TERM: "field" if in_type else "variable", S.PARAMETER: "parameter",
        S.TYPE_PARAMETER: "type_parameter", S.MACRO: "macro",
    }.get(last.suffix, "unspecified")


def parent_symbol(sym: S.Symbol) -> str:
    """The symbol one descriptor up (a method's class, a class's module), "" at the top."""
    if sym.is_local or len(sym.descriptors) < 2:
        return ""
    return S.format_symbol(S.Symbol(sym.scheme, sym.manager, sym.package, sym.version,
                                    sym.descriptors[:-1]))
