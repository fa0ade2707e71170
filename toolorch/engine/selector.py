"""`strategy: "auto"`: which strategy runs a request, and what a goal without a deliverable asks
for. Every choice carries its reason, which the result reports.

    explicit steps, some waiting for others      → adaptive (each runs once its inputs exist)
    explicit steps, all independent              → parallel
    a deliverable, every planned tool healthy    → adaptive (the cheapest plan's DAG)
    a deliverable, a planned tool failing here   → rl_optimized, when the policy is trained
    a goal only, the policy trained for that     → rl_optimized (it decides what to run and when to stop)
    a goal only, otherwise                       → intent retrieval (engine/intent.py): confident →
                                                   adaptive on the inferred deliverables; unsure →
                                                   ask for a deliverable, run nothing

"Trained" is read from the newest checkpoint (no torch): a version above 0 for routing around
failures; for goals without a deliverable, the checkpoint's `goal_only/success_rate` metric (the
share of simulated goal-only episodes whose goal was served) at or above GOAL_ONLY_READY.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from toolorch.engine.intent import Intent, IntentIndex
from toolorch.engine.plan import PlannedStep
from toolorch.engine.request import OrchestrateRequest, Strategy
from toolorch.registry import Registry

#: served-goal rate (simulated goal-only episodes) above which the policy plans goal-only requests
GOAL_ONLY_READY = 0.9
#: a tool "fails here" below this success rate over at least FAILING_MIN_CALLS recent calls
FAILING_RATE = 0.5
FAILING_MIN_CALLS = 5
ALL = "all"


@dataclass(frozen=True, slots=True)
class PolicyReadiness:
    """What the newest checkpoint says about the policy, read without torch."""

    version: int = 0
    goal_only_success: float | None = None

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> PolicyReadiness:
        metrics = info.get("metrics") or {}
        rate = metrics.get("goal_only/success_rate")
        return cls(int(info.get("version", 0) or 0), float(rate) if rate is not None else None)

    @property
    def trained(self) -> bool:
        return self.version > 0

    @property
    def serves_goal_only(self) -> bool:
        return self.goal_only_success is not None and self.goal_only_success >= GOAL_ONLY_READY


@dataclass(slots=True)
class Selection:
    strategy: Strategy
    reason: str
    deliverables: list[str] = field(default_factory=list)   # inferred (empty: as requested)
    intent: Intent | None = None
    ask: str | None = None        # set: run nothing, ask the agent this instead

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"strategy": self.strategy.value, "reason": self.reason}
        if self.intent is not None:
            out["intent"] = self.intent.to_dict()
        return out


def for_steps(plan: list[PlannedStep]) -> Selection:
    """auto with explicit steps, once their dependencies are known."""
    waiting = [s for s in plan if s.deps]
    if waiting:
        s = waiting[0]
        return Selection(Strategy.ADAPTIVE, f"explicit steps with dependencies (step {s.index} {s.tool} waits for "
                         f"{', '.join(str(d) for d in sorted(s.deps))}): adaptive runs each once its inputs exist")
    return Selection(Strategy.PARALLEL, f"{len(plan)} explicit steps, none needs another's output: parallel runs them at once")


def select(req: OrchestrateRequest, registry: Registry, available: set[str],
           readiness: Callable[[], PolicyReadiness], failing: Callable[[], dict[str, float]],
           intents: Callable[[], IntentIndex | None]) -> Selection:
    """The strategy for a request without explicit steps (`for_steps` handles those). The
    callables are asked only when the request needs them (the common cases stay cheap):
    `failing` gives the tools whose recent success rate here is below FAILING_RATE."""
    if req.strategy is not Strategy.AUTO:
        sel = Selection(req.strategy, "requested")
        if req.deliverable is None and req.strategy is not Strategy.RL_OPTIMIZED:
            return _infer(sel, req, available, intents())
        return sel
    if req.deliverable == ALL:
        return Selection(Strategy.ADAPTIVE, "deliverable 'all': every tool that can run, by the dependency DAG")
    if req.deliverable is not None:
        plan = _plan_or_empty(registry, req.deliverable, available)
        bad = failing()
        hurt = [t for t in plan if t in bad]
        if hurt and (ready := readiness()).trained:
            t = hurt[0]
            return Selection(Strategy.RL_OPTIMIZED, f"{t} succeeded in {bad[t]:.0%} of its recent calls here; "
                             f"the trained policy (v{ready.version}) chooses around failures")
        return Selection(Strategy.ADAPTIVE, f"deliverable {req.deliverable!r}: the cheapest plan ({len(plan)} "
                         "steps), independent steps concurrently")
    ready = readiness()
    if ready.serves_goal_only:
        return Selection(Strategy.RL_OPTIMIZED, f"a goal without a deliverable, and the policy v{ready.version} "
                         f"serves such goals ({ready.goal_only_success:.0%} in simulation): it picks what "
                         "to run and when to stop")
    return _infer(Selection(Strategy.ADAPTIVE, "a goal without a deliverable"), req, available, intents())


def _infer(sel: Selection, req: OrchestrateRequest, available: set[str], intents: IntentIndex | None) -> Selection:
    if intents is None:
        sel.ask = "no deliverable given and no intent index to read the goal with; name a `deliverable`"
        return sel
    intent = intents.infer(req.goal, available)
    sel.intent = intent
    if not intent.sure:
        top = ", ".join(f"{t} ({p:.0%})" for t, p in intent.guesses[0].ranking[:3])
        sel.ask = (f"not sure what the goal asks for (best readings: {top}; confidence below "
                   f"{intent.threshold:.0%}); nothing was run. Name a `deliverable` (an artifact such as "
                   "similar_symbols, facts, graph_rows, lean4_file_path, workflow_path, lineage_graph, or a "
                   "tool name), or \"all\" to run every tool that can")
        return sel
    sel.deliverables = intent.deliverables
    what = " + ".join(intent.deliverables)
    sel.reason = (f"{sel.reason}: the goal reads as {what} (confidence {intent.confidence:.0%}, "
                  f"{intent.scorer}); {'requested strategy' if sel.reason.startswith('requested') else 'adaptive'} "
                  "on the plan that makes it")
    return sel


def _plan_or_empty(registry: Registry, deliverable: str, available: set[str]) -> list[str]:
    from toolorch.errors import PlanningError

    try:
        return registry.dataflow.plan_for(deliverable, available)
    except PlanningError:
        return []   # planning itself reports why, with the missing inputs


def failing_tools(snapshot: dict[str, Any]) -> dict[str, float]:
    """Tools whose success rate over this window's calls is below FAILING_RATE (metrics snapshot)."""
    out = {}
    for name, row in (snapshot.get("tools") or {}).items():
        if row.get("calls", 0) >= FAILING_MIN_CALLS and row.get("success_rate", 1.0) < FAILING_RATE:
            out[name] = float(row["success_rate"])
    return out
