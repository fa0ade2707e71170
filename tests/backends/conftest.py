"""Shared backend fixtures.

`indexed_sample` (session scope): the three fixture projects under
tests/fixtures/sample_project/{python,typescript,rust} indexed ONCE, with the real indexers and the
real scip_index_code tool, into a temporary TOOLORCH_HOME. Use it in any backend test that needs
real SCIP indexes or real facts:

    def test_something(indexed_sample):
        ctx = indexed_sample.ctx()                      # a ToolContext on that home (shared services)
        path = indexed_sample.index_path["python"]      # Path of the .scip file
        name = indexed_sample.project["rust"]           # project name in the fact store ("rust")
        store = indexed_sample.facts()                  # the FactStore (shared, do not close it)
        result = indexed_sample.results["typescript"]   # the tool's full output dict

Fields: settings (Settings; allowed roots = the fixtures dir and the temp dir), home (Path),
fixtures (Path of sample_project), services (Services shared by every ctx()), languages.
Project names: python -> "python", typescript -> "typescript", rust -> "rust" (passed as
`project_name`: the manifests name two of them "shapes"). Known facts: `haversine` ("Compute the great-circle distance between two points on a
sphere.") exists in all three; Python `shapes/geometry.py` defines it at line 27.
Do not re-index these projects from other tests (copy a fixture to tmp_path instead).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest

from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services
from toolorch.stores.facts import FactStore, facts_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sample_project"
LANGUAGES = ("python", "typescript", "rust")


@dataclass
class IndexedSample:
    settings: Settings
    home: Path
    fixtures: Path
    services: Services
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    languages: tuple[str, ...] = LANGUAGES

    def ctx(self, tool: str = "test", run_id: str = "run") -> ToolContext:
        return ToolContext(tool=tool, run_id=run_id, settings=self.settings,
                           services=self.services, roots=self.settings.roots)

    def facts(self) -> FactStore:
        return facts_of(self.ctx())

    @property
    def index_path(self) -> dict[str, Path]:
        return {lang: Path(r["scip_index_path"]) for lang, r in self.results.items()}

    @property
    def project(self) -> dict[str, str]:
        return {lang: r["project_name"] for lang, r in self.results.items()}


@pytest.fixture(scope="session")
def indexed_sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexedSample]:
    from toolorch.backends.scip.tool import index_code

    tmp = tmp_path_factory.mktemp("indexed_sample")
    settings = Settings(home=tmp / "home", allowed_roots=os.pathsep.join([str(FIXTURES), str(tmp)]))
    sample = IndexedSample(settings, settings.home, FIXTURES, Services(settings))

    async def index_all() -> None:
        for lang in LANGUAGES:
            args = {"project_path": str(FIXTURES / lang), "language": lang, "project_name": lang}
            sample.results[lang] = await index_code(args, sample.ctx("scip_index_code", f"seed-{lang}"))

    anyio.run(index_all)
    yield sample
    sample.services.close()
