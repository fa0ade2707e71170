"""Play episodes: online training runs (explore + learn) and greedy evaluations (no learning).

Fairness: for one seed every agent plays the same sequence of train tasks, and the failure draws
of episode e are the same uniforms for every agent (common random numbers); evaluation episodes
use their own fixed draws. Episode numbers start at 1.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from toolorch.bench.learn.agents import Agent, Observation
from toolorch.bench.learn.env import EpisodeRun, StepRecord
from toolorch.bench.learn.suite import Task
from toolorch.stores.experience import STOP

TRAIN_STREAM, EVAL_STREAM = 1, 2


class Env(Protocol):
    def start(self, task: Task, episode: int = 0, noise: np.ndarray | None = None) -> EpisodeRun: ...
    def step(self, run: EpisodeRun, action: str, prob: float | None = None) -> StepRecord | None: ...


def noise_for(seed: int, stream: int, episode: int, max_steps: int) -> np.ndarray:
    """The uniforms that decide the simulated failures of one episode (same for every agent)."""
    return np.random.default_rng([seed, stream, episode]).random(max_steps)


def schedule(tasks: Sequence[Task], episodes: int, seed: int) -> list[int]:
    """Which train task each episode plays: uniform with replacement, fixed by the seed."""
    rng = np.random.default_rng([seed, 0])
    return [int(i) for i in rng.integers(len(tasks), size=episodes)]


def play(env: Env, agent: Agent, task: Task, episode: int, noise: np.ndarray | None,
         explore: bool, learn: bool) -> EpisodeRun:
    """One episode from start to end; the agent learns from it when `learn`."""
    run = env.start(task, episode, noise)
    while not run.done:
        feasible = run.feasible()
        obs = Observation(run.state(), feasible, task.deliverable, frozenset(run.artifacts),
                          not task.extra.get("hidden", False), task.id, episode)
        action, prob = agent.act(obs, explore)
        if action != STOP and action not in feasible:
            raise RuntimeError(f"{agent.name} chose infeasible {action!r}; feasible: {feasible}")
        env.step(run, action, prob)
    run.label()
    if learn and agent.learns:
        agent.learn(run)
    return run


@dataclass
class TrainResult:
    agent: str
    seed: int
    success: list[int] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0


def train(env: Env, agent: Agent, tasks: Sequence[Task], order: Sequence[int], seed: int,
          max_steps: int, start_episode: int = 1) -> TrainResult:
    """Online learning: episode e plays tasks[order[e-1]], explores, then learns from it."""
    out = TrainResult(agent.name, seed)
    t0 = time.perf_counter()
    for e, i in enumerate(order, start_episode):
        run = play(env, agent, tasks[i], e, noise_for(seed, TRAIN_STREAM, e, max_steps), True, True)
        out.success.append(int(run.success))
        out.cost.append(run.cost)
        out.steps.append(len(run.steps))
        out.task_ids.append(tasks[i].id)
    out.seconds = time.perf_counter() - t0
    return out


def evaluate(env: Env, agent: Agent, tasks: Sequence[Task], seed: int, repeats: int,
             max_steps: int) -> dict[str, Any]:
    """Greedy actions, no learning: success rate and cost per success over tasks × repeats."""
    successes, cost, n = 0, 0.0, 0
    per_task: dict[str, float] = {}
    for r in range(repeats):
        for j, task in enumerate(tasks):
            noise = noise_for(seed, EVAL_STREAM, r * len(tasks) + j, max_steps)
            run = play(env, agent, task, 0, noise, explore=False, learn=False)
            successes += run.success
            cost += run.cost
            n += 1
            per_task[task.id] = per_task.get(task.id, 0.0) + run.success / repeats
    return {
        "success": successes / n if n else float("nan"),
        "cost_per_success": cost / successes if successes else float("inf"),
        "episodes": n,
        "failed_tasks": sorted(t for t, s in per_task.items() if s < 1.0),
    }


def rolling(values: Sequence[float], window: int) -> np.ndarray:
    """Trailing mean over the last `window` episodes (over all so far while fewer)."""
    x = np.asarray(values, dtype=np.float64)
    c = np.concatenate([[0.0], np.cumsum(x)])
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(0, idx - window)
    means: np.ndarray = (c[idx] - c[lo]) / (idx - lo)
    return means


def episodes_to(success: Sequence[int], target: float, window: int, sustained: bool = False) -> int | None:
    """First episode at which the trailing `window`-episode success rate reaches `target` (needs a
    full window), or None if it never does. `sustained`: the first episode from which the rate
    STAYS at or above `target` until the end of training, so a lucky streak that falls back does
    not count (with ≈ 90% success from random choices a trailing rate touches 0.95 by chance)."""
    r = rolling(success, window)
    if sustained:
        first: int | None = None
        for e in range(len(r), window - 1, -1):
            if r[e - 1] < target - 1e-12:
                break
            first = e
        return first
    for e in range(window, len(r) + 1):
        if r[e - 1] >= target - 1e-12:
            return e
    return None
