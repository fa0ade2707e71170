"""Function and field signatures, as the indexers print them, split into names and type texts.

Shapes seen from the real indexers (the code block of a symbol's documentation):
- scip-python:  `def haversine(\\n  lat1: float,\\n  ...\\n) -> float:` (decorators on lines before),
                `(variable) radius: float`
- scip-typescript: `function area(s: Shape): number`, `(method) scaled(k: number): Circle`,
                `constructor(r: number): Circle`, `(property) tags: string[] | undefined`,
                `var twice: (x: number) => number[]`
- toolorch's Rust indexer: `pub fn area(&self) -> f64`, `pub radius: f64`, `pub type A = (f64, f64)`
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_OPEN, _CLOSE = "([{<", ")]}>"


@dataclass(slots=True)
class ParamSig:
    name: str
    type_text: str = ""          # "" when unannotated
    optional: bool = False       # has a default, or `x?: T`
    variadic: str = ""           # "*" / "**" (Python), "..." (TypeScript)


@dataclass(slots=True)
class FuncSig:
    name: str
    params: list[ParamSig] = field(default_factory=list)
    result_text: str = ""
    type_params: list[str] = field(default_factory=list)
    receiver: bool = False        # Python self / Rust &self: the method takes its object
    static: bool = False          # @staticmethod / @classmethod / Rust fn without self
    decorators: list[str] = field(default_factory=list)


def split_top(text: str, sep: str = ",", quotes: str = "\"'`") -> list[str]:
    """Split on `sep` outside brackets and quotes (`dict[str, int], b` → two parts). The `>` of
    `=>` and `->` does not close a bracket. Rust passes `quotes='"'` (`'a` is a lifetime)."""
    parts: list[str] = []
    depth, start, quote = 0, 0, ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in quotes:
            quote = ch
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and not (ch == ">" and i > 0 and text[i - 1] in "=-"):
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i + len(sep)
            i += len(sep)
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _matching(text: str, start: int) -> int:
    """Index of the bracket closing the one at `start` (the whole text when unbalanced)."""
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and not (ch == ">" and i > 0 and text[i - 1] in "=-"):
            depth -= 1
            if depth == 0:
                return i
    return len(text) - 1


def _generics(text: str) -> list[str]:
    """`<T, U: Bound>` / `[T]` → ["T", "U"] (lifetimes dropped)."""
    names = []
    for part in split_top(text, quotes='"'):
        name = re.split(r"[\s:=]", part.strip(), maxsplit=1)[0]
        if name and not name.startswith("'") and name != "const":
            names.append(name)
    return names


def parse_function(signature: str, language: str) -> FuncSig | None:
    """Parse a function/method signature; None when the text is not one."""
    lines = [ln.strip() for ln in signature.strip().splitlines()]
    decorators = [ln for ln in lines if ln.startswith(("@", "#["))]
    body = " ".join(ln for ln in lines if ln and ln not in decorators)
    if language == "typescript":
        var = re.match(r"^(?:var|let|const)\s+([\w$]+)\s*:\s*(.*)$", body)
        if var and var.group(2).lstrip().startswith(("(", "<")):
            body = _ts_arrow_to_signature(var.group(1), var.group(2))
    body = re.sub(r"^pub(?:\([^)]*\))?\s+", "", body)
    m = re.search(r"(?:^|\s|\))([A-Za-z_$][\w$]*)\s*(<|\[|\()", body)
    if m is None:
        return None
    name = m.group(1)
    pos = m.start(2)
    type_params: list[str] = []
    if body[pos] in "<[":
        end = _matching(body, pos)
        type_params = _generics(body[pos + 1:end])
        pos = end + 1
        while pos < len(body) and body[pos] == " ":
            pos += 1
        if pos >= len(body) or body[pos] != "(":
            return None
    end = _matching(body, pos)
    params_text, rest = body[pos + 1:end], body[end + 1:].strip()
    result = ""
    if language == "python":
        result = rest.removeprefix("->").strip().removesuffix(":").strip() if rest.startswith("->") else ""
    elif language == "rust":
        if rest.startswith("->"):
            result = re.split(r"\swhere\s|\{", rest[2:], maxsplit=1)[0].strip()
    elif rest.startswith((":", "=>")):  # TypeScript: `f(x): R`, interface members `f() => R`
        result = rest[1:].strip() if rest.startswith(":") else rest[2:].strip()
    sig = FuncSig(name=name, result_text=result, type_params=type_params, decorators=decorators)
    if any(d.startswith(("@staticmethod", "@classmethod")) for d in decorators):
        sig.static = True
    for raw in split_top(params_text, quotes='"' if language == "rust" else "\"'`"):
        p = _param(raw, language)
        if p is None:
            continue
        if p.name in ("self", "&self", "&mut self", "mut self") or (
                language == "python" and p.name == "cls" and sig.static):
            if p.name != "cls":
                sig.receiver = True
            continue
        sig.params.append(p)
    if language == "python" and "@classmethod" in " ".join(decorators) and sig.params \
            and sig.params[0].name == "cls":
        sig.params.pop(0)
    return sig


def _ts_arrow_to_signature(name: str, type_text: str) -> str:
    """`twice: (x: number) => number[]` → `twice(x: number): number[]`."""
    text = type_text.strip()
    generics = ""
    if text.startswith("<"):
        end = _matching(text, 0)
        generics, text = text[:end + 1], text[end + 1:].strip()
    end = _matching(text, 0)
    after = text[end + 1:].strip()
    result = after[2:].strip() if after.startswith("=>") else ""
    return f"{name}{generics}{text[:end + 1]}: {result}"


def _param(raw: str, language: str) -> ParamSig | None:
    raw = raw.strip()
    if raw in ("*", "/", ""):
        return None
    if language == "rust":
        if re.fullmatch(r"(&\s*('\w+\s+)?)?(mut\s+)?self", raw):
            return ParamSig(name="self")
        m = re.match(r"^(?:mut\s+)?([\w]+)\s*:\s*(.+)$", raw)
        if m and re.fullmatch(r"(&\s*('\w+\s+)?)?(mut\s+)?self", m.group(1)):
            return ParamSig(name="self")
        return ParamSig(name=m.group(1), type_text=m.group(2).strip()) if m else ParamSig(name=raw)
    variadic = ""
    for mark in ("**", "*", "..."):
        if raw.startswith(mark):
            variadic, raw = mark, raw[len(mark):]
            break
    default = split_top(raw, "=")
    optional = len(default) > 1
    head = default[0] if default else raw
    name, _, type_text = head.partition(":")
    name = name.strip()
    if name.endswith("?"):
        name, optional = name[:-1], True
    return ParamSig(name=name, type_text=type_text.strip(), optional=optional, variadic=variadic)


def parse_field(signature: str, language: str) -> tuple[str, str] | None:
    """`(variable) lat: float` / `(property) tags?: string[]` / `pub radius: f64` → (name, type)."""
    body = " ".join(ln.strip() for ln in signature.strip().splitlines()
                    if not ln.strip().startswith(("@", "#[")))
    body = re.sub(r"^\((?:variable|property|constant|field)\)\s*", "", body)
    body = re.sub(r"^(?:pub(?:\([^)]*\))?\s+|readonly\s+|static\s+|const\s+|let\s+|var\s+)+", "", body)
    m = re.match(r"^([A-Za-z_$][\w$]*)\??\s*:\s*(.+?)\s*(?:=\s*.*)?[,;]?$", body)
    if m is None:
        return None
    return m.group(1), m.group(2).strip()


def parse_alias(signature: str, language: str) -> tuple[str, str, list[str]] | None:
    """`pub type LatLon = (f64, f64)` / `type Pair = [number, string]` → (name, rhs, type params)."""
    body = " ".join(ln.strip() for ln in signature.strip().splitlines()).rstrip(";")
    m = re.match(r"^(?:pub(?:\([^)]*\))?\s+|export\s+)?type\s+([A-Za-z_]\w*)\s*(<[^=]*>)?\s*=\s*(.+)$", body)
    if m is None:
        return None
    params = _generics(m.group(2)[1:-1]) if m.group(2) else []
    return m.group(1), m.group(3).strip(), params
