"""Re-indexing (fingerprint, per-document changes) and project identity (issue 11, 4 and 7)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.backends.scip.conftest import make_ctx, write
from toolorch.backends.scip.project import manifest_name, project_name, root_tag
from toolorch.backends.scip.tool import index_code
from toolorch.errors import ValidationError
from toolorch.stores.facts import facts_of

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sample_project"


async def test_unchanged_tree_returns_from_its_fingerprint(tmp_path: Path) -> None:
    project = tmp_path / "crate"
    shutil.copytree(FIXTURES / "rust", project)
    ctx = make_ctx(tmp_path / "home", tmp_path)
    first = await index_code({"project_path": str(project), "language": "rust"}, ctx)
    assert first["unchanged"] is False and first["facts"]["changes"]["changed"] == []
    added = first["facts"]["changes"]["added"]
    assert "src/geometry.rs" in added and first["facts"]["changes"]["unchanged"] == 0
    again = await index_code({"project_path": str(project), "language": "rust"}, ctx)
    assert again["unchanged"] is True and set(again["timings_s"]) == {"walk"}
    assert again["counts"] == first["counts"] and again["project_name"] == "shapes"
    assert again["facts"]["changes"]["unchanged"] == first["counts"]["documents"]
    store = facts_of(ctx)
    assert store.project("shapes")["generation"] == 1

    # one document edited, one removed, one added: only those are rewritten
    geometry = project / "src" / "geometry.rs"
    geometry.write_text(geometry.read_text() + "\n/// New.\npub fn extra() -> u8 { 1 }\n")
    removed = sorted((project / "src").glob("*.rs"))
    gone = next(p for p in removed if p.name not in ("lib.rs", "geometry.rs"))
    text = (project / "src" / "lib.rs").read_text().replace(f"mod {gone.stem};", "")
    (project / "src" / "lib.rs").write_text(text)
    gone.unlink()
    (project / "src" / "fresh.rs").write_text("pub fn fresh() -> u8 { 2 }\n")
    third = await index_code({"project_path": str(project), "language": "rust"}, ctx)
    changes = third["facts"]["changes"]
    assert changes["added"] == ["src/fresh.rs"]
    assert changes["removed"] == [f"src/{gone.name}"]
    assert "src/geometry.rs" in changes["changed"] and "src/lib.rs" in changes["changed"]
    docs = third["counts"]["documents"]
    assert changes["unchanged"] == docs - 1 - len(changes["changed"])
    assert third["facts"]["rewritten"]["documents"] == 1 + len(changes["changed"])
    stored = store.changes("shapes")
    assert stored == {"generation": 2, "added": ["src/fresh.rs"], "changed": changes["changed"],
                      "removed": [f"src/{gone.name}"]}
    names = {r["name"] for r in store.symbols("shapes")}
    assert {"extra", "fresh"} <= names
    ctx.services.close()


async def test_a_touched_but_identical_tree_rewrites_nothing(tmp_path: Path) -> None:
    project = tmp_path / "crate"
    shutil.copytree(FIXTURES / "rust", project)
    ctx = make_ctx(tmp_path / "home", tmp_path)
    await index_code({"project_path": str(project), "language": "rust"}, ctx)
    lib = project / "src" / "lib.rs"
    os.utime(lib, ns=(lib.stat().st_atime_ns, lib.stat().st_mtime_ns + 10**9))
    again = await index_code({"project_path": str(project), "language": "rust"}, ctx)
    assert again["unchanged"] is False                     # the fingerprint moved...
    assert again["facts"]["rewritten"] == {                 # ...but no row changed
        "documents": 0, "removed_documents": 0, "occurrences": 0, "symbols": 0,
        "symbols_deleted": 0, "relationships": 0, "relationships_deleted": 0}
    assert facts_of(ctx).project("shapes")["generation"] == 1
    ctx.services.close()


def test_names_from_manifests(tmp_path: Path) -> None:
    assert manifest_name(FIXTURES / "python", "python") == "shapes"
    assert manifest_name(FIXTURES / "typescript", "typescript") == "geom"
    assert manifest_name(FIXTURES / "rust", "rust") == "shapes"
    write(tmp_path / "scoped", {"package.json": '{"name": "@acme/widgets"}'})
    assert manifest_name(tmp_path / "scoped", "typescript") == "widgets"
    write(tmp_path / "poetry", {"pyproject.toml": '[tool.poetry]\nname = "po"\nversion = "1"\n'})
    assert manifest_name(tmp_path / "poetry", "python") == "po"
    write(tmp_path / "cfg", {"setup.cfg": "[metadata]\nname = from-cfg\n"})
    assert manifest_name(tmp_path / "cfg", "python") == "from-cfg"
    (tmp_path / "bare").mkdir()
    assert manifest_name(tmp_path / "bare", "python") == ""
    assert project_name(tmp_path / "bare", "python", lambda n: None) == "bare"


def test_two_roots_never_share_a_name(tmp_path: Path) -> None:
    a, b = tmp_path / "one" / "python", tmp_path / "two" / "python"
    stored = {"python": str(a)}
    assert project_name(a, "python", stored.get) == "python"
    assert project_name(b, "python", stored.get) == f"python-{root_tag(b)}"
    assert root_tag(a) != root_tag(b) and len(root_tag(a)) == 6
    with pytest.raises(ValidationError, match=f"already belongs to {a}, not {b}") as err:
        project_name(b, "python", stored.get, requested="python")
    assert err.value.field == "project_name"
    assert project_name(b, "python", stored.get, requested="mine") == "mine"
