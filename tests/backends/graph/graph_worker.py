"""A separate OS process using the graph tools on a shared data dir (run by the concurrency tests).

    python graph_worker.py HOME INDEX MODE N
MODE "create": N times memgraph_create_graph_from_scip(INDEX, project "p"), one line of JSON
counts each. MODE "query": N times count p's Symbol nodes, one number per line. Any error ends
the process with its message on stderr and exit status 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio

from toolorch.backends.graph.tool import create_graph_from_scip, query_graph
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services


async def main(home: Path, index: Path, mode: str, n: int) -> None:
    settings = Settings(home=home, allowed_roots=str(index.parent))
    services = Services(settings)
    try:
        for _ in range(n):
            ctx = ToolContext(tool=mode, run_id="w", settings=settings, services=services,
                              roots=settings.roots)
            if mode == "create":
                out = await create_graph_from_scip(
                    {"scip_index_path": str(index), "project_name": "p"}, ctx)
                print(json.dumps([out["nodes"], out["edges"]]), flush=True)
            else:
                out = await query_graph({"cypher_query": "MATCH (s:Symbol) WHERE s.project = 'p' "
                                                         "RETURN count(s) AS n"}, ctx)
                print(out["rows"][0]["n"], flush=True)
    finally:
        services.close()


if __name__ == "__main__":
    anyio.run(main, Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
