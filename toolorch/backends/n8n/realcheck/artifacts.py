"""Generate what `make check-n8n` runs: index → Lean specs → n8n workflow and packages, with
toolorch's own tools (the same functions the engine calls), in a temp TOOLORCH_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services

COMPONENT_TYPES = ("custom", "action", "trigger")


@dataclass(slots=True)
class Artifacts:
    name: str
    language: str
    index: dict[str, Any] = field(default_factory=dict)
    lean: dict[str, Any] = field(default_factory=dict)
    workflow: dict[str, Any] = field(default_factory=dict)
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)     # component type -> output


class Generator:
    def __init__(self, home: Path, roots: list[Path]) -> None:
        self.settings = Settings(home=home, allowed_roots=os.pathsep.join(str(r) for r in roots))
        self.services = Services(self.settings)

    def ctx(self, tool: str) -> ToolContext:
        return ToolContext(tool=tool, run_id=f"check-{tool}", settings=self.settings,
                           services=self.services, roots=self.settings.roots)

    def generate(self, name: str, project: Path, language: str) -> Artifacts:
        from toolorch.backends.lean4.tool import generate_specs
        from toolorch.backends.n8n.tool import generate_components, generate_workflow
        from toolorch.backends.scip.tool import index_code

        out = Artifacts(name, language)

        async def run() -> None:
            out.index = await index_code({"project_path": str(project), "language": language},
                                         self.ctx("scip_index_code"))
            out.lean = await generate_specs({"scip_index_path": out.index["scip_index_path"],
                                             "project_name": name}, self.ctx("lean4_generate_specs"))
            lean = out.lean["lean4_file_path"]
            out.workflow = await generate_workflow({"lean4_file_path": lean, "workflow_name": f"{name} check"},
                                                   self.ctx("n8n_generate_workflow"))
            for kind in COMPONENT_TYPES:
                result = await generate_components({"lean4_file_path": lean, "component_type": kind},
                                                   self.ctx("n8n_generate_components"))
                copy = Path(result["package_dir"]).with_name(f"{Path(result['package_dir']).name}-{kind}")
                if copy.exists():
                    import shutil

                    shutil.rmtree(copy)
                Path(result["package_dir"]).rename(copy)
                result["package_dir"] = str(copy)
                out.packages[kind] = result

        anyio.run(run)
        return out

    def close(self) -> None:
        self.services.close()
