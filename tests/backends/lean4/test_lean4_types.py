"""The type table and the name rules, on the annotation texts the real indexers print."""

from __future__ import annotations

import pytest

from toolorch.backends.lean4.names import Scope, sanitize, upper_camel
from toolorch.backends.lean4.signatures import parse_field, parse_function
from toolorch.backends.lean4.types import LeanTypeMapper, TypeScope


def mapper(language: str, known: dict[str, str] | None = None) -> tuple[LeanTypeMapper, dict[str, str]]:
    unknown: dict[str, str] = {}

    def declare(label: str) -> str:
        return unknown.setdefault(label, "Unknown_" + sanitize(label))

    return LeanTypeMapper(TypeScope(language, (known or {}).get, declare)), unknown


@pytest.mark.parametrize(("language", "source", "lean"), [
    ("python", "float", "Float"),
    ("python", "int", "Int"),
    ("python", "str", "String"),
    ("python", "bool", "Bool"),
    ("python", "None", "Unit"),
    ("python", "list[str]", "List String"),
    ("python", "Iterable[float]", "List Float"),
    ("python", "dict[str, int] | None", "Option (List (String × Int))"),
    ("python", "Optional[list[int]]", "Option (List Int)"),
    ("python", "tuple[int, str]", "Int × String"),
    ("python", "tuple[float, ...]", "List Float"),
    ("python", "Union[int, str]", "Int ⊕ String"),
    ("python", "Callable[[int, str], bool]", "Int → String → Bool"),
    ("python", "typing.List[typing.Dict[str, float]]", "List (List (String × Float))"),
    ("python", 'Literal["a", "b"]', "String"),
    ("python", '"Circle"', "Circle"),
    ("typescript", "number", "Float"),
    ("typescript", "string[] | undefined", "Option (List String)"),
    ("typescript", "Map<string, Circle[]>", "List (String × List Circle)"),
    ("typescript", "Promise<number[]>", "List Float"),
    ("typescript", "[number, string]", "Float × String"),
    ("typescript", "(x: number, y: string) => boolean", "Float → String → Bool"),
    ("typescript", "'circle' | 'square'", "String"),
    ("typescript", "true | false", "Bool"),
    ("rust", "f64", "Float"),
    ("rust", "i32", "Int"),
    ("rust", "usize", "Nat"),
    ("rust", "&str", "String"),
    ("rust", "Vec<u8>", "List Nat"),
    ("rust", "&[Box<dyn Circle>]", "List Circle"),
    ("rust", "Option<Circle>", "Option Circle"),
    ("rust", "Result<f64, String>", "Except String Float"),
    ("rust", "HashMap<String, Vec<f64>>", "List (String × List Float)"),
    ("rust", "(f64, f64)", "Float × Float"),
    ("rust", "impl Fn(f64) -> bool", "Float → Bool"),
    ("rust", "()", "Unit"),
])
def test_type_table(language: str, source: str, lean: str) -> None:
    m, unknown = mapper(language, {"Circle": "Circle"})
    assert m.map_text(source) == lean
    assert unknown == {}


@pytest.mark.parametrize(("language", "source", "lean", "label"), [
    ("python", "Any", "Unknown_Any", "Any"),
    ("python", "np.ndarray", "Unknown_np_ndarray", "np.ndarray"),
    ("python", "", "Unknown_Any", "Any"),
    ("typescript", "{ a: number }", "Unknown___a__number__", "{ a: number }"),
    ("typescript", "any", "Unknown_any", "any"),
    ("rust", "std::io::Error", "Unknown_io__Error", "io::Error"),
])
def test_unknown_types_become_opaque_never_string(language: str, source: str, lean: str, label: str) -> None:
    m, unknown = mapper(language)
    assert m.map_text(source) == lean
    assert unknown == {label: lean}
    assert "String" not in lean


def test_unknown_inside_a_container_keeps_the_container() -> None:
    m, unknown = mapper("python")
    assert m.map_text("list[Widget] | None") == "Option (List Unknown_Widget)"
    assert list(unknown) == ["Widget"]


@pytest.mark.parametrize(("raw", "lean"), [
    ("area", "area"), ("end", "end_"), ("from", "from_"), ("fun", "fun_"), ("at", "at_"),
    ("def", "def_"), ("Type", "Type_"), ("String", "String_"), ("default", "default_"),
    ("a.b", "a_b"), ("café", "cafe"), ("2d", "_2d"), ("π", "anon"), ("<constructor>", "_constructor_"),
    ("$x", "_x"), ("__init__", "__init__"),
])
def test_sanitize(raw: str, lean: str) -> None:
    assert sanitize(raw) == lean


def test_scope_suffixes_collisions_in_order() -> None:
    scope = Scope({"mk"})
    assert [scope.claim(n) for n in ("area", "area", "a.rea", "a_rea", "mk", "end", "end_")] == [
        "area", "area_2", "a_rea", "a_rea_2", "mk_2", "end_", "end__2"]


def test_upper_camel() -> None:
    assert upper_camel("sample_project") == "SampleProject"
    assert upper_camel("geo.py") == "GeoPy"
    assert upper_camel("2d-shapes") == "N2dShapes"
    assert upper_camel("end") == "End"


def test_signatures_as_the_indexers_print_them() -> None:
    py = parse_function("@staticmethod\ndef haversine(\n  lat1: float,\n  radius: float = R\n) -> float:",
                        "python")
    assert py is not None and py.static and not py.receiver
    assert [(p.name, p.type_text, p.optional) for p in py.params] == [
        ("lat1", "float", False), ("radius", "float", True)]
    assert py.result_text == "float"
    ts = parse_function("(method) scale(k: number, opts?: Map<string, boolean>): Circle", "typescript")
    assert ts is not None and [(p.name, p.optional) for p in ts.params] == [("k", False), ("opts", True)]
    assert ts.result_text == "Circle"
    arrow = parse_function("var twice: <T>(x: T) => Promise<T[]>", "typescript")
    assert arrow is not None and arrow.type_params == ["T"] and arrow.result_text == "Promise<T[]>"
    rs = parse_function("pub(crate) fn scaled<'a, T: Clone>(&'a self, f: T) -> Result<Self, E> where T: Copy",
                        "rust")
    assert rs is not None and rs.receiver and rs.type_params == ["T"]
    assert rs.result_text == "Result<Self, E>"
    assert parse_field("(variable) radius: float", "python") == ("radius", "float")
    assert parse_field("(property) tags?: string[] | undefined", "typescript") == ("tags", "string[] | undefined")
    assert parse_field("pub radius: f64", "rust") == ("radius", "f64")
