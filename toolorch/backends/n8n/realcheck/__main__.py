"""`python -m toolorch.backends.n8n.realcheck` (what `make check-n8n` runs after installing the
engine): the generated n8n artifacts of the sample projects, and of real projects fetched at
check time, checked in the real n8n 2.41.1 (see checks.py for what each check asserts).

Prints one line per check and a summary; writes the full report to
`.cache/n8n-check/report.json`; exits 1 when a check on a sample project fails (real projects
are reported, and fail the run only with --strict-real).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from toolorch.backends.n8n.leanparse import parse_lean
from toolorch.backends.n8n.realcheck import checks
from toolorch.backends.n8n.realcheck.artifacts import Artifacts, Generator
from toolorch.backends.n8n.realcheck.engine import Engine, N8nInstance
from toolorch.backends.n8n.realcheck.projects import REAL, Project, fetch, samples
from toolorch.backends.n8n.realcheck.standin import StandIn
from toolorch.config import PROJECT_ROOT

REPORT = PROJECT_ROOT / ".cache" / "n8n-check" / "report.json"


def _say(text: str) -> None:
    print(text, flush=True)


def _line(project: str, check: str, problems: list[str], detail: dict[str, Any] | str = "") -> None:
    mark = "ok  " if not problems else "FAIL"
    extra = detail if isinstance(detail, str) else ", ".join(f"{k}={v}" for k, v in detail.items())
    _say(f"{mark} {project:<11} {check:<34} {extra}")
    for p in problems[:8]:
        _say(f"       - {p}")
    if len(problems) > 8:
        _say(f"       - … {len(problems) - 8} more")


def check_project(engine: Engine, art: Artifacts, workdir: Path) -> dict[str, list[str]]:
    results: dict[str, list[str]] = {}
    spec = parse_lean(Path(art.lean["lean4_file_path"]))
    wf = art.workflow
    with StandIn(spec, spec.operations) as stand_in:
        main = N8nInstance(engine, workdir / "custom")
        problems, detail = checks.check_workflow(main, Path(wf["workflow_path"]), stand_in, workdir)
        detail["calls"] = f"{wf['called']}/{len(wf['operations']) + wf['left_out']['count']}"
        results["workflow import + execute"] = problems
        _line(art.name, "workflow import + execute", problems, detail)
        for kind, out in art.packages.items():
            package = Path(out["package_dir"])
            manifest = json.loads((package / "package.json").read_text())
            problems = checks.build_package(engine, package)
            _line(art.name, f"{kind}: npm run build", problems, f"{len(out['node_files'])} nodes")
            results[f"{kind}: build"] = problems
            if problems:
                continue
            problems, scan = checks.scan_package(engine, package)
            results[f"{kind}: scanner"] = problems
            _line(art.name, f"{kind}: community-package scanner", problems, scan)
            n8n = main if kind == "custom" else N8nInstance(engine, workdir / kind)
            tarball = checks.pack(engine, package, workdir / "packs" / kind)
            done = n8n.install_package(tarball)
            problems = [] if done.returncode == 0 else [f"npm install failed: {done.stderr[-600:]}"]
            if not problems:
                problems, listed = _export(n8n, manifest, out, workdir / f"nodes-{kind}.json")
            else:
                listed = {}
            results[f"{kind}: install + export:nodes"] = problems
            _line(art.name, f"{kind}: install + export:nodes", problems, listed)
            if problems or not out["credential_files"]:
                continue
            credential = Path(out["credential_files"][0]).name.removesuffix(".credentials.ts")
            credential = credential[0].lower() + credential[1:]
            done = n8n.import_credentials(checks.credentials_file(workdir, credential, stand_in.url))
            if done.returncode != 0:
                results[f"{kind}: credential"] = [f"import:credentials failed: {done.stderr[-600:]}"]
                _line(art.name, f"{kind}: import:credentials", results[f"{kind}: credential"])
                continue
            triggers = [g for g in out["nodes"] if any(f"/{g['class']}Trigger/" in f for f in out["node_files"])]
            actions = [g for g in out["nodes"] if any(f"/{g['class']}/{g['class']}.node.ts" in f for f in out["node_files"])]
            for label, groups, trigger, wid in (("action nodes with credential", actions, False, "checkActions0001"),
                                                ("trigger node with credential", triggers, True, "checkTrigger0001")):
                if not groups:
                    continue
                workflow, expected = checks.node_workflow(package, manifest, spec, groups, credential, trigger,
                                                          wid + kind[:1])
                check = checks.check_trigger_active if trigger else checks.check_nodes_run
                problems = check(n8n, workflow, expected, stand_in, credential, workdir)
                results[f"{kind}: {label}"] = problems
                _line(art.name, f"{kind}: {label}", problems, f"{len(expected)} nodes ran")
    return results


def _export(n8n: N8nInstance, manifest: dict[str, Any], out: dict[str, Any], target: Path) -> tuple[list[str], dict[str, Any]]:
    exported = n8n.export_nodes(target)
    names = {d.get("name") for d in exported}
    wanted = [f"{manifest['name']}.{Path(f).name.removesuffix('.node.ts')[0].lower()}"
              f"{Path(f).name.removesuffix('.node.ts')[1:]}" for f in out["node_files"]]
    missing = [w for w in wanted if w not in names]
    problems = [f"export:nodes does not list {missing[:5]}"] if missing else []
    ours = [d for d in exported if str(d.get("name", "")).startswith(manifest["name"] + ".")]
    creds = sorted({c["name"] for d in ours for c in d.get("credentials") or []})
    expected_creds = sorted(Path(f).name.removesuffix(".credentials.ts") for f in out["credential_files"])
    if [c.lower() for c in creds] != [c.lower() for c in expected_creds]:
        problems.append(f"the nodes' credentials {creds} are not {expected_creds}")
    tools = sum(1 for d in ours if str(d.get("name", "")).endswith("Tool"))
    return problems, {"listed": f"{len(wanted) - len(missing)}/{len(wanted)}", "tool_variants": tools,
                      "credentials": ",".join(creds) or "-"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolorch.backends.n8n.realcheck", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", default="python,typescript,rust", help="sample projects to check ('' for none)")
    parser.add_argument("--real", default=",".join(r.name for r in REAL),
                        help=f"real projects to fetch and check ('' for none; known: {', '.join(r.name for r in REAL)})")
    parser.add_argument("--strict-real", action="store_true", help="a failing real project fails the run")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (printed)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    engine = Engine()
    engine.check()
    projects: list[tuple[Project, bool]] = [(p, False) for p in samples() if p.name in args.samples.split(",")]
    for wanted in REAL:
        if wanted.name in args.real.split(","):
            projects.append((fetch(wanted, npm=str(engine.npm)), True))
    work = Path(tempfile.mkdtemp(prefix="toolorch-check-n8n-"))
    report: dict[str, Any] = {"projects": {}}
    failed = False
    t0 = time.perf_counter()
    try:
        generator = Generator(work / "home", [PROJECT_ROOT, work, *(p.path for p, _ in projects)])
        for project, real in projects:
            t1 = time.perf_counter()
            try:
                art = generator.generate(project.name, project.path, project.language)
            except Exception as exc:  # noqa: BLE001 — a real project may break a generator: report it
                _line(project.name, "generate", [f"{type(exc).__name__}: {exc}"])
                report["projects"][project.name] = {"generate": [str(exc)]}
                failed = failed or not real or args.strict_real
                continue
            counts = art.index.get("counts", {})
            _line(project.name, "generate", [], {"symbols": counts.get("symbols"), "declarations":
                                                 len(art.lean["declarations"]), "excluded": art.lean["excluded"]["declaration_count"],
                                                 "workflow": art.workflow["summary"]})
            results = check_project(engine, art, work / project.name)
            bad = any(results.values())
            failed = failed or (bad and (not real or args.strict_real))
            report["projects"][project.name] = {"real": real, "seconds": round(time.perf_counter() - t1, 1),
                                                "summary": art.workflow["summary"], "checks": results,
                                                "warnings": art.packages["custom"]["warnings"]}
        generator.close()
    finally:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        report["seconds"] = round(time.perf_counter() - t0, 1)
        REPORT.write_text(json.dumps(report, indent=1))
        if not args.keep:
            checks.clean(work)
    total = sum(len(p.get("checks", {})) for p in report["projects"].values())
    failures = sum(1 for p in report["projects"].values() for v in p.get("checks", {}).values() if v)
    _say(f"\ncheck-n8n: {total - failures} passed, {failures} failed ({report['seconds']:.0f}s; report {REPORT})"
         + (f"; work dir {work}" if args.keep else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
