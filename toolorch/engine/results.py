"""What the engine returns: one ToolResult per call, a WorkflowResult per orchestration.

Errors stay `ToolorchError` objects here; `to_dict()` (the JSON/MCP edge) flattens them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolorch.errors import ToolorchError


@dataclass(slots=True)
class ToolResult:
    tool: str
    success: bool
    output: dict[str, Any] | None = None
    error: ToolorchError | None = None      # why it failed (the last attempt's error)
    attempts: int = 0
    cached: bool = False
    time_s: float = 0.0
    cost: float = 0.0
    run_id: str = ""

    @property
    def error_kind(self) -> str | None:
        return None if self.error is None else self.error.kind

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool, "success": self.success, "output": self.output,
            "error": None if self.error is None else self.error.to_dict(),
            "attempts": self.attempts, "cached": self.cached, "time_s": self.time_s,
            "cost": self.cost, "run_id": self.run_id,
        }


@dataclass(slots=True)
class StepResult:
    index: int
    tool: str
    arguments: dict[str, Any]
    result: ToolResult | None = None        # None when the step was skipped
    skipped_reason: str | None = None
    probability: float | None = None        # π(a|s) when the policy chose this step
    desirable: bool | None = None

    @property
    def success(self) -> bool:
        return self.result is not None and self.result.success

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "index": self.index,
            "tool": self.tool,
            "arguments": self.arguments,
            "success": self.success,
            "output": r.output if r else None,
            "error": (r.error.to_dict() if r and r.error else None) or (
                {"kind": "skipped", "message": self.skipped_reason} if self.skipped_reason else None
            ),
            "attempts": r.attempts if r else 0,
            "cached": r.cached if r else False,
            "time_s": round(r.time_s, 6) if r else 0.0,
            "cost": r.cost if r else 0.0,
            "probability": self.probability,
            "desirable": self.desirable,
        }


@dataclass(slots=True)
class WorkflowResult:
    workflow_id: str
    goal: str
    strategy: str
    success: bool
    plan: list[dict[str, Any]]              # [{tool, probability?, depends_on}]
    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)   # artifacts by name
    time_s: float = 0.0
    cost: float = 0.0
    policy_version: int | None = None
    planner: str = "dataflow"               # who made the plan: explicit | dataflow | policy
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "workflow_id": self.workflow_id,
            "goal": self.goal,
            "strategy": self.strategy,
            "success": self.success,
            "planner": self.planner,
            "plan": self.plan,
            "steps": [s.to_dict() for s in self.steps],
            "outputs": self.outputs,
            "totals": {
                "steps": len(self.steps),
                "succeeded": sum(1 for s in self.steps if s.success),
                "failed": sum(1 for s in self.steps if s.result is not None and not s.success),
                "skipped": sum(1 for s in self.steps if s.result is None),
                "time_s": round(self.time_s, 6),
                "cost": self.cost,
            },
            "policy_version": self.policy_version,
            "notes": self.notes,
        }
