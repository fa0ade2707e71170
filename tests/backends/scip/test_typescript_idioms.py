"""TypeScript idioms (issue 11, point 6): `const f = () => ...` functions as callers, and a
tsconfig.json that `extends` a package which is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends.scip.conftest import make_ctx, write
from toolorch.backends.graph.calls import is_function_value
from toolorch.backends.graph.tool import create_graph_from_scip, query_graph
from toolorch.backends.scip.runners import INFERRED_TSCONFIG
from toolorch.backends.scip.tool import index_code

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SOURCE = """export const double = (x: number): number => x * 2;

export const quad = (x: number): number => {
  return double(double(x));
};

export class Box {
  scale = (k: number): number => quad(k);
}

export function caller(): number {
  return quad(1);
}
"""
BROKEN = '{"extends": "@tsconfig/node20/tsconfig.json", "compilerOptions": {"strict": true}}\n'


def test_function_values_by_their_hover_text() -> None:
    assert is_function_value("variable", "var double: (x: number) => number")
    assert is_function_value("constant", "const f: <T>(x: T) => T")
    assert is_function_value("property", "(property) Box.scale: (k: number) => number")
    assert not is_function_value("variable", "var n: number")
    assert not is_function_value("variable", "var cb: Map<string, () => void>")
    assert not is_function_value("class", "class Box")


async def test_arrow_functions_are_callers_and_a_broken_tsconfig_falls_back(tmp_path: Path) -> None:
    project = write(tmp_path / "arrows", {"package.json": '{"name": "arrows"}',
                                          "tsconfig.json": BROKEN, "src/a.ts": SOURCE})
    ctx = make_ctx(tmp_path / "home", tmp_path)
    result = await index_code({"project_path": str(project), "language": "typescript"}, ctx)
    assert result["project_name"] == "arrows" and result["counts"]["documents"] == 1
    [note] = result["notes"]
    assert "TS6053" in note and "--infer-tsconfig" in note
    assert (project / "tsconfig.json").read_text() == BROKEN          # left as it was
    assert not (project / INFERRED_TSCONFIG).exists()
    await create_graph_from_scip({"scip_index_path": result["scip_index_path"],
                                  "project_name": "arrows"}, ctx)
    rows = (await query_graph({
        "cypher_query": "MATCH (a:Symbol)-[c:CALLS]->(b:Symbol) WHERE a.project = 'arrows' "
                        "RETURN a.name AS caller, b.name AS callee ORDER BY caller, callee"},
        ctx))["rows"]
    pairs = {(r["caller"], r["callee"]) for r in rows}
    assert {("quad", "double"), ("caller", "quad")} <= pairs
    # a class property's arrow has no enclosing range from scip-typescript 0.4.0: not a caller
    assert not any(caller == "scale" for caller, _ in pairs)
    ctx.services.close()
