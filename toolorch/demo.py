"""`toolorch demo` (what `make demo` runs): a real MCP client session over stdio against
`toolorch-server`, running the orchestrated pipeline on the sample project, then querying what
it made four ways, asking the learned policy (the warm start shipped with the package, trained
in simulation) for a plan, and showing the workflow's lineage."""

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


def _brief(outputs: dict[str, Any] | None) -> str:
    """A step's key outputs in a few words: paths by file name, lists by count."""
    parts = []
    for k, v in (outputs or {}).items():
        if isinstance(v, dict) and "count" in v:
            v = f"{v['count']} items"
        elif isinstance(v, str) and "/" in v:
            v = Path(v).name or v
        parts.append(f"{k}={v}")
    return _short(", ".join(parts), 70)


def _names(items: list[Any], key: str, n: int = 6) -> str:
    """The `key` of the first items (facts, rows, hits) joined: what a person wants to see."""
    out = []
    for it in items[:n]:
        node = it
        for part in key.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        out.append(str(node) if node != {} else "?")
    return ", ".join(out) + (" …" if len(items) > n else "")


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
        # the server sends strictly increasing values and never the same message twice in a row
        shown = f"{progress:.0f}" if float(progress).is_integer() else f"{progress:.2f}"
        console.print(f"  [dim]{shown}/{f'{total:g}' if total else '?'}[/dim] {message or ''}")

    async with stdio_client(params) as (read, write), ClientSession(read, write) as s:
        init = await s.initialize()
        tools = (await s.list_tools()).tools
        console.rule(f"[bold]connected to {init.server_info.name} {init.server_info.version}: {len(tools)} tools")
        console.print(", ".join(t.name for t in tools))

        console.rule("[bold]1. orchestrate: the whole pipeline on the sample project (deliverable \"all\")")
        goal = "Index the shapes project, explore its code, and turn it into Lean specs and an n8n workflow"
        pipeline: dict[str, Any] = {
            "goal": goal, "deliverable": "all",
            "inputs": {"project_path": str(project), "language": "python",
                       "search_text": "great-circle distance between two points on a globe"},
        }
        r = await s.call_tool("orchestrate", pipeline, progress_callback=progress)
        if r.is_error:
            console.print(f"[red]{r.content[0].text}")  # type: ignore[union-attr]
            return 1
        wf = r.structured_content or {}
        table = Table("step", "tool", "ok", "ms", "cached", "key outputs")
        for st in wf["steps"]:
            out = _brief(st.get("outputs")) or _short(st.get("error") or st.get("skipped") or "")
            table.add_row(str(st["step"]), st["tool"], "✔" if st["ok"] else "✘",
                          f"{st.get('time_s', 0) * 1e3:.0f}", str(st.get("cached", "")), out)
        console.print(table)
        totals = wf["totals"]
        console.print(f"workflow {wf['workflow_id']}: success={wf['success']}, {totals['succeeded']}/{totals['steps']} "
                      f"steps ok, {totals['time_s']:.1f} s, cost {totals['cost']:g}; strategy {wf['strategy']}: {wf['why']}")
        console.print(f"compact result: {len(json.dumps(wf)):,} characters (≈ {len(json.dumps(wf)) // 4:,} tokens); "
                      f"whole: {wf['full']}")
        full = json.loads((await s.read_resource(wf["full"])).contents[0].text)  # type: ignore[union-attr]
        console.print(f"the whole result, read from that resource: {len(json.dumps(full)):,} characters")
        outputs = full["outputs"]

        console.rule("[bold]1b. a goal without a deliverable: orchestrate reads it")
        r1 = await s.call_tool("orchestrate", {"goal": "index and search", "inputs": {
            "project_path": str(project), "language": "python", "search_text": "area of a circle"}})
        wf1 = r1.structured_content or {}
        inferred = wf1.get("inferred") or {}
        console.print(f"read as {' + '.join(inferred.get('deliverables') or ['?'])} "
                      f"(confidence {inferred.get('confidence', 0):.0%}); ran "
                      + ", ".join(st["tool"] for st in wf1.get("steps", [])))

        console.rule("[bold]2. query the index four ways (direct calls)")
        project_name = outputs.get("project_name", "python")
        for tool, args, items, key in [
            ("glean_query_code", {"project_name": project_name, "query": 'code.Symbol { kind = "function" }', "limit": 8},
             "facts", "key.name"),
            ("memgraph_query_graph", {"cypher_query": "MATCH (c:Symbol)-[:CALLS]->(s:Symbol) WHERE s.project = $p "
                                      "RETURN c.name AS caller, s.name AS callee LIMIT 6", "parameters": {"p": project_name}},
             "rows", "caller"),
            ("qdrant_search_similar", {"text": "distance along the surface of a sphere", "limit": 3}, "hits", "payload.name"),
        ]:
            res = await s.call_tool(tool, args)
            got: dict[str, Any] = res.structured_content or {}
            body = res.content[0].text if res.is_error else f"{got.get('count', '?')}: {_names(got.get(items, []), key)}"  # type: ignore[union-attr]
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
                console.print(f"  step {st['step']}: {st['tool']:<32} ok={st['ok']}  π={'-' if p is None else f'{p:.3f}'}")
            console.print(f"planner {wf2['planner']}, policy version {wf2['policy_version']}"
                          + (f"; {'; '.join(wf2['notes'])}" if wf2["notes"] else ""))
            await s.call_tool("orchestrate", {"feedback": {"workflow_id": wf2["workflow_id"], "desirable": bool(wf2["success"])}})

        console.rule("[bold]4. the generated workflow and its lineage")
        made = (wf2.get("deliverable") or {}).get("value") if wf2 else None
        workflow_path = outputs.get("workflow_path") or (made if isinstance(made, str) else None)
        if workflow_path:
            data = json.loads(Path(workflow_path).read_text())
            names = [n["name"] for n in data["nodes"]]
            console.print(f"{Path(workflow_path).name}: {len(names)} nodes: {', '.join(names[:4])}, … {names[-1]}")
            lin = await s.call_tool("marquez_get_lineage", {"dataset_name": workflow_path})
            if lin.is_error:
                console.print(f"[red]{lin.content[0].text}")  # type: ignore[union-attr]
            else:
                for node in (lin.structured_content or {}).get("graph", []):
                    ins = [e["origin"] for e in node.get("inEdges", [])]
                    console.print(f"  {node['id']}  ← {', '.join(ins) or '(source)'}")
                meta = lin.meta or {}
                tips = meta.get("toolorch/suggestions") or []
                if tips:
                    console.print("the policy suggests next (the result's _meta): " + "; ".join(
                        f"{t['tool']} ({t['probability']:.0%}: {t['why']})" for t in tips))
                elif "toolorch/stop_probability" in meta:
                    console.print("the policy suggests nothing more for this session's direct calls "
                                  f"(STOP {meta['toolorch/stop_probability']:.0%}; the result's _meta)")
        metrics = json.loads((await s.read_resource("toolorch://metrics")).contents[0].text)  # type: ignore[union-attr]
        console.rule("[bold]metrics of this session")
        m = metrics.get("metrics", {})
        mt = Table("tool", "calls", "success", "p50 ms", "cache hits")
        for name, row in sorted((m.get("tools") or {}).items()):
            p50 = (row.get("latency_s") or {}).get("p50")
            mt.add_row(name, str(row["calls"]), f"{row['success_rate']:.0%}",
                       "-" if p50 is None else f"{p50 * 1e3:.0f}", f"{row['cache_hit_rate']:.0%}")
        console.print(mt)
        wfs = m.get("workflows") or {}
        console.print(f"workflows: {wfs.get('count', 0)}, success rate "
                      f"{(wfs.get('success_rate') or 0):.0%}; policy checkpoint: toolorch status")
        return 0 if wf.get("success") else 1


def _policy_line(home: Path) -> str:
    """Where this data dir's policy comes from (the shipped warm start in a new one)."""
    from toolorch.config import Settings
    from toolorch.rl.runner import policy_status

    st = policy_status(Settings(home=home))
    return f"policy: v{st['version']}, {st['source']}"


def main(project: Path | None = None) -> int:
    home = Path(os.environ.get("TOOLORCH_DEMO_HOME") or tempfile.mkdtemp(prefix="toolorch-demo-"))
    if project is None:  # a copy of the bundled sample, so the demo never writes into the checkout
        project = home / "workspace" / "shapes"
        if not project.exists():
            shutil.copytree(SAMPLE, project)
    print(f"project: {project}\ndata dir: {home}\n{_policy_line(home)}", file=sys.stderr)
    code = anyio.run(_session, project.resolve(), home)
    print(f"after the session: {_policy_line(home)} (toolorch status with TOOLORCH_HOME={home})", file=sys.stderr)
    return code
