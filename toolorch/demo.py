"""`toolorch demo` (what `make demo` runs): a real MCP client session over stdio against
`toolorch-server`, running the orchestrated pipeline on the sample project, then querying what
it made four ways, asking the learned policy (warm-started in simulation) for a plan, and
showing the workflow's lineage."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio

from toolorch.config import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "tests" / "fixtures" / "sample_project" / "python"


def _short(value: Any, width: int = 90) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


async def _session(project: Path, home: Path) -> int:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client
    from rich.console import Console
    from rich.table import Table

    console = Console()
    env = {**os.environ, "TOOLORCH_HOME": str(home),
           "TOOLORCH_ALLOWED_ROOTS": os.pathsep.join([str(project), str(home)]),
           "TOOLORCH_LOG_LEVEL": "WARNING", "HF_HUB_OFFLINE": "1"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "server"], env=env)

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        console.print(f"  [dim]progress {progress:g}/{total or '?'}[/dim] {message or ''}")

    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        init = await s.initialize()
        tools = (await s.list_tools()).tools
        console.rule(f"[bold]connected to {init.server_info.name} {init.server_info.version}: {len(tools)} tools")
        console.print(", ".join(t.name for t in tools))

        console.rule("[bold]1. orchestrate: the whole pipeline on the sample project (adaptive DAG)")
        goal = "Index the shapes project, explore its code, and turn it into Lean specs and an n8n workflow"
        pipeline: dict[str, Any] = {
            "goal": goal, "strategy": "adaptive",
            "inputs": {"project_path": str(project), "language": "python",
                       "search_text": "great-circle distance between two points on a globe"},
        }
        r = await s.call_tool("orchestrate", pipeline, progress_callback=progress)
        if r.is_error:
            console.print(f"[red]{r.content[0].text}")  # type: ignore[union-attr]
            return 1
        wf = r.structured_content or {}
        table = Table("step", "tool", "ok", "ms", "cached", "output (abridged)")
        for st in wf["steps"]:
            out = st["output"] or st["error"]
            table.add_row(str(st["index"]), st["tool"], "✔" if st["success"] else "✘",
                          f"{st['time_s'] * 1e3:.0f}", str(st["cached"]), _short(out))
        console.print(table)
        console.print(f"workflow {wf['workflow_id']}: success={wf['success']} totals={wf['totals']}")
        outputs = wf["outputs"]

        console.rule("[bold]2. query the index four ways (direct calls)")
        project_name = outputs.get("project_name", "python")
        for tool, args in [
            ("glean_query_code", {"project_name": project_name, "query": 'code.Symbol { kind = "function" }', "limit": 5}),
            ("memgraph_query_graph", {"cypher_query": f'MATCH (p:Project {{name: "{project_name}"}})-[:HAS_SYMBOL]->(s:Symbol) RETURN s.name LIMIT 5'}),
            ("qdrant_search_similar", {"text": "distance along the surface of a sphere", "limit": 3}),
        ]:
            res = await s.call_tool(tool, args)
            body = res.content[0].text if res.is_error else _short(res.structured_content, 300)  # type: ignore[union-attr]
            console.print(f"[bold]{tool}[/bold] → {body}")

        console.rule("[bold]3. rl_optimized: the KTO policy picks the tools step by step")
        planned: dict[str, Any] = {
            "goal": "Generate an n8n workflow for this project", "strategy": "rl_optimized",
            "inputs": {"project_path": str(project), "language": "python"}, "deliverable": "workflow_path",
        }
        r2 = await s.call_tool("orchestrate", planned, progress_callback=progress)
        wf2 = r2.structured_content or {}
        if r2.is_error:
            console.print(f"[red]{r2.content[0].text}")  # type: ignore[union-attr]
        else:
            for st in wf2["steps"]:
                p = st.get("probability")
                console.print(f"  {st['tool']:<32} ok={st['success']}  π={p if p is None else round(p, 3)}")
            console.print(f"planner={wf2['planner']} policy_version={wf2['policy_version']} notes={wf2['notes']}")
            await s.call_tool("orchestrate", {"feedback": {"workflow_id": wf2["workflow_id"], "desirable": bool(wf2["success"])}})

        console.rule("[bold]4. the generated workflow and its lineage")
        workflow_path = outputs.get("workflow_path") or (wf2.get("outputs") or {}).get("workflow_path")
        if workflow_path:
            data = json.loads(Path(workflow_path).read_text())
            console.print(f"{workflow_path}: {len(data['nodes'])} nodes: " + ", ".join(n["name"] for n in data["nodes"]))
            lin = await s.call_tool("marquez_get_lineage", {"dataset_name": workflow_path})
            if lin.is_error:
                console.print(f"[red]{lin.content[0].text}")  # type: ignore[union-attr]
            else:
                for node in (lin.structured_content or {}).get("graph", []):
                    ins = [e["origin"] for e in node.get("inEdges", [])]
                    console.print(f"  {node['id']}  ← {', '.join(ins) or '(source)'}")
        metrics = json.loads((await s.read_resource("toolorch://metrics")).contents[0].text)  # type: ignore[union-attr]
        console.rule("[bold]metrics")
        console.print(_short(metrics.get("metrics", {}), 600))
        return 0 if wf.get("success") else 1


def _warm_start(home: Path) -> None:
    """What `toolorch train --simulate 300` does: the policy learns on the public task suite in
    the simulator (≈ 20 s), so the session's rl_optimized step starts from a trained checkpoint."""
    from toolorch.bench.learn.warmstart import pretrain
    from toolorch.config import Settings

    print("warm start: training the KTO policy in simulation (toolorch train --simulate 300)…", file=sys.stderr)
    out = pretrain(Settings(home=home), episodes=300)
    print(f"  policy v{out['policy_version']}, success over the last 50 simulated episodes "
          f"{out['success_rate_last_50']:.0%}", file=sys.stderr)


def main(project: Path | None = None) -> int:
    home = Path(os.environ.get("TOOLORCH_DEMO_HOME") or tempfile.mkdtemp(prefix="toolorch-demo-"))
    if project is None:  # a copy of the bundled sample, so the demo never writes into the checkout
        project = home / "workspace" / "shapes"
        if not project.exists():
            shutil.copytree(SAMPLE, project)
    print(f"project: {project}\ndata dir: {home}", file=sys.stderr)
    _warm_start(home)
    return anyio.run(_session, project.resolve(), home)
