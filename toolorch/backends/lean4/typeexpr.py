"""Source type annotations (Python, TypeScript, Rust) parsed into one small tree.

The indexers hand us types as text (`dict[str, int] | None`, `Map<string, Circle[]>`,
`&[Box<dyn Shape>]`). One tokenizer and a recursive-descent parser with per-language switches turn
them into `TypeExpr` nodes that `types.py` maps to Lean. What cannot be parsed becomes `TRaw`
carrying the text, so it still ends up as a named opaque type and never as a silent `String`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TName:
    """A named type with optional arguments: `int`, `List[str]`, `HashMap<K, V>`, `std::io::Error`."""

    name: str
    args: tuple[TypeExpr, ...] = ()


@dataclass(frozen=True, slots=True)
class TUnion:
    items: tuple[TypeExpr, ...]


@dataclass(frozen=True, slots=True)
class TTuple:
    items: tuple[TypeExpr, ...]


@dataclass(frozen=True, slots=True)
class TArray:
    """`T[]` (TypeScript), `[T]` / `[T; N]` (Rust)."""

    elem: TypeExpr


@dataclass(frozen=True, slots=True)
class TFunc:
    params: tuple[TypeExpr, ...]
    result: TypeExpr


@dataclass(frozen=True, slots=True)
class TLiteral:
    """A literal type (`'a'`, `3`, `true`); `kind` is "string", "number" or "bool"."""

    text: str
    kind: str


@dataclass(frozen=True, slots=True)
class TRaw:
    """Text we could not parse (object literals, conditional types...)."""

    text: str


TypeExpr = TName | TUnion | TTuple | TArray | TFunc | TLiteral | TRaw

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<life>'[A-Za-z_]\w*(?!['\w]))
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>=>|->|::|\.\.\.)
  | (?P<ident>[A-Za-z_$][\w$]*)
  | (?P<punct>[\[\]<>(){},|&;:?.*=!+])
""", re.VERBOSE)


class TypeParseError(ValueError):
    pass


def tokenize(text: str, language: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise TypeParseError(f"unexpected {text[pos]!r} in type {text!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        if kind == "life" and language != "rust":
            # Not a lifetime outside Rust: re-read as a string literal.
            m2 = re.compile(r"'(?:[^'\\]|\\.)*'").match(text, m.start())
            if m2 is None:
                raise TypeParseError(f"unterminated literal in type {text!r}")
            pos = m2.end()
            out.append(m2.group(0))
            continue
        out.append(m.group(0))
    return out


class _Parser:
    def __init__(self, tokens: list[str], language: str, text: str) -> None:
        self.toks, self.lang, self.text, self.i = tokens, language, text, 0

    # -- helpers -----------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> str:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else ""

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if not tok or (expected is not None and tok != expected):
            raise TypeParseError(f"expected {expected or 'a type'!r} at {tok or 'end'!r} in {self.text!r}")
        self.i += 1
        return tok

    def accept(self, tok: str) -> bool:
        if self.peek() == tok:
            self.i += 1
            return True
        return False

    # -- grammar -----------------------------------------------------------------------------
    def parse_type(self) -> TypeExpr:
        if self.lang != "rust":
            self.accept("|")
        items = [self.parse_postfix()]
        while self.lang != "rust" and self.accept("|"):
            items.append(self.parse_postfix())
        if self.lang == "typescript" and self.peek() == "&":
            raise TypeParseError(f"intersection types are not mapped: {self.text!r}")
        return items[0] if len(items) == 1 else TUnion(tuple(items))

    def parse_postfix(self) -> TypeExpr:
        t = self.parse_primary()
        while self.lang == "typescript" and self.peek() == "[" and self.peek(1) == "]":
            self.i += 2
            t = TArray(t)
        return t

    def parse_list(self, close: str) -> list[TypeExpr]:
        items: list[TypeExpr] = []
        while self.peek() != close:
            # Rust associated type bindings (`Item = T`) and TS named tuple members (`x: T`).
            if self.peek(1) in ("=", ":") and re.fullmatch(r"[A-Za-z_$][\w$]*", self.peek()):
                self.i += 2
            items.append(self.parse_type())
            if not self.accept(","):
                break
        self.take(close)
        return items

    def parse_primary(self) -> TypeExpr:
        tok = self.peek()
        if not tok:
            raise TypeParseError(f"empty type in {self.text!r}")
        if tok[0] in "\"'`":
            self.i += 1
            return TLiteral(tok, "string")
        if re.fullmatch(r"-?\d+(?:\.\d+)?", tok):
            self.i += 1
            return TLiteral(tok, "number")
        if tok == "...":
            self.i += 1
            return TName("...")
        if tok == "&" and self.lang == "rust":
            self.i += 1
            if self.peek().startswith("'"):
                self.i += 1
            self.accept("mut")
            return self.parse_primary()
        if tok == "*" and self.lang == "rust":
            self.i += 1
            if self.peek() in ("const", "mut"):
                self.i += 1
            return self.parse_primary()
        if tok == "[":
            self.i += 1
            if self.lang == "rust":
                elem = self.parse_type()
                if self.accept(";"):
                    while self.peek() and self.peek() != "]":
                        self.i += 1
                self.take("]")
                return TArray(elem)
            return TTuple(tuple(self.parse_list("]")))
        if tok == "(":
            return self.parse_paren()
        if tok == "{":
            raise TypeParseError(f"object literal types are not mapped: {self.text!r}")
        if tok in ("impl", "dyn") and self.lang == "rust":
            self.i += 1
            t = self.parse_primary()
            while self.accept("+"):
                self.parse_primary()  # extra bounds (Send, 'static) carry no data
            return t
        if tok == "fn" and self.lang == "rust":
            self.i += 1
            self.take("(")
            params = self.parse_list(")")
            result: TypeExpr = TTuple(())
            if self.accept("->"):
                result = self.parse_type()
            return TFunc(tuple(params), result)
        if tok in ("typeof", "keyof", "unique", "infer") and self.lang == "typescript":
            raise TypeParseError(f"{tok} types are not mapped: {self.text!r}")
        if tok == "readonly" and self.lang == "typescript":
            self.i += 1
            return self.parse_postfix()
        if re.fullmatch(r"[A-Za-z_$][\w$]*", tok):
            return self.parse_named()
        raise TypeParseError(f"unexpected {tok!r} in type {self.text!r}")

    def parse_named(self) -> TypeExpr:
        parts = [self.take()]
        while self.peek() in (".", "::") and re.fullmatch(r"[A-Za-z_$][\w$]*", self.peek(1) or "-"):
            self.i += 1
            parts.append(self.take())
        sep = "::" if self.lang == "rust" else "."
        name = sep.join(parts)
        if self.lang == "rust" and parts[-1] in ("Fn", "FnMut", "FnOnce") and self.peek() == "(":
            self.i += 1
            params = self.parse_list(")")
            result: TypeExpr = TTuple(())
            if self.accept("->"):
                result = self.parse_type()
            return TFunc(tuple(params), result)
        open_tok = "[" if self.lang == "python" else "<"
        close_tok = "]" if self.lang == "python" else ">"
        if self.peek() == open_tok and not (self.lang == "typescript" and self.peek(1) == "]"):
            self.i += 1
            if self.lang == "python" and name.split(".")[-1] == "Callable" and self.peek() == "[":
                self.i += 1
                params = self.parse_list("]") if self.peek() != "..." else [self.parse_type()]
                if params and params == [TName("...")]:
                    self.take("]")
                    params = []
                self.take(",")
                result = self.parse_type()
                self.take("]")
                return TFunc(tuple(params), result)
            args = self.parse_list(close_tok)
            return TName(name, tuple(args))
        if self.lang == "python" and name in ("True", "False"):
            return TLiteral(name, "bool")
        if self.lang == "typescript" and name in ("true", "false"):
            return TLiteral(name, "bool")
        return TName(name)

    def parse_paren(self) -> TypeExpr:
        """`(A, B)` Rust tuple / `()` unit; TypeScript `(x: A) => R` or a parenthesized type."""
        self.take("(")
        if self.lang == "typescript":
            start = self.i
            try:
                params = self._ts_params()
                self.take(")")
                self.take("=>")
                return TFunc(tuple(params), self.parse_type())
            except TypeParseError:
                self.i = start
            inner = self.parse_type()
            self.take(")")
            return inner
        items = self.parse_list(")")
        if self.lang == "rust" and len(items) == 1 and self.toks[self.i - 2] != ",":
            return items[0]
        return TTuple(tuple(items))

    def _ts_params(self) -> list[TypeExpr]:
        params: list[TypeExpr] = []
        while self.peek() != ")":
            self.accept("...")
            self.take()  # parameter name
            optional = self.accept("?")
            t: TypeExpr = TName("any")
            if self.accept(":"):
                t = self.parse_type()
            params.append(TUnion((t, TName("undefined"))) if optional else t)
            if not self.accept(","):
                break
        return params


def parse_type(text: str, language: str) -> TypeExpr:
    """Parse one annotation; unparseable text comes back as `TRaw(text)`."""
    text = text.strip()
    if not text:
        return TRaw("")
    try:
        p = _Parser(tokenize(text, language), language, text)
        t = p.parse_type()
        if p.i != len(p.toks):
            raise TypeParseError(f"trailing {p.peek()!r} in type {text!r}")
        return t
    except TypeParseError:
        return TRaw(text)
