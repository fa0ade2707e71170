"""Planners for the contexts and drift environments: what a user gets without learning, the
failure-aware planner, planner + nearest-neighbour intent, and the oracle that knows the hidden
parameters.

All plan with the registry's dataflow (`Dataflow.plan_for`, the cheapest set of tools that makes
the deliverable) over costs they believe, re-planned after every step, and act only among the
feasible tools every agent is offered (the repeat-failure mask included: a tool the mask blocks is
left out of the plan). Without a visible deliverable a planner that cannot infer one runs what the
adaptive strategy runs without a deliverable: every tool that can run (the dependency closure),
cheapest first, then STOP.

- `RegistryPlanner`: the registry's costs, every tool assumed reliable (no learning).
- `ThompsonPlanner`: per-(tool, language, size, backend) Beta posteriors of success, sampled
  each decision (Thompson); a tool's cost is its registry cost / sampled success. No goal text.
- `NearestIntentPlanner`: the deliverable of the nearest train goal (cosine of the goal
  embeddings) when the task hides it, then the registry planner (no learning from outcomes).
- `ContextOracle`: knows each tool's true success probability and cost in the task's project
  (and the drift): plans by expected cost to success, cost / p, never calls a broken tool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from toolorch.bench.learn.agents import Agent, Observation
from toolorch.bench.learn.env import EpisodeRun
from toolorch.errors import PlanningError
from toolorch.rl.mask import blocked_tools
from toolorch.stores.experience import STOP

if TYPE_CHECKING:
    from toolorch.bench.learn.contexts import ContextEnv
    from toolorch.bench.learn.suite import Task
    from toolorch.registry.dataflow import Dataflow
    from toolorch.registry.registry import Registry


class CostPlanner:
    """`plan_for` over the registry's dataflow with other costs and without some tools."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._flows = lru_cache(maxsize=4096)(self._flow)

    def _flow(self, costs: tuple[tuple[str, float], ...]) -> Dataflow:
        from toolorch.registry.dataflow import Dataflow

        table = dict(costs)
        return Dataflow([s.model_copy(update={"cost": table[s.name]}) for s in self.registry if s.name in table])

    def next_action(self, deliverable: str, available: frozenset[str], feasible: Sequence[str],
                    costs: Mapping[str, float]) -> str:
        """The first feasible tool of the cheapest plan under `costs` (tools missing from `costs`
        are excluded); STOP when nothing is left to do or nothing can make the deliverable."""
        key = tuple(sorted((t, round(c, 4)) for t, c in costs.items()))
        flow = self._flows(key)
        try:
            plan = flow.plan_for(deliverable, available)
        except PlanningError:
            return STOP
        ready = [t for t in plan if t in feasible]
        return ready[0] if ready else STOP

    def run_everything(self, feasible: Sequence[str], costs: Mapping[str, float]) -> str:
        """No deliverable: the cheapest feasible tool (feasible = it makes something new), else STOP."""
        offered = [t for t in feasible if t in costs]
        return min(offered, key=lambda t: (costs[t], self.registry.names.index(t))) if offered else STOP


def _blocked(obs: Observation) -> set[str]:
    """Tools the repeat-failure mask removed (they are left out of every plan)."""
    return blocked_tools(obs.state)


class RegistryPlanner(Agent):
    name = "registry_planner"

    def __init__(self, registry: Registry) -> None:
        self.planner = CostPlanner(registry)
        self.costs = {s.name: s.cost for s in registry}

    def act(self, obs: Observation, explore: bool) -> tuple[str, float | None]:
        costs = {t: c for t, c in self.costs.items() if t not in _blocked(obs)}
        if not obs.visible:
            return self.planner.run_everything(obs.feasible, costs), 1.0
        return self.planner.next_action(obs.deliverable, obs.available, obs.feasible, costs), 1.0


class ThompsonPlanner(Agent):
    """Failure-aware: Beta(prior) per (tool, context key), updated from every call's outcome."""

    learns = True

    def __init__(self, registry: Registry, seed: int = 0, prior: tuple[float, float] = (1.0, 1.0),
                 name: str = "thompson_planner") -> None:
        self.name = name
        self.planner = CostPlanner(registry)
        self.costs = {s.name: s.cost for s in registry}
        self.prior = prior
        self.rng = np.random.default_rng([seed, 5])
        self.counts: dict[tuple[str, str], list[float]] = {}

    @staticmethod
    def key(obs_context: object, tool: str) -> str:
        ctx = obs_context
        backends = dict(getattr(ctx, "backends", ()))
        return f"{getattr(ctx, 'language', None)}|{getattr(ctx, 'size', None)}|{backends.get(tool, 'embedded')}"

    def _sample(self, tool: str, key: str, greedy: bool) -> float:
        a, b = self.counts.get((tool, key), list(self.prior))
        return a / (a + b) if greedy else float(self.rng.beta(a, b))

    def act(self, obs: Observation, explore: bool) -> tuple[str, float | None]:
        blocked = _blocked(obs)
        costs = {}
        for t, c in self.costs.items():
            if t not in blocked:
                p = self._sample(t, self.key(obs.state.context, t), not explore)
                costs[t] = c / max(p, 1e-3)
        if not obs.visible:
            return self.planner.run_everything(obs.feasible, costs), None
        return self.planner.next_action(obs.deliverable, obs.available, obs.feasible, costs), None

    def learn(self, run: EpisodeRun) -> None:
        ctx = run.state().context
        for s in run.steps:
            if s.skipped:
                continue
            k = (s.action, self.key(ctx, s.action))
            counts = self.counts.setdefault(k, list(self.prior))
            counts[0 if s.success else 1] += 1.0


class NearestIntentPlanner(Agent):
    """The registry planner for the deliverable of the nearest train goal when none is visible."""

    name = "nn_intent_planner"

    def __init__(self, registry: Registry, train_tasks: Sequence[Task],
                 embed: Callable[[list[str]], np.ndarray]) -> None:
        self.inner = RegistryPlanner(registry)
        self.embed = embed
        self.goals = list(dict.fromkeys(t.goal for t in train_tasks))
        by_goal = {t.goal: t.deliverable for t in train_tasks}
        self.deliverables = [by_goal[g] for g in self.goals]
        vecs = np.asarray(embed(self.goals), dtype=np.float32)
        self.matrix = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-8)
        self._cache: dict[str, str] = {}

    def intent(self, goal: str) -> str:
        if goal not in self._cache:
            v = np.asarray(self.embed([goal]), dtype=np.float32)[0]
            self._cache[goal] = self.deliverables[int(np.argmax(self.matrix @ (v / max(np.linalg.norm(v), 1e-8))))]
        return self._cache[goal]

    def act(self, obs: Observation, explore: bool) -> tuple[str, float | None]:
        deliverable = obs.deliverable if obs.visible else self.intent(obs.state.goal)
        planner = self.inner.planner
        costs = {t: c for t, c in self.inner.costs.items() if t not in _blocked(obs)}
        return planner.next_action(deliverable, obs.available, obs.feasible, costs), 1.0


class ContextOracle(Agent):
    """Knows the hidden parameters of the environment it plays (its project and the drift)."""

    name = "oracle"

    def __init__(self, registry: Registry, env: ContextEnv, tasks: Mapping[str, Task]) -> None:
        self.planner = CostPlanner(registry)
        self.env, self.tasks = env, tasks

    def act(self, obs: Observation, explore: bool) -> tuple[str, float | None]:
        task = self.tasks[obs.task_id]
        project = self.env.project_of(task)
        progress = self.env.progress(obs.episode)
        blocked = _blocked(obs)
        costs = {}
        for spec in self.planner.registry:
            p = self.env.params.success(spec.name, project, progress)
            if p > 0 and spec.name not in blocked:
                costs[spec.name] = self.env.params.cost(spec.name, project) / p
        return self.planner.next_action(task.deliverable, obs.available, obs.feasible, costs), 1.0
