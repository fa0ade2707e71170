"""orchestrate: plan (plan.py, or the policy as it goes), run with a strategy (strategies.py) over
the workflow's state (workflow.py), then label and log (labelling.py).

    feedback? → plan → run (timeout) → skipped steps filled in → success → labels → result
              → metrics + experiences

Problems with the request itself (nothing can run, feedback on an unknown workflow) raise
OrchestrationError; an unknown tool in explicit steps raises UnknownToolError.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from toolorch.core.progress import ProgressFn, no_progress
from toolorch.engine.labelling import apply_feedback, experiences, label_steps
from toolorch.engine.plan import PlannedStep, plan_request
from toolorch.engine.request import OrchestrateRequest, Strategy
from toolorch.engine.results import StepResult, WorkflowResult
from toolorch.engine.strategies import PLANNED, ExecuteFn, PolicyEpisode, run_policy
from toolorch.engine.workflow import WorkflowRun

if TYPE_CHECKING:
    from toolorch.engine.engine import Engine
    from toolorch.rl.runner import PolicyRunner


class Orchestrator:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def run(
        self,
        req: OrchestrateRequest,
        *,
        progress: ProgressFn = no_progress,
        roots: list[Path] | None = None,
        session_id: str = "",
    ) -> WorkflowResult:
        start = time.perf_counter()
        if req.feedback is not None and not req.goal.strip() and not req.steps:
            note = await apply_feedback(self.engine, req.feedback)
            return WorkflowResult(req.feedback.workflow_id, "", req.strategy.value, True, [],
                                  planner="feedback", notes=[note])
        notes = [await apply_feedback(self.engine, req.feedback)] if req.feedback is not None else []
        run = WorkflowRun.start(req, self.engine.registry)
        execute = self._executor(run, progress, roots)
        episode = PolicyEpisode()
        planner = "explicit" if req.steps else "dataflow"
        with anyio.move_on_after(req.timeout_s) as scope:
            policy = await self._policy(req, notes) if req.strategy is Strategy.RL_OPTIMIZED else None
            if policy is not None:
                planner = "policy"
                await run_policy(run, policy, execute, episode)
            else:
                run.plan = plan_request(self.engine.registry, req, set(run.artifacts), notes)
                await PLANNED[req.strategy](run, execute)
        if scope.cancelled_caught:
            notes.append(f"workflow timeout after {req.timeout_s:g}s; unfinished steps skipped")
        steps = run.finish(timed_out=scope.cancelled_caught)
        success = run.succeeded(steps)
        label_steps(run, steps)
        result = WorkflowResult(
            workflow_id=run.workflow_id, goal=req.goal, strategy=req.strategy.value, success=success,
            plan=[s.to_dict() for s in run.plan], steps=steps, outputs=run.outputs(),
            time_s=time.perf_counter() - start, cost=run.cost, policy_version=episode.version,
            planner=planner, notes=notes,
        )
        self.engine.metrics.record_workflow(
            run.workflow_id, req.strategy.value, success, run.cost, result.time_s, len(steps)
        )
        await self.engine.log_experiences(experiences(run, steps, episode, success, session_id))
        return result

    async def _policy(self, req: OrchestrateRequest, notes: list[str]) -> PolicyRunner | None:
        """The policy for rl_optimized, or None: then the plan comes from dependency analysis, and
        a note says why."""
        why = await self.engine.load_policy()
        if why is not None or self.engine.policy is None:
            notes.append(f"{why}; planned by dependency analysis instead")
            return None
        return self.engine.policy

    def _executor(self, run: WorkflowRun, progress: ProgressFn, roots: list[Path] | None) -> ExecuteFn:
        """One step through the engine: bound from the workflow's state, progress per step."""

        async def execute(step: PlannedStep, total: int) -> StepResult:
            args = run.bind(step)
            if isinstance(args, StepResult):  # refused before it ran
                return args

            async def step_progress(done: float, tot: float | None, message: str | None) -> None:
                await progress(run.done_steps, total, f"{step.tool}: {message or ''}".rstrip(": "))

            await progress(run.done_steps, total, f"step {step.index + 1}: {step.tool} started")
            result = await self.engine.execute(
                step.tool, args, progress=step_progress, roots=roots,
                workflow_id=run.workflow_id, strategy=run.req.strategy.value,
            )
            run.done_steps += 1
            status = "ok" if result.success else f"failed ({result.error_kind})"
            await progress(run.done_steps, total, f"step {step.index + 1}: {step.tool} {status}")
            return StepResult(step.index, step.tool, args, result=result, probability=step.probability)

        return execute
