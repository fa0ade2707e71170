"""orchestrate: plan (plan.py, or the policy as it goes), run with a strategy (strategies.py) over
the workflow's state (workflow.py), then label and log (labelling.py).

    feedback? → strategy (auto: selector.py; a goal alone: what it asks for, or a question)
              → plan → run (timeout) → skipped steps filled in → success → labels → result
              → metrics + experiences

Problems with the request itself (nothing can run, feedback on an unknown workflow) raise
OrchestrationError; an unknown tool in explicit steps raises UnknownToolError.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from toolorch.core.ids import new_id
from toolorch.core.progress import ProgressFn, no_progress
from toolorch.engine.intent import IntentIndex
from toolorch.engine.labelling import apply_feedback, experiences, label_steps
from toolorch.engine.plan import PlannedStep, plan_request
from toolorch.engine.progress import MonotonicProgress, StepProgress
from toolorch.engine.request import OrchestrateRequest, Strategy
from toolorch.engine.results import StepResult, WorkflowResult
from toolorch.engine.selector import ALL, PolicyReadiness, Selection, failing_tools, for_steps, select
from toolorch.engine.strategies import PLANNED, ExecuteFn, PolicyEpisode, run_policy
from toolorch.engine.workflow import WorkflowRun

if TYPE_CHECKING:
    from toolorch.engine.engine import Engine
    from toolorch.rl.runner import PolicyRunner


class Orchestrator:
    def __init__(self, engine: Engine, intents: IntentIndex | None = None) -> None:
        self.engine = engine
        self._intents = intents

    @property
    def intents(self) -> IntentIndex:
        """Intent retrieval over the registry (MiniLM + lexical; lexical alone when
        TOOLORCH_INTENT_MODEL=lexical), built on the first goal without a deliverable."""
        if self._intents is None:
            embed = None
            if self.engine.settings.intent_model == "minilm":
                from toolorch.backends.vectors.embedder import embedder_of

                embed = embedder_of(self.engine.services).embed
            self._intents = IntentIndex(self.engine.registry, embed)
        return self._intents

    def readiness(self) -> PolicyReadiness:
        from toolorch.rl.checkpoint import CheckpointDir

        return PolicyReadiness.from_info(CheckpointDir(self.engine.settings.home / "policy").latest_info())

    async def run(
        self,
        req: OrchestrateRequest,
        *,
        progress: ProgressFn = no_progress,
        roots: list[Path] | None = None,
        session_id: str = "",
    ) -> WorkflowResult:
        start = time.perf_counter()
        if progress is not no_progress and not isinstance(progress, MonotonicProgress):
            progress = MonotonicProgress(progress)
        if req.feedback is not None and not req.goal.strip() and not req.steps:
            note = await apply_feedback(self.engine, req.feedback)
            return WorkflowResult(req.feedback.workflow_id, "", req.strategy.value, True, [],
                                  planner="feedback", notes=[note])
        notes = [await apply_feedback(self.engine, req.feedback)] if req.feedback is not None else []
        available = {"goal", *req.inputs} if req.goal.strip() else set(req.inputs)
        plan: list[PlannedStep] | None = None
        if req.steps:
            plan = plan_request(self.engine.registry, req, available, notes)
            sel = for_steps(plan) if req.strategy is Strategy.AUTO else Selection(req.strategy, "requested")
        elif req.deliverable is None and req.strategy is not Strategy.RL_OPTIMIZED:
            sel = await anyio.to_thread.run_sync(self._select, req, available)  # reads the goal: the model
        else:
            sel = self._select(req, available)
        if sel.ask is not None:
            return WorkflowResult(new_id(), req.goal, sel.strategy.value, False, [], planner="intent",
                                  notes=[*notes, sel.ask], selection=sel.to_dict(),
                                  time_s=time.perf_counter() - start)
        single = sel.deliverables[0] if len(sel.deliverables) == 1 else None
        req = req.model_copy(update={
            "strategy": sel.strategy,
            "deliverable": None if req.deliverable == ALL else (req.deliverable or single),
        })
        run = WorkflowRun.start(req, self.engine.registry)
        execute = self._executor(run, progress, roots)
        episode = PolicyEpisode()
        planner = "explicit" if req.steps else ("intent" if sel.deliverables else "dataflow")
        with anyio.move_on_after(req.timeout_s) as scope:
            policy = await self._policy(req, notes) if req.strategy is Strategy.RL_OPTIMIZED else None
            if policy is not None:
                planner = "policy"
                await run_policy(run, policy, execute, episode)
            else:
                run.plan = plan if plan is not None else plan_request(
                    self.engine.registry, req, set(run.artifacts), notes, sel.deliverables)
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
            planner=planner, notes=notes, selection=sel.to_dict(), deliverable=req.deliverable,
        )
        self.engine.metrics.record_workflow(
            run.workflow_id, req.strategy.value, success, run.cost, result.time_s, len(steps)
        )
        await self.engine.log_experiences(experiences(run, steps, episode, success, session_id))
        return result

    def _select(self, req: OrchestrateRequest, available: set[str]) -> Selection:
        """The strategy (and for a goal alone, what it asks for); in a worker thread, since the
        first intent reading loads the embedding model."""
        return select(req, self.engine.registry, available, self.readiness,
                      lambda: failing_tools(self.engine.metrics.snapshot()), lambda: self.intents)

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
            if progress is no_progress:  # nobody listens: no messages to build
                result = await self.engine.execute(step.tool, args, roots=roots, workflow_id=run.workflow_id,
                                                   strategy=run.req.strategy.value)
                run.done_steps += 1
                return StepResult(step.index, step.tool, args, result=result, probability=step.probability)
            label = f"step {step.index + 1}/{total} {step.tool}"
            await progress(run.done_steps, total, f"{label} started")
            result = await self.engine.execute(
                step.tool, args, progress=StepProgress(progress, run.done_steps, total, label), roots=roots,
                workflow_id=run.workflow_id, strategy=run.req.strategy.value,
            )
            run.done_steps += 1
            status = f"ok{_brief(result.output)}" if result.success else f"failed ({result.error_kind})"
            await progress(run.done_steps, total, f"{label} {status}")
            return StepResult(step.index, step.tool, args, result=result, probability=step.probability)

        return execute


def _brief(output: dict[str, object] | None) -> str:
    """What a finished step's progress line adds: the search's dense coverage, else the first
    two counts of its output ("ok (documents 5, symbols 34)")."""
    if not output:
        return ""
    if isinstance(output.get("coverage"), str):
        return f" ({output['coverage']})"
    counts = [(k, v) for k, v in output.items() if isinstance(v, int) and not isinstance(v, bool)][:2]
    return f" ({', '.join(f'{k} {v}' for k, v in counts)})" if counts else ""
