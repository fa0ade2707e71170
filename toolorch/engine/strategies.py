"""How a plan runs: sequential, parallel, adaptive (the DAG's levels), or the policy step by step.

Each strategy takes the workflow state and `execute(step, total)`, which runs one step through the
engine and returns its StepResult; strategies decide only order, concurrency and what to skip.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio

from toolorch.engine.plan import PlannedStep
from toolorch.engine.request import Strategy
from toolorch.engine.results import StepResult
from toolorch.engine.workflow import WorkflowRun
from toolorch.stores.experience import STOP

if TYPE_CHECKING:
    from toolorch.rl.runner import Choice, PolicyRunner

ExecuteFn = Callable[[PlannedStep, int], Awaitable[StepResult]]


@dataclass(slots=True)
class PolicyEpisode:
    """What the policy decided besides the steps: its STOP (None when it did not stop: the
    deliverable was made, a step was refused, max_steps or the timeout reached) and the checkpoint
    version that decided. Filled as the episode goes, so a timeout keeps what was decided."""

    stop: Choice | None = None
    version: int | None = None


async def run_sequential(run: WorkflowRun, execute: ExecuteFn) -> None:
    """In plan order; after the first failure every later step is skipped."""
    for step in run.plan:
        failed = next((r for r in run.results.values() if not r.success), None)
        if failed is not None:
            run.results[step.index] = run.skip(
                step, f"step {failed.index} ({failed.tool}) failed; sequential stops at the first failure")
            continue
        run.apply(step, await execute(step, len(run.plan)))


async def run_parallel(run: WorkflowRun, execute: ExecuteFn) -> None:
    """Every step at once, each bound from the inputs alone: nothing waits for anything, so a
    step that needs another's output is skipped with a pointer to the strategies that wait."""
    plan = run.plan
    for s in plan:
        if s.deps:
            waits = ", ".join(f"{d} ({plan[d].tool})" for d in sorted(s.deps))
            run.results[s.index] = run.skip(
                s, f"needs the output of step {waits}, but parallel starts every step at "
                "once; use adaptive (runs independent steps concurrently) or sequential")
    await run_group(run, [s for s in plan if not s.deps], execute)


async def run_levels(run: WorkflowRun, execute: ExecuteFn) -> None:
    """Topological levels of the dependency DAG; a level's steps run concurrently, and a step
    whose dependency did not succeed is skipped."""
    pending = list(run.plan)
    while pending:
        ready = [s for s in pending if s.deps <= set(run.results)]
        if not ready:  # a dependency cycle in an explicit plan: run in order
            ready = pending[:1]
        pending = [s for s in pending if s not in ready]
        runnable = []
        for s in ready:
            bad = [run.results[d] for d in s.deps if d in run.results and not run.results[d].success]
            if bad:
                run.results[s.index] = run.skip(
                    s, f"depends on step {bad[0].index} ({bad[0].tool}), which did not succeed")
            else:
                runnable.append(s)
        await run_group(run, runnable, execute)


async def run_group(run: WorkflowRun, group: list[PlannedStep], execute: ExecuteFn) -> None:
    """The steps concurrently; results applied in plan order, so later artifacts win
    deterministically."""
    out: dict[int, StepResult] = {}
    total = len(run.plan)

    async def one(step: PlannedStep) -> None:
        out[step.index] = await execute(step, total)

    if len(group) == 1:
        await one(group[0])
    else:
        async with anyio.create_task_group() as tg:
            for step in group:
                tg.start_soon(one, step)
    for step in group:
        run.apply(step, out[step.index])


async def run_policy(run: WorkflowRun, policy: PolicyRunner, execute: ExecuteFn,
                     episode: PolicyEpisode) -> None:
    """The policy picks one tool at a time (infeasible tools masked) until STOP, the
    deliverable, or max_steps; each chosen step joins `run.plan` before it runs."""
    while len(run.plan) < run.req.max_steps:
        if run.req.deliverable and run.delivered():
            break
        choice = await anyio.to_thread.run_sync(policy.choose, run.state(), run.req.explore)
        episode.version = choice.version
        if choice.action == STOP:
            episode.stop = choice
            return
        n = len(run.plan)
        step = PlannedStep(n, str(n), choice.action, probability=choice.prob, probs=choice.probs)
        step.deps = set(run.producer.values())  # everything so far came before
        run.plan.append(step)
        res = await execute(step, run.req.max_steps)
        run.apply(step, res)
        if res.result is None:  # refused (cost budget): the episode ends here
            break


#: The strategies that run a plan made beforehand (rl_optimized plans as it goes: run_policy).
PLANNED: dict[Strategy, Callable[[WorkflowRun, ExecuteFn], Awaitable[None]]] = {
    Strategy.SEQUENTIAL: run_sequential,
    Strategy.PARALLEL: run_parallel,
    Strategy.ADAPTIVE: run_levels,
    Strategy.RL_OPTIMIZED: run_levels,   # when the policy is unavailable: by dependency analysis
}
