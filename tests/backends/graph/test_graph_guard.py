"""The read-only guard of memgraph_query_graph: writes refused, look-alikes allowed."""

from __future__ import annotations

import pytest

from toolorch.backends.graph.guard import check_read_only, find_write, tokenize
from toolorch.errors import QueryError

SEED = 'MATCH (p:Project {name: "X"})-[:HAS_SYMBOL]->(s:Symbol) RETURN s.name'


@pytest.mark.parametrize("query, found", [
    ("MATCH (n) SET n.x = 1", "SET"),
    ("create (n:Symbol {id: 'a'})", "CREATE"),
    ("MATCH (n) DETACH DELETE n", "DETACH"),
    ("MATCH (n) DELETE n", "DELETE"),
    ("MERGE (p:Project {name: 'x'})", "MERGE"),
    ("MATCH (n) REMOVE n.kind", "REMOVE"),
    ("DROP TABLE Symbol", "DROP"),
    ("COPY Symbol FROM '/etc/passwd'", "COPY"),
    ("ALTER TABLE Symbol ADD x INT64", "ALTER"),
    ("LOAD FROM '/etc/passwd' RETURN *", "LOAD"),
    ("LOAD CSV FROM 'file:///x' AS row RETURN row", "LOAD"),
    ("MATCH (n) WITH collect(n) AS ns FOREACH (x IN ns | SET x.a = 1)", "FOREACH"),
    ("INSTALL json", "INSTALL"),
    ("RETURN 1; MATCH (n) DELETE n", "DELETE"),
    ("MATCH (n) /* harmless */ SET n.a = 1", "SET"),
    ("CALL create.node(['X'], {}) YIELD node RETURN node", "the procedure create.node"),
    ("CALL merge.relationship(a, 'R', {}, {}, b, {}) YIELD rel RETURN rel", "the procedure merge.relationship"),
    ("CALL periodic.iterate('MATCH (n) RETURN n', 'DELETE n', {})", "the procedure periodic.iterate"),
    ("CALL READ_CSV_SERIAL('/etc/passwd') RETURN *", "the procedure READ_CSV_SERIAL"),
    ("CALL timeout = 0", "the setting CALL timeout ="),
])
def test_writes_are_found(query: str, found: str) -> None:
    hit = find_write(query)
    assert hit is not None and hit[0] == found


@pytest.mark.parametrize("query", [
    SEED,
    "MATCH (s:Symbol) WHERE s.created > 0 RETURN s.created, s.set, s.delete",
    "MATCH (s:Symbol) WHERE s.documentation CONTAINS 'DELETE' RETURN s",
    'MATCH (s:Symbol) WHERE s.name = "SET n.x = 1; DETACH DELETE n" RETURN s',
    "MATCH (s:Symbol) WHERE s.name = 'it\\'s DELETE' RETURN s",
    "MATCH (s:Symbol) RETURN s.name AS `delete`",
    "MATCH (s:Symbol) // CREATE (x)\nRETURN s",
    "MATCH (s:Symbol) /* MERGE (x) */ RETURN s",
    "MATCH (s:Symbol) RETURN {set: 1, create: 2} AS m",
    "MATCH (s:Symbol) WHERE s.name = $delete RETURN s",
    "MATCH (s:Created) RETURN s",
    "CALL show_tables() RETURN *",
    "CALL table_info('Symbol') RETURN *",
    "CALL current_setting('timeout') RETURN *",
    "MATCH (a:Symbol)-[:CALLS*1..3]->(b:Symbol) RETURN a.name, b.name",
])
def test_reads_pass(query: str) -> None:
    assert find_write(query) is None
    check_read_only(query)


def test_refusal_message_names_keyword_and_column() -> None:
    with pytest.raises(QueryError) as info:
        check_read_only("MATCH (n:Symbol) SET n.name = 'x'")
    assert info.value.message.startswith(
        "memgraph_query_graph is read-only: found SET at column 18; "
        "set TOOLORCH_CYPHER_ALLOW_WRITES=1 to allow writes")
    assert info.value.kind == "query"


def test_refusal_on_a_later_line_gives_line_and_column() -> None:
    with pytest.raises(QueryError, match="found DELETE at line 2, column 11"):
        check_read_only("MATCH (n)\nWITH n    DELETE n")


def test_tokenizer_keeps_strings_and_backticks_whole() -> None:
    toks = tokenize("RETURN 'a\\'b', `x``y`, $p // c\n/* d */ 1.5")
    assert [(t.kind, t.text) for t in toks] == [
        ("word", "RETURN"), ("string", "'a\\'b'"), ("punct", ","), ("name", "`x``y`"),
        ("punct", ","), ("param", "$p"), ("number", "1.5"),
    ]
