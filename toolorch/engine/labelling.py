"""Labels, experiences and feedback of an orchestrated workflow.

Labels (DESIGN.md): a step is desirable when it succeeded and served the goal. With a deliverable,
"served" means provenance (`toolorch.rl.labels.served_goal`, the rule the learning benchmark uses
too): the step that first made the deliverable, or the attempts at it when it was not made, and
every step whose outputs those consumed. With no deliverable, success is enough. A failed step, a
useless step, a step the budget refused, or a STOP before the goal is undesirable. Feedback
relabels later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import anyio

from toolorch.engine.request import Feedback
from toolorch.engine.results import StepResult
from toolorch.engine.strategies import PolicyEpisode
from toolorch.engine.workflow import WorkflowRun
from toolorch.errors import OrchestrationError
from toolorch.rl.labels import StepTrace, served_goal
from toolorch.stores.experience import STOP, Experience

if TYPE_CHECKING:
    from toolorch.engine.engine import Engine


class _Context(TypedDict):
    """What every experience of one workflow shares."""

    label_source: str
    workflow_id: str | None
    session_id: str
    strategy: str


def label_steps(run: WorkflowRun, steps: list[StepResult]) -> None:
    """Set `desirable` on every step that ran (skipped steps keep None)."""
    d = run.req.deliverable
    if d is None:
        for s in steps:
            s.desirable = s.success if s.result is not None else None
        return
    # provenance of the deliverable (or of the attempts at it), see toolorch/rl/labels.py
    flow = run.registry.dataflow
    if d in flow.tools:
        maker = next((s.index for s in steps if s.tool == d and s.success), None)
    else:
        maker = run.producer.get(d)
    position = {s.index: n for n, s in enumerate(steps)}   # step index → place in `steps`
    traces = [
        StepTrace(s.tool, s.result is not None, s.success,
                  frozenset(position[u] for u in run.used.get(s.index, ()) if u in position))
        for s in steps
    ]
    maker_at = None if maker is None else position.get(maker)
    for s, good in zip(steps, served_goal(traces, d, maker_at, flow), strict=True):
        if s.result is not None:
            s.desirable = good


def experiences(run: WorkflowRun, steps: list[StepResult], episode: PolicyEpisode, success: bool,
                session_id: str) -> list[Experience]:
    """One experience per step that ran, per step the policy chose that was refused, and per
    STOP of the policy; each records the state before its action."""
    strategy = run.req.strategy.value
    context = _Context(label_source="goal", workflow_id=run.workflow_id, session_id=session_id,
                       strategy=strategy)
    exps = []
    for s in steps:
        if s.result is None:
            if s.probability is not None and s.index in run.states:  # the policy chose it
                exps.append(Experience(
                    run.states[s.index], action=s.tool, desirable=False, success=False,
                    propensity=s.probability, policy_version=episode.version, step=s.index,
                    error_kind="skipped", attempts=0, **context,
                ))
            continue
        r = s.result
        exps.append(Experience(
            run.states[s.index], action=s.tool, desirable=bool(s.desirable), success=s.success,
            propensity=s.probability, policy_version=episode.version if s.probability is not None else None,
            step=s.index, error_kind=r.error_kind, latency_s=r.time_s, cost=r.cost, attempts=r.attempts,
            cached=r.cached, **context,
        ))
    if episode.stop is not None:
        exps.append(Experience(
            run.state(), action=STOP, desirable=success, success=True, propensity=episode.stop.prob,
            policy_version=episode.version, step=len(steps), **context,
        ))
    return exps


async def apply_feedback(engine: Engine, fb: Feedback) -> str:
    """Relabel an earlier workflow's experiences (store and replay buffer); the note to report.
    Raises OrchestrationError when the workflow has no experiences."""
    await anyio.to_thread.run_sync(engine.flush_experiences)
    n = await anyio.to_thread.run_sync(engine.store.relabel, fb.workflow_id, fb.desirable)
    if n == 0:
        raise OrchestrationError(f"no experiences of workflow {fb.workflow_id!r}: check the workflow_id")
    if engine.policy is not None:
        engine.policy.relabel(fb.workflow_id, fb.desirable)
    label = "desirable" if fb.desirable else "undesirable"
    return f"relabelled {n} experiences of workflow {fb.workflow_id} as {label}"
