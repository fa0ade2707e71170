"""Per-project data an agent can read without a tool call (the server's resource templates):
the facts summary of an indexed project and the code graph's schema with its sizes."""

from __future__ import annotations

import sqlite3
from typing import Any

from toolorch.config import Settings
from toolorch.errors import ValidationError


def facts_summary(settings: Settings, project: str) -> dict[str, Any]:
    """Files by language, symbols by kind, occurrence and relationship counts of one project.
    Raises ValidationError naming the indexed projects when `project` is not one."""
    path = settings.home / "facts.sqlite"
    if not path.exists():
        raise ValidationError("no project is indexed yet: run scip_index_code first", "project")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute("SELECT name, root, language, index_path, indexer, indexed_at FROM projects "
                           "WHERE name = ?", (project,)).fetchone()
        if row is None:
            known = [r[0] for r in conn.execute("SELECT name FROM projects ORDER BY name")]
            raise ValidationError(f"unknown project {project!r}; indexed: {', '.join(known) or '(none)'}", "project")

        def counts(sql: str) -> dict[str, int]:
            return {str(k): int(n) for k, n in conn.execute(sql, (project,))}

        one = "SELECT count(*) FROM {} WHERE project = ?"
        return {
            "project": row[0], "root": row[1], "language": row[2], "index_path": row[3],
            "indexer": row[4], "indexed_at": row[5],
            "files_by_language": counts("SELECT language, count(*) FROM files WHERE project = ? GROUP BY language"),
            "symbols_by_kind": counts("SELECT coalesce(kind, '?'), count(*) FROM symbols WHERE project = ? "
                                      "AND path IS NOT NULL GROUP BY kind ORDER BY count(*) DESC"),
            "external_symbols": conn.execute("SELECT count(*) FROM symbols WHERE project = ? AND path IS NULL",
                                             (project,)).fetchone()[0],
            "occurrences": conn.execute(one.format("occurrences"), (project,)).fetchone()[0],
            "relationships": counts("SELECT kind, count(*) FROM relationships WHERE project = ? GROUP BY kind"),
            "query_with": "glean_query_code (Angle), e.g. code.Symbol { kind = \"function\" }",
        }
    finally:
        conn.close()


def graph_schema(project: str) -> dict[str, Any]:
    """The code graph's labels, properties and edges (one schema for every project), with the
    Cypher that reads this project's part."""
    from toolorch.backends.graph.schema import EDGE_TYPES, NODE_PROPERTIES

    return {
        "project": project,
        "nodes": {label: [name for name, _ in props] for label, props in NODE_PROPERTIES.items()},
        "edges": [{"type": e.name, "from": e.source, "to": e.target, "properties": [p for p, _ in e.properties]}
                  for e in EDGE_TYPES.values()],
        "ids": "Document.id = '<project>:<path>', Symbol.id = '<project>:<scip symbol>'; lines are 1-based",
        "examples": [
            f"MATCH (p:Project {{name: '{project}'}})-[:HAS_SYMBOL]->(s:Symbol) RETURN s.kind, count(*)",
            "MATCH (c:Symbol)-[:CALLS]->(s:Symbol {name: $name}) WHERE s.project = $project RETURN c.name, c.path, c.line",
        ],
        "query_with": "memgraph_query_graph (after memgraph_create_graph_from_scip for this project)",
    }
