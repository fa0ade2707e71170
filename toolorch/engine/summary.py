"""The compact form of a workflow's result (`detail: "summary"`, the default): what an agent
needs to act on, in a few hundred tokens per step instead of every output twice.

    {workflow_id, goal, success, strategy, why, planner, deliverable: {name, value | preview},
     steps: [{step, tool, ok, outputs: {artifact: preview}, time_s, cost, cached, error?, full?}],
     totals, notes, policy_version, full}

Steps are numbered from 1, as progress messages number them. A value longer than `inline` JSON
characters becomes a preview (strings cut, lists counted with their first items) and, when
`link` is given, the URI of a resource holding it whole (the server's toolorch://workflows/...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from toolorch.engine.results import StepResult, WorkflowResult
from toolorch.registry import Registry

LinkFn = Callable[[str, int | None], str]   # (workflow id, step number or None) → resource URI

_SCALARS = (int, float, bool)
_FIELDS = 6          # scalar output fields shown per step besides its artifacts
_ITEMS = 3           # first items of a list shown


def preview(value: Any, width: int = 160) -> Any:
    """A short stand-in for a value: strings cut to `width`, lists as count + first items,
    objects with their scalar fields only."""
    if isinstance(value, str):
        return value if len(value) <= width else value[: width - 1] + "…"
    if isinstance(value, _SCALARS) or value is None:
        return value
    if isinstance(value, list):
        return {"count": len(value), "first": [preview(v, width) for v in value[:_ITEMS]]}
    if isinstance(value, dict):
        small = {k: preview(v, 80) for k, v in value.items() if isinstance(v, (str, *_SCALARS))}
        return {**dict(list(small.items())[:_FIELDS]), "keys": len(value)} if len(small) < len(value) else small
    return preview(str(value), width)


def _size(value: Any) -> int:
    return len(json.dumps(value, default=str, ensure_ascii=False))


def _step(s: StepResult, registry: Registry, link: LinkFn | None, workflow_id: str) -> dict[str, Any]:
    r = s.result
    row: dict[str, Any] = {"step": s.index + 1, "tool": s.tool, "ok": s.success}
    if r is None:
        row["skipped"] = s.skipped_reason
        return row
    if r.output is not None and s.success:
        made = registry.dataflow.artifacts_of(s.tool, r.output)
        shown = {a: preview(v) for a, v in made.items() if v is not True}
        extra = {k: v for k, v in r.output.items()
                 if k not in shown and (isinstance(v, _SCALARS) or (isinstance(v, str) and len(v) <= 120))}
        row["outputs"] = {**shown, **dict(list(extra.items())[:_FIELDS])}
        if link is not None and _size(r.output) > _size(row["outputs"]) + 200:
            row["full"] = link(workflow_id, s.index + 1)
    if r.error is not None:
        row["error"] = preview(f"[{r.error.kind}] {r.error.message}", 300)
    row.update(time_s=round(r.time_s, 3), cost=r.cost, cached=r.cached)
    if r.attempts > 1:
        row["attempts"] = r.attempts
    if s.probability is not None:
        row["probability"] = round(s.probability, 3)
    return row


def _deliverable(wf: WorkflowResult, name: str | None, link: LinkFn | None, inline: int) -> dict[str, Any] | None:
    if name is None:
        return None
    if name not in wf.outputs:   # a tool name: its step's outputs are the deliverable
        step = next((s for s in wf.steps if s.tool == name and s.success and s.result is not None), None)
        if step is None or step.result is None:
            return {"name": name, "made": False}
        value: Any = step.result.output
    else:
        value = wf.outputs[name]
    if _size(value) <= inline:
        return {"name": name, "made": True, "value": value}
    out = {"name": name, "made": True, "preview": preview(value)}
    if link is not None:
        out["full"] = link(wf.workflow_id, None)
    return out


def summarize(wf: WorkflowResult, registry: Registry, deliverable: str | None = None,
              link: LinkFn | None = None, inline: int = 2000) -> dict[str, Any]:
    """The compact result; `deliverable`: the artifact or tool that was asked for (or inferred)."""
    full = wf.to_dict()
    sel = wf.selection or {}
    out: dict[str, Any] = {
        "workflow_id": wf.workflow_id, "goal": wf.goal, "success": wf.success,
        "strategy": wf.strategy, "why": sel.get("reason"), "planner": wf.planner,
    }
    intent = sel.get("intent")
    if intent:
        out["inferred"] = {k: intent[k] for k in ("deliverables", "confidence", "scorer", "candidates") if k in intent}
    out["deliverable"] = _deliverable(wf, deliverable, link, inline)
    out["steps"] = [_step(s, registry, link, wf.workflow_id) for s in wf.steps]
    out["totals"] = full["totals"]
    out["notes"] = wf.notes
    out["policy_version"] = wf.policy_version
    if link is not None:
        out["full"] = link(wf.workflow_id, None)
    return out


def deliverable_of(wf: WorkflowResult) -> str | None:
    """The artifact or tool the workflow was for: asked, or the one intent inferred."""
    intent = (wf.selection or {}).get("intent") or {}
    inferred = intent.get("deliverables") or []
    return wf.deliverable or (inferred[-1] if inferred else None)
