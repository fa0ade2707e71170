"""The evaluator against a real FactStore filled from a small hand-made SCIP index."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from toolorch.backends.glean.compiler import compile_query
from toolorch.backends.glean.evaluator import evaluate
from toolorch.backends.glean.parser import parse
from toolorch.errors import QueryError
from toolorch.stores.facts import FactStore

from .sample import AREA, CIRCLE, CIRCLE_AREA, HAVERSINE, MATH_PI, REPORT, SHAPE, SHAPE_AREA


@pytest.fixture
def conn(store: FactStore) -> Iterator[sqlite3.Connection]:
    c = store.connect_readonly()
    yield c
    c.close()


def q(conn: sqlite3.Connection, text: str, limit: int = 100) -> list[dict[str, Any]]:
    return evaluate(conn, text, "demo", limit=limit).facts


def keys(facts: list[dict[str, Any]], field: str = "symbol") -> list[Any]:
    return [f["key"][field] for f in facts]


def error(conn: sqlite3.Connection, text: str) -> str:
    with pytest.raises(QueryError) as info:
        evaluate(conn, text, "demo")
    return info.value.message


def test_all_symbols_of_the_project_only(conn: sqlite3.Connection) -> None:
    facts = q(conn, "code.Symbol _")
    assert sorted(keys(facts)) == sorted([AREA, HAVERSINE, SHAPE, SHAPE_AREA, CIRCLE,
                                          CIRCLE_AREA, REPORT, MATH_PI])
    assert all(f["predicate"] == "code.Symbol" for f in facts)
    # ordered by file then line; the external symbol (no file) comes last
    assert keys(facts, "file")[-1] is None
    located = [(f["key"]["file"], f["key"]["line"]) for f in facts[:-1]]
    assert located == sorted(located)


def test_symbol_fields(conn: sqlite3.Connection) -> None:
    (area,) = q(conn, 'code.Symbol { name = "area", kind = "function" }')
    assert area == {"predicate": "code.Symbol", "key": {
        "symbol": AREA, "name": "area", "kind": "function", "file": "demo/geometry.py",
        "line": 3, "col": 4, "end_line": 5, "signature": "def area(shape) -> float",
        "documentation": "Area of any shape.", "enclosing": None}}


def test_functions(conn: sqlite3.Connection) -> None:
    assert keys(q(conn, 'code.Symbol { kind = "function" }'), "name") == [
        "area", "haversine", "describe"]


def test_prefix_number_and_alternatives(conn: sqlite3.Connection) -> None:
    assert keys(q(conn, 'code.Symbol { name = "ha".. }'), "name") == ["haversine"]
    assert keys(q(conn, 'code.Symbol { name = "".., kind = "class" }'), "name") == [
        "Shape", "Circle"]
    assert keys(q(conn, "code.Symbol { line = 8 }"), "name") == ["haversine"]
    methods_or_classes = q(conn, 'code.Symbol { kind = "method" | "class" }')
    assert sorted(keys(methods_or_classes, "kind")) == ["class", "class", "method", "method"]
    assert q(conn, 'code.Symbol { name = "nothing".. }') == []


def test_definitions_span_the_body(conn: sqlite3.Connection) -> None:
    (hav,) = q(conn, 'code.Definition { name = "haversine" }')
    assert hav["key"] == {"symbol": HAVERSINE, "name": "haversine", "kind": "function",
                          "file": "demo/geometry.py", "line": 8, "col": 4, "end_line": 13}


def test_references_to_a_nested_symbol(conn: sqlite3.Connection) -> None:
    facts = q(conn, 'code.Reference { symbol = code.Symbol { name = "area", kind = "function" } }')
    assert [(f["key"]["file"], f["key"]["line"]) for f in facts] == [
        ("demo/report.py", 1), ("demo/report.py", 5)]
    # a bare record takes the field's predicate
    assert q(conn, 'code.Reference { symbol = { name = "area", kind = "function" } }') == facts


def test_definitions_in_files_of_a_language(conn: sqlite3.Connection) -> None:
    facts = q(conn, 'code.Definition { file = code.File { language = "python" }, kind = "class" }')
    assert keys(facts, "name") == ["Shape", "Circle"]
    assert q(conn, 'code.Definition { file = { language = "rust" } }') == []


def test_bound_fact_variable_joins_statements(conn: sqlite3.Connection) -> None:
    facts = q(conn, 'S = code.Symbol { name = "area" }; code.Reference { symbol = S }')
    assert sorted({f["key"]["symbol"] for f in facts}) == sorted({AREA, SHAPE_AREA})
    assert len(facts) == 3
    # the order of statements does not matter for the join, only for the result
    reversed_ = q(conn, 'code.Reference { symbol = S }; S = code.Symbol { name = "area" }')
    assert sorted(keys(reversed_)) == sorted([AREA, SHAPE_AREA])


def test_field_variables_join(conn: sqlite3.Connection) -> None:
    # functions whose name is also the name of a method
    facts = q(conn, 'code.Symbol { kind = "method", name = N }; code.Symbol { kind = "function", '
                    "name = N }")
    assert keys(facts) == [AREA]
    # files that define a function
    files = q(conn, 'code.Symbol { kind = "function", file = F }; code.File { path = F }')
    assert keys(files, "path") == ["demo/geometry.py", "demo/report.py"]


def test_head_variable_values(conn: sqlite3.Connection) -> None:
    kinds = q(conn, "K where code.Symbol { kind = K }")
    assert kinds == [{"variable": "K", "value": v}
                     for v in ["class", "constant", "function", "method"]]
    # a head bound to a whole fact returns facts of its predicate
    facts = q(conn, 'S where S = code.Symbol { kind = "method" }; code.Reference { symbol = S }')
    assert keys(facts) == [SHAPE_AREA]


def test_constraint_statement(conn: sqlite3.Connection) -> None:
    facts = q(conn, 'N = "hav".. | "desc"..; code.Symbol { name = N }')
    assert keys(facts, "name") == ["haversine", "describe"]
    values = q(conn, 'code.Symbol { name = N, kind = "function" }; N = "a".. | "d"..')
    assert values == [{"variable": "N", "value": "area"}, {"variable": "N", "value": "describe"}]


def test_alternatives_of_nested_records(conn: sqlite3.Connection) -> None:
    facts = q(conn, 'code.Reference { symbol = { name = "pi" } | { kind = "function" } }')
    assert sorted(keys(facts)) == sorted([MATH_PI, MATH_PI, AREA, AREA])
    # variables bound outside an alternative may be used inside it
    facts = q(conn, 'code.Symbol { kind = "class", name = C }; '
                    'code.Symbol { enclosing = { name = C } } | code.Symbol { name = C }')
    assert sorted(keys(facts)) == sorted([SHAPE, SHAPE_AREA, CIRCLE, CIRCLE_AREA])
    # the alternatives nest: classes, or members of classes named S..
    facts = q(conn, 'code.Symbol { enclosing = { name = "S".. } | { kind = "nothing" } }')
    assert keys(facts) == [SHAPE_AREA]


def test_statement_level_alternatives(conn: sqlite3.Connection) -> None:
    facts = q(conn, 'code.Symbol { kind = "class" } | code.Symbol { name = "hav".. }')
    assert keys(facts, "name") == ["Shape", "Circle", "haversine"]


def test_enclosing_and_relationships(conn: sqlite3.Connection) -> None:
    assert keys(q(conn, 'code.Symbol { enclosing = { name = "Circle" } }')) == [CIRCLE_AREA]
    impls = q(conn, 'code.Relationship { kind = "implementation", target = { name = "Shape" } }')
    assert impls == [{"predicate": "code.Relationship",
                      "key": {"symbol": CIRCLE, "target": SHAPE, "kind": "implementation"}}]
    kinds = q(conn, f'code.Relationship {{ symbol = "{CIRCLE_AREA}", kind = K }}')
    assert sorted(keys(kinds, "kind")) == ["implementation", "reference"]


def test_limit_truncation_and_determinism(conn: sqlite3.Connection) -> None:
    full = evaluate(conn, "code.Symbol _", "demo", limit=100)
    assert not full.truncated and len(full.facts) == 8
    part = evaluate(conn, "code.Symbol _", "demo", limit=3)
    assert part.truncated and part.facts == full.facts[:3]
    assert evaluate(conn, "code.Symbol _", "demo", limit=8).truncated is False
    assert part.predicates == {"code.Symbol": list(full.facts[0]["key"])}


def test_user_values_are_bound_parameters(conn: sqlite3.Connection) -> None:
    evil = "x' OR 1=1; DROP TABLE symbols; --"
    compiled = compile_query(parse(f'code.Symbol {{ name = "{evil}" }}'), "demo")
    assert evil not in compiled.sql and evil in compiled.params.values()
    assert q(conn, f'code.Symbol {{ name = "{evil}" }}') == []
    assert len(q(conn, "code.Symbol _")) == 8


@pytest.mark.parametrize(("text", "expected"), [
    ("code.Symbols _", ("unknown predicate code.Symbols; did you mean code.Symbol? Valid "
                       "predicates: code.File, code.Symbol, code.Definition, code.Reference, "
                       "code.Relationship")),
    ("code.symbol _", "did you mean code.Symbol?"),
    ('code.Symbol { nam = "a" }', ("unknown field 'nam' of code.Symbol; its fields are: symbol, "
                                  "name, kind, file")),
    ('code.Symbol { line = "3" }', ("field 'line' of code.Symbol is a number, but the pattern "
                                   "is a string")),
    ("code.Symbol { name = 3 }", ("field 'name' of code.Symbol is a string, but the pattern is "
                                 "a number")),
    ('code.Symbol { line = "3".. }', "is a number, but the pattern is a string prefix"),
    ('code.Symbol { name = { name = "a" } }', ("field 'name' of code.Symbol is a string and "
                                              "takes no nested pattern")),
    ('code.Reference { file = code.Symbol { name = "a" } }', ("field 'file' of code.Reference "
                                                           "refers to code.File, not code.Symbol")),
    ("X where code.Symbol _", "variable X is not bound"),
    ('code.Symbol { name = "a" | N }', "variable N is only used inside alternatives"),
    ('S = code.Symbol _; code.Symbol { name = S }', ("variable S is a code.Symbol fact, but "
                                                    "field 'name' of code.Symbol does not refer")),
    ("code.Symbol { name = N, line = N }", "variable N is a string, but field 'line'"),
    ('code.Symbol _ | code.File _', "alternatives of fact patterns must be of one predicate"),
    ('{ name = "a" }', "a statement must be a fact pattern"),
    ('N = "a"', "variable N is not bound"),
    ("S = code.Symbol _; S = code.File _", "variable S is already a code.Symbol"),
])
def test_semantic_errors_point_at_the_pattern(conn: sqlite3.Connection, text: str,
                                              expected: str) -> None:
    message = error(conn, text)
    assert expected in message.split("\n")[0], message
    assert message.split("\n")[1] == "  " + text
    assert message.split("\n")[2].endswith("^")


def test_limit_must_be_positive(conn: sqlite3.Connection) -> None:
    with pytest.raises(QueryError, match="limit must be at least 1"):
        evaluate(conn, "code.File _", "demo", limit=0)


def test_random_token_soup_only_ever_raises_query_errors(conn: sqlite3.Connection) -> None:
    """Whatever an agent sends, the answer is facts or a QueryError, never a crash."""
    import random

    rng = random.Random(7)
    pieces = ["code.Symbol", "code.Reference", "code.File", "code.Nope", "{", "}", "(", ")",
              "=", "|", ";", ",", "_", "..", "name", "symbol", "file", "kind", "line", "X", "S",
              "where", '"a"', '"area"', "3", "-1", "{ name = N }", "@", '"'][:]
    outcomes = {"ok": 0, "error": 0}
    for _ in range(400):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        try:
            evaluate(conn, text, "demo", limit=5, deadline_s=1.0)
            outcomes["ok"] += 1
        except QueryError as exc:
            assert exc.message.count("\n") == 2 or "column" not in exc.message
            outcomes["error"] += 1
    assert outcomes["error"] > 0
