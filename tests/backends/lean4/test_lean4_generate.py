"""lean4_generate_specs end to end: real indexes of the fixture projects, a hand-made index with
awkward names, determinism, options, and the bad inputs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from toolorch.backends.lean4.check import check_project
from toolorch.backends.lean4.tool import generate_specs
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services
from toolorch.errors import BackendError, PathError
from toolorch.scip.model import Document, ScipIndex, SymbolInfo
from toolorch.scip.writer import write_index

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_ctx(tmp_path: Path) -> ToolContext:
    settings = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path))
    return ToolContext(tool="lean4_generate_specs", run_id="r1", settings=settings,
                       services=Services(settings), roots=settings.roots)


PKG = "scip-python python demo 0.1 "


def _sym(desc: str, kind: str, name: str, sig: str, doc: str = "") -> SymbolInfo:
    docs = [f"```python\n{sig}\n```"] + ([doc] if doc else [])
    return SymbolInfo(PKG + desc, kind, name, docs, sig)


def awkward_index() -> ScipIndex:
    """Python-shaped symbols whose names and types exercise the sanitizer and the type table."""
    symbols = [
        _sym("`demo.end`/Node#", "class", "Node", "class Node:", "A linked node.\nSecond line -/ here."),
        _sym("`demo.end`/Node#next.", "field", "next", "(variable) next: Node | None"),
        _sym("`demo.end`/Node#value.", "field", "value", "(variable) value: float"),
        _sym("`demo.end`/Node#from().", "method", "from", "def from(\n  self,\n  other: Node\n) -> Node:"),
        _sym("`demo.end`/end().", "function", "end", "def end(\n  x: int\n) -> str:", "Ends things."),
        _sym("`demo.end`/café().", "function", "café", "def café(\n  fun: dict[str, list[int]]\n) -> None:"),
        _sym("`demo.end`/load().", "function", "load", "def load(\n  raw: np.ndarray,\n  opts: Any = None\n) -> Frame:"),
        _sym("`demo.end`/load2().", "function", "load", "def load(\n  at: bool\n) -> np.ndarray:"),
    ]
    return ScipIndex("file:///demo", "scip-python", "0.6.6",
                     [Document("demo/end.py", "python", symbols=symbols)])


async def test_awkward_names_and_types(tmp_path: Path) -> None:
    index = write_index(awkward_index(), tmp_path / "index.scip")
    ctx = make_ctx(tmp_path)
    out = await generate_specs({"scip_index_path": str(index), "project_name": "end-2-end",
                                "generate_proofs": True}, ctx)
    root = Path(out["lean4_file_path"])
    assert root.name == "End2End.lean" and root.read_text().startswith("import End2End.Demo.End\n")
    text = (root.parent / "End2End" / "Demo" / "End.lean").read_text()
    assert "namespace End2End.Demo.End" in text and text.rstrip().endswith("end End2End.Demo.End")
    # a self-referencing field cannot be a structure field: opaque stand-in, declared once
    assert "structure Node where\n  next : Option Unknown_Node\n  value : Float\n  deriving Inhabited" in text
    assert "opaque Node.from_ (self : Node) (other : Node) : Node" in text
    assert "opaque end_ (x : Int) : String" in text
    assert "opaque cafe (fun_ : List (String × List Int)) : Unit" in text
    assert "opaque load (raw : Unknown_np_ndarray) (opts : Unknown_Any := default) : Unknown_Frame" in text
    assert "opaque load_2 (at_ : Bool) : Unknown_np_ndarray" in text
    for unknown in ("Unknown_np_ndarray", "Unknown_Any", "Unknown_Frame", "Unknown_Node"):
        assert text.count(f"def {unknown} : Type := {unknown}.Impl.1") == 1
        assert f"instance : Inhabited {unknown} := {unknown}.Impl.2" in text
    assert out["unknown_types"] == ["Any", "Frame", "Node", "np.ndarray"]
    # docstrings carried over, and a `-/` inside cannot close the comment early
    assert "/-- A linked node.\nSecond line - / here." in text
    assert "/-- Ends things." in text
    # proofs and tests
    assert "theorem end__spec (x : Int) :\n    end__post x (end_ x) := by\n  sorry" in text
    assert "example : Int → String := @end_" in text
    assert "example : Inhabited Node := inferInstance" in text
    assert out["declarations"] == ["End2End.Demo.End.Node.from_", "End2End.Demo.End.end_",
                                   "End2End.Demo.End.cafe", "End2End.Demo.End.load",
                                   "End2End.Demo.End.load_2"]
    assert ctx.inputs[0].name == str(index.resolve())
    assert ctx.outputs[0].name == str(root.resolve())


async def test_output_is_deterministic_and_options_apply(tmp_path: Path) -> None:
    index = write_index(awkward_index(), tmp_path / "index.scip")
    first = await generate_specs({"scip_index_path": str(index), "project_name": "det"}, make_ctx(tmp_path))
    files = {p: p.read_bytes() for p in Path(first["project_dir"]).rglob("*.lean")}
    again = await generate_specs({"scip_index_path": str(index), "project_name": "det"}, make_ctx(tmp_path))
    assert {p: p.read_bytes() for p in Path(again["project_dir"]).rglob("*.lean")} == files
    text = b"".join(files.values()).decode()
    assert "theorem" not in text and "example :" in text
    bare = await generate_specs({"scip_index_path": str(index), "project_name": "det",
                                 "include_tests": False}, make_ctx(tmp_path))
    text = "".join(p.read_text() for p in Path(bare["project_dir"]).rglob("*.lean"))
    assert "example" not in text and "opaque end_ (x : Int) : String" in text
    lakefile = (Path(bare["project_dir"]) / "lakefile.toml").read_text()
    assert '[[lean_lib]]\nname = "Det"' in lakefile
    assert (Path(bare["project_dir"]) / "lean-toolchain").read_text().startswith("leanprover/lean4:v4.")


@pytest.mark.skipif(shutil.which("lean") is not None or shutil.which("lake") is not None,
                    reason="a Lean toolchain is on PATH: the generated project is checked instead")
async def test_without_lean_the_result_says_unchecked(tmp_path: Path) -> None:
    index = write_index(awkward_index(), tmp_path / "index.scip")
    out = await generate_specs({"scip_index_path": str(index), "project_name": "p"}, make_ctx(tmp_path))
    assert out["checked"] is False and out["check_errors"] == []
    assert out["check_reason"].startswith("lean not found on PATH")


async def test_check_reports_lake_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No Lean toolchain is installable here; a stand-in `lake` that fails like Lake does checks
    that a failed build becomes checked=false with its error lines."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    lake = bin_dir / "lake"
    lake.write_text("#!/bin/sh\necho 'error: ./P/A.lean:3:7: unknown identifier Foo' >&2\nexit 1\n")
    lake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    result = await check_project(tmp_path, ["P/A.lean"], "P.lean", timeout_s=30)
    assert result.checked is False and result.checker == "lake build"
    assert result.errors == ["error: ./P/A.lean:3:7: unknown identifier Foo"]


async def test_bad_inputs(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    with pytest.raises(PathError, match="does not exist"):
        await generate_specs({"scip_index_path": str(tmp_path / "missing.scip"), "project_name": "p"}, ctx)
    junk = tmp_path / "junk.scip"
    junk.write_text("this is not protobuf \xff\xfe" * 10)
    with pytest.raises(BackendError, match="not a SCIP index"):
        await generate_specs({"scip_index_path": str(junk), "project_name": "p"}, ctx)
    empty = write_index(ScipIndex("file:///x", "scip-python", "0.6.6",
                                  [Document("x.py", "python")]), tmp_path / "empty.scip")
    with pytest.raises(BackendError, match="no functions, methods, classes or structs"):
        await generate_specs({"scip_index_path": str(empty), "project_name": "p"}, ctx)


@pytest.mark.slow
@pytest.mark.parametrize(("language", "haversine", "module"), [
    ("python", ("opaque haversine (lat1 : Float) (lon1 : Float) (lat2 : Float) (lon2 : Float) "
                "(radius : Float := default) : Float"), "Python/Shapes/Geometry.lean"),
    ("typescript", ("opaque haversine (lat1 : Float) (lon1 : Float) (lat2 : Float) (lon2 : Float) "
                    "(radius : Option Float := default) : Float"), "Typescript/Src/Geom.lean"),
    ("rust", "opaque haversine (a : LatLon) (b : LatLon) : Float", "Rust/Src/Geometry.lean"),
])
async def test_fixture_projects(indexed_sample, language: str, haversine: str, module: str) -> None:  # type: ignore[no-untyped-def]
    ctx = indexed_sample.ctx("lean4_generate_specs", f"lean-{language}")
    out = await generate_specs({"scip_index_path": str(indexed_sample.index_path[language]),
                                "project_name": language, "generate_proofs": True}, ctx)
    project = Path(out["project_dir"])
    text = (project / module).read_text()
    assert haversine in text
    assert "Compute the great-circle distance between two points on a sphere." in text
    assert re.search(r"theorem haversine_spec .*:\n    haversine_post ", text)
    assert f"{language.capitalize()}." in out["lean4_file_path"] or out["lean4_file_path"].endswith(".lean")
    assert any(d.endswith(".haversine") for d in out["declarations"])
    assert any(s.endswith(".Circle") for s in out["structures"])
    if language == "python":
        assert "example : Float → Float → Float → Float → Float → Float := @haversine" in text
        circle = (project / "Python/Shapes/Circle.lean").read_text()
        assert "structure Circle where\n  radius : Float\n  deriving Inhabited" in circle
        assert "opaque Circle.scaled (self : Circle) (factor : Float) : Circle" in circle
    if language == "rust":
        assert "abbrev LatLon := Float × Float" in text
        shapes = (project / "Rust/Src/Shapes.lean").read_text()
        assert "inductive ShapeKind where" in shapes and "  | Circle" in shapes
        assert "opaque Circle.default_ : Circle" in shapes
        assert "opaque kind_of (name : String) : Option ShapeKind" in shapes
    if language == "typescript":
        square = (project / "Typescript/Src/Square.lean").read_text()
        assert "kind : Typescript.Src.Shape.ShapeKind" in square
        assert "import Typescript.Src.Shape" in square
