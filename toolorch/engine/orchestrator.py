"""orchestrate: plan (explicit, dataflow, or policy), run with a strategy, label, log.

Labels (DESIGN.md): a step is desirable when it succeeded and served the goal. With a deliverable,
"served" means provenance (`toolorch.rl.labels.served_goal`, the rule the learning benchmark uses
too): the step that first made the deliverable, or the attempts at it when it was not made, and
every step whose outputs those consumed. With no deliverable, success is enough. A failed step, a
useless step, a step the budget refused, or a STOP before the goal is undesirable. Feedback
relabels later.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from toolorch.core.ids import new_id
from toolorch.core.progress import ProgressFn, no_progress
from toolorch.engine.request import OrchestrateRequest, Strategy
from toolorch.engine.results import StepResult, ToolResult, WorkflowResult
from toolorch.registry.dataflow import refs, render
from toolorch.rl.labels import StepTrace, served_goal
from toolorch.stores.experience import STOP, Experience

if TYPE_CHECKING:
    from toolorch.engine.engine import Engine

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Step:
    index: int
    id: str
    tool: str
    explicit: dict[str, Any] = field(default_factory=dict)
    deps: set[int] = field(default_factory=set)
    probability: float | None = None
    probs: dict[str, float] | None = None


@dataclass(slots=True)
class _Snapshot:
    """The state an experience records: what existed before the step ran."""

    artifacts: list[str]
    history: list[tuple[str, bool]]


@dataclass
class _Run:
    req: OrchestrateRequest
    workflow_id: str
    artifacts: dict[str, Any]
    inputs: list[str]
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)   # step id → its output
    step_index: dict[str, int] = field(default_factory=dict)          # step id → index
    producer: dict[str, int] = field(default_factory=dict)      # artifact → first producing step
    used: dict[int, set[int]] = field(default_factory=dict)     # step → steps whose outputs it used
    results: dict[int, StepResult] = field(default_factory=dict)
    snapshots: dict[int, _Snapshot] = field(default_factory=dict)
    history: list[tuple[str, bool]] = field(default_factory=list)
    cost: float = 0.0
    done_steps: int = 0


class Orchestrator:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dataflow = engine.registry.dataflow

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
            return await self._feedback_only(req)
        notes: list[str] = []
        if req.feedback is not None:
            notes.append(await self._apply_feedback(req))
        run = _Run(
            req=req,
            workflow_id=new_id(),
            artifacts={"goal": req.goal, **req.inputs},
            inputs=sorted({*req.inputs, *(["goal"] if req.goal.strip() else [])}),
        )
        policy_version: int | None = None
        planner = "explicit" if req.steps else "dataflow"
        stopped_by_policy: tuple[float | None, dict[str, float] | None] | None = None

        with anyio.move_on_after(req.timeout_s) as scope:
            if req.strategy is Strategy.RL_OPTIMIZED:
                why = await self.engine.load_policy()
                if why is None:
                    planner = "policy"
                    plan, stopped_by_policy, policy_version = await self._run_policy(run, progress, roots)
                else:
                    notes.append(f"{why}; planned by dependency analysis instead")
                    plan = self._plan(run, notes)
                    await self._run_levels(run, plan, progress, roots)
            else:
                plan = self._plan(run, notes)
                if req.strategy is Strategy.SEQUENTIAL:
                    await self._run_sequential(run, plan, progress, roots)
                elif req.strategy is Strategy.PARALLEL:
                    await self._run_parallel(run, plan, progress, roots)
                else:
                    await self._run_levels(run, plan, progress, roots)
        if scope.cancelled_caught:
            notes.append(f"workflow timeout after {req.timeout_s:g}s; unfinished steps skipped")
        for step in plan:
            if step.index not in run.results:
                run.results[step.index] = StepResult(
                    step.index, step.tool, {}, skipped_reason=_why_not_run(run, scope.cancelled_caught)
                )

        steps = [run.results[s.index] for s in plan]
        success = self._succeeded(run, steps)
        self._label(run, steps)
        result = WorkflowResult(
            workflow_id=run.workflow_id,
            goal=req.goal,
            strategy=req.strategy.value,
            success=success,
            plan=[
                {"index": s.index, "id": s.id, "tool": s.tool, "depends_on": sorted(s.deps),
                 "probability": s.probability, "probabilities": s.probs}
                for s in plan
            ],
            steps=steps,
            outputs={k: v for k, v in run.artifacts.items() if k not in req.inputs and k != "goal"},
            time_s=time.perf_counter() - start,
            cost=run.cost,
            policy_version=policy_version,
            planner=planner,
            notes=notes,
        )
        self.engine.metrics.record_workflow(
            run.workflow_id, req.strategy.value, success, run.cost, result.time_s, len(steps)
        )
        await self.engine.log_experiences(self._experiences(run, steps, stopped_by_policy, policy_version, success, session_id))
        return result

    # -- planning ------------------------------------------------------------------------------
    def _plan(self, run: _Run, notes: list[str]) -> list[_Step]:
        req = run.req
        if req.steps:
            plan: list[_Step] = []
            ids: dict[str, int] = {}
            for i, s in enumerate(req.steps):
                self.engine.registry.get(s.tool)  # unknown tool: fail the whole request clearly
                sid = s.id or str(i)
                step = _Step(i, sid, s.tool, dict(s.arguments))
                for ref in refs(s.arguments):
                    head = ref.split(".", 1)[0]
                    if head in ids:
                        step.deps.add(ids[head])
                    elif ref in self.dataflow.producers:
                        step.deps |= {p.index for p in plan if ref in self.dataflow.made_by[p.tool]}
                for c in self.engine.registry.get(s.tool).consumes:
                    if c.artifact not in run.artifacts and not (c.arg and c.arg in s.arguments):
                        step.deps |= {p.index for p in plan if c.artifact in self.dataflow.made_by[p.tool]}
                ids[sid] = i
                ids.setdefault(s.tool, i)
                plan.append(step)
            return plan[: req.max_steps]
        available = set(run.artifacts)
        if req.deliverable:
            names = self.dataflow.plan_for(req.deliverable, available)
        else:
            names = self.dataflow.closure(available)
        if not names:
            missing = {t: self.dataflow.missing(t, available) for t in self.dataflow.order}
            hint = "; ".join(f"{t} needs {', '.join(m)}" for t, m in missing.items() if m)
            raise ValueError(f"nothing can run from inputs {sorted(run.inputs)}: {hint}")
        if len(names) > req.max_steps:
            notes.append(f"plan of {len(names)} steps cut to max_steps={req.max_steps}")
            names = names[: req.max_steps]
        dag = self.dataflow.dag(names, available)
        index = {n: i for i, n in enumerate(names)}
        return [_Step(i, n, n, deps={index[d] for d in dag[n]}) for i, n in enumerate(names)]

    # -- strategies ----------------------------------------------------------------------------
    async def _run_sequential(self, run: _Run, plan: list[_Step], progress: ProgressFn,
                              roots: list[Path] | None) -> None:
        for step in plan:
            failed = next((r for r in run.results.values() if not r.success), None)
            if failed is not None:
                run.results[step.index] = StepResult(
                    step.index, step.tool, {},
                    skipped_reason=f"step {failed.index} ({failed.tool}) failed; sequential stops at the first failure",
                )
                continue
            res = await self._execute(run, step, progress, roots, len(plan))
            self._apply(run, step, res)

    async def _run_parallel(self, run: _Run, plan: list[_Step], progress: ProgressFn,
                            roots: list[Path] | None) -> None:
        """Every step at once, each bound from the inputs alone: nothing waits for anything, so a
        step that needs another's output is skipped with a pointer to the strategies that wait."""
        for s in plan:
            if s.deps:
                waits = ", ".join(f"{d} ({plan[d].tool})" for d in sorted(s.deps))
                run.results[s.index] = StepResult(
                    s.index, s.tool, {},
                    skipped_reason=f"needs the output of step {waits}, but parallel starts every step at "
                    "once; use adaptive (runs independent steps concurrently) or sequential",
                )
        await self._run_group(run, [s for s in plan if not s.deps], progress, roots, len(plan))

    async def _run_levels(self, run: _Run, plan: list[_Step], progress: ProgressFn,
                          roots: list[Path] | None) -> None:
        """Topological levels of the dependency DAG; a level's steps run concurrently."""
        pending = list(plan)
        while pending:
            ready = [s for s in pending if s.deps <= {i for i in run.results}]
            if not ready:  # a dependency cycle in an explicit plan: run in order
                ready = pending[:1]
            pending = [s for s in pending if s not in ready]
            runnable = []
            for s in ready:
                bad = [run.results[d] for d in s.deps if d in run.results and not run.results[d].success]
                if bad:
                    run.results[s.index] = StepResult(
                        s.index, s.tool, {},
                        skipped_reason=f"depends on step {bad[0].index} ({bad[0].tool}), which did not succeed",
                    )
                else:
                    runnable.append(s)
            await self._run_group(run, runnable, progress, roots, len(plan))

    async def _run_group(self, run: _Run, group: list[_Step], progress: ProgressFn,
                         roots: list[Path] | None, total: int) -> None:
        out: dict[int, StepResult] = {}

        async def one(step: _Step) -> None:
            out[step.index] = await self._execute(run, step, progress, roots, total)

        if len(group) == 1:
            await one(group[0])
        else:
            async with anyio.create_task_group() as tg:
                for step in group:
                    tg.start_soon(one, step)
        for step in group:  # apply in plan order: later artifacts win deterministically
            self._apply(run, step, out[step.index])

    async def _run_policy(self, run: _Run, progress: ProgressFn, roots: list[Path] | None
                          ) -> tuple[list[_Step], tuple[float | None, dict[str, float] | None] | None, int | None]:
        """The policy picks one tool at a time (infeasible tools masked) until STOP, the
        deliverable, or max_steps."""
        from toolorch.rl.state import State

        policy = self.engine.policy
        plan: list[_Step] = []
        version: int | None = None
        stop: tuple[float | None, dict[str, float] | None] | None = None
        while len(plan) < run.req.max_steps:
            if run.req.deliverable and self._delivered(run):
                break
            state = State(
                goal=run.req.goal, inputs_present=list(run.inputs),
                artifacts=[a for a in run.artifacts if a not in run.req.inputs and a != "goal"],
                history=list(run.history),
            )
            choice = await anyio.to_thread.run_sync(policy.choose, state, run.req.explore)
            version = choice.version
            if choice.action == STOP:
                stop = (choice.prob, choice.probs)
                break
            step = _Step(len(plan), str(len(plan)), choice.action, probability=choice.prob, probs=choice.probs)
            step.deps = {run.producer[a] for a in run.producer}  # everything so far came before
            plan.append(step)
            res = await self._execute(run, step, progress, roots, run.req.max_steps)
            self._apply(run, step, res)
            if res.result is None:  # refused (cost budget): the episode ends here
                break
        return plan, stop, version

    # -- one step ------------------------------------------------------------------------------
    async def _execute(self, run: _Run, step: _Step, progress: ProgressFn, roots: list[Path] | None,
                       total: int) -> StepResult:
        spec = self.engine.registry.get(step.tool)
        run.snapshots[step.index] = _Snapshot(
            [a for a in run.artifacts if a not in run.req.inputs and a != "goal"], list(run.history)
        )
        if run.req.cost_budget is not None and run.cost + spec.cost > run.req.cost_budget:
            return StepResult(step.index, step.tool, {}, probability=step.probability,
                              skipped_reason=f"cost budget {run.req.cost_budget:g} would be exceeded "
                              f"(spent {run.cost:g}, step costs {spec.cost:g})")
        namespace = dict(run.artifacts)
        for sid, output in run.by_id.items():
            namespace.update({f"{sid}.{k}": v for k, v in output.items()})
        try:
            explicit = render(step.explicit, namespace)
        except KeyError as exc:
            return StepResult(step.index, step.tool, {}, probability=step.probability,
                              skipped_reason=f"argument refers to {exc.args[0]!r}, which no earlier step produced")
        args = self.dataflow.bind(step.tool, run.artifacts, explicit)
        used = run.used.setdefault(step.index, set())  # the producers this step relies on
        for c in spec.consumes:
            if c.artifact in run.producer and (c.arg is None or c.arg not in explicit):
                used.add(run.producer[c.artifact])
        for tmpl in spec.planning_defaults.values():
            used |= {run.producer[a] for a in refs(tmpl) if a in run.producer}
        for ref in refs(step.explicit):
            head = ref.split(".", 1)[0]
            if ref in run.producer:
                used.add(run.producer[ref])
            if head in run.step_index:
                used.add(run.step_index[head])

        async def step_progress(done: float, tot: float | None, message: str | None) -> None:
            await progress(run.done_steps, total, f"{step.tool}: {message or ''}".rstrip(": "))

        await progress(run.done_steps, total, f"step {step.index + 1}: {step.tool} started")
        result: ToolResult = await self.engine.execute(
            step.tool, args, progress=step_progress, roots=roots,
            workflow_id=run.workflow_id, strategy=run.req.strategy.value,
        )
        run.done_steps += 1
        status = "ok" if result.success else f"failed ({result.error_kind})"
        await progress(run.done_steps, total, f"step {step.index + 1}: {step.tool} {status}")
        return StepResult(step.index, step.tool, args, result=result, probability=step.probability)

    def _apply(self, run: _Run, step: _Step, res: StepResult) -> None:
        run.results[step.index] = res
        if res.result is None:
            return
        run.cost += res.result.cost
        run.history.append((step.tool, res.success))
        if res.success and res.result.output is not None:
            run.by_id[step.id] = res.result.output
            run.step_index[step.id] = step.index
            made = self.dataflow.artifacts_of(step.tool, res.result.output)
            run.artifacts.update(made)
            for a in made:
                run.producer.setdefault(a, step.index)  # credit stays with the first maker

    # -- outcome -------------------------------------------------------------------------------
    def _delivered(self, run: _Run) -> bool:
        d = run.req.deliverable
        if d is None:
            return False
        if d in self.dataflow.tools:
            return any(r.tool == d and r.success for r in run.results.values())
        return d in run.producer

    def _succeeded(self, run: _Run, steps: list[StepResult]) -> bool:
        if run.req.deliverable:
            return self._delivered(run)
        return bool(steps) and all(s.success for s in steps)

    def _label(self, run: _Run, steps: list[StepResult]) -> None:
        d = run.req.deliverable
        if d is None:
            for s in steps:
                s.desirable = s.success if s.result is not None else None
            return
        # provenance of the deliverable (or of the attempts at it), see toolorch/rl/labels.py
        if d in self.dataflow.tools:
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
        for s, good in zip(steps, served_goal(traces, d, maker_at, self.dataflow), strict=True):
            if s.result is not None:
                s.desirable = good

    def _experiences(self, run: _Run, steps: list[StepResult], stop: tuple[float | None, dict[str, float] | None] | None,
                     version: int | None, success: bool, session_id: str) -> list[Experience]:
        exps = []
        for s in steps:
            if s.result is None:
                if s.probability is not None and s.index in run.snapshots:  # the policy chose it
                    snap = run.snapshots[s.index]
                    exps.append(Experience(
                        goal=run.req.goal, inputs_present=list(run.inputs), artifacts=snap.artifacts,
                        history=snap.history, action=s.tool, desirable=False, success=False,
                        label_source="goal", propensity=s.probability, policy_version=version,
                        workflow_id=run.workflow_id, session_id=session_id, step=s.index,
                        strategy=run.req.strategy.value, error_kind="skipped", attempts=0,
                    ))
                continue
            snap = run.snapshots[s.index]
            exps.append(Experience(
                goal=run.req.goal, inputs_present=list(run.inputs), artifacts=snap.artifacts,
                history=snap.history, action=s.tool, desirable=bool(s.desirable), success=s.success,
                label_source="goal", propensity=s.probability, policy_version=version if s.probability is not None else None,
                workflow_id=run.workflow_id, session_id=session_id, step=s.index,
                strategy=run.req.strategy.value, error_kind=s.result.error_kind, latency_s=s.result.time_s,
                cost=s.result.cost, attempts=s.result.attempts, cached=s.result.cached,
            ))
        if stop is not None:
            exps.append(Experience(
                goal=run.req.goal, inputs_present=list(run.inputs),
                artifacts=[a for a in run.artifacts if a not in run.req.inputs and a != "goal"],
                history=list(run.history), action=STOP, desirable=success, success=True, label_source="goal",
                propensity=stop[0], policy_version=version, workflow_id=run.workflow_id, session_id=session_id,
                step=len(steps), strategy=run.req.strategy.value,
            ))
        return exps

    # -- feedback ------------------------------------------------------------------------------
    async def _apply_feedback(self, req: OrchestrateRequest) -> str:
        assert req.feedback is not None
        fb = req.feedback
        await anyio.to_thread.run_sync(self.engine.flush_experiences)
        n = await anyio.to_thread.run_sync(self.engine.store.relabel, fb.workflow_id, fb.desirable)
        if n and self.engine.policy is not None:
            self.engine.policy.relabel(fb.workflow_id, fb.desirable)
        if n == 0:
            raise ValueError(f"no experiences of workflow {fb.workflow_id!r}: check the workflow_id")
        label = "desirable" if fb.desirable else "undesirable"
        return f"relabelled {n} experiences of workflow {fb.workflow_id} as {label}"

    async def _feedback_only(self, req: OrchestrateRequest) -> WorkflowResult:
        note = await self._apply_feedback(req)
        assert req.feedback is not None
        return WorkflowResult(req.feedback.workflow_id, "", req.strategy.value, True, [], planner="feedback", notes=[note])


def _why_not_run(run: _Run, timed_out: bool) -> str:
    if timed_out:
        return f"not started: workflow timeout ({run.req.timeout_s:g}s)"
    return "not started"

