"""Run an indexer on a project and leave a SCIP file at a given path.

scip-python and scip-typescript are the pinned npm binaries under `settings.node_bin`, run with
argv lists (no shell) through run_process, which kills their process group on timeout. Rust uses
toolorch's own tree-sitter indexer in a worker thread. Each runner writes to a temporary file
beside the target and renames it when the output is a real index, so a crashed indexer never
leaves a half-written index under the final name.

A file the indexer cannot handle never costs the whole index (issue 11): Python files screened
out beforehand (screen.py) or named by scip-python's fatal error are excluded through a staging
directory (staging.py) and the run retried; the result lists them (`skipped`) so the caller can
cover them with the outline fallback. A tsconfig.json that scip-typescript cannot load (an
`extends` of a package that is not installed: TS6053) falls back to an inferred config.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from toolorch.backends.process import run_process
from toolorch.backends.scip.project import python_manifest, sanitize_name
from toolorch.backends.scip.screen import fatal_file
from toolorch.backends.scip.staging import src_layout, staged_root
from toolorch.errors import NotAvailableError, SubprocessError, ValidationError
from toolorch.scip.limits import DEFAULT_MAX_MANIFEST_BYTES
from toolorch.scip.stream import count_documents

__all__ = ["LANGUAGES", "IndexerRun", "IndexerOutcome", "check_output", "indexer_run",
           "python_package", "run_indexer", "sanitize_name"]

LANGUAGES = ("python", "typescript", "rust")
INDEXER_TIMEOUT_S = 840.0     # below the registry's 900 s, so our own kill comes first
MIN_DOCUMENTS = 1
MAX_FATAL_RETRIES = 3
INFERRED_TSCONFIG = "tsconfig.toolorch-inferred.json"
_TS_CONFIG_FAILURE = re.compile(r"error TS(?:6053|5083|5012|18003)|no files got indexed")


@dataclass(frozen=True, slots=True)
class IndexerRun:
    """How an indexer is run: shown to users and reused by the benchmark."""

    name: str
    argv: list[str]
    cwd: Path


@dataclass(slots=True)
class IndexerOutcome:
    """What run_indexer did: the indexer, its last argv, the files it was not given (relative
    path -> reason) and notes for the result (e.g. the tsconfig fallback)."""

    name: str
    argv: list[str]
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    staged: bool = False


def python_package(root: Path, cap: int = DEFAULT_MAX_MANIFEST_BYTES) -> tuple[str, str]:
    """(name, version) of a Python project from pyproject.toml or setup.cfg; the directory name
    and 0.0.0 otherwise. scip-python crashes without a version, so one is always returned."""
    name, version = python_manifest(root, cap)
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
    if count_documents(tmp) < MIN_DOCUMENTS:
        raise SubprocessError(
            f"{what} produced an index with no documents ({size} bytes): it found no source "
            "files or crashed; see its output", stderr_tail=tail)


def _failure(what: str, returncode: int, output: str) -> SubprocessError:
    return SubprocessError(f"{what} exited with status {returncode}", stderr_tail=output[-4000:])


async def _python(root: Path, tmp: Path, node_bin: Path, stage: Path, excluded: dict[str, str],
                  timeout_s: float) -> IndexerOutcome:
    """scip-python, staged when files are excluded; a file named by its fatal error is
    excluded and the run retried (at most MAX_FATAL_RETRIES times)."""
    excluded = dict(excluded)
    src = src_layout(root)
    deadline = time.monotonic() + timeout_s          # one budget for the runs and their retries
    for _attempt in range(MAX_FATAL_RETRIES + 1):
        run = python_run(root, tmp, node_bin)
        left = max(deadline - time.monotonic(), 1.0)
        if excluded or src:
            with staged_root(root, stage, excluded) as cwd:
                done = await run_process(run.argv, cwd=cwd, timeout_s=left, what=run.name,
                                         check=False)
        else:
            cwd = root
            done = await run_process(run.argv, cwd=cwd, timeout_s=left, what=run.name,
                                     check=False)
        output = f"{done.stdout}\n{done.stderr}"
        if done.returncode == 0:
            check_output(tmp, run.name, output)
            notes = ["src layout: `src` made an import root, so tests/ and examples/ resolve to "
                     "the project's own modules"] if src else []
            return IndexerOutcome(run.name, run.argv, excluded, notes, staged=bool(excluded or src))
        bad = fatal_file(output, cwd)
        if bad is None or bad in excluded:
            raise _failure(run.name, done.returncode, output)
        excluded[bad] = "scip-python died on it: " + _error_line(output)
    raise _failure("scip-python", 1, "gave up after excluding " + ", ".join(sorted(excluded)))


def _error_line(output: str) -> str:
    for line in output.splitlines():
        if "Error" in line and ("RangeError" in line or "error:" in line):
            return line.strip()[:200]
    return "fatal error"


def tsconfig_fallback(root: Path) -> str:
    """An inferred tsconfig (what `--infer-tsconfig` writes) for `root`, as JSON text."""
    has_ts = any(p for p in root.rglob("*.ts") if "node_modules" not in p.parts)
    config: dict[str, object] = {} if has_ts else {"compilerOptions": {"allowJs": True}}
    config["exclude"] = ["node_modules", "**/node_modules"]
    return json.dumps(config)


async def _typescript(root: Path, tmp: Path, node_bin: Path, timeout_s: float) -> IndexerOutcome:
    deadline = time.monotonic() + timeout_s          # one budget for the run and the fallback
    run = typescript_run(root, tmp, node_bin)
    done = await run_process(run.argv, cwd=run.cwd, timeout_s=timeout_s, what=run.name,
                             check=False)
    output = f"{done.stdout}\n{done.stderr}"
    if done.returncode == 0 and tmp.exists():
        check_output(tmp, run.name, output)
        return IndexerOutcome(run.name, run.argv)
    if not (root / "tsconfig.json").is_file() or not _TS_CONFIG_FAILURE.search(output):
        raise _failure(run.name, done.returncode, output)
    # tsconfig.json cannot be loaded: index with an inferred config next to it (so symbols
    # keep their paths), removed afterwards
    inferred = root / INFERRED_TSCONFIG
    inferred.write_text(tsconfig_fallback(root), encoding="utf-8")
    try:
        argv = [*run.argv, str(inferred)]
        done = await run_process(argv, cwd=root, timeout_s=max(deadline - time.monotonic(), 1.0),
                                 what=run.name)
    finally:
        inferred.unlink(missing_ok=True)
    check_output(tmp, run.name, f"{done.stdout}\n{done.stderr}")
    reason = next((ln.strip() for ln in output.splitlines() if "error TS" in ln),
                  "scip-typescript could not load tsconfig.json")
    return IndexerOutcome(run.name, argv, notes=[
        f"tsconfig.json could not be used ({reason[:200]}); indexed with an inferred "
        "tsconfig (--infer-tsconfig) instead: compiler options of tsconfig.json do not apply"])


async def run_indexer(language: str, root: Path, out: Path, node_bin: Path,
                      timeout_s: float = INDEXER_TIMEOUT_S, *,
                      exclude: dict[str, str] | None = None,
                      stage: Path | None = None) -> IndexerOutcome:
    """Index `root` into `out`, leaving out `exclude` (relative path -> reason; Python and Rust).
    `stage` is the staging directory Python uses when files are left out."""
    if language not in LANGUAGES:
        raise ValidationError(f"unsupported language {language!r}; supported: "
                              f"{', '.join(LANGUAGES)}", field="language")
    tmp = _tmp_for(out)
    exclude = dict(exclude or {})
    try:
        if language == "rust":
            from toolorch.backends.scip.rust_indexer import TOOL_NAME, index_rust_project

            await anyio.to_thread.run_sync(
                lambda: index_rust_project(root, tmp, exclude=set(exclude)))
            check_output(tmp, TOOL_NAME, "")
            outcome = IndexerOutcome(TOOL_NAME, [TOOL_NAME, "index", str(root)], exclude)
        elif language == "python":
            outcome = await _python(root, tmp, node_bin,
                                    stage or out.with_name(f".{out.stem}.stage"), exclude,
                                    timeout_s)
        else:
            outcome = await _typescript(root, tmp, node_bin, timeout_s)
            outcome.skipped.update(exclude)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return outcome
