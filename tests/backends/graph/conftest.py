"""The code graph built once per session from the real indexes of the three fixture projects.

`graph_env` has its own data dir (so other tests' graphs do not change the counts asserted here)
and reads the SCIP files that `indexed_sample` produced. Projects: "python", "typescript", "rust"
(one per index) and "X" (the Python index again, for the seed's example query).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest

from toolorch.backends.graph.tool import create_graph_from_scip, query_graph
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services


@dataclass
class GraphEnv:
    settings: Settings
    services: Services
    index_path: dict[str, Path]
    created: dict[str, dict[str, Any]] = field(default_factory=dict)

    def ctx(self, settings: Settings | None = None) -> ToolContext:
        s = settings or self.settings
        return ToolContext(tool="test", run_id="run", settings=s, services=self.services,
                           roots=s.roots)

    async def query(self, cypher: str, settings: Settings | None = None,
                    **args: Any) -> dict[str, Any]:
        return await query_graph({"cypher_query": cypher, **args}, self.ctx(settings))

    async def create(self, lang: str, project: str) -> dict[str, Any]:
        return await create_graph_from_scip(
            {"scip_index_path": str(self.index_path[lang]), "project_name": project}, self.ctx())


@pytest.fixture(scope="session")
def graph_env(indexed_sample: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphEnv]:
    tmp = tmp_path_factory.mktemp("graph_env")
    roots = [str(indexed_sample.fixtures), str(indexed_sample.home), str(tmp)]
    settings = Settings(home=tmp / "home", allowed_roots=os.pathsep.join(roots))
    env = GraphEnv(settings, Services(settings), dict(indexed_sample.index_path))

    async def build() -> None:
        for lang in ("python", "typescript", "rust"):
            env.created[lang] = await env.create(lang, lang)
        env.created["X"] = await env.create("python", "X")

    anyio.run(build)
    yield env
    env.services.close()
