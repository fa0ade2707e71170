"""scip_index_code end to end with the real indexers: results, errors, re-indexing, self-indexing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from toolorch.backends.scip.project import root_tag
from toolorch.backends.scip.runners import check_output, python_package, run_indexer
from toolorch.backends.scip.tool import index_code
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.core.services import Services
from toolorch.errors import PathError, SubprocessError, ToolTimeoutError, ValidationError
from toolorch.scip import write_index
from toolorch.scip.model import ScipIndex
from toolorch.stores.facts import facts_of

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sample_project"
PACKAGE = Path(__file__).resolve().parents[2] / "toolorch"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _ctx(tmp_path: Path, *roots: Path) -> ToolContext:
    allowed = ":".join(str(r) for r in (tmp_path, *roots))
    settings = Settings(home=tmp_path / "home", allowed_roots=allowed)
    return ToolContext(tool="scip_index_code", run_id="r", settings=settings,
                       services=Services(settings), roots=settings.roots)


async def test_results_of_the_session_index(indexed_sample) -> None:
    for lang, indexer in [("python", "scip-python"), ("typescript", "scip-typescript"),
                          ("rust", "toolorch-rust")]:
        result = indexed_sample.results[lang]
        assert result["project_name"] == lang and result["language"] == lang
        assert result["indexer"]["name"] == indexer
        assert Path(result["scip_index_path"]) == indexed_sample.home / "indexes" / f"{lang}.scip"
        assert Path(result["scip_index_path"]).stat().st_size > 1000
        assert result["counts"]["documents"] >= 3 and result["counts"]["symbols"] >= 30
        assert result["facts"]["symbols"] >= 30 and result["elapsed_s"] > 0
    assert indexed_sample.results["python"]["indexer"]["version"] == "0.6.6"
    assert indexed_sample.results["typescript"]["indexer"]["version"] == "0.4.0"


async def test_lineage_and_progress(tmp_path: Path) -> None:
    project = tmp_path / "crate"
    shutil.copytree(FIXTURES / "rust", project)
    ctx = _ctx(tmp_path)
    progress: list[tuple[float, float | None, str | None]] = []

    async def report(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    ctx.report_progress = report
    result = await index_code({"project_path": str(project), "language": "rust",
                               "output_name": "mine.scip"}, ctx)
    assert result["scip_index_path"].endswith("/indexes/mine.scip")
    assert ctx.inputs == [Dataset.file(project)]
    assert Dataset.file(result["scip_index_path"]) in ctx.outputs
    assert result["project_name"] == "shapes"                    # the Cargo.toml name
    assert Dataset.store("facts/shapes") in ctx.outputs
    assert [p[0] for p in progress] == [0, 1, 2, 3, 4] and progress[-1][1] == 4
    ctx.services.close()


async def test_reindexing_replaces_one_project_only(tmp_path: Path) -> None:
    a, b = tmp_path / "alpha", tmp_path / "beta"
    shutil.copytree(FIXTURES / "rust", a)
    shutil.copytree(FIXTURES / "rust", b)
    ctx = _ctx(tmp_path)
    alpha = (await index_code({"project_path": str(a), "language": "rust"}, ctx))["project_name"]
    beta = (await index_code({"project_path": str(b), "language": "rust"}, ctx))["project_name"]
    # one Cargo.toml name, two roots: never one project
    assert alpha == "shapes" and beta == f"shapes-{root_tag(b)}"
    store = facts_of(ctx)
    before_b = store.symbols(beta)
    # alpha loses its geometry module, gains a function; beta must not change
    (a / "src" / "geometry.rs").unlink()
    (a / "src" / "lib.rs").write_text("/// New.\npub fn fresh() -> u8 { 1 }\n")
    again = await index_code({"project_path": str(a), "language": "rust"}, ctx)
    assert again["project_name"] == alpha                          # stable for its root
    names_a = {r["name"] for r in store.symbols(alpha)}
    assert "fresh" in names_a and "haversine" not in names_a
    assert store.symbols(beta) == before_b
    assert store.project(alpha)["generation"] == 2 and store.project(beta)["generation"] == 1
    assert store.project(alpha)["root"] == str(a) and store.project(beta)["root"] == str(b)
    assert Path(again["scip_index_path"]).name == "shapes.scip"
    ctx.services.close()


async def test_path_outside_roots_is_refused(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    with pytest.raises(PathError, match="outside the allowed roots"):
        await index_code({"project_path": str(FIXTURES / "rust"), "language": "rust"}, ctx)
    with pytest.raises(PathError, match="does not exist"):
        await index_code({"project_path": str(tmp_path / "missing"), "language": "rust"}, ctx)
    ctx.services.close()


async def test_unsupported_language_and_bad_output_name(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path)
    with pytest.raises(ValidationError, match="unsupported language 'cobol'"):
        await index_code({"project_path": str(tmp_path), "language": "cobol"}, ctx)
    with pytest.raises(ValidationError, match="plain file name"):
        await index_code({"project_path": str(tmp_path), "language": "rust",
                          "output_name": "../x.scip"}, ctx)
    ctx.services.close()


async def test_indexer_timeout_kills_and_reports(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path))
    with pytest.raises(ToolTimeoutError, match="timeout"):
        await run_indexer("python", FIXTURES / "python", tmp_path / "x.scip", settings.node_bin,
                          timeout_s=0.05)
    assert not (tmp_path / "x.scip").exists()
    assert list(tmp_path.glob(".x.scip*")) == []


def test_document_less_index_is_an_indexer_failure(tmp_path: Path) -> None:
    """scip-python without a version crashes yet exits 0, leaving a tiny index with no documents."""
    tiny = write_index(ScipIndex("file:///p", "scip-python", "0.6.6"), tmp_path / "tiny.scip")
    assert tiny.stat().st_size < 100
    with pytest.raises(SubprocessError, match="no documents") as info:
        check_output(tiny, "scip-python", "TypeError: Cannot read properties of undefined")
    assert "Cannot read properties" in info.value.message
    with pytest.raises(SubprocessError, match="wrote no index"):
        check_output(tmp_path / "absent.scip", "scip-python", "")


async def test_typescript_project_without_tsconfig(tmp_path: Path) -> None:
    project = tmp_path / "geo"
    shutil.copytree(FIXTURES / "typescript" / "src", project / "src")
    ctx = _ctx(tmp_path)
    result = await index_code({"project_path": str(project), "language": "typescript"}, ctx)
    assert result["counts"]["documents"] == 4
    assert any(r["name"] == "haversine" for r in facts_of(ctx).symbols("geo"))
    ctx.services.close()


def test_python_package_name_and_version(tmp_path: Path) -> None:
    assert python_package(FIXTURES / "python") == ("shapes", "0.1.0")
    assert python_package(tmp_path) == (tmp_path.name, "0.0.0")


@pytest.mark.slow
async def test_index_toolorch_itself(tmp_path: Path) -> None:
    """The toolorch package (pure Python, many modules) indexes and its Registry class is found."""
    project = tmp_path / "toolorch_src"
    shutil.copytree(PACKAGE, project / "toolorch",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (project / "pyproject.toml").write_text('[project]\nname = "toolorch"\nversion = "0.1.0"\n')
    ctx = _ctx(tmp_path)
    result = await index_code({"project_path": str(project), "language": "python"}, ctx)
    assert result["counts"]["documents"] > 30
    assert result["project_name"] == "toolorch"                   # from pyproject.toml
    rows = [r for r in facts_of(ctx).symbols("toolorch") if r["name"] == "Registry"]
    assert [(r["kind"], r["path"]) for r in rows] == [("class", "toolorch/registry/registry.py")]
    assert rows[0]["line"] > 1 and rows[0]["end_line"] > rows[0]["line"]
    ctx.services.close()
