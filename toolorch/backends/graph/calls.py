"""Derive CALLS edges: a reference inside the enclosing range of a function or method definition
is a call from that function, when it is a call site.

SCIP records references, not calls: `x: Shape` and `Shape(...)` are both references to `Shape`.
When the source line is available, a reference counts as a call when a `(` follows it (after
optional generic arguments: `f<T>(`, `f::<T>(`), when it is a Rust macro invocation (`m!(`), or
when `new` precedes it. Without the source, a reference counts when the referenced symbol is
callable by kind (function, method, constructor...). The caller is the innermost enclosing
function-like definition (a function or method, or a value whose type is a function type, as
TypeScript's `const f = () => ...`); references outside any function make no CALLS edge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from toolorch.scip.model import Document, Range

#: Kinds whose definitions are callers (their enclosing range is a body).
CALLER_KINDS = frozenset({"function", "method", "constructor", "static_method", "trait_method"})
#: Kinds that are calls by themselves when no source text tells the call syntax.
CALLABLE_KINDS = CALLER_KINDS | {"macro"}
#: Kinds of values that are functions when their type is a function type (`const f = () => ...`).
VALUE_KINDS = frozenset({"variable", "constant", "property", "field"})
#: `var f: (x: number) => number`, `const g: <T>(x: T) => T`, `(property) C.h: () => void`:
#: the declared type itself starts with a parameter list.
_FUNCTION_TYPE = re.compile(
    r"^(?:\((?:property|variable|constant)\)\s+)?(?:(?:export|declare|readonly|static)\s+)*"
    r"(?:(?:var|let|const)\s+)?[\w$.]+\??\s*:\s*(?:<[^()]*>\s*)?\(")


def is_function_value(kind: str, signature: str) -> bool:
    """Whether a value symbol holds a function (so its body's references are calls from it)."""
    return kind in VALUE_KINDS and bool(_FUNCTION_TYPE.match(signature.strip())) and \
        "=>" in signature

_BYTE_LANGUAGES = frozenset({"rust", "go", "c", "cpp"})                 # UTF-8 byte offsets
_UTF16_LANGUAGES = frozenset({"typescript", "javascript", "java", "kotlin", "scala", "csharp"})

_CALL_AFTER = re.compile(r"\s*(?:(?:::)?<[\w\s,.:<>\[\]&'*|?]{0,200}>\s*)?\(")
_MACRO_AFTER = re.compile(r"!\s*[(\[{]")
_NEW_BEFORE = re.compile(r"\bnew\s+(?:[\w$]+\s*\.\s*)*$")


def _char_index(line: str, offset: int, language: str) -> int:
    """A SCIP character offset converted to an index into the Python string `line`."""
    if line.isascii():
        return offset
    if language in _BYTE_LANGUAGES:
        return len(line.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
    if language in _UTF16_LANGUAGES:
        return len(line.encode("utf-16-le")[: 2 * offset].decode("utf-16-le", errors="ignore"))
    return offset


def is_call_site(lines: list[str], rng: Range, language: str) -> bool:
    """Whether the reference at `rng` is written as a call (see the module docstring)."""
    start_line, start_char, end_line, end_char = rng
    if not 0 <= end_line < len(lines) or not 0 <= start_line < len(lines):
        return False
    line = lines[end_line]
    after = line[_char_index(line, end_char, language):]
    following = "\n".join([after, *lines[end_line + 1:end_line + 3]])
    if _CALL_AFTER.match(following) or _MACRO_AFTER.match(following):
        return True
    before_line = lines[start_line]
    before = before_line[:_char_index(before_line, start_char, language)]
    return _NEW_BEFORE.search(before) is not None


def _contains(rng: Range, line: int, char: int) -> bool:
    return (rng[0], rng[1]) <= (line, char) < (rng[2], rng[3])


def find_calls(
    doc: Document,
    kind_of: Callable[[str], str | None],
    lines: list[str] | None,
    is_caller: Callable[[str], bool] | None = None,
) -> Iterator[tuple[str, str, int]]:
    """Yield (caller symbol, callee symbol, 1-based line) for each call in `doc`.

    `kind_of(symbol)` gives the kind of a symbol of the project, None for any other symbol (so
    calls into libraries and locals are not edges). `lines` is the document's source split on
    newlines, or None when the source is not available. `is_caller(symbol)` says which
    definitions are callers (default: those of CALLER_KINDS).
    """
    def caller_kind(symbol: str) -> bool:
        return kind_of(symbol) in CALLER_KINDS

    caller_test = is_caller or caller_kind
    callers: list[tuple[Range, str]] = sorted(
        ((occ.enclosing_range, occ.symbol) for occ in doc.occurrences
         if occ.is_definition and occ.enclosing_range is not None
         and caller_test(occ.symbol)),
        key=lambda item: (item[0][0], item[0][1]),
    )
    if not callers:
        return
    for occ in doc.occurrences:
        if occ.is_definition:
            continue
        kind = kind_of(occ.symbol)
        if kind is None:
            continue
        line, char = occ.range[0], occ.range[1]
        caller = None
        for rng, symbol in callers:           # sorted by start: the last match is the innermost
            if (rng[0], rng[1]) > (line, char):
                break
            if _contains(rng, line, char):
                caller = symbol
        if caller is None:
            continue
        if lines is not None:
            if not is_call_site(lines, occ.range, doc.language):
                continue
        elif kind not in CALLABLE_KINDS:
            continue
        yield caller, occ.symbol, line + 1
