"""n8n checks: the real node descriptions, the workflow checker script, tsc on a package."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from toolorch.backends.n8n.node_types import ensure_node_types
from toolorch.config import PROJECT_ROOT, Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services

CHECKER = Path(__file__).with_name("check_workflow.cjs")
NODE_MODULES = PROJECT_ROOT / "node_modules"

HANDWRITTEN = '''/-! A hand-written spec: not produced by toolorch. -/
namespace Calc

/-- Shapes the service knows. -/
inductive Kind where
  | round
  | square
  deriving Repr

/-- A circle. -/
structure Circle where
  /-- its radius -/
  radius : Float
  label : String := "c"
  deriving Repr

/-- The area of a circle. -/
def area (c : Circle) (scale : Float := 1.0) : Float :=
  c.radius * c.radius * 3.14 * scale

/- a plain comment /- nested -/ still a comment -/
/-- Make a circle. -/
opaque make (r : Float) (kind : Kind) (tags : Option (List String)) : Circle

opaque describe : Circle → Nat → String  -- arrow form: parameters arg1, arg2

private def secret (x : Nat) : Nat := x
theorem area_nonneg (c : Circle) : 0 ≤ area c := by sorry
def Pred (x : Nat) : Prop := x > 0
end Calc
'''


@pytest.fixture(scope="session")
def nodes_json() -> Path:
    return ensure_node_types()


def make_ctx(tmp_path: Path, tool: str = "n8n") -> ToolContext:
    settings = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path))
    return ToolContext(tool=tool, run_id="r1", settings=settings, services=Services(settings),
                       roots=settings.roots)


def run_checker(nodes_json: Path, *workflows: Path) -> tuple[int, list[dict[str, object]]]:
    done = subprocess.run(["node", str(CHECKER), str(nodes_json), *map(str, workflows)],
                          capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT, check=False)
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == len(workflows), done.stderr
    return done.returncode, reports


def tsc(package_dir: Path) -> subprocess.CompletedProcess[str]:
    """`tsc --noEmit -p <package>` against the pinned n8n-workflow (node_modules symlinked in)."""
    link = package_dir / "node_modules"
    if not link.exists():
        link.symlink_to(NODE_MODULES, target_is_directory=True)
    return subprocess.run([str(Settings().node_bin / "tsc"), "--noEmit", "-p", str(package_dir)],
                          capture_output=True, text=True, timeout=300, check=False)
