"""`toolorch bench index`: scip_index_code against the same indexer run by hand.

(a) the indexer alone, with the argv scip_index_code uses, as a plain subprocess;
(b) the whole tool: indexer + read_index + fact store + vector hand-off (the embedding itself
    runs in the background and is awaited, untimed, before the next sample so it never steals
    CPU from a timed run).
Samples alternate a, b, a, b... so a change in machine load hits both alike. Goal (DESIGN.md):
median(b) / median(a) ≤ 1.10 on a project of ≥ 20k lines. On a loaded machine also read
`pair_ratios` and `overhead_ratio` (1 + the tool's own work / its indexer time), which load
does not move. Without a project, the benchmark
copies a pure-Python package of ≥ 20k lines from this environment's site-packages (`rich`) to a
temporary directory.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

from toolorch.bench.common import report

GOAL_RATIO = 1.10
DEFAULT_PACKAGES = ("rich", "pydantic", "pygments")
MIN_LINES = 20_000


def count_lines(root: Path, suffix: str) -> tuple[int, int]:
    """(files, lines) of the sources with `suffix` under `root`."""
    files = [p for p in root.rglob(f"*{suffix}") if "__pycache__" not in p.parts]
    lines = sum(len(p.read_bytes().splitlines()) for p in files)
    return len(files), lines


def prepare_default_project(workdir: Path) -> Path:
    """Copy the first installed pure-Python package of ≥ 20k lines into `workdir`, with a
    pyproject.toml naming it, and return the project directory."""
    for name in DEFAULT_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        src = Path(next(iter(spec.submodule_search_locations)))
        if any(src.rglob("*.so")) or count_lines(src, ".py")[1] < MIN_LINES:
            continue
        project = workdir / f"{name}_bench"
        shutil.copytree(src, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        version = _version(name)
        (project / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "{version}"\n', encoding="utf-8")
        return project
    raise RuntimeError(f"none of {DEFAULT_PACKAGES} is installed with ≥ {MIN_LINES} lines; "
                       "pass a project path")


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _by_hand(language: str, root: Path, out: Path, node_bin: Path) -> float:
    """One run of the indexer exactly as scip_index_code runs it, timed."""
    from toolorch.backends.scip.runners import indexer_run

    t0 = time.perf_counter()
    if language == "rust":
        from toolorch.backends.scip.rust_indexer import index_rust_project

        index_rust_project(root, out)
    else:
        run = indexer_run(language, root, out, node_bin)
        subprocess.run(run.argv, cwd=run.cwd, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _whole_tool(language: str, root: Path, home: Path) -> tuple[float, dict[str, Any]]:
    """One scip_index_code call on a fresh engine-like context, timed; then the background
    embedding is awaited (untimed) and the services closed."""
    from toolorch.backends.scip.tool import index_code
    from toolorch.config import Settings
    from toolorch.core.context import ToolContext
    from toolorch.core.services import Services

    settings = Settings(home=home, allowed_roots=str(root.parent))
    services = Services(settings)
    ctx = ToolContext(tool="scip_index_code", run_id="bench", settings=settings,
                      services=services, roots=settings.roots)

    async def call() -> dict[str, Any]:
        return await index_code({"project_path": str(root), "language": language}, ctx)

    t0 = time.perf_counter()
    result = anyio.run(call)
    elapsed = time.perf_counter() - t0
    _settle_vectors(services, result["project_name"])
    services.close()
    return elapsed, result


def _settle_vectors(services: Any, project: str) -> None:
    try:
        from toolorch.backends.vectors.sync import SERVICE_KEY
    except ImportError:
        return
    sync = services.peek(SERVICE_KEY)
    if sync is not None:
        sync.wait([project])


def run(project_path: Path, language: str, repeats: int = 3) -> dict[str, Any]:
    """Time (a) the indexer by hand and (b) the whole scip_index_code, `repeats` times each."""
    from toolorch.config import Settings

    root = Path(project_path).resolve()
    node_bin = Settings().node_bin
    suffix = {"python": ".py", "typescript": ".ts", "rust": ".rs"}[language]
    files, lines = count_lines(root, suffix)
    hand: list[float] = []
    whole: list[float] = []
    phases: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="toolorch-bench-index-") as tmp:
        for i in range(repeats):
            hand.append(_by_hand(language, root, Path(tmp) / f"hand{i}.scip", node_bin))
            elapsed, result = _whole_tool(language, root, Path(tmp) / f"home{i}")
            whole.append(elapsed)
            phases.append(result["timings_s"])
    med_hand, med_whole = statistics.median(hand), statistics.median(whole)
    out: dict[str, Any] = {
        "project": str(root), "language": language, "files": files, "lines": lines,
        "repeats": repeats, "indexer_by_hand_s": [round(x, 3) for x in hand],
        "scip_index_code_s": [round(x, 3) for x in whole],
        "median_by_hand_s": round(med_hand, 3), "median_scip_index_code_s": round(med_whole, 3),
        "ratio": round(med_whole / med_hand, 4), "goal_ratio": GOAL_RATIO,
        "symbols": result["counts"]["symbols"], "occurrences": result["counts"]["occurrences"],
    }
    for key in phases[0]:
        out[f"median_{key}_s"] = round(statistics.median(p[key] for p in phases), 4)
    # Load on a shared machine moves single runs by 2x; these two numbers do not depend on it:
    # each a/b pair's ratio, and what the tool adds on top of its own indexer run.
    out["pair_ratios"] = [round(w / h, 4) for w, h in zip(whole, hand, strict=True)]
    overhead = [w - p["indexer"] for w, p in zip(whole, phases, strict=True)]
    out["median_overhead_s"] = round(statistics.median(overhead), 4)
    out["overhead_ratio"] = round(
        1 + statistics.median(overhead) / statistics.median(p["indexer"] for p in phases), 4)
    out["meets_goal"] = out["ratio"] <= GOAL_RATIO
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="toolorch bench index", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", nargs="?", type=Path,
                        help="project directory (default: a copy of a ≥ 20k-line package)")
    parser.add_argument("--language", default="python", choices=["python", "typescript", "rust"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="toolorch-bench-project-") as tmp:
        project = args.project or prepare_default_project(Path(tmp))
        result = run(project, args.language, args.repeats)
    report("scip_index_code vs the indexer by hand", result)
    return result


if __name__ == "__main__":
    main()
