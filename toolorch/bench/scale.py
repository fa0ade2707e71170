"""`toolorch bench scale`: the code tools on three real projects of ≈ 2k, ≈ 30k and ≈ 150k lines.

The projects are PyPI sdists downloaded (`pip download --no-binary :all: --no-deps`) into
`.cache/bench-scale/` when the benchmark runs, never in `make test`. Per project: the indexer run
by hand with scip_index_code's own argv, then one worker process (scale_worker.py) that calls
the tools as the server does, so its peak RSS is the server's (the indexer, a child process,
is measured apart). Reported: each tool's time, time to first search and to full dense coverage
after the index returns, peak server RSS, and the index ratio (scip_index_code / by hand).
Goals (issue 11): ratio ≤ 1.05, first search ≤ 1 s, RSS ≤ 1 GB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from toolorch.bench.common import report
from toolorch.bench.index import count_lines
from toolorch.config import PROJECT_ROOT, Settings

#: (label, sdist, top-level source directory inside it)
PROJECTS: list[tuple[str, str]] = [
    ("≈2k", "itsdangerous==2.2.0"),
    ("≈30k", "rich==13.9.4"),
    ("≈150k", "networkx==2.6.3"),
]
GOALS = {"ratio": 1.05, "first_search_s": 1.0, "peak_rss_mb": 1024.0}


def fetch(spec: str, cache: Path) -> Path:
    """The unpacked sdist of `spec` under `cache` (downloaded once)."""
    name, version = spec.split("==")
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{name}-{version}"
    if target.is_dir():
        return target
    archives = list(cache.glob(f"{name}-{version}.tar.gz"))
    if not archives:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:",
                        "--no-deps", "--quiet", "-d", str(cache), spec], check=True)
        archives = list(cache.glob(f"{name}-{version}.tar.gz"))
    with tarfile.open(archives[0]) as tar:
        tar.extractall(cache, filter="data")
    return target


def by_hand(project: Path, node_bin: Path, out: Path) -> tuple[float, str]:
    """The indexer alone, with the argv scip_index_code uses, timed; ("" or its failure)."""
    from toolorch.backends.scip.runners import indexer_run

    run = indexer_run("python", project, out, node_bin)
    t0 = time.perf_counter()
    done = subprocess.run(run.argv, cwd=run.cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, errors="replace")
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        lines = [ln for ln in (done.stdout + done.stderr).splitlines()
                 if "Error" in ln or "error" in ln]
        return elapsed, f"exit status {done.returncode}: " + " | ".join(lines[:3])[:400]
    return elapsed, ""


def measure(label: str, spec: str, cache: Path) -> dict[str, Any]:
    project = fetch(spec, cache)
    files, lines = count_lines(project, ".py")
    with tempfile.TemporaryDirectory(prefix="toolorch-bench-scale-") as tmp:
        hand, hand_failure = by_hand(project, Settings().node_bin, Path(tmp) / "hand.scip")
        dest = Path(tmp) / "worker.json"
        copy = Path(tmp) / "src" / project.name          # the worker edits a file of its copy
        shutil.copytree(project, copy, symlinks=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "toolorch.bench.scale_worker", str(copy),
                        str(Path(tmp) / "home"), str(dest)], check=True,
                       stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        worker = json.loads(dest.read_text())
    tool = worker["tools_s"].get("scip_index_code", 0.0)
    return {"project": label, "sdist": spec, "files": files, "lines": lines,
            "indexer_by_hand_s": round(hand, 2), "indexer_by_hand_failure": hand_failure,
            "scip_index_code_s": tool, "ratio": round(tool / hand, 3) if tool and not hand_failure else None,
            "worker_wall_s": round(wall, 1), **worker}


def _edit(r: dict[str, Any]) -> str:
    edit, t = r.get("edit"), r["tools_s"]
    if not edit:
        return "n/a"
    return (f"{t['scip_index_code (one file edited)']} s ({edit['rewritten']['documents']}) / "
            f"{t['memgraph_create_graph_from_scip (after the edit)']} s")


def table(rows: list[dict[str, Any]]) -> str:
    """The README table (Markdown)."""
    head = ("| project | lines | indexer by hand | scip_index_code (ratio) | first search | full "
            "dense | glean | graph create | cypher | re-index unchanged | one edit: re-index "
            "(docs rewritten) / graph | peak RSS |")
    out = [head, "|" + "---|" * 12]
    for r in rows:
        if r.get("error"):
            out.append(f"| {r['sdist']} | {r['lines']:,} | {r['indexer_by_hand_s']} s | failed: "
                       f"{r['error'][:120]} |" + " |" * 9 + f" {r['peak_rss_mb_max']:.0f} MB |")
            continue
        t = r["tools_s"]
        out.append(
            f"| {r['sdist']} | {r['lines']:,} | {r['indexer_by_hand_s']} s"
            f"{' (failed)' if r['indexer_by_hand_failure'] else ''} | "
            f"{r['scip_index_code_s']} s ({r['ratio'] or 'n/a'}) | {r['first_search_s']} s | "
            f"{r['full_dense_s']} s | {t['glean_query_code']} s | "
            f"{t['memgraph_create_graph_from_scip']} s | {t['memgraph_query_graph']} s | "
            f"{t['scip_index_code (unchanged)']} s | {_edit(r)} | {r['peak_rss_mb_max']:.0f} MB |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="toolorch bench scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=PROJECT_ROOT / ".cache" / "bench-scale")
    parser.add_argument("--only", choices=[label for label, _ in PROJECTS], action="append",
                        help="run only these sizes (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    result: dict[str, Any] = {}
    for label, spec in PROJECTS:
        if args.only and label not in args.only:
            continue
        rows.append(measure(label, spec, args.cache))
        result = {"projects": rows, "goals": GOALS, "markdown": table(rows)}
        if args.json:                       # after each project: a long run keeps what it did
            args.json.write_text(json.dumps(result, indent=1))
    for r in rows:
        report(f"bench scale: {r['sdist']}", {k: v for k, v in r.items()
                                              if not isinstance(v, (dict, list))})
    print(result["markdown"])
    return 0


if __name__ == "__main__":
    main()
