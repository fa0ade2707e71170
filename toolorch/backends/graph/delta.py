"""Re-loading a project's subgraph by its difference, not from scratch.

After an edit, most rows of a project's graph are as they were. `diff_graph` compares the rows
stored for the project with the new GraphData: node rows by primary key (new ones inserted,
changed ones updated in place with SET so their edges stay, vanished ones DETACH DELETEd) and
edge rows as sets (vanished ones deleted, new ones inserted). Only those rows are written.
The Cypher below is plain enough for LadybugDB and Memgraph alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolorch.backends.graph import schema
from toolorch.backends.graph.builder import GraphData

Row = dict[str, Any]


@dataclass(slots=True)
class GraphDelta:
    insert_nodes: dict[str, list[Row]] = field(default_factory=dict)
    update_nodes: dict[str, list[Row]] = field(default_factory=dict)
    delete_nodes: dict[str, list[str]] = field(default_factory=dict)       # label -> keys
    insert_edges: dict[str, list[Row]] = field(default_factory=dict)
    delete_edges: dict[str, list[Row]] = field(default_factory=dict)

    def counts(self) -> dict[str, dict[str, int]]:
        """{table: {inserted, updated, deleted}} of the rows written."""
        out: dict[str, dict[str, int]] = {}
        for label in schema.NODE_LABELS:
            out[label] = {"inserted": len(self.insert_nodes.get(label, [])),
                          "updated": len(self.update_nodes.get(label, [])),
                          "deleted": len(self.delete_nodes.get(label, []))}
        for edge in schema.EDGE_NAMES:
            out[edge] = {"inserted": len(self.insert_edges.get(edge, [])),
                         "deleted": len(self.delete_edges.get(edge, []))}
        return out

    def written(self) -> int:
        return sum(sum(v.values()) for v in self.counts().values())


def read_nodes(label: str) -> str:
    """Every stored row of `label` for $project, columns in schema order."""
    key = "name" if label == "Project" else "project"
    cols = ", ".join(f"n.{c}" for c in schema.node_columns(label))
    return f"MATCH (n:{label}) WHERE n.{key} = $project RETURN {cols}"


def read_edges(edge: str) -> str:
    """Every stored edge of type `edge` whose source belongs to $project: src, dst, props."""
    e = schema.EDGE_TYPES[edge]
    key = "name" if e.source == "Project" else "project"
    props = "".join(f", r.{name}" for name, _ in e.properties)
    return (f"MATCH (a:{e.source})-[r:{edge}]->(b:{e.target}) WHERE a.{key} = $project "
            f"RETURN a.{e.source_key}, b.{e.target_key}{props}")


def update_nodes(label: str) -> str:
    key, *rest = schema.node_columns(label)
    sets = ", ".join(f"n.{c} = r.{c}" for c in rest)
    return f"UNWIND $rows AS r MATCH (n:{label} {{{key}: r.{key}}}) SET {sets}"


def delete_nodes(label: str) -> str:
    key = schema.node_columns(label)[0]
    return f"UNWIND $keys AS k MATCH (n:{label} {{{key}: k}}) DETACH DELETE n"


def delete_edges(edge: str) -> str:
    e = schema.EDGE_TYPES[edge]
    where = " AND ".join(f"r.{name} = x.{name}" for name, _ in e.properties)
    return (f"UNWIND $rows AS x MATCH (a:{e.source} {{{e.source_key}: x.src}})-[r:{edge}]->"
            f"(b:{e.target} {{{e.target_key}: x.dst}})" + (f" WHERE {where}" if where else "")
            + " DELETE r")


def _node_key(label: str, row: Row) -> Any:
    return row[schema.node_columns(label)[0]]


def _norm(value: Any) -> Any:
    return None if value == "" else value


def _node_tuple(label: str, row: Row) -> tuple[Any, ...]:
    return tuple(_norm(row.get(c)) for c in schema.node_columns(label))


def _edge_tuple(edge: str, row: Row) -> tuple[Any, ...]:
    return tuple(_norm(row.get(c)) for c in schema.edge_columns(edge))


def stored_rows(fetch: Any, project: str) -> tuple[dict[str, list[Row]], dict[str, list[Row]]]:
    """The project's stored rows, as GraphData-shaped dicts; `fetch(query, params)` returns
    a list of row lists."""
    params = {"project": project}
    nodes = {label: [dict(zip(schema.node_columns(label), r, strict=True))
                     for r in fetch(read_nodes(label), params)] for label in schema.NODE_LABELS}
    edges = {edge: [dict(zip(schema.edge_columns(edge), r, strict=True))
                    for r in fetch(read_edges(edge), params)] for edge in schema.EDGE_NAMES}
    return nodes, edges


def diff_graph(old_nodes: dict[str, list[Row]], old_edges: dict[str, list[Row]],
               new: GraphData) -> GraphDelta:
    """What to write so the stored rows become `new`'s."""
    delta = GraphDelta()
    for label in schema.NODE_LABELS:
        before = {_node_key(label, r): _node_tuple(label, r) for r in old_nodes.get(label, [])}
        after = {_node_key(label, r): r for r in new.nodes.get(label, [])}
        delta.insert_nodes[label] = [r for k, r in after.items() if k not in before]
        delta.update_nodes[label] = [r for k, r in after.items()
                                     if k in before and before[k] != _node_tuple(label, r)]
        delta.delete_nodes[label] = [k for k in before if k not in after]
    for edge in schema.EDGE_NAMES:
        before_e = {_edge_tuple(edge, r) for r in old_edges.get(edge, [])}
        after_e = {_edge_tuple(edge, r): r for r in new.edges.get(edge, [])}
        delta.insert_edges[edge] = [r for t, r in after_e.items() if t not in before_e]
        columns = schema.edge_columns(edge)
        delta.delete_edges[edge] = [dict(zip(columns, t, strict=True))
                                    for t in sorted(before_e - set(after_e), key=repr)]
    return delta
