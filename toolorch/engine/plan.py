"""Planning an orchestrate request: explicit steps as given, or the registry's dataflow.

An explicit plan keeps the agent's steps and derives each one's dependencies from the references
in its arguments (`${<step id>.<field>}`, `${artifact}`) and from what it consumes. A derived plan
is the cheapest set of tools that makes the deliverable, or (without one) every tool that can run
from the inputs; its dependency DAG comes from the dataflow. The policy plans step by step instead
(strategies.run_policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolorch.engine.request import OrchestrateRequest
from toolorch.errors import PlanningError
from toolorch.registry import Registry
from toolorch.registry.dataflow import refs


@dataclass(slots=True)
class PlannedStep:
    index: int
    id: str                                  # what later steps' arguments call it
    tool: str
    explicit: dict[str, Any] = field(default_factory=dict)   # arguments given (templates)
    deps: set[int] = field(default_factory=set)              # steps it waits for
    probability: float | None = None         # π(tool|s) when the policy chose it
    probs: dict[str, float] | None = None    # every action's probability then

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "tool": self.tool, "depends_on": sorted(self.deps),
                "probability": self.probability, "probabilities": self.probs}


def plan_request(registry: Registry, req: OrchestrateRequest, available: set[str],
                 notes: list[str]) -> list[PlannedStep]:
    """The plan for `req` given the artifacts `available` (inputs and the goal). Raises
    UnknownToolError for an explicit step's unknown tool, PlanningError when nothing can run."""
    if req.steps:
        return _explicit(registry, req, available)[: req.max_steps]
    return _derived(registry, req, available, notes)


def _explicit(registry: Registry, req: OrchestrateRequest, available: set[str]) -> list[PlannedStep]:
    flow = registry.dataflow
    plan: list[PlannedStep] = []
    ids: dict[str, int] = {}
    for i, s in enumerate(req.steps or []):
        spec = registry.get(s.tool)  # unknown tool: fail the whole request clearly
        sid = s.id or str(i)
        step = PlannedStep(i, sid, s.tool, dict(s.arguments))
        for ref in refs(s.arguments):
            head = ref.split(".", 1)[0]
            if head in ids:
                step.deps.add(ids[head])
            elif ref in flow.producers:
                step.deps |= {p.index for p in plan if ref in flow.made_by[p.tool]}
        for c in spec.consumes:
            if c.artifact not in available and not (c.arg and c.arg in s.arguments):
                step.deps |= {p.index for p in plan if c.artifact in flow.made_by[p.tool]}
        ids[sid] = i
        ids.setdefault(s.tool, i)
        plan.append(step)
    return plan


def _derived(registry: Registry, req: OrchestrateRequest, available: set[str],
             notes: list[str]) -> list[PlannedStep]:
    flow = registry.dataflow
    names = flow.plan_for(req.deliverable, available) if req.deliverable else flow.closure(available)
    if not names:
        missing = {t: flow.missing(t, available) for t in flow.order}
        hint = "; ".join(f"{t} needs {', '.join(m)}" for t, m in missing.items() if m)
        inputs = sorted({*req.inputs, *(["goal"] if req.goal.strip() else [])})
        raise PlanningError(f"nothing can run from inputs {inputs}: {hint}")
    if len(names) > req.max_steps:
        notes.append(f"plan of {len(names)} steps cut to max_steps={req.max_steps}")
        names = names[: req.max_steps]
    dag = flow.dag(names, available)
    index = {n: i for i, n in enumerate(names)}
    return [PlannedStep(i, n, n, deps={index[d] for d in dag[n]}) for i, n in enumerate(names)]
