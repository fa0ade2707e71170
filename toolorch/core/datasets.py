"""A dataset a run read or wrote: backends record them, lineage turns them into OpenLineage."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset for lineage. Files: namespace "file", name = absolute path. toolorch's stores:
    namespace "toolorch", names like "facts/<project>", "graph/<project>", "vectors/<collection>"."""

    namespace: str
    name: str
    facets: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def file(cls, path: Path | str, **facets: Any) -> Dataset:
        return cls("file", str(Path(path).resolve()), dict(facets))

    @classmethod
    def store(cls, name: str, **facets: Any) -> Dataset:
        return cls("toolorch", name, dict(facets))
