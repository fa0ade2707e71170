"""The Angle-subset syntax tree, and the one way a query error is shown.

Every node carries `pos`, the 0-based offset of its first character in the query text, so that
errors found after parsing (unknown predicate, unknown field, type mismatch) point at the exact
column just like parse errors do.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolorch.errors import QueryError


@dataclass(frozen=True, slots=True)
class Wildcard:
    """`_`: matches anything."""

    pos: int


@dataclass(frozen=True, slots=True)
class Var:
    """An upper-case identifier: binds a value (or a whole fact) and joins on it."""

    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Str:
    """A string literal: field equality."""

    value: str
    pos: int


@dataclass(frozen=True, slots=True)
class Prefix:
    """`"pre"..`: the string starts with `value`."""

    value: str
    pos: int


@dataclass(frozen=True, slots=True)
class Num:
    """An integer literal (line and column numbers)."""

    value: int
    pos: int


@dataclass(frozen=True, slots=True)
class FieldPat:
    """`name = pattern` inside a record."""

    name: str
    value: Pattern
    pos: int


@dataclass(frozen=True, slots=True)
class Record:
    """`{ field = pattern, ... }`; a predicate-less record nested in a fact field takes the
    predicate that field refers to."""

    fields: tuple[FieldPat, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Fact:
    """`code.Pred arg`, where arg is a record or `_`."""

    predicate: str
    arg: Record | Wildcard
    pos: int


@dataclass(frozen=True, slots=True)
class Alt:
    """`a | b | ...`: any of the options matches."""

    options: tuple[Pattern, ...]
    pos: int


Pattern = Wildcard | Var | Str | Prefix | Num | Record | Fact | Alt


@dataclass(frozen=True, slots=True)
class Statement:
    """`[Var =] pattern`. Without a variable the pattern is a fact pattern (or alternatives of
    fact patterns of one predicate)."""

    var: Var | None
    body: Pattern
    pos: int


@dataclass(frozen=True, slots=True)
class Query:
    """`[Head where] statement; statement; ...`. The result is the head variable's values, or
    without a head the facts of the last statement."""

    head: Var | None
    statements: tuple[Statement, ...]
    text: str


def describe(node: Pattern) -> str:
    """A short human name of a pattern node, for error messages."""
    names = {
        Wildcard: "`_`", Var: "a variable", Str: "a string", Prefix: "a string prefix",
        Num: "a number", Record: "a record", Fact: "a fact pattern", Alt: "alternatives",
    }
    return names[type(node)]


def query_error(text: str, pos: int, problem: str) -> QueryError:
    """A QueryError naming the line/column of `pos` and showing the query line with a caret.

    Example message::

        column 27: expected '}' or ',' after a field, found 'kind'
          code.Symbol { name = "a" kind = "b" }
                                   ^
    """
    pos = max(0, min(pos, len(text)))
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    if line_end < 0:
        line_end = len(text)
    line_no = text.count("\n", 0, pos) + 1
    column = pos - line_start + 1
    where = f"line {line_no}, column {column}" if "\n" in text else f"column {column}"
    shown = text[line_start:line_end].replace("\t", " ")
    caret = " " * (column - 1) + "^"
    return QueryError(f"{where}: {problem}\n  {shown}\n  {caret}")
