"""Type-check a generated Lean project with the `lean` toolchain, when one is on PATH.

`lake build` when Lake is there (it reads lakefile.toml); else `lean -o` module by module in import
order with LEAN_PATH pointing at the produced .olean files. No Lean toolchain can be installed on
this project's machines (no registry ships one), so without it the result says so plainly.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from toolorch.backends.process import run_process

MAX_ERRORS = 50
_ERROR_LINE = re.compile(r"^(?:error:|.*:\d+:\d+: error\b|.*\berror:)", re.MULTILINE)


@dataclass(slots=True)
class CheckResult:
    checked: bool
    errors: list[str] = field(default_factory=list)
    reason: str = ""
    checker: str = ""


def _errors(output: str) -> list[str]:
    lines = [ln.strip() for ln in output.splitlines() if _ERROR_LINE.match(ln.strip())]
    return lines[:MAX_ERRORS]


async def check_project(directory: Path, module_paths: list[str], main_file: str,
                        timeout_s: float = 240.0) -> CheckResult:
    """Build the project in `directory`; `module_paths` are relative .lean paths in import order
    (dependencies first), `main_file` the root module."""
    lake, lean = shutil.which("lake"), shutil.which("lean")
    if lean is None and lake is None:
        return CheckResult(False, reason="lean not found on PATH (install a Lean 4 toolchain with "
                                         "elan to type-check; none is installable here)")
    if lake is not None:
        done = await run_process([lake, "build"], cwd=directory, timeout_s=timeout_s, check=False,
                                 what="lake build")
        output = done.stdout + "\n" + done.stderr
        ok = done.returncode == 0
        return CheckResult(ok, [] if ok else (_errors(output) or [output.strip()[-2000:]]),
                           checker="lake build")
    assert lean is not None
    out_dir = directory / ".lake" / "build" / "lib" / "lean"
    errors: list[str] = []
    for rel in [*module_paths, main_file]:
        olean = out_dir / Path(rel).with_suffix(".olean")
        olean.parent.mkdir(parents=True, exist_ok=True)
        env = {"LEAN_PATH": os.pathsep.join(filter(None, [str(out_dir), os.environ.get("LEAN_PATH", "")]))}
        done = await run_process([lean, "-o", str(olean), rel], cwd=directory, env=env,
                                 timeout_s=timeout_s, check=False, what="lean")
        if done.returncode != 0:
            errors.extend(_errors(done.stdout + "\n" + done.stderr) or [f"{rel}: lean exited {done.returncode}"])
            break
    return CheckResult(not errors, errors[:MAX_ERRORS], checker="lean")
