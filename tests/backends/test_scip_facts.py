"""FactStore: real facts from real indexes, per-project replacement, concurrent access."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from toolorch.scip.model import Document, Occurrence, ScipIndex, SymbolInfo
from toolorch.stores.facts import FactStore


def _tiny(name: str) -> ScipIndex:
    sym = f"scip-python python {name} 1.0 `{name}.m`/f()."
    return ScipIndex("file:///x", "scip-python", "0.6.6", [Document(
        f"{name}/m.py", "python", [Occurrence(sym, (3, 4, 3, 5), 1, (3, 0, 9, 0)),
                                    Occurrence("local 0", (4, 4, 4, 5), 1)],
        [SymbolInfo(sym, "function", "f", ["```python\ndef f():\n```", "Doc."]),
         SymbolInfo("local 0", "variable", "x")])])


def test_rows_are_one_based_and_locals_skipped(tmp_path: Path) -> None:
    store = FactStore(tmp_path / "facts.sqlite")
    counts = store.replace_project("a", "/a", "python", "/a.scip", _tiny("a"), "scip-python 0.6.6")
    assert {k: counts[k] for k in ("files", "symbols", "occurrences", "relationships")} == {
        "files": 1, "symbols": 1, "occurrences": 1, "relationships": 0}
    assert counts["changes"] == {"added": ["a/m.py"], "changed": [], "removed": [],
                                 "unchanged": 0, "generation": 1}
    [row] = store.symbols("a")
    assert (row["name"], row["kind"], row["path"], row["line"], row["col"], row["end_line"]) == (
        "f", "function", "a/m.py", 4, 4, 10)
    assert row["signature"] == "def f():" and row["documentation"] == "Doc."
    store.close()


def test_replace_project_leaves_other_projects_and_bumps_generation(tmp_path: Path) -> None:
    store = FactStore(tmp_path / "facts.sqlite")
    store.replace_project("a", "/a", "python", "/a.scip", _tiny("a"), "i")
    store.replace_project("b", "/b", "python", "/b.scip", _tiny("b"), "i")
    g = store.generation()
    store.replace_project("a", "/a2", "python", "/a.scip", _tiny("a"), "i")
    assert store.generation() == g                     # the same rows: nothing to bump
    assert store.project("a")["generation"] == 1 and store.project("a")["root"] == "/a2"
    changed = _tiny("a")
    changed.documents[0].occurrences[0].range = (4, 4, 4, 5)
    store.replace_project("a", "/a2", "python", "/a.scip", changed, "i")
    assert store.generation() == g + 1
    assert store.project("a")["generation"] == 2
    assert store.project("b")["generation"] == 1
    assert [p["name"] for p in store.projects()] == ["a", "b"]
    assert len(store.symbols("a")) == 1 and len(store.symbols("b")) == 1
    assert store.project("zzz") is None
    store.close()


def test_readonly_connection_refuses_writes(tmp_path: Path) -> None:
    store = FactStore(tmp_path / "facts.sqlite")
    store.replace_project("a", "/a", "python", "/a.scip", _tiny("a"), "i")
    conn = store.connect_readonly()
    assert conn.execute("SELECT count(*) FROM symbols").fetchone()[0] == 1
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM symbols")
    conn.close()
    assert store.connect_readonly().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_concurrent_writers_from_threads_and_a_second_store(tmp_path: Path) -> None:
    path = tmp_path / "facts.sqlite"
    first, second = FactStore(path), FactStore(path)   # two stores = two "processes" on one file
    errors: list[BaseException] = []

    def work(store: FactStore, name: str) -> None:
        try:
            for _ in range(10):
                store.replace_project(name, "/", "python", "/x", _tiny(name), "i")
                assert len(store.symbols(name)) == 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, f"p{i}"))
               for i, s in enumerate([first, second, first, second])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [p["name"] for p in first.projects()] == ["p0", "p1", "p2", "p3"]
    assert first.generation() == 4          # identical rewrites do not bump it
    first.close()
    second.close()


def test_real_python_facts(indexed_sample) -> None:
    store = indexed_sample.facts()
    project = indexed_sample.project["python"]
    by_name = {(r["name"], r["kind"]): r for r in store.symbols(project) if r["path"]}
    hav = by_name[("haversine", "function")]
    assert (hav["path"], hav["line"], hav["col"]) == ("shapes/geometry.py", 27, 4)
    assert hav["end_line"] == 36
    assert hav["documentation"].startswith(
        "Compute the great-circle distance between two points on a sphere.")
    assert ("Circle", "class") in by_name and ("scaled", "method") in by_name
    conn = store.connect_readonly()
    # cross-file reference: geometry.circle_area calls Circle(...).area() from shapes/circle.py
    rows = conn.execute(
        "SELECT o.path, o.line FROM occurrences o JOIN symbols s USING(project, symbol) "
        "WHERE o.project = ? AND s.name = 'area' AND s.path = 'shapes/circle.py' "
        "AND s.symbol LIKE '%Circle#area().' AND o.is_definition = 0", (project,)).fetchall()
    assert ("shapes/geometry.py", 19) in [tuple(r) for r in rows]
    impl = conn.execute("SELECT target FROM relationships WHERE project = ? AND kind = "
                        "'implementation' AND symbol LIKE '%Circle#'", (project,)).fetchall()
    assert [r[0] for r in impl] == ["scip-python python shapes 0.1.0 `shapes.base`/Shape#"]
    # external symbols are rows too, with no definition site
    math = conn.execute("SELECT path FROM symbols WHERE project = ? AND symbol LIKE "
                        "'%python-stdlib%math/__init__:'", (project,)).fetchone()
    assert math is not None and math[0] is None
    conn.close()


def test_real_typescript_facts(indexed_sample) -> None:
    conn = indexed_sample.facts().connect_readonly()
    project = indexed_sample.project["typescript"]
    total = conn.execute("SELECT symbol, path, line FROM symbols WHERE project = ? AND "
                         "name = 'totalArea'", (project,)).fetchone()
    assert (total["path"], total["line"]) == ("src/geom.ts", 8)
    callers = conn.execute("SELECT DISTINCT path FROM occurrences WHERE project = ? AND "
                           "symbol = ? AND is_definition = 0", (project, total["symbol"])).fetchall()
    assert [r[0] for r in callers] == ["src/index.ts"]
    rel = conn.execute("SELECT symbol FROM relationships WHERE project = ? AND kind = "
                       "'implementation' AND target LIKE '%`shape.ts`/Shape#'", (project,)).fetchall()
    assert sorted(r[0].rsplit("/", 1)[1] for r in rel) == ["Circle#", "Square#"]
    conn.close()
