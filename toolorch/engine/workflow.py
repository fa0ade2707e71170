"""The state of one orchestrated workflow while it runs: artifacts, who made them, what each step
used, results, the policy's state before each step, cost. Strategies read and update it; labelling
reads it afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolorch.core.ids import new_id
from toolorch.core.state import State, trusted_state
from toolorch.engine.plan import PlannedStep
from toolorch.engine.request import OrchestrateRequest
from toolorch.engine.results import StepResult
from toolorch.registry import Registry
from toolorch.registry.dataflow import refs, render


@dataclass
class WorkflowRun:
    req: OrchestrateRequest
    registry: Registry
    workflow_id: str
    artifacts: dict[str, Any]                                        # name → value (goal, inputs, made)
    inputs: list[str]                                                # artifact names given
    plan: list[PlannedStep] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)   # step id → its output
    step_index: dict[str, int] = field(default_factory=dict)          # step id → index
    producer: dict[str, int] = field(default_factory=dict)      # artifact → first producing step
    used: dict[int, set[int]] = field(default_factory=dict)     # step → steps whose outputs it used
    results: dict[int, StepResult] = field(default_factory=dict)
    states: dict[int, State] = field(default_factory=dict)      # the state before each step ran
    history: list[tuple[str, bool]] = field(default_factory=list)
    cost: float = 0.0
    done_steps: int = 0

    @classmethod
    def start(cls, req: OrchestrateRequest, registry: Registry) -> WorkflowRun:
        return cls(
            req=req, registry=registry, workflow_id=new_id(),
            artifacts={"goal": req.goal, **req.inputs},
            inputs=sorted({*req.inputs, *(["goal"] if req.goal.strip() else [])}),
        )

    def made(self) -> list[str]:
        """Artifacts produced so far (not the inputs, not the goal)."""
        return [a for a in self.artifacts if a not in self.req.inputs and a != "goal"]

    def state(self) -> State:
        """What the policy sees now, and what an experience of the next step records."""
        return trusted_state(self.req.goal, tuple(self.inputs), tuple(self.made()), tuple(self.history))

    def skip(self, step: PlannedStep, reason: str) -> StepResult:
        return StepResult(step.index, step.tool, {}, probability=step.probability, skipped_reason=reason)

    # -- one step ------------------------------------------------------------------------------
    def bind(self, step: PlannedStep) -> dict[str, Any] | StepResult:
        """The step's arguments from the artifacts and earlier outputs (recording which earlier
        steps it relies on), or the skipped StepResult that says why it cannot run."""
        spec = self.registry.get(step.tool)
        self.states[step.index] = self.state()
        budget = self.req.cost_budget
        if budget is not None and self.cost + spec.cost > budget:
            return self.skip(step, f"cost budget {budget:g} would be exceeded "
                                   f"(spent {self.cost:g}, step costs {spec.cost:g})")
        namespace = dict(self.artifacts)
        for sid, output in self.by_id.items():
            namespace.update({f"{sid}.{k}": v for k, v in output.items()})
        try:
            explicit = render(step.explicit, namespace)
        except KeyError as exc:
            return self.skip(step, f"argument refers to {exc.args[0]!r}, which no earlier step produced")
        args = self.registry.dataflow.bind(step.tool, self.artifacts, explicit)
        used = self.used.setdefault(step.index, set())
        for c in spec.consumes:
            if c.artifact in self.producer and (c.arg is None or c.arg not in explicit):
                used.add(self.producer[c.artifact])
        for tmpl in spec.planning_defaults.values():
            used |= {self.producer[a] for a in refs(tmpl) if a in self.producer}
        for ref in refs(step.explicit):
            head = ref.split(".", 1)[0]
            if ref in self.producer:
                used.add(self.producer[ref])
            if head in self.step_index:
                used.add(self.step_index[head])
        return args

    def apply(self, step: PlannedStep, res: StepResult) -> None:
        """Record a step's result: cost, history, and what it made (credit stays with the first
        maker)."""
        self.results[step.index] = res
        if res.result is None:
            return
        self.cost += res.result.cost
        self.history.append((step.tool, res.success))
        if res.success and res.result.output is not None:
            self.by_id[step.id] = res.result.output
            self.step_index[step.id] = step.index
            made = self.registry.dataflow.artifacts_of(step.tool, res.result.output)
            self.artifacts.update(made)
            for a in made:
                self.producer.setdefault(a, step.index)

    # -- outcome -------------------------------------------------------------------------------
    def finish(self, timed_out: bool) -> list[StepResult]:
        """Every planned step's result in plan order; steps never started are marked skipped."""
        why = f"not started: workflow timeout ({self.req.timeout_s:g}s)" if timed_out else "not started"
        for step in self.plan:
            if step.index not in self.results:
                self.results[step.index] = StepResult(step.index, step.tool, {}, skipped_reason=why)
        return [self.results[s.index] for s in self.plan]

    def delivered(self) -> bool:
        d = self.req.deliverable
        if d is None:
            return False
        if d in self.registry.dataflow.tools:
            return any(r.tool == d and r.success for r in self.results.values())
        return d in self.producer

    def succeeded(self, steps: list[StepResult]) -> bool:
        if self.req.deliverable:
            return self.delivered()
        return bool(steps) and all(s.success for s in steps)

    def outputs(self) -> dict[str, Any]:
        """The artifacts the workflow made, by name."""
        return {k: v for k, v in self.artifacts.items() if k not in self.req.inputs and k != "goal"}
