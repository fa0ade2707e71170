"""One `bench scale` run in its own process, so its peak RSS is the server's alone (the indexer
runs as a child process and is not counted; it is reported by `bench scale` separately).

    python -m toolorch.bench.scale_worker PROJECT HOME OUT.json

Calls the tools as the server would (same functions, one ToolContext per call, shared
services): scip_index_code, then at once qdrant_search_similar (time to first search), the
wait for full dense coverage, glean_query_code, memgraph_create_graph_from_scip,
memgraph_query_graph, and a re-index of the unchanged tree. Records each tool's wall time and
the process's peak RSS (VmHWM) after each step.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import anyio


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(project: Path, home: Path) -> dict[str, Any]:
    from toolorch.backends.glean.tool import query_code
    from toolorch.backends.graph.tool import create_graph_from_scip, query_graph
    from toolorch.backends.scip.tool import index_code
    from toolorch.backends.vectors.sync import SERVICE_KEY
    from toolorch.backends.vectors.tool import search_similar
    from toolorch.config import Settings
    from toolorch.core.context import ToolContext
    from toolorch.core.services import Services

    settings = Settings(home=home, allowed_roots=str(project.parent))
    services = Services(settings)

    def ctx(tool: str) -> ToolContext:
        return ToolContext(tool=tool, run_id="bench", settings=settings, services=services,
                           roots=settings.roots)

    out: dict[str, Any] = {"tools_s": {}, "peak_rss_mb": {}}
    steps: list[tuple[str, Any, dict[str, Any]]] = []

    async def step(name: str, fn: Any, args: dict[str, Any]) -> tuple[dict[str, Any], float]:
        t0 = time.perf_counter()
        result = await fn(args, ctx(name))
        elapsed = time.perf_counter() - t0
        out["tools_s"][name] = round(elapsed, 3)
        out["peak_rss_mb"][name] = round(peak_rss_mb(), 1)
        steps.append((name, fn, args))
        return result, elapsed

    out["peak_rss_mb"]["start"] = round(peak_rss_mb(), 1)
    index, _ = await step("scip_index_code", index_code,
                          {"project_path": str(project), "language": "python"})
    returned = time.perf_counter()
    name = index["project_name"]
    out.update(project_name=name, counts=index["counts"], timings_s=index["timings_s"],
               skipped_files=len(index["skipped_files"]))
    hits, _ = await step("qdrant_search_similar", search_similar,
                         {"text": "shortest path between two nodes", "limit": 5})
    out["first_search_s"] = round(time.perf_counter() - returned, 3)
    out["first_search_dense"] = hits.get("dense") or hits.get("coverage")
    sync = services.peek(SERVICE_KEY)
    if sync is not None:
        await anyio.to_thread.run_sync(lambda: sync.wait([name]))
    out["full_dense_s"] = round(time.perf_counter() - returned, 3)
    out["peak_rss_mb"]["dense"] = round(peak_rss_mb(), 1)
    await step("glean_query_code", query_code,
               {"project_name": name, "query": 'code.Symbol { kind = "function", name = "a".. }',
                "limit": 50})
    graph, _ = await step("memgraph_create_graph_from_scip", create_graph_from_scip,
                          {"scip_index_path": index["scip_index_path"], "project_name": name})
    out["graph"] = {"nodes": sum(graph["nodes"].values()), "edges": sum(graph["edges"].values())}
    await step("memgraph_query_graph", query_graph, {
        "cypher_query": "MATCH (a:Symbol)-[:CALLS]->(b:Symbol) WHERE a.project = $p "
                        "RETURN b.name, count(*) AS n ORDER BY n DESC LIMIT 10",
        "parameters": {"p": name}})
    again, elapsed = await step("scip_index_code (unchanged)", index_code,
                                {"project_path": str(project), "language": "python"})
    out["reindex_unchanged"] = bool(again.get("unchanged"))
    # one edit: the indexer runs whole, only that document's rows are written
    indexed = index["facts"]["changes"]["added"]          # every document of the first index
    target = project / indexed[len(indexed) // 2] if indexed else None
    if target is not None:
        target.write_text(target.read_text(encoding="utf-8", errors="replace")
                          + "\n\ndef _bench_edit() -> int:\n    return 1\n", encoding="utf-8")
        edited, _ = await step("scip_index_code (one file edited)", index_code,
                               {"project_path": str(project), "language": "python"})
        out["edit"] = {"changes": {k: len(v) if isinstance(v, list) else v
                                   for k, v in edited["facts"]["changes"].items()},
                       "rewritten": edited["facts"]["rewritten"], "timings_s": edited["timings_s"]}
        regraph, _ = await step("memgraph_create_graph_from_scip (after the edit)",
                                create_graph_from_scip, {"scip_index_path": edited["scip_index_path"],
                                                         "project_name": name})
        out["edit"]["graph_load"] = regraph["load"]
    out["peak_rss_mb"]["end"] = round(peak_rss_mb(), 1)
    out["peak_rss_mb_max"] = max(out["peak_rss_mb"].values())
    services.close()
    return out


def main() -> None:
    project, home, dest = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    try:
        result = anyio.run(run, project, home)
    except Exception as exc:  # noqa: BLE001 - the benchmark reports it instead of dying
        result = {"error": f"{type(exc).__name__}: {exc}"[:2000], "tools_s": {},
                  "peak_rss_mb": {}, "peak_rss_mb_max": round(peak_rss_mb(), 1)}
    dest.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
