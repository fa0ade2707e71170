"""The code graph's one fixed schema, and the Cypher text both stores share.

    (:Project {name, root, language})
    (:Document {id, project, path, language})                   id = "<project>:<path>"
    (:Symbol {id, project, symbol, name, kind, path, line, signature, documentation})
                                                                id = "<project>:<scip symbol>"
    (Project)-[:HAS_DOCUMENT]->(Document)
    (Project)-[:HAS_SYMBOL]->(Symbol)
    (Document)-[:DEFINES]->(Symbol)
    (Document)-[:REFERENCES {line}]->(Symbol)                   one edge per referencing line
    (Symbol)-[:IMPLEMENTS]->(Symbol)                            SCIP is_implementation
    (Symbol)-[:CALLS {line, count}]->(Symbol)                   first call line, number of calls

Lines are 1-based. Ids carry the project so several projects share one database. LadybugDB needs
typed tables (the DDL below); Memgraph is schemaless and gets indexes instead. Every statement
that reads or writes data is the same text on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass

#: node label -> [(property, Ladybug type)]; the first property is the primary key.
NODE_PROPERTIES: dict[str, list[tuple[str, str]]] = {
    "Project": [("name", "STRING"), ("root", "STRING"), ("language", "STRING")],
    "Document": [("id", "STRING"), ("project", "STRING"), ("path", "STRING"),
                 ("language", "STRING")],
    "Symbol": [("id", "STRING"), ("project", "STRING"), ("symbol", "STRING"), ("name", "STRING"),
               ("kind", "STRING"), ("path", "STRING"), ("line", "INT64"),
               ("signature", "STRING"), ("documentation", "STRING")],
}


@dataclass(frozen=True, slots=True)
class EdgeType:
    name: str
    source: str                         # node label
    target: str                         # node label
    properties: tuple[tuple[str, str], ...] = ()

    @property
    def source_key(self) -> str:
        return NODE_PROPERTIES[self.source][0][0]

    @property
    def target_key(self) -> str:
        return NODE_PROPERTIES[self.target][0][0]


EDGE_TYPES: dict[str, EdgeType] = {e.name: e for e in [
    EdgeType("HAS_DOCUMENT", "Project", "Document"),
    EdgeType("HAS_SYMBOL", "Project", "Symbol"),
    EdgeType("DEFINES", "Document", "Symbol"),
    EdgeType("REFERENCES", "Document", "Symbol", (("line", "INT64"),)),
    EdgeType("IMPLEMENTS", "Symbol", "Symbol"),
    EdgeType("CALLS", "Symbol", "Symbol", (("line", "INT64"), ("count", "INT64"))),
]}

NODE_LABELS: tuple[str, ...] = tuple(NODE_PROPERTIES)
EDGE_NAMES: tuple[str, ...] = tuple(EDGE_TYPES)


def node_columns(label: str) -> list[str]:
    return [name for name, _ in NODE_PROPERTIES[label]]


def edge_columns(edge: str) -> list[str]:
    """Row keys of an edge: `src`, `dst`, then its properties."""
    return ["src", "dst", *(name for name, _ in EDGE_TYPES[edge].properties)]


# --- engine-specific set-up -------------------------------------------------------------------

def ladybug_ddl() -> list[str]:
    """CREATE TABLE statements for LadybugDB (idempotent)."""
    out = []
    for label, props in NODE_PROPERTIES.items():
        cols = ", ".join(f"{name} {typ}" for name, typ in props)
        out.append(f"CREATE NODE TABLE IF NOT EXISTS {label}({cols}, PRIMARY KEY ({props[0][0]}))")
    for e in EDGE_TYPES.values():
        cols = "".join(f", {name} {typ}" for name, typ in e.properties)
        out.append(f"CREATE REL TABLE IF NOT EXISTS {e.name}(FROM {e.source} TO {e.target}{cols})")
    return out


#: Memgraph label-property indexes: the lookups the loader and the usual queries make.
MEMGRAPH_INDEXES: list[str] = [
    "CREATE INDEX ON :Project(name)",
    "CREATE INDEX ON :Document(id)",
    "CREATE INDEX ON :Document(project)",
    "CREATE INDEX ON :Symbol(id)",
    "CREATE INDEX ON :Symbol(project)",
    "CREATE INDEX ON :Symbol(name)",
]


# --- shared Cypher --------------------------------------------------------------------------

#: Remove one project's subgraph (DETACH takes its edges along). Parameter: $project.
DELETE_PROJECT: list[str] = [
    "MATCH (n:Symbol) WHERE n.project = $project DETACH DELETE n",
    "MATCH (n:Document) WHERE n.project = $project DETACH DELETE n",
    "MATCH (n:Project) WHERE n.name = $project DETACH DELETE n",
]


def insert_nodes(label: str) -> str:
    """UNWIND a batch of row maps ($rows) into nodes of `label`."""
    props = ", ".join(f"{c}: r.{c}" for c in node_columns(label))
    return f"UNWIND $rows AS r CREATE (:{label} {{{props}}})"


def insert_edges(edge: str) -> str:
    """UNWIND a batch of {src, dst, props...} ($rows) into edges, matching ends by key."""
    e = EDGE_TYPES[edge]
    props = ", ".join(f"{name}: r.{name}" for name, _ in e.properties)
    props = f" {{{props}}}" if props else ""
    return (f"UNWIND $rows AS r MATCH (a:{e.source} {{{e.source_key}: r.src}}), "
            f"(b:{e.target} {{{e.target_key}: r.dst}}) CREATE (a)-[:{e.name}{props}]->(b)")


def count_nodes(label: str) -> str:
    key = "name" if label == "Project" else "project"
    return f"MATCH (n:{label}) WHERE n.{key} = $project RETURN count(n) AS n"


def count_edges(edge: str) -> str:
    """Edges belong to the project of their source node."""
    e = EDGE_TYPES[edge]
    key = "name" if e.source == "Project" else "project"
    return f"MATCH (a:{e.source})-[r:{e.name}]->() WHERE a.{key} = $project RETURN count(r) AS n"
