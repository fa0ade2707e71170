"""`ToolContext`: what a backend receives for one call (settings, shared services, allowed roots,
a progress sink) and what it hands back besides its output (files read for the cache, datasets
read and written for lineage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from toolorch.config import Settings
from toolorch.core.datasets import Dataset
from toolorch.core.paths import resolve_inside
from toolorch.core.progress import ProgressFn, no_progress
from toolorch.core.services import Services
from toolorch.core.stamps import FileStamp, stamp


@dataclass(slots=True)
class ToolContext:
    """Per-call context handed to a backend."""

    tool: str
    run_id: str
    settings: Settings
    services: Services
    roots: list[Path]
    report_progress: ProgressFn = no_progress
    files_read: list[Path | str | FileStamp] = field(default_factory=list)  # for the cache
    inputs: list[Dataset] = field(default_factory=list)
    outputs: list[Dataset] = field(default_factory=list)

    def resolve_path(self, raw: str | Path, *, must_exist: bool = True, want: str | None = None,
                     what: str = "path") -> Path:
        """A user-given path, checked against the allowed roots (see toolorch.core.paths)."""
        return resolve_inside(raw, self.roots, must_exist=must_exist, want=want, what=what)

    def data_path(self, *parts: str) -> Path:
        """A path under the data dir (TOOLORCH_HOME); its parent directory is created."""
        path = self.settings.home.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def record_read(self, path: Path | str | FileStamp) -> None:
        """A file whose content the result depends on: the cache entry is invalidated when it
        changes (mtime/size fingerprint), stamped now: a change during the run also counts."""
        self.files_read.append(path if isinstance(path, FileStamp) else (stamp(path) or path))

    def record_input(self, dataset: Dataset) -> None:
        self.inputs.append(dataset)

    def record_output(self, dataset: Dataset) -> None:
        self.outputs.append(dataset)
