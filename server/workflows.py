"""Recent workflow results, whole, behind resource URIs: the compact orchestrate result links
here instead of carrying every output (toolorch://workflows/{id} and .../steps/{n})."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError

from toolorch.engine.results import WorkflowResult

PREFIX = "toolorch://workflows/"
KEEP = 64   # workflows kept per server process (oldest dropped first)


def link(workflow_id: str, step: int | None) -> str:
    return f"{PREFIX}{workflow_id}" if step is None else f"{PREFIX}{workflow_id}/steps/{step}"


class WorkflowResults:
    """The newest KEEP workflow results of this server process, as full dicts."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def add(self, wf: WorkflowResult) -> dict[str, Any]:
        full = wf.to_dict()
        self._items[wf.workflow_id] = full
        while len(self._items) > self.keep:
            self._items.popitem(last=False)
        return full

    def ids(self) -> list[str]:
        """Kept workflow ids, newest first."""
        return list(reversed(self._items))

    def read(self, uri: str) -> dict[str, Any]:
        """The whole result, or one step's (numbered from 1); MCPError naming what is known."""
        rest = uri[len(PREFIX):]
        wid, _, step = rest.partition("/steps/")
        full = self._items.get(wid)
        if full is None:
            raise MCPError(code=-32002, message=f"unknown or expired workflow {wid!r}: this server keeps the "
                           f"newest {self.keep} workflows; run orchestrate again with detail: \"full\"")
        if not step:
            return full
        steps = full["steps"]
        if not step.isdigit() or not 1 <= int(step) <= len(steps):
            raise MCPError(code=-32002, message=f"workflow {wid} has steps 1..{len(steps)}, not {step!r}")
        return dict(steps[int(step) - 1])


def resource_links(summary: dict[str, Any]) -> list[types.ContentBlock]:
    """One link per abridged output, so clients that render links can fetch them."""
    out: list[types.ContentBlock] = []
    for row in summary.get("steps", []):
        if "full" in row:
            out.append(types.ResourceLink(type="resource_link", uri=row["full"], name=f"step {row['step']} {row['tool']}",
                                          description=f"step {row['step']} ({row['tool']}) whole: arguments and output",
                                          mime_type="application/json"))
    d = summary.get("deliverable") or {}
    if "full" in d:
        out.append(types.ResourceLink(type="resource_link", uri=d["full"], name=f"workflow {summary['workflow_id']}",
                                      description="the whole workflow result (every step's output)",
                                      mime_type="application/json"))
    return out
