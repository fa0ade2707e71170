"""Search documents: nested functions folded into their parent, Python `_` recovered, bodies.

The fact rows below are what scip-python 0.6.6 writes for this source (checked by indexing it):
`inner` is `outer().inner().` enclosed by `outer`; `helper`, defined inside `K.method`, comes out
flattened as the method `K#helper().`; both `def _` share one symbol `_().` with no definition
site (only their parameters have one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from toolorch.backends.vectors.documents import body_digest, build_documents, qualified_name
from toolorch.backends.vectors.texts import Recipe, clean_signature, symbol_text

SOURCE = '''import functools


def outer(x: int) -> int:
    """Outer does things."""
    def inner(y):
        """Inner helper."""
        return y + 1
    return inner(x)


@functools.singledispatch
def show(value):
    """Show a value."""
    return str(value)


@show.register
def _(value: int):
    """Show an integer in hex."""
    return hex(value)


def _(a, b):
    """Add two numbers, privately."""
    return a + b


class K:
    def method(self, a):
        """A method."""
        def helper():
            return a
        return helper()
'''

PKG = "scip-python python probe 0.1.0 "
MOD = PKG + "`pkg.mod`/"


def _row(symbol: str, name: str, kind: str, line: int | None = None, end: int | None = None,
         enclosing: str | None = None, signature: str = "", doc: str = "") -> dict:
    return {"symbol": symbol, "name": name, "kind": kind, "path": "pkg/mod.py" if line else None,
            "line": line, "end_line": end, "enclosing_symbol": enclosing, "signature": signature,
            "documentation": doc}


ROWS = [
    _row(MOD + "__init__:", "pkg.mod", "module", 1, 1),
    _row(MOD + "outer().", "outer", "function", 4, 9, MOD + "__init__:",
         "def outer(\n  x: int\n) -> int:", "Outer does things."),
    _row(MOD + "outer().(x)", "x", "parameter", 4, 4, MOD + "outer()."),
    _row(MOD + "outer().inner().", "inner", "function", 6, 8, MOD + "outer().", "def inner(\n  y\n):"),
    _row(MOD + "show().", "show", "function", 13, 15, MOD + "__init__:",
         "@functools.singledispatch\ndef show(\n  value\n): # -> str:", "Show a value."),
    _row(MOD + "_().", "_", "function", None, None, MOD + "__init__:",
         "@show.register\ndef _(\n  value: int\n): # -> str:", "Show an integer in hex."),
    _row(MOD + "_().(value)", "value", "parameter", 19, 19, MOD + "_()."),
    _row(MOD + "K#", "K", "class", 29, 34, MOD + "__init__:", "class K:"),
    _row(MOD + "K#method().", "method", "method", 30, 34, MOD + "K#", "def method(\n  self,\n  a\n):"),
    _row(MOD + "K#helper().", "helper", "method", 32, 33, MOD + "K#", "def helper():"),
    _row("scip-python python python-stdlib 3.11 builtins/str#", "str", "class"),
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(SOURCE)
    return tmp_path


def test_nested_functions_are_folded_into_their_parent(root: Path) -> None:
    docs = build_documents("probe", root, ROWS)
    names = [d.name for d in docs]
    assert "inner" not in names          # enclosed by outer()
    assert "helper" not in names         # flattened by scip-python, but inside method's lines
    assert {"outer", "method", "K", "show"} <= set(names)
    outer = next(d for d in docs if d.name == "outer")
    assert "inner" in outer.body.split()  # the nested function's words stay searchable
    method = next(d for d in docs if d.name == "method")
    assert "helper" in method.body.split()


def test_every_underscore_function_is_a_document(root: Path) -> None:
    docs = [d for d in build_documents("probe", root, ROWS) if d.name == "_"]
    assert [(d.key, d.line, d.documentation) for d in docs] == [
        (MOD + "_().", 19, "Show an integer in hex."),
        (MOD + "_().@24", 24, "Add two numbers, privately."),
    ]
    assert all(d.symbol == MOD + "_()." and d.path == "pkg/mod.py" for d in docs)
    assert docs[0].signature == "@show.register\ndef _(value: int):"
    assert docs[1].end_line == 26 and "hex" not in docs[1].body


def test_underscore_is_not_recovered_without_the_source(tmp_path: Path) -> None:
    docs = build_documents("probe", tmp_path / "missing", ROWS)
    assert "_" not in [d.name for d in docs]
    assert all(d.body == "" for d in docs)


def test_external_symbols_and_parameters_are_left_out(root: Path) -> None:
    docs = build_documents("probe", root, ROWS)
    assert not {"str", "x", "value"} & {d.name for d in docs}
    assert [d.line for d in docs] == sorted(d.line or 0 for d in docs)


def test_body_digest_skips_header_docstring_keywords_and_repeats() -> None:
    lines = ['def f(a):', '    """Doc words stay out."""', '    # add the offset', '    total = a + offset',
             '    return total + offset  # again', 'def g():']
    assert body_digest(lines, 1, 5) == "add the offset total offset again"
    assert body_digest(None, 1, 5) == ""


def test_qualified_name() -> None:
    assert qualified_name(MOD + "K#method().") == "pkg.mod.K.method"
    assert qualified_name("local 3") == ""


def test_pyright_return_comments_are_removed() -> None:
    assert clean_signature("@x\ndef show(\n  value\n): # -> str:") == "@x def show( value ):"
    assert clean_signature("def f() -> int:") == "def f() -> int:"


def test_recipes_decide_what_is_embedded(root: Path) -> None:
    show = next(d for d in build_documents("probe", root, ROWS) if d.name == "show")
    default = symbol_text(show)
    assert default == "show: function\n@functools.singledispatch def show( value ): # -> str:\nShow a value.\nvalue"
    clean = symbol_text(show, Recipe(clean_signature=True, body_chars=0))
    assert clean == "show: function\n@functools.singledispatch def show( value ):\nShow a value."
    assert "Show a value." not in symbol_text(show, Recipe(doc=False))
