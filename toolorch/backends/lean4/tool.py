"""lean4_generate_specs: a Lean 4 specification project from a SCIP index.

Arguments: `scip_index_path`, `project_name`, `generate_proofs` (false), `include_tests` (true),
`public_only` (true: tests/, examples/ and private names left out, see visibility.py).
Output: `lean4_file_path` (the root module, which imports every module), `project_dir`, `modules`,
`declarations`, `structures`, `unknown_types`, `excluded`, `checked` and `check_errors` (with
`check_reason` when no check could run). The type table is in types.py, naming rules in names.py.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import anyio

from toolorch.backends.lean4.check import check_project
from toolorch.backends.lean4.manifest import read_manifest
from toolorch.backends.lean4.project import build_project, write_project
from toolorch.core.context import ToolContext
from toolorch.core.datasets import Dataset
from toolorch.errors import BackendError, PathError, ValidationError

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 240.0


async def generate_specs(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    from toolorch.scip import read_index

    project_name = str(args["project_name"]).strip()
    if not re.search(r"[A-Za-z0-9]", project_name):
        raise ValidationError("project_name must contain a letter or digit (it names the Lean "
                              "namespace)", field="project_name")
    index_path = ctx.resolve_path(args["scip_index_path"], want="file", what="scip_index_path")
    proofs = bool(args.get("generate_proofs", False))
    tests = bool(args.get("include_tests", True))
    public_only = bool(args.get("public_only", True))

    def work() -> dict[str, Any]:
        from toolorch.scip.reader import project_root_path

        index = read_index(index_path)
        ctx.record_read(index_path)
        facts: dict[str, Any] = {}
        root = project_root_path(index)
        if root is not None:
            try:
                facts = read_manifest(ctx.resolve_path(root, want="dir", what="the index's project root"))
            except PathError:
                log.info("project root %s of %s is outside the allowed roots: no manifest facts", root, index_path)
            if facts.get("manifest"):
                ctx.record_read(root / str(facts["manifest"]))
        project = build_project(index, project_name, source=index_path.name, generate_proofs=proofs,
                                include_tests=tests, public_only=public_only, source_facts=facts)
        if not project.modules:
            raise BackendError(
                f"the SCIP index {str(index_path)!r} has no functions, methods, classes or structs "
                f"to specify ({len(index.documents)} documents); index a project with source code")
        directory = ctx.data_path("lean4", project.root, "lakefile.toml").parent
        main = write_project(project, directory)
        return {"project": project, "directory": directory, "main": main}

    built = await anyio.to_thread.run_sync(work)
    project, directory, main = built["project"], built["directory"], built["main"]
    result = await check_project(directory, [m.path for m in project.modules], project.main_file,
                                 timeout_s=CHECK_TIMEOUT_S)
    ctx.record_input(Dataset.file(index_path))
    ctx.record_output(Dataset.file(main, kind="lean4_project", project_dir=str(directory)))
    output: dict[str, Any] = {
        "lean4_file_path": str(main),
        "project_dir": str(directory),
        **project.summary(),
        "checked": result.checked,
        "check_errors": result.errors,
    }
    if result.reason:
        output["check_reason"] = result.reason
    log.info("lean4 specs for %s: %d modules, %d declarations, checked=%s", project_name,
             len(project.modules), len(output["declarations"]), result.checked)
    return output
