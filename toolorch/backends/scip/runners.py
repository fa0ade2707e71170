"""Run an indexer on a project and leave a SCIP file at a given path.

scip-python and scip-typescript are the pinned npm binaries under `settings.node_bin`, run with
argv lists (no shell) through run_process, which kills their process group on timeout. Rust uses
toolorch's own tree-sitter indexer in a worker thread. Each runner writes to a temporary file
beside the target and renames it when the output is a real index, so a crashed indexer never
leaves a half-written index under the final name.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import anyio

from toolorch.backends.process import run_process
from toolorch.errors import NotAvailableError, SubprocessError, ValidationError
from toolorch.scip.reader import decode_index

LANGUAGES = ("python", "typescript", "rust")
INDEXER_TIMEOUT_S = 840.0     # below the registry's 900 s, so our own kill comes first
MIN_DOCUMENTS = 1


@dataclass(frozen=True, slots=True)
class IndexerRun:
    """How an indexer is run: shown to users and reused by the benchmark."""

    name: str
    argv: list[str]
    cwd: Path


def sanitize_name(raw: str) -> str:
    """A project name safe in symbols, file names and store keys."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("._-")
    return name or "project"


def python_package(root: Path) -> tuple[str, str]:
    """(name, version) of a Python project from pyproject.toml or setup.cfg; the directory name
    and 0.0.0 otherwise. scip-python crashes without a version, so one is always returned."""
    name, version = "", ""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
        for table in (data.get("project") or {}, (data.get("tool") or {}).get("poetry") or {}):
            name = name or str(table.get("name") or "")
            raw = table.get("version")
            version = version or (raw if isinstance(raw, str) else "")
    setup_cfg = root / "setup.cfg"
    if (not name or not version) and setup_cfg.is_file():
        import configparser

        parser = configparser.ConfigParser()
        try:
            parser.read(setup_cfg, encoding="utf-8")
            name = name or parser.get("metadata", "name", fallback="")
            ver = parser.get("metadata", "version", fallback="")
            version = version or ("" if ver.startswith(("attr:", "file:")) else ver)
        except configparser.Error:
            pass
    return sanitize_name(name or root.name), version or "0.0.0"


def _binary(node_bin: Path, name: str) -> Path:
    path = node_bin / name
    if not path.exists():
        raise NotAvailableError(
            f"{name} is not installed at {path}; run `make setup` (npm install of the pinned "
            "indexers) or set TOOLORCH_NODE_BIN to the directory holding it")
    return path


def python_run(root: Path, out: Path, node_bin: Path) -> IndexerRun:
    name, version = python_package(root)
    argv = [str(_binary(node_bin, "scip-python")), "index", "--project-name", name,
            "--project-version", version, "--output", str(out)]
    return IndexerRun("scip-python", argv, root)


def typescript_run(root: Path, out: Path, node_bin: Path) -> IndexerRun:
    argv = [str(_binary(node_bin, "scip-typescript")), "index", "--output", str(out),
            "--no-progress-bar"]
    if not (root / "tsconfig.json").is_file():
        if not any(root.rglob("*.ts")) and not any(root.rglob("*.js")):
            raise ValidationError(f"{root} has no tsconfig.json and no .ts/.js files; pass the "
                                  "directory of a TypeScript project", field="project_path")
        argv.append("--infer-tsconfig")
    return IndexerRun("scip-typescript", argv, root)


def indexer_run(language: str, root: Path, out: Path, node_bin: Path) -> IndexerRun:
    """The command line for `language` (rust has none: it is indexed in-process)."""
    if language == "python":
        return python_run(root, out, node_bin)
    if language == "typescript":
        return typescript_run(root, out, node_bin)
    raise ValidationError(f"language {language!r} is not run as a subprocess; supported: "
                          f"{', '.join(LANGUAGES)}", field="language")


def _tmp_for(out: Path) -> Path:
    return out.with_name(f".{out.name}.{os.getpid()}.{id(out):x}.tmp")


def check_output(tmp: Path, what: str, stderr: str) -> None:
    """Refuse an empty or document-less index (scip-python's crash leaves a 56-byte one)."""
    size = tmp.stat().st_size if tmp.exists() else 0
    tail = stderr[-4000:]
    if size == 0:
        raise SubprocessError(f"{what} wrote no index (exit status 0, no output file)",
                              stderr_tail=tail)
    raw = decode_index(tmp.read_bytes(), str(tmp))
    if len(raw.documents) < MIN_DOCUMENTS:
        raise SubprocessError(
            f"{what} produced an index with no documents ({size} bytes): it found no source "
            "files or crashed; see its output", stderr_tail=tail)


async def run_indexer(language: str, root: Path, out: Path, node_bin: Path,
                      timeout_s: float = INDEXER_TIMEOUT_S) -> tuple[str, list[str]]:
    """Index `root` into `out`. Returns (indexer name, argv)."""
    if language not in LANGUAGES:
        raise ValidationError(f"unsupported language {language!r}; supported: "
                              f"{', '.join(LANGUAGES)}", field="language")
    tmp = _tmp_for(out)
    try:
        if language == "rust":
            from toolorch.backends.scip.rust_indexer import TOOL_NAME, index_rust_project

            await anyio.to_thread.run_sync(index_rust_project, root, tmp)
            check_output(tmp, TOOL_NAME, "")
            argv, name = [TOOL_NAME, "index", str(root)], TOOL_NAME
        else:
            run = indexer_run(language, root, tmp, node_bin)
            done = await run_process(run.argv, cwd=run.cwd, timeout_s=timeout_s, what=run.name)
            check_output(tmp, run.name, done.stderr or done.stdout)
            argv, name = run.argv, run.name
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return name, argv
