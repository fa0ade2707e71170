"""A small hand-made SCIP index (ids as constants) for the glean tests."""

from __future__ import annotations

from toolorch.scip.model import (
    DEFINITION,
    READ_ACCESS,
    Document,
    Occurrence,
    Relationship,
    ScipIndex,
    SymbolInfo,
)

PKG = "scip-python python demo 0.1.0 "
AREA = PKG + "`demo.geometry`/area()."
HAVERSINE = PKG + "`demo.geometry`/haversine()."
SHAPE = PKG + "`demo.base`/Shape#"
SHAPE_AREA = PKG + "`demo.base`/Shape#area()."
CIRCLE = PKG + "`demo.circle`/Circle#"
CIRCLE_AREA = PKG + "`demo.circle`/Circle#area()."
REPORT = PKG + "`demo.report`/describe()."
MATH_PI = "scip-python python python-stdlib 3.11 math/pi."


def _def(symbol: str, line: int, col: int, name_len: int, end_line: int) -> Occurrence:
    """A definition at 0-based (line, col) whose body ends on 0-based end_line."""
    return Occurrence(symbol, (line, col, line, col + name_len), DEFINITION,
                      enclosing_range=(line, 0, end_line, 1))


def _ref(symbol: str, line: int, col: int, name_len: int) -> Occurrence:
    return Occurrence(symbol, (line, col, line, col + name_len), READ_ACCESS)


def sample_index() -> ScipIndex:
    """base.py: Shape, Shape.area; circle.py: Circle(Shape), Circle.area (implements Shape.area);
    geometry.py: area (calls .area), haversine (uses math.pi); report.py: describe calls area twice."""
    base = Document("demo/base.py", "python", symbols=[
        SymbolInfo(SHAPE, "class", "Shape", ["```python\nclass Shape:\n```", "A shape."],
                   signature="class Shape:"),
        SymbolInfo(SHAPE_AREA, "method", "area", ["```python\ndef area(self) -> float\n```"],
                   enclosing_symbol=SHAPE),
    ], occurrences=[_def(SHAPE, 0, 6, 5, 3), _def(SHAPE_AREA, 2, 8, 4, 3)])
    circle = Document("demo/circle.py", "python", symbols=[
        SymbolInfo(CIRCLE, "class", "Circle", ["```python\nclass Circle(Shape):\n```"],
                   relationships=[Relationship(SHAPE, is_implementation=True)]),
        SymbolInfo(CIRCLE_AREA, "method", "area", ["```python\ndef area(self) -> float\n```"],
                   relationships=[Relationship(SHAPE_AREA, is_implementation=True,
                                               is_reference=True)],
                   enclosing_symbol=CIRCLE),
    ], occurrences=[_ref(SHAPE, 0, 17, 5), _def(CIRCLE, 2, 6, 6, 6),
                    _def(CIRCLE_AREA, 4, 8, 4, 6), _ref(MATH_PI, 5, 15, 2)])
    geometry = Document("demo/geometry.py", "python", symbols=[
        SymbolInfo(AREA, "function", "area", ["```python\ndef area(shape) -> float\n```",
                                              "Area of any shape."],
                   signature="def area(shape) -> float"),
        SymbolInfo(HAVERSINE, "function", "haversine",
                   ["```python\ndef haversine(a, b) -> float\n```", "Great-circle distance."]),
    ], occurrences=[_def(AREA, 2, 4, 4, 4), _ref(SHAPE_AREA, 4, 17, 4),
                    _def(HAVERSINE, 7, 4, 9, 12), _ref(MATH_PI, 10, 20, 2)])
    report = Document("demo/report.py", "python", symbols=[
        SymbolInfo(REPORT, "function", "describe", ["```python\ndef describe(s) -> str\n```"]),
    ], occurrences=[_ref(AREA, 0, 25, 4), _def(REPORT, 2, 4, 8, 5), _ref(AREA, 4, 20, 4)])
    rust = Document("demo/native.rs", "rust", symbols=[], occurrences=[])
    return ScipIndex("file:///demo", "scip-python", "0.6.6",
                     [base, circle, geometry, report, rust],
                     external_symbols=[SymbolInfo(MATH_PI, "constant", "pi")])


