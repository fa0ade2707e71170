"""Python idioms (issue 11, point 6): `@overload` and a src layout installed in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends.scip.conftest import make_ctx, write
from toolorch.backends.graph.tool import create_graph_from_scip, query_graph
from toolorch.backends.scip.tool import index_code
from toolorch.scip.pyranges import python_overloads
from toolorch.stores.facts import facts_of

pytestmark = pytest.mark.anyio

OVERLOADS = '''from typing import overload
import typing


def helper(x: object) -> str:
    return str(x)


class Conv:
    @overload
    def conv(self, x: int) -> int: ...
    @overload
    def conv(self, x: str) -> str: ...
    def conv(self, x):
        """Convert it."""
        return helper(x)


@typing.overload
def top(x: int) -> int: ...
@typing.overload
def top(x: str) -> str: ...
def top(x):
    return helper(x)
'''


def test_overload_groups_map_stubs_to_the_implementation() -> None:
    groups = python_overloads(OVERLOADS)
    assert groups == {(10, 8): (13, 8), (12, 8): (13, 8), (19, 4): (22, 4), (21, 4): (22, 4)}
    assert python_overloads("def f(): ...\ndef f(): ...\n") == {}     # no @overload: no group
    assert python_overloads("def broken(:\n") == {}


@pytest.mark.slow
async def test_overloaded_function_is_defined_at_its_implementation(tmp_path: Path) -> None:
    project = write(tmp_path / "ovl", {
        "pyproject.toml": '[project]\nname = "ovl"\nversion = "0.1.0"\n',
        "pkg/__init__.py": "", "pkg/m.py": OVERLOADS})
    ctx = make_ctx(tmp_path / "home", tmp_path)
    result = await index_code({"project_path": str(project), "language": "python"}, ctx)
    rows = {r["name"]: r for r in facts_of(ctx).symbols("ovl")}
    conv, top = rows["conv"], rows["top"]
    assert (conv["line"], conv["end_line"]) == (14, 16)
    assert conv["documentation"] == "Convert it." and conv["signature"].startswith("def conv(")
    assert (top["line"], top["end_line"]) == (23, 24)
    await create_graph_from_scip({"scip_index_path": result["scip_index_path"],
                                  "project_name": "ovl"}, ctx)
    calls = (await query_graph({
        "cypher_query": "MATCH (a:Symbol)-[:CALLS]->(b:Symbol {name: 'helper'}) "
                        "WHERE a.project = 'ovl' RETURN a.name AS caller ORDER BY caller"},
        ctx))["rows"]
    assert [r["caller"] for r in calls] == ["conv", "top"]
    ctx.services.close()


@pytest.mark.slow
async def test_src_layout_resolves_to_the_project_not_the_installed_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The package is also "installed" (an older copy with its dist-info on PYTHONPATH, which
    scip-python's environment probe and pyright both see)."""
    area = 'def area(r: float) -> float:\n    """Area."""\n    return 3.14 * r * r\n'
    site = write(tmp_path / "site", {
        "srcpkg/__init__.py": area,
        "srcpkg-0.9.dist-info/METADATA": "Metadata-Version: 2.1\nName: srcpkg\nVersion: 0.9\n",
        "srcpkg-0.9.dist-info/RECORD": "srcpkg/__init__.py,,\nsrcpkg-0.9.dist-info/METADATA,,\n"})
    monkeypatch.setenv("PYTHONPATH", str(site))
    project = write(tmp_path / "proj", {
        "pyproject.toml": '[project]\nname = "srcpkg"\nversion = "1.0.0"\n',
        "src/srcpkg/__init__.py": area,
        "tests/test_area.py": "from srcpkg import area\n\n\ndef test_area() -> None:\n"
                              "    assert area(1.0) > 3\n"})
    ctx = make_ctx(tmp_path / "home", tmp_path / "proj")
    result = await index_code({"project_path": str(project), "language": "python"}, ctx)
    assert any("src layout" in n for n in result["notes"])
    store = facts_of(ctx)
    [defined] = [r for r in store.symbols("srcpkg") if r["name"] == "area" and r["path"]]
    assert defined["symbol"] == "scip-python python srcpkg 1.0.0 srcpkg/area()."
    assert defined["path"] == "src/srcpkg/__init__.py"
    assert not [r for r in store.symbols("srcpkg") if r["name"] == "area" and not r["path"]]
    conn = store.connect_readonly()
    refs = conn.execute("SELECT path FROM occurrences WHERE project = 'srcpkg' AND symbol = ? "
                        "AND is_definition = 0", (defined["symbol"],)).fetchall()
    conn.close()
    assert "tests/test_area.py" in {r[0] for r in refs}
    ctx.services.close()
