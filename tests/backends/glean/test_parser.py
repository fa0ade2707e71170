"""The Angle-subset parser: every construct, and errors that point at the right column."""

from __future__ import annotations

import pytest

from toolorch.backends.glean.parser import MAX_DEPTH, parse, tokenize
from toolorch.backends.glean.syntax import (
    Alt,
    Fact,
    FieldPat,
    Num,
    Pattern,
    Prefix,
    Record,
    Str,
    Var,
    Wildcard,
)
from toolorch.errors import QueryError


def only_body(text: str) -> Pattern:
    q = parse(text)
    assert len(q.statements) == 1 and q.head is None
    return q.statements[0].body


def error_of(text: str) -> str:
    with pytest.raises(QueryError) as info:
        parse(text)
    return info.value.message


def test_all_facts() -> None:
    assert only_body("code.Symbol _") == Fact("code.Symbol", Wildcard(12), 0)


def test_record_with_string_field() -> None:
    body = only_body('code.Symbol { kind = "function" }')
    assert body == Fact("code.Symbol", Record((FieldPat("kind", Str("function", 21), 14),), 12), 0)


def test_empty_record_and_trailing_comma() -> None:
    assert only_body("code.File {}") == Fact("code.File", Record((), 10), 0)
    body = only_body('code.File { path = "a", }')
    assert isinstance(body, Fact) and isinstance(body.arg, Record)
    assert [f.name for f in body.arg.fields] == ["path"]


def test_prefix_number_wildcard_and_variable_fields() -> None:
    body = only_body('code.Symbol { name = "ha".., line = 27, col = -1, kind = _, file = F }')
    assert isinstance(body, Fact) and isinstance(body.arg, Record)
    values = {f.name: f.value for f in body.arg.fields}
    assert values["name"] == Prefix("ha", 21)
    assert values["line"] == Num(27, 36)
    assert values["col"] == Num(-1, 46)
    assert values["kind"] == Wildcard(57)
    assert values["file"] == Var("F", 67)


def test_alternatives_of_values_and_of_records() -> None:
    body = only_body('code.Symbol { kind = "function" | "method" | "static_method" }')
    assert isinstance(body, Fact) and isinstance(body.arg, Record)
    alt = body.arg.fields[0].value
    assert isinstance(alt, Alt)
    assert [o.value for o in alt.options if isinstance(o, Str)] == [
        "function", "method", "static_method"]
    body = only_body('code.Reference { symbol = { name = "a" } | code.Symbol { name = "b".. } }')
    assert isinstance(body, Fact) and isinstance(body.arg, Record)
    alt = body.arg.fields[0].value
    assert isinstance(alt, Alt)
    assert isinstance(alt.options[0], Record) and isinstance(alt.options[1], Fact)


def test_nested_facts_and_parentheses() -> None:
    body = only_body('code.Definition { file = code.File { language = ("rust" | "python") } }')
    assert isinstance(body, Fact) and isinstance(body.arg, Record)
    nested = body.arg.fields[0].value
    assert isinstance(nested, Fact) and nested.predicate == "code.File"
    assert isinstance(nested.arg, Record)
    assert isinstance(nested.arg.fields[0].value, Alt)


def test_statements_bindings_and_head() -> None:
    q = parse('S = code.Symbol { name = "area" }; code.Reference { symbol = S };')
    assert len(q.statements) == 2
    assert q.statements[0].var == Var("S", 0)
    assert isinstance(q.statements[1].body, Fact)
    q = parse('N where code.Symbol { name = N, kind = "class" }; N = "A"..')
    assert q.head == Var("N", 0)
    assert q.statements[1].var == Var("N", 50)
    assert q.statements[1].body == Prefix("A", 54)


def test_multiline_query_and_string_escapes() -> None:
    q = parse('code.Symbol {\n  name = "a\\"b\\\\c\\u00e9\\n"\n}')
    body = q.statements[0].body
    assert isinstance(body, Fact) and isinstance(body.arg, Record)
    assert body.arg.fields[0].value == Str('a"b\\c\u00e9\n', 23)


def test_tokens_tell_predicates_variables_fields_apart() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("code.Symbol { end_line = X } _ where ..")]
    assert kinds == [("pred", "code.Symbol"), ("punct", "{"), ("field", "end_line"),
                     ("punct", "="), ("var", "X"), ("punct", "}"), ("wild", "_"),
                     ("field", "where"), ("punct", ".."), ("eof", "")]


@pytest.mark.parametrize(("text", "column", "expected"), [
    ('code.Symbol { name = "a" kind = "b" }', 26, "expected ',' or '}' in a record"),
    ("code.Symbol", 12, "expected '{' or '_' after predicate code.Symbol"),
    ("code.Symbol {", 14, "expected a field name or '}'"),
    ('code.Symbol { name "a" }', 20, "expected '=' after field name 'name'"),
    ("code.Symbol { name = }", 22, "expected a pattern"),
    ('code.Symbol { Name = "a" }', 15, "field names are lower-case"),
    ('code.Symbol { name = "abc }', 22, "unterminated string"),
    ("code.Symbol { line = 3 } code.File _", 26, "expected ';' between statements"),
    ("code.Symbol { name = @ }", 22, "unexpected character '@'"),
    ('code.Symbol { name = ("a" | "b" }', 33, "expected ')' to close '('"),
    ("Symbol _", 8, "expected ';' between statements"),
    ("symbol _", 1, "predicates are qualified"),
    ('code.Symbol { name = "\\q" }', 23, "unknown escape"),
    ("", 1, "empty query"),
    ('code.Symbol _ = code.File _', 15, "a variable before '='"),
    ("code.Symbol { line = 1234567890123456789 }", 22, "number too long"),
    ("code.Symbol { line = \u00b2 }", 22, "unexpected character"),
])
def test_errors_name_the_column_and_what_was_expected(text: str, column: int,
                                                     expected: str) -> None:
    message = error_of(text)
    first, shown, caret = message.split("\n")
    assert first.startswith(f"column {column}: "), message
    assert expected in first
    assert shown == "  " + text
    assert caret == "  " + " " * (column - 1) + "^"


def test_error_in_a_multiline_query_names_line_and_column() -> None:
    message = error_of('code.Symbol {\n  name = "a"\n  kind = "b"\n}')
    assert message.startswith("line 3, column 3: expected ',' or '}' in a record")
    assert message.split("\n")[1:] == ['    kind = "b"', "    ^"]


def test_nesting_depth_is_bounded() -> None:
    deep = "code.Symbol { name = " + "(" * (MAX_DEPTH + 5) + '"a"' + ")" * (MAX_DEPTH + 5) + " }"
    assert "nested too deeply" in error_of(deep)
    ok = "code.Symbol { name = " + "(" * 10 + '"a"' + ")" * 10 + " }"
    assert isinstance(parse(ok).statements[0].body, Fact)
