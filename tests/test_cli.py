"""The `toolorch` CLI end to end (subprocesses, the test registry)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def toolorch(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOOLORCH_HOME": str(home), "PYTHONPATH": str(ROOT),
           "TOOLORCH_REGISTRY_DIR": str(ROOT / "tests" / "support" / "registry"), "TOOLORCH_POLICY_ENABLED": "0",
           "TOOLORCH_INTENT_MODEL": "lexical"}
    return subprocess.run([sys.executable, "-m", "toolorch.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)


def test_call_orchestrate_status(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ok = toolorch(home, "call", "echo", "--arg", "text=hello")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["output"] == {"text": "hello", "length": 5}

    bad = toolorch(home, "call", "echo", "--arg", "text=5")  # JSON-parsed: an integer, so invalid
    assert bad.returncode == 1 and json.loads(bad.stdout)["error"]["kind"] == "validation"

    wf = toolorch(home, "orchestrate", "make delta", "--input", "seed=s")
    assert wf.returncode == 0, wf.stderr
    out = json.loads(wf.stdout)   # the compact result by default
    assert out["deliverable"]["value"] == {"delta": "d(b(a(s)),c(a(s)))"} and out["strategy"] == "adaptive"
    assert [st["step"] for st in out["steps"]] == [1, 2, 3, 4] and "outputs" not in out
    # progress on stderr even when it is not a terminal: one line per step event
    assert "step 1/4 step_a started" in wf.stderr and "step 4/4 step_d ok" in wf.stderr

    full = toolorch(home, "orchestrate", "make delta", "--input", "seed=s", "--detail", "full")
    assert json.loads(full.stdout)["outputs"]["delta"] == "d(b(a(s)),c(a(s)))"

    unclear = toolorch(home, "orchestrate", "whatever", "--input", "seed=s")
    assert unclear.returncode == 1 and "nothing was run" in json.loads(unclear.stdout)["notes"][0]
    cannot = toolorch(home, "orchestrate", "g", "--input", "nothing=1", "--deliverable", "delta")
    assert cannot.returncode == 2 and "toolorch orchestrate: nothing can produce 'delta'" in cannot.stderr
    assert "Traceback" not in cannot.stderr

    status = toolorch(home, "status")
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["experiences"]["total"] == 10
    assert data["metrics"]["overall"]["calls"] == 10 and data["metrics"]["workflows"]["count"] == 2
    assert "echo" in data["tools"]


def test_bad_usage_is_explained(tmp_path: Path) -> None:
    r = toolorch(tmp_path / "home", "call", "echo", "--arg", "novalue")
    assert r.returncode != 0 and "key=value" in r.stderr


def test_bad_configuration_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "TOOLORCH_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    cases = [
        ({"TOOLORCH_MAX_ROWS": "0"}, "TOOLORCH_MAX_ROWS: Input should be greater than or equal to 1"),
        ({"TOOLORCH_BACKENDS": "{not json"}, "TOOLORCH_BACKENDS is not valid JSON"),
        ({"TOOLORCH_BACKENDS": '{"glean": {"kind": "http", "url": "http://x"}}'}, "'glean', not a registered tool"),
    ]
    for extra, message in cases:
        for argv in (["-m", "toolorch.cli", "status"], ["-m", "server"]):
            p = subprocess.run([sys.executable, *argv], env={**env, **extra}, capture_output=True, text=True,
                               timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)
            assert p.returncode == 2, (argv, p.stderr)
            assert message in p.stderr and "Traceback" not in p.stderr, (argv, p.stderr)


def test_progress_off_a_terminal_prints_lines_and_a_heartbeat(capsys: object) -> None:
    """The hang of issue 14 (point 2) looked like one because nothing reached a piped stderr:
    the rich bar draws only on a terminal. Off one, each new message is a line, and silence longer
    than the heartbeat says what is still running."""
    import anyio

    from toolorch.cli import _Progress

    bar = _Progress("orchestrate", heartbeat_s=0.05)

    async def work() -> str:
        await bar(0, 2, "step 1/2 slow started")
        await bar(0.5, 2, "step 1/2 slow started")     # same message: no second line
        await anyio.sleep(0.3)                          # silence: heartbeats
        await bar(1, 2, "step 1/2 slow ok")
        return "done"

    assert anyio.run(bar.run, work) == "done"
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    lines = err.splitlines()
    assert lines[0].endswith("orchestrate …")
    assert sum("step 1/2 slow started (0/2)" in ln for ln in lines) == 1
    assert any("still running: step 1/2 slow started" in ln for ln in lines)
    assert lines[-1].endswith("step 1/2 slow ok (1/2)")


def test_progress_reraises_the_work_s_own_error() -> None:
    import anyio
    import pytest

    from toolorch.cli import _Progress
    from toolorch.errors import PlanningError

    async def work() -> None:
        raise PlanningError("nothing can produce 'x'")

    with pytest.raises(PlanningError, match="nothing can produce"):
        anyio.run(_Progress("t").run, work)
