"""The SCIP symbol grammar: parse/format round trips, escaping, locals, malformed input."""

from __future__ import annotations

import pytest

from toolorch.errors import ValidationError
from toolorch.scip import symbols as S
from toolorch.scip.symbols import Descriptor, format_symbol, parse_symbol


def test_parse_scip_python_symbol() -> None:
    sym = parse_symbol("scip-python python demo 0.1.0 `demo.shapes`/Circle#scaled().")
    assert (sym.scheme, sym.manager, sym.package, sym.version) == (
        "scip-python", "python", "demo", "0.1.0")
    assert sym.descriptors == (Descriptor("demo.shapes", S.NAMESPACE), Descriptor("Circle", S.TYPE),
                               Descriptor("scaled", S.METHOD))
    assert S.display_name(sym) == "scaled"


def test_empty_parts_and_backticked_constructor() -> None:
    text = "scip-typescript npm . . src/`geom.ts`/Square#`<constructor>`()."
    sym = parse_symbol(text)
    assert sym.package == "" and sym.version == ""
    assert sym.descriptors[-1] == Descriptor("<constructor>", S.METHOD)
    assert format_symbol(sym) == text


def test_every_descriptor_suffix_round_trips() -> None:
    text = "s m p 1 ns/T#term.meth(+1).[TP](param)meta:mac!"
    sym = parse_symbol(text)
    assert [d.suffix for d in sym.descriptors] == [
        S.NAMESPACE, S.TYPE, S.TERM, S.METHOD, S.TYPE_PARAMETER, S.PARAMETER, S.META, S.MACRO]
    assert sym.descriptors[3].disambiguator == "+1"
    assert format_symbol(sym) == text


def test_spaces_are_doubled_and_backticks_doubled() -> None:
    sym = S.Symbol("my scheme", "mgr", "pkg name", "1.0",
                   (Descriptor("we`ird name", S.TYPE),))
    text = format_symbol(sym)
    assert text == "my  scheme mgr pkg  name 1.0 `we``ird name`#"
    assert parse_symbol(text) == sym


def test_local_symbols() -> None:
    sym = parse_symbol("local 12")
    assert sym.is_local and sym.local_id == "12"
    assert format_symbol(sym) == "local 12"
    assert S.is_local("local 0") and not S.is_local("scip-python python a 1 x.")


def test_python_module_display_name() -> None:
    sym = parse_symbol("scip-python python shapes 0.1.0 `shapes.geometry`/__init__:")
    assert S.display_name(sym) == "shapes.geometry"


@pytest.mark.parametrize("bad", [
    "scip-python python demo", "scip-python python demo 0.1.0 ", ". m p v x.",
    "s m p v `unterminated#", "s m p v name", "s m p v meth(x", "local ",
])
def test_malformed_symbols_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="malformed SCIP symbol"):
        parse_symbol(bad)
    assert S.try_parse(bad) is None


def test_real_indexer_symbols_round_trip(indexed_sample) -> None:
    from toolorch.scip import read_index

    seen = 0
    for lang in indexed_sample.languages:
        index = read_index(indexed_sample.index_path[lang])
        for doc in index.documents:
            for occ in doc.occurrences:
                assert format_symbol(parse_symbol(occ.symbol)) == occ.symbol
                seen += 1
    assert seen > 300
