"""The FTS5 lexical index: ranking, project scope, and per-file incremental rewrites."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from toolorch.backends.vectors.documents import SearchDoc
from toolorch.backends.vectors.lexical import WEIGHTS, LexicalIndex, query_terms
from toolorch.backends.vectors.store import point_id


def _doc(name: str, path: str = "a.py", line: int = 1, doc: str = "", body: str = "",
         project: str = "p", signature: str = "") -> SearchDoc:
    return SearchDoc(project=project, key=f"sym/{path}/{name}().", symbol=f"sym/{path}/{name}().",
                     name=name, kind="function", path=path, line=line, end_line=line + 3,
                     signature=signature or f"def {name}():", documentation=doc,
                     qualified=f"pkg.{name}", body=body)


DOCS = [
    _doc("haversine", "geo.py", 1, "Compute the great-circle distance between two points."),
    _doc("parseConfigFile", "config.py", 1, "", body="open read toml loads"),
    _doc("load", "config.py", 9, "", body="parse config file contents"),
    _doc("circle_area", "geo.py", 20, "Area of a circle."),
]


@pytest.fixture
def index(tmp_path: Path) -> LexicalIndex:
    ix = LexicalIndex(tmp_path / "lexical.sqlite")
    ix.write_project("p", 1, DOCS)
    yield ix
    ix.close()


def test_query_terms() -> None:
    assert query_terms("Parse the config_file of a parseURL, and the CSV.") == [
        "parse", "config", "file", "url", "csv"]
    assert query_terms("a of the") == []
    assert len(query_terms(" ".join(f"w{i}x" for i in range(50)))) == 32


def test_weights_are_pinned() -> None:
    # name, words, qualified, signature, doc, body, path — measured (README); re-measure to change
    assert WEIGHTS == (4.0, 4.0, 2.0, 1.0, 2.0, 1.0, 0.5)


def test_names_and_their_words_rank_above_body_mentions(index: LexicalIndex) -> None:
    hits = index.search("parse config file", 5)
    assert [h.payload["name"] for h in hits[:2]] == ["parseConfigFile", "load"]
    assert hits[0].score > hits[1].score > 0
    assert hits[0].id == point_id("p", DOCS[1].key)
    assert set(hits[0].payload) == {"project", "symbol", "name", "kind", "path", "line",
                                    "signature", "documentation", "key"}


def test_stemming_and_docs(index: LexicalIndex) -> None:
    assert index.search("computes distances", 1)[0].payload["name"] == "haversine"
    assert index.search("nothing matches zzz", 5) == []
    assert index.search("the of", 5) == []


def test_projects_scope_the_search(index: LexicalIndex) -> None:
    index.write_project("q", 1, [_doc("haversine", project="q")])
    assert {h.payload["project"] for h in index.search("haversine", 10)} == {"p", "q"}
    assert {h.payload["project"] for h in index.search("haversine", 10, projects=["q"])} == {"q"}
    assert index.search("haversine", 10, projects=[]) == []
    index.delete_project("q")
    assert set(index.projects()) == {"p"}


def test_unchanged_tree_writes_nothing(index: LexicalIndex) -> None:
    again = index.write_project("p", 2, DOCS)
    assert again == {"documents": 4, "files": 2, "files_rewritten": 0, "files_deleted": 0,
                     "rows_written": 0}
    assert index.projects()["p"]["generation"] == 2


def test_an_edit_rewrites_only_its_file(index: LexicalIndex) -> None:
    before = index.file_digests("p")
    edited = [dataclasses.replace(DOCS[0], documentation="Great-circle distance on a sphere."),
              *DOCS[1:]]
    stats = index.write_project("p", 2, edited)
    assert stats["files_rewritten"] == 1 and stats["rows_written"] == 2  # geo.py's two rows
    after = index.file_digests("p")
    assert after["config.py"] == before["config.py"] and after["geo.py"] != before["geo.py"]
    assert index.search("sphere", 1)[0].payload["documentation"] == "Great-circle distance on a sphere."


def test_a_vanished_file_is_dropped(index: LexicalIndex) -> None:
    stats = index.write_project("p", 2, [d for d in DOCS if d.path != "geo.py"])
    assert (stats["files_deleted"], stats["files_rewritten"], stats["rows_written"]) == (1, 0, 0)
    assert index.search("haversine", 5) == []
    assert index.projects()["p"]["documents"] == 2
