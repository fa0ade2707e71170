"""n8n_generate_components and n8n_generate_workflow: n8n artifacts from a Lean 4 spec file.

Both parse the Lean file (and the local modules it imports) with leanparse.py and keep the
public API (selection.py; `public_only=false` keeps everything); a file with no operation to
expose is refused with an explanation. The source project's manifest facts come from the
`toolorch-source.json` lean4_generate_specs writes beside the Lean project. Outputs are written
under the data dir: `n8n/<package-name>/` for the node package and `n8n/workflows/<slug>.json`.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import anyio

from toolorch.backends.lean4.manifest import SOURCE_FILE
from toolorch.backends.n8n.leanparse import LeanOperation, LeanSpec, parse_lean
from toolorch.backends.n8n.operations import plan_groups
from toolorch.backends.n8n.package import build_package
from toolorch.backends.n8n.selection import excluded_summary, select
from toolorch.backends.n8n.workflow import DEFAULT_MAX_OPERATIONS, MAX_OPERATIONS_LIMIT, build_workflow
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.core.paths import resolve_inside
from toolorch.errors import BackendError, PathError, ValidationError

log = logging.getLogger(__name__)

COMPONENT_TYPES = ("custom", "trigger", "action")


def _load_spec(ctx: ToolContext, raw: str) -> tuple[Path, LeanSpec]:
    path = ctx.resolve_path(raw, want="file", what="lean4_file_path")
    if path.suffix != ".lean":
        raise ValidationError(f"lean4_file_path {raw!r} is not a .lean file; pass the file "
                              "lean4_generate_specs returned (lean4_file_path)", field="lean4_file_path")

    def allowed(p: Path) -> bool:
        try:
            resolve_inside(p, ctx.roots, what="imported Lean module")
            return True
        except PathError:
            return False

    spec = parse_lean(path, allow=allowed)
    for f in spec.files:
        ctx.record_read(Path(f))
    if not spec.operations:
        what = (f"{len(spec.structures)} structures, " if spec.structures else "") + \
            f"{len(spec.files)} file(s)"
        raise BackendError(
            f"nothing to generate from {str(path)!r}: no `def`/`opaque` declaration with typed "
            f"parameters was found ({what} read). Declare operations such as "
            "`opaque area (radius : Float) : Float`, or run lean4_generate_specs first.")
    return path, spec


def _operations(spec: LeanSpec, path: Path, args: dict[str, Any]) -> tuple[list[LeanOperation], dict[str, Any]]:
    """The operations to expose, and the summary of those public_only left out."""
    kept, left = select(spec.operations, bool(args.get("public_only", True)))
    if not kept:
        raise BackendError(
            f"nothing to generate from {str(path)!r}: all {len(left)} operations are outside the public API "
            f"(tests/, examples/, _private names: {', '.join(o.full_name for o in left[:5])}); "
            "pass public_only=false to include them")
    return kept, excluded_summary(left)


def _source_facts(ctx: ToolContext, path: Path) -> dict[str, Any]:
    """toolorch-source.json beside the Lean file, or in a parent up to the Lake project root."""
    for directory in (path.parent, *path.parents[:3]):
        candidate = directory / SOURCE_FILE
        try:
            candidate = ctx.resolve_path(candidate, want="file", what=SOURCE_FILE)
        except PathError:
            candidate = Path()
        if candidate.is_file():
            ctx.record_read(candidate)
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("ignoring %s: %s", candidate, exc)
                return {}
            return data if isinstance(data, dict) else {}
        if (directory / "lakefile.toml").is_file() or (directory / "lakefile.lean").is_file():
            break
    return {}


def _root_name(spec: LeanSpec, path: Path) -> str:
    if spec.namespaces:
        return spec.namespaces[0].split(".")[0]
    return path.stem


async def generate_components(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    component_type = str(args.get("component_type") or "custom")
    if component_type not in COMPONENT_TYPES:
        raise ValidationError(f"component_type must be one of {', '.join(COMPONENT_TYPES)}, "
                              f"not {component_type!r}", field="component_type")
    credentials = bool(args.get("generate_credentials", True))

    def work() -> dict[str, Any]:
        path, spec = _load_spec(ctx, str(args["lean4_file_path"]))
        operations, excluded = _operations(spec, path, args)
        groups = plan_groups(spec, operations)
        pkg = build_package(groups, _root_name(spec, path), component_type, credentials, path.name,
                            _source_facts(ctx, path))
        directory = ctx.data_path("n8n", pkg.name, "package.json").parent
        for stale in ("nodes", "credentials", "dist"):
            if (directory / stale).is_dir():
                shutil.rmtree(directory / stale)
        for rel, text in sorted(pkg.files.items()):
            target = directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return {
            "path": path,
            "package_dir": str(directory),
            "package_name": pkg.name,
            "node_files": [str(directory / p) for p in pkg.node_files],
            "credential_files": [str(directory / p) for p in pkg.credential_files],
            "nodes": [{"name": g.node_name, "class": g.class_name, "namespace": g.group,
                       "operations": [o.value for o in g.operations]} for g in groups],
            "operations": [o.value for g in groups for o in g.operations],
            "component_type": component_type,
            "excluded": excluded,
            "warnings": pkg.warnings,
        }

    out = await anyio.to_thread.run_sync(work)
    path = out.pop("path")
    ctx.record_input(Dataset.file(path))
    ctx.record_output(Dataset.file(out["package_dir"], kind="n8n_package", package=out["package_name"]))
    return out


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "workflow"


async def generate_workflow(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    workflow_name = str(args["workflow_name"]).strip()
    if not workflow_name:
        raise ValidationError("workflow_name is empty", field="workflow_name")

    max_operations = int(args.get("max_operations", DEFAULT_MAX_OPERATIONS))
    if not 1 <= max_operations <= MAX_OPERATIONS_LIMIT:
        raise ValidationError(f"max_operations must be between 1 and {MAX_OPERATIONS_LIMIT}, not {max_operations}",
                              field="max_operations")

    def work() -> dict[str, Any]:
        path, spec = _load_spec(ctx, str(args["lean4_file_path"]))
        operations, excluded = _operations(spec, path, args)
        workflow = build_workflow(spec, workflow_name, operations=operations, project=_root_name(spec, path),
                                  max_operations=max_operations)
        target = ctx.data_path("n8n", "workflows", f"{slugify(workflow_name)}.json")
        target.write_text(json.dumps(workflow, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        meta = workflow["meta"]["toolorch"]
        called = [n["name"] for n in workflow["nodes"] if n["type"] == "n8n-nodes-base.httpRequest"]
        return {
            "path": path,
            "workflow_path": str(target),
            "workflow_id": workflow["id"],
            "workflow_name": workflow_name,
            "node_count": len(workflow["nodes"]),
            "nodes": [{"name": n["name"], "type": n["type"], "typeVersion": n["typeVersion"]}
                      for n in workflow["nodes"]][:200],
            "operations": meta["operations"],
            "called": len(called),
            "summary": meta["summary"],
            "left_out": meta["left_out"],
            "excluded": excluded,
        }

    out = await anyio.to_thread.run_sync(work)
    path = out.pop("path")
    ctx.record_input(Dataset.file(path))
    ctx.record_output(Dataset.file(out["workflow_path"], kind="n8n_workflow"))
    return out
