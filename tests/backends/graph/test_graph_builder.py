"""ScipIndex -> graph rows, on hand-made indexes: nodes, ids, and the derived CALLS edges."""

from __future__ import annotations

from toolorch.backends.graph.builder import build_graph
from toolorch.backends.graph.calls import is_call_site
from toolorch.scip.model import (
    DEFINITION,
    READ_ACCESS,
    Document,
    Occurrence,
    Relationship,
    ScipIndex,
    SymbolInfo,
)

PKG = "scip-python python demo 0.1 "
SHAPE, CIRCLE, AREA = PKG + "`m.a`/Shape#", PKG + "`m.a`/Circle#", PKG + "`m.a`/Circle#area()."
HELPER, MAIN, PARAM = PKG + "`m.a`/helper().", PKG + "`m.b`/main().", PKG + "`m.b`/main().(x)"
MATH = "scip-python python python-stdlib 3.11 math/sqrt()."

A_TEXT = "\n".join([
    "class Shape: ...",                      # 0
    "class Circle(Shape):",                  # 1
    "    def area(self):",                   # 2
    "        return helper()",               # 3
    "def helper():",                         # 4
    "    return 1",                          # 5
])
B_TEXT = "\n".join([
    "def main(x: Circle):",                  # 0  Circle here is an annotation, not a call
    "    c = Circle()",                      # 1  a call (class instantiation)
    "    y = math.sqrt(c.area())",           # 2  external sqrt skipped, area a call
    "    return helper",                     # 3  a reference, not a call
    "top = helper()",                        # 4  module level: no caller
])


def sample_index(with_text: bool = True) -> ScipIndex:
    a = Document("m/a.py", "python", text=A_TEXT if with_text else "", symbols=[
        SymbolInfo(SHAPE, "class", "Shape"),
        SymbolInfo(CIRCLE, "class", "Circle", relationships=[Relationship(SHAPE, is_implementation=True)]),
        SymbolInfo(AREA, "method", "area", documentation=["```python\ndef area(self)\n```", "The area."],
                   signature="def area(self)"),
        SymbolInfo(HELPER, "function", "helper"),
    ], occurrences=[
        Occurrence(SHAPE, (0, 6, 0, 11), DEFINITION, (0, 0, 0, 17)),
        Occurrence(CIRCLE, (1, 6, 1, 12), DEFINITION, (1, 0, 3, 23)),
        Occurrence(SHAPE, (1, 13, 1, 18), READ_ACCESS),
        Occurrence(AREA, (2, 8, 2, 12), DEFINITION, (2, 4, 3, 23)),
        Occurrence(HELPER, (3, 15, 3, 21), READ_ACCESS),
        Occurrence(HELPER, (4, 4, 4, 10), DEFINITION, (4, 0, 5, 12)),
    ])
    b = Document("m/b.py", "python", text=B_TEXT if with_text else "", symbols=[
        SymbolInfo(MAIN, "function", "main"), SymbolInfo(PARAM, "parameter", "x"),
        SymbolInfo("local 0", "variable", "c"),
    ], occurrences=[
        Occurrence(MAIN, (0, 4, 0, 8), DEFINITION, (0, 0, 3, 17)),
        Occurrence(PARAM, (0, 9, 0, 10), DEFINITION),
        Occurrence(CIRCLE, (0, 12, 0, 18), READ_ACCESS),
        Occurrence("local 0", (1, 4, 1, 5), DEFINITION),
        Occurrence(CIRCLE, (1, 8, 1, 14), READ_ACCESS),
        Occurrence(MATH, (2, 13, 2, 17), READ_ACCESS),
        Occurrence("local 0", (2, 18, 2, 19), READ_ACCESS),
        Occurrence(AREA, (2, 20, 2, 24), READ_ACCESS),
        Occurrence(HELPER, (3, 11, 3, 17), READ_ACCESS),
        Occurrence(HELPER, (4, 6, 4, 12), READ_ACCESS),
    ])
    return ScipIndex(project_root="file:///nowhere/demo", documents=[a, b])


def edge_pairs(graph, edge: str) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(r["src"].split("`")[-1], r["dst"].split("`")[-1]) for r in graph.edges[edge]}


def test_nodes_ids_and_properties() -> None:
    graph = build_graph(sample_index(), "demo")
    nodes, edges = graph.counts()
    assert nodes == {"Project": 1, "Document": 2, "Symbol": 5}          # no parameter, no local
    assert graph.nodes["Project"] == [{"name": "demo", "root": "/nowhere/demo", "language": "python"}]
    area = next(s for s in graph.nodes["Symbol"] if s["symbol"] == AREA)
    assert area == {"id": f"demo:{AREA}", "project": "demo", "symbol": AREA, "name": "area",
                    "kind": "method", "path": "m/a.py", "line": 3, "signature": "def area(self)",
                    "documentation": "The area."}
    assert {d["id"] for d in graph.nodes["Document"]} == {"demo:m/a.py", "demo:m/b.py"}
    assert edges["HAS_SYMBOL"] == 5 and edges["DEFINES"] == 5 and edges["HAS_DOCUMENT"] == 2
    assert edge_pairs(graph, "IMPLEMENTS") == {("/Circle#", "/Shape#")}
    assert graph.skipped == {"external_references": 1, "local_references": 1}
    refs = {(r["src"], r["dst"].split("`")[-1], r["line"]) for r in graph.edges["REFERENCES"]}
    assert ("demo:m/b.py", "/Circle#", 1) in refs and ("demo:m/b.py", "/helper().", 5) in refs


def test_calls_from_source_text() -> None:
    graph = build_graph(sample_index(), "demo")
    assert edge_pairs(graph, "CALLS") == {
        ("/Circle#area().", "/helper()."),        # innermost caller is the method, not the class
        ("/main().", "/Circle#"),                 # Circle() instantiates; the annotation does not count
        ("/main().", "/Circle#area()."),
    }
    main_circle = next(r for r in graph.edges["CALLS"] if r["dst"].endswith("/Circle#"))
    assert main_circle["line"] == 2 and main_circle["count"] == 1


def test_calls_by_kind_without_source() -> None:
    graph = build_graph(sample_index(with_text=False), "demo")
    # without text every reference to a callable inside a function counts, classes do not
    assert edge_pairs(graph, "CALLS") == {
        ("/Circle#area().", "/helper()."), ("/main().", "/Circle#area()."), ("/main().", "/helper()."),
    }


def test_source_callback_is_used_when_documents_have_no_text() -> None:
    texts = {"m/a.py": A_TEXT, "m/b.py": B_TEXT}
    graph = build_graph(sample_index(with_text=False), "demo", texts.get)
    assert ("/main().", "/Circle#") in edge_pairs(graph, "CALLS")


def test_ids_differ_between_projects() -> None:
    one, two = build_graph(sample_index(), "one"), build_graph(sample_index(), "two")
    ids_one = {s["id"] for s in one.nodes["Symbol"]}
    ids_two = {s["id"] for s in two.nodes["Symbol"]}
    assert not ids_one & ids_two and len(ids_one) == len(ids_two) == 5


def test_call_site_offsets_follow_the_position_encoding() -> None:
    # TypeScript counts UTF-16 code units: the astral letter is two units before `g`
    ts_line = 'const s = "𝔘é"; g (s); h;'
    g_start = len('const s = "'.encode("utf-16-le")) // 2 + 2 + 1 + len('"; ')
    assert is_call_site([ts_line], (0, g_start, 0, g_start + 1), "typescript")
    assert not is_call_site([ts_line], (0, g_start + 7, 0, g_start + 8), "typescript")  # h;
    # Rust counts UTF-8 bytes
    rs_line = 'let s = "é"; Circle::new(1.0); make!(x); Point { x };'
    new_end = len('let s = "é"; Circle::new'.encode())
    assert is_call_site([rs_line], (0, new_end - 3, 0, new_end), "rust")
    mk = len('let s = "é"; Circle::new(1.0); '.encode())
    assert is_call_site([rs_line], (0, mk, 0, mk + 4), "rust")
    pt = len('let s = "é"; Circle::new(1.0); make!(x); '.encode())
    assert not is_call_site([rs_line], (0, pt, 0, pt + 5), "rust")
    # generic arguments and `new` without parentheses
    assert is_call_site(["x = make<Shape[]>(1)"], (0, 4, 0, 8), "typescript")
    assert is_call_site(["const c = new Circle;"], (0, 14, 0, 20), "typescript")
