"""toolorch's tree-sitter Rust indexer on the fixture crate: symbols, refs, docs, impl relations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from toolorch.backends.scip.rust_indexer import build_index
from toolorch.backends.scip.rust_items import module_of_file
from toolorch.errors import ValidationError
from toolorch.scip import read_index
from toolorch.scip.model import IMPORT

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sample_project" / "rust"
PKG = "rust-analyzer cargo shapes 0.1.0 "


@pytest.fixture(scope="module")
def index():
    return build_index(FIXTURE)


def _infos(index):
    return {s.symbol: s for d in index.documents for s in d.symbols}


def test_symbols_kinds_signatures_and_docs(index) -> None:
    infos = _infos(index)
    hav = infos[PKG + "geometry/haversine()."]
    assert hav.kind == "function"
    assert hav.signature == "pub fn haversine(a: LatLon, b: LatLon) -> f64"
    assert hav.documentation[0] == "```rust\npub fn haversine(a: LatLon, b: LatLon) -> f64\n```"
    assert hav.documentation[1].startswith(
        "Compute the great-circle distance between two points on a sphere.")
    assert hav.enclosing_symbol == PKG + "geometry/"
    expected = {
        "shapes/Shape#": "trait", "shapes/Shape#area().": "trait_method",
        "shapes/Circle#": "struct", "shapes/Circle#radius.": "field",
        "shapes/Circle#new().": "static_method", "shapes/Circle#scaled().": "method",
        "shapes/Circle#area(Shape).": "method", "shapes/ShapeKind#": "enum",
        "shapes/ShapeKind#Circle.": "enum_member", "shapes/DEFAULT_RADIUS.": "constant",
        "geometry/LatLon#": "type_alias", "geometry/": "module", "crate/": "module",
        "geometry/tests/": "module",
    }
    assert {k: infos[PKG + k].kind for k in expected} == expected
    assert infos[PKG + "shapes/"].documentation[-1] == "Concrete shapes and the trait they implement."


def test_definitions_have_name_and_enclosing_ranges(index) -> None:
    doc = next(d for d in index.documents if d.relative_path == "src/geometry.rs")
    hav = next(o for o in doc.occurrences if o.symbol == PKG + "geometry/haversine()." and o.is_definition)
    assert hav.range == (28, 7, 28, 16)            # the name `haversine`, 0-based
    assert hav.enclosing_range == (28, 0, 34, 1)   # the whole fn item


def test_trait_impl_relationships(index) -> None:
    infos = _infos(index)
    circle = infos[PKG + "shapes/Circle#"]
    assert [(r.symbol, r.is_implementation) for r in circle.relationships] == [
        (PKG + "shapes/Shape#", True)]
    area = infos[PKG + "shapes/Circle#area(Shape)."]
    assert [(r.symbol, r.is_implementation) for r in area.relationships] == [
        (PKG + "shapes/Shape#area().", True)]
    assert infos[PKG + "shapes/Circle#default(Default)."].relationships == []  # std trait: no target


def test_references_resolve_across_modules(index) -> None:
    refs = {(d.relative_path, o.range[0], o.symbol, o.roles)
            for d in index.documents for o in d.occurrences if not o.is_definition}
    # lib.rs: `pub use shapes::{Circle, ...}` is an import of shapes/Circle#
    assert ("src/lib.rs", 6, PKG + "shapes/Circle#", IMPORT) in refs
    # lib.rs demo() calls geometry::total_area
    assert ("src/lib.rs", 11, PKG + "geometry/total_area().", 0) in refs
    # geometry.rs circle_area: Circle::new(radius).area()
    assert ("src/geometry.rs", 17, PKG + "shapes/Circle#new().", 0) in refs
    assert ("src/geometry.rs", 17, PKG + "shapes/Shape#area().", 0) in refs
    # self.radius inside impl Circle -> the field; Self / Circle type refs
    assert ("src/shapes.rs", 39, PKG + "shapes/Circle#radius.", 0) in refs
    # the test module's `use super::*` makes circle_area visible inside assert!(...)
    assert ("src/geometry.rs", 42, PKG + "geometry/circle_area().", 0) in refs
    # locals are never resolved to items: `shape` parameter, closure `s`
    assert not any(sym.endswith("/shape.") for _, _, sym, _ in refs)


def test_written_index_reads_back(tmp_path: Path, indexed_sample) -> None:
    index = read_index(indexed_sample.index_path["rust"])
    assert index.tool_name == "toolorch-rust"
    assert {d.relative_path for d in index.documents} == {
        "src/lib.rs", "src/shapes.rs", "src/geometry.rs"}
    assert all(d.language == "rust" for d in index.documents)
    infos = _infos(index)
    assert infos[PKG + "shapes/Circle#scaled()."].kind == "method"


def test_module_paths() -> None:
    assert module_of_file("src/lib.rs") == ()
    assert module_of_file("src/main.rs") == ()
    assert module_of_file("src/a/mod.rs") == ("a",)
    assert module_of_file("src/a/b.rs") == ("a", "b")
    assert module_of_file("tests/it.rs") == ("tests", "it")


def test_crate_without_cargo_toml_is_refused(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE / "src", tmp_path / "src")
    with pytest.raises(ValidationError, match="no Cargo.toml"):
        build_index(tmp_path)


def test_crate_name_and_version_come_from_cargo_toml(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "my-crate"\nversion = "2.1.0"\n')
    (tmp_path / "src" / "lib.rs").write_text("/// Docs.\npub fn go() {}\n")
    index = build_index(tmp_path)
    assert "rust-analyzer cargo my_crate 2.1.0 go()." in _infos(index)
