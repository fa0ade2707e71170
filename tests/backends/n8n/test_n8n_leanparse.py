"""The Lean subset parser, on a hand-written spec and on files with nothing to generate."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolorch.backends.n8n.leanparse import parse_lean
from toolorch.backends.n8n.operations import plan_groups
from toolorch.backends.n8n.tool import generate_components, generate_workflow
from toolorch.errors import BackendError, ValidationError

from .conftest import HANDWRITTEN, make_ctx

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_handwritten_spec(tmp_path: Path) -> None:
    path = tmp_path / "Calc.lean"
    path.write_text(HANDWRITTEN)
    spec = parse_lean(path)
    assert spec.enums == {"Calc.Kind": ["round", "square"]}
    [circle] = spec.structures
    assert circle.full_name == "Calc.Circle" and circle.doc == "A circle."
    assert [(f.name, f.type) for f in circle.fields] == [("radius", "Float"), ("label", "String")]
    ops = {o.full_name: o for o in spec.operations}
    assert list(ops) == ["Calc.area", "Calc.make", "Calc.describe"]   # private, Prop, theorem skipped
    area = ops["Calc.area"]
    assert [(p.name, p.type, p.optional) for p in area.params] == [("c", "Circle", False), ("scale", "Float", True)]
    assert area.result == "Float" and area.doc == "The area of a circle."
    assert [(p.name, p.type) for p in ops["Calc.make"].params] == [
        ("r", "Float"), ("kind", "Kind"), ("tags", "Option (List String)")]
    assert [(p.name, p.type) for p in ops["Calc.describe"].params] == [("arg1", "Circle"), ("arg2", "Nat")]
    [group] = plan_groups(spec)
    assert (group.class_name, group.node_name, group.display_name) == ("Calc", "calc", "Calc")
    make = group.operations[1]
    assert [(p.name, p.type, p.required, p.options) for p in make.params] == [
        ("r", "number", True, []), ("kind", "options", True, ["round", "square"]),
        ("tags", "json", False, [])]


def test_imports_are_followed(tmp_path: Path) -> None:
    (tmp_path / "Proj").mkdir()
    (tmp_path / "Proj" / "A.lean").write_text("namespace Proj.A\nopaque f (x : Nat) : Nat\nend Proj.A\n")
    (tmp_path / "Proj.lean").write_text("import Proj.A\nimport Mathlib.Tactic\n")
    spec = parse_lean(tmp_path / "Proj.lean")
    assert [o.full_name for o in spec.operations] == ["Proj.A.f"]
    assert len(spec.files) == 2


async def test_nothing_to_generate_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "Empty.lean"
    path.write_text("namespace E\nstructure S where\n  x : Nat\ntheorem t : True := trivial\n"
                    "def T : Type := Nat\nend E\n")
    ctx = make_ctx(tmp_path)
    with pytest.raises(BackendError, match="nothing to generate from .*1 structures"):
        await generate_components({"lean4_file_path": str(path)}, ctx)
    with pytest.raises(BackendError, match="nothing to generate"):
        await generate_workflow({"lean4_file_path": str(path), "workflow_name": "w"}, ctx)
    text = tmp_path / "spec.txt"
    text.write_text("opaque f (x : Nat) : Nat\n")
    with pytest.raises(ValidationError, match="not a .lean file"):
        await generate_components({"lean4_file_path": str(text)}, ctx)
