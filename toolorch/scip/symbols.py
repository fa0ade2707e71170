"""SCIP symbol strings: parse and format them exactly as the grammar says.

    <symbol>     ::= <scheme> ' ' <manager> ' ' <package-name> ' ' <version> ' ' <descriptor>+
                   | 'local ' <local-id>
    part         ::= any text, a space inside doubled, '.' when empty
    <descriptor> ::= name '/' (namespace) | name '#' (type) | name '.' (term) | name ':' (meta)
                   | name '!' (macro) | name '(' disambiguator? ').' (method)
                   | '[' name ']' (type parameter) | '(' name ')' (parameter)
    name         ::= [A-Za-z0-9_+$-]+ | '`' any text, '`' doubled '`'

Round trip: `format_symbol(parse_symbol(s)) == s` for every well-formed `s` (a test checks it on
every symbol the real indexers emit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from toolorch.errors import ValidationError

NAMESPACE, TYPE, TERM, METHOD, TYPE_PARAMETER, PARAMETER, META, MACRO = (
    "namespace", "type", "term", "method", "type_parameter", "parameter", "meta", "macro",
)
_SUFFIX_CHAR = {NAMESPACE: "/", TYPE: "#", TERM: ".", META: ":", MACRO: "!"}
_CHAR_SUFFIX = {v: k for k, v in _SUFFIX_CHAR.items()}
_SIMPLE = re.compile(r"[A-Za-z0-9_+$-]+")


@dataclass(frozen=True, slots=True)
class Descriptor:
    name: str
    suffix: str                     # one of NAMESPACE, TYPE, TERM, METHOD, ... above
    disambiguator: str = ""         # methods only: the text inside `name(...)`

    def format(self) -> str:
        name = escape_name(self.name)
        if self.suffix == METHOD:
            return f"{name}({escape_name(self.disambiguator) if self.disambiguator else ''})."
        if self.suffix == TYPE_PARAMETER:
            return f"[{name}]"
        if self.suffix == PARAMETER:
            return f"({name})"
        return name + _SUFFIX_CHAR[self.suffix]


@dataclass(frozen=True, slots=True)
class Symbol:
    """A parsed symbol. Local symbols have `local_id` set and nothing else."""

    scheme: str = ""
    manager: str = ""
    package: str = ""
    version: str = ""
    descriptors: tuple[Descriptor, ...] = field(default_factory=tuple)
    local_id: str | None = None

    @property
    def is_local(self) -> bool:
        return self.local_id is not None

    @property
    def last(self) -> Descriptor | None:
        return self.descriptors[-1] if self.descriptors else None

    def format(self) -> str:
        return format_symbol(self)


def escape_name(name: str) -> str:
    """A descriptor name as written: bare when simple, else in backticks with '`' doubled."""
    if _SIMPLE.fullmatch(name):
        return name
    return "`" + name.replace("`", "``") + "`"


def _format_part(part: str) -> str:
    return part.replace(" ", "  ") if part else "."


def format_symbol(sym: Symbol) -> str:
    if sym.local_id is not None:
        return f"local {sym.local_id}"
    head = " ".join(_format_part(p) for p in (sym.scheme, sym.manager, sym.package, sym.version))
    return head + " " + "".join(d.format() for d in sym.descriptors)


def global_symbol(scheme: str, manager: str, package: str, version: str,
                  *descriptors: Descriptor) -> str:
    """Build a global symbol string from its parts."""
    return format_symbol(Symbol(scheme, manager, package, version, tuple(descriptors)))


def is_local(symbol: str) -> bool:
    return symbol.startswith("local ")


def parse_symbol(text: str) -> Symbol:
    """Parse a symbol string; raises ValidationError naming the position of a malformed part."""
    if text.startswith("local "):
        local_id = text[len("local "):]
        if not local_id:
            raise ValidationError(f"malformed SCIP symbol {text!r}: empty local id")
        return Symbol(local_id=local_id)
    pos = 0
    parts: list[str] = []
    for _ in range(4):
        part, pos = _read_part(text, pos)
        parts.append("" if part == "." else part)
    if not parts[0]:
        raise ValidationError(f"malformed SCIP symbol {text!r}: empty scheme")
    descriptors = _parse_descriptors(text, pos)
    if not descriptors:
        raise ValidationError(f"malformed SCIP symbol {text!r}: no descriptors")
    return Symbol(parts[0], parts[1], parts[2], parts[3], tuple(descriptors))


def _read_part(text: str, pos: int) -> tuple[str, int]:
    """One space-terminated part starting at `pos` ('  ' is an escaped space)."""
    out: list[str] = []
    i = pos
    while i < len(text):
        if text[i] == " ":
            if i + 1 < len(text) and text[i + 1] == " ":
                out.append(" ")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(text[i])
        i += 1
    raise ValidationError(
        f"malformed SCIP symbol {text!r}: expected '<scheme> <manager> <package> <version> "
        "<descriptors>' (an empty part is '.')")


def _read_name(text: str, pos: int) -> tuple[str, int]:
    if pos < len(text) and text[pos] == "`":
        out: list[str] = []
        i = pos + 1
        while i < len(text):
            if text[i] == "`":
                if i + 1 < len(text) and text[i + 1] == "`":
                    out.append("`")
                    i += 2
                    continue
                return "".join(out), i + 1
            out.append(text[i])
            i += 1
        raise ValidationError(f"malformed SCIP symbol {text!r}: unterminated backtick at {pos}")
    match = _SIMPLE.match(text, pos)
    if not match:
        return "", pos
    return match.group(0), match.end()


def _parse_descriptors(text: str, pos: int) -> list[Descriptor]:
    out: list[Descriptor] = []
    while pos < len(text):
        ch = text[pos]
        if ch in "[(":
            close = "]" if ch == "[" else ")"
            name, pos = _read_name(text, pos + 1)
            if pos >= len(text) or text[pos] != close:
                raise ValidationError(f"malformed SCIP symbol {text!r}: expected {close!r} at {pos}")
            out.append(Descriptor(name, TYPE_PARAMETER if ch == "[" else PARAMETER))
            pos += 1
            continue
        name, pos = _read_name(text, pos)
        if pos >= len(text):
            raise ValidationError(f"malformed SCIP symbol {text!r}: descriptor {name!r} has no suffix")
        ch = text[pos]
        if ch == "(":
            disamb, pos = _read_name(text, pos + 1)
            if text[pos:pos + 2] != ").":
                raise ValidationError(f"malformed SCIP symbol {text!r}: expected '). ' at {pos}")
            out.append(Descriptor(name, METHOD, disamb))
            pos += 2
        elif ch in _CHAR_SUFFIX:
            out.append(Descriptor(name, _CHAR_SUFFIX[ch]))
            pos += 1
        else:
            raise ValidationError(f"malformed SCIP symbol {text!r}: unexpected {ch!r} at {pos}")
    return out


def try_parse(text: str) -> Symbol | None:
    """`parse_symbol`, or None for a malformed symbol (readers stay lenient)."""
    try:
        return parse_symbol(text)
    except ValidationError:
        return None


def display_name(sym: Symbol) -> str:
    """The human name of a symbol: its last descriptor's name, with two conventions of the real
    indexers undone: scip-python's module symbol `a.b/__init__:` is named `a.b`, and a file
    namespace `src/`geom.ts`/` keeps its file name."""
    if sym.is_local or not sym.descriptors:
        return sym.local_id or ""
    last = sym.descriptors[-1]
    if last.suffix == META and last.name == "__init__" and len(sym.descriptors) >= 2:
        return sym.descriptors[-2].name
    return last.name
