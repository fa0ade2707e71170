"""MCP prompts: good workflows, written down once, so an agent (or its user) can start from them."""

from __future__ import annotations

import json
from dataclasses import dataclass

import mcp_types as types
from mcp.shared.exceptions import MCPError


@dataclass(frozen=True, slots=True)
class _Prompt:
    name: str
    title: str
    description: str
    arguments: tuple[tuple[str, str, bool], ...]   # (name, description, required)
    text: str                                      # str.format over the arguments


PROMPTS: dict[str, _Prompt] = {p.name: p for p in [
    _Prompt(
        "explore_repository", "Explore a new repository",
        "Index a project once, then learn its shape: files, main symbols, who calls what, where to start reading.",
        (("project_path", "Absolute path of the project directory", True),
         ("language", "python, typescript or rust", True)),
        "Explore the {language} project at {project_path}.\n"
        "1. Call scip_index_code with project_path={q_project_path} and language={q_language} "
        "(seconds for a small project, minutes for ~30k lines). Note the project_name it returns.\n"
        "2. Read the resource toolorch://projects/<project_name>/facts for files and symbols by kind.\n"
        "3. glean_query_code: 'code.Symbol {{ kind = \"class\" }}' and 'code.Symbol {{ kind = \"function\" }}' "
        "for the main types and functions.\n"
        "4. memgraph_create_graph_from_scip (scip_index_path and project_name from step 1), then "
        "memgraph_query_graph to find the most-called symbols: MATCH (c:Symbol)-[r:CALLS]->(s:Symbol) "
        "WHERE s.project = $project RETURN s.name, s.path, count(c) AS callers ORDER BY callers DESC LIMIT 10 "
        "with parameters {{\"project\": <project_name>}}.\n"
        "5. Summarise: what the project does, its main modules, the entry points, where to start reading.",
    ),
    _Prompt(
        "find_callers", "Find who calls X",
        "Every caller of a function or method (directly or a few hops away), with file and line.",
        (("symbol", "The function or method name, e.g. total_area", True),
         ("project_name", "The project as scip_index_code named it", True)),
        "Find who calls {symbol} in project {project_name}.\n"
        "1. If the project is not indexed or has no graph yet: scip_index_code, then "
        "memgraph_create_graph_from_scip.\n"
        "2. memgraph_query_graph with cypher_query = "
        "'MATCH (caller:Symbol)-[:CALLS*1..3]->(s:Symbol {{name: $name}}) WHERE s.project = $project "
        "RETURN DISTINCT caller.name, caller.path, caller.line' and parameters "
        "{{\"name\": {q_symbol}, \"project\": {q_project_name}}}.\n"
        "3. Cross-check the direct references with glean_query_code: "
        "'code.Reference {{ symbol = code.Symbol {{ name = \"{symbol}\" }} }}'.\n"
        "4. Answer with the callers grouped by file, direct callers first.",
    ),
    _Prompt(
        "project_to_n8n", "Turn this project into an n8n workflow",
        "Index → Lean 4 specs → an importable n8n workflow (and the node package), with the lineage.",
        (("project_path", "Absolute path of the project directory", True),
         ("language", "python, typescript or rust", True)),
        "Turn the {language} project at {project_path} into an n8n workflow.\n"
        "Call orchestrate with {{\"goal\": \"Turn this project into an n8n workflow\", "
        "\"inputs\": {{\"project_path\": {q_project_path}, \"language\": {q_language}}}, "
        "\"deliverable\": \"workflow_path\"}}: it runs scip_index_code → lean4_generate_specs → "
        "n8n_generate_workflow and nothing else. For the community-node package too, run it again with "
        "\"deliverable\": \"n8n_package\" (the index is cached). Then call marquez_get_lineage with "
        "dataset_name = the workflow_path to show where the workflow came from.",
    ),
]}


def list_prompts() -> list[types.Prompt]:
    return [
        types.Prompt(name=p.name, title=p.title, description=p.description,
                     arguments=[types.PromptArgument(name=n, description=d, required=r) for n, d, r in p.arguments])
        for p in PROMPTS.values()
    ]


def get_prompt(name: str, arguments: dict[str, str] | None) -> types.GetPromptResult:
    p = PROMPTS.get(name)
    if p is None:
        raise MCPError(code=types.INVALID_PARAMS, message=f"unknown prompt {name!r}; known: {', '.join(PROMPTS)}")
    args = dict(arguments or {})
    missing = [n for n, _, required in p.arguments if required and not args.get(n)]
    if missing:
        raise MCPError(code=types.INVALID_PARAMS, message=f"prompt {name}: missing argument {missing[0]!r}")
    values = {n: args.get(n, "") for n, _, _ in p.arguments}
    text = p.text.format(**values, **{f"q_{n}": json.dumps(v) for n, v in values.items()})
    return types.GetPromptResult(
        description=p.description,
        messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
    )
