"""The run records and the observer protocol: hooks the engine calls around every tool run
(lineage, tracing). Observers must not raise: the engine logs and ignores their errors, so
observability never fails a tool call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from toolorch.core.datasets import Dataset
from toolorch.errors import ToolorchError


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str                     # a UUID, one per tool call
    tool: str
    args: dict[str, Any]
    started_at: float               # time.time()
    workflow_id: str | None = None  # set inside orchestrate


@dataclass(frozen=True, slots=True)
class RunOutcome:
    success: bool
    ended_at: float
    inputs: list[Dataset]           # what the backend recorded reading
    outputs: list[Dataset]          # what it recorded writing
    output: dict[str, Any] | None = None
    error: ToolorchError | None = None


class RunObserver(Protocol):
    def run_started(self, run: RunInfo) -> None: ...

    def run_finished(self, run: RunInfo, outcome: RunOutcome) -> None: ...
