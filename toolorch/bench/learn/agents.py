"""Agents under one interface: random feasible, the oracle planner, and the KTO policy.

Every agent sees the same `Observation` (the policy's `State`: goal text, inputs present,
artifacts made, history; and the feasible tools). Only the oracle reads the task's deliverable: it
is the upper reference, not a competitor. The learning baselines are in vw_agent.py and
reinforce.py.
"""

from __future__ import annotations

import threading
from abc import ABC
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from toolorch.core.state import State
from toolorch.errors import PlanningError
from toolorch.stores.experience import STOP

if TYPE_CHECKING:
    from toolorch.bench.learn.env import EpisodeRun
    from toolorch.config import Settings
    from toolorch.registry.registry import Registry
    from toolorch.rl.policy import PolicyConfig
    from toolorch.rl.trainer import TrainerConfig


@dataclass(frozen=True, slots=True)
class Observation:
    state: State
    feasible: list[str]          # feasible tools in registry order (STOP is always allowed too)
    deliverable: str             # read by the oracle, and by planners when `visible`
    available: frozenset[str]    # inputs + artifacts made (the oracle plans from it)
    visible: bool = True         # False: the task hides its deliverable (the agent must STOP)
    task_id: str = ""            # the oracle looks up the task's project
    episode: int = 0             # the oracle knows the drift schedule


class Agent(ABC):
    """`act` picks a tool or STOP; `learn` sees the finished, labelled episode."""

    name: str = "agent"
    learns: bool = False

    def act(self, obs: Observation, explore: bool) -> tuple[str, float | None]:
        raise NotImplementedError

    def learn(self, run: EpisodeRun) -> None:
        return None

    def close(self) -> None:
        return None


class GoalEmbeddings:
    """The production goal embedder behind a cache shared by all agents of a run: each distinct
    goal text is embedded once (the suite's goals are embedded up front in one batch)."""

    def __init__(self, embed_fn: Callable[[list[str]], np.ndarray]) -> None:
        self.embed_fn = embed_fn
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def precompute(self, texts: Sequence[str]) -> None:
        self(list(texts))

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            todo = sorted({t for t in texts if t not in self._cache})
            if todo:
                for t, v in zip(todo, np.asarray(self.embed_fn(todo), dtype=np.float32), strict=True):
                    self._cache[t] = v
            return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


class RandomAgent(Agent):
    """Uniform over the feasible tools (never STOP: stopping early always fails)."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, obs: Observation, explore: bool) -> tuple[str, float | None]:
        if not obs.feasible:
            return STOP, 1.0
        i = int(self.rng.integers(len(obs.feasible)))
        return obs.feasible[i], 1.0 / len(obs.feasible)


class OracleAgent(Agent):
    """The cheapest plan from the dataflow (`plan_for(deliverable, available)`), re-planned after
    every step, so a failed call is retried; STOP when nothing is left to do. It knows the
    deliverable and the registry costs, not the failure rates."""

    name = "oracle"

    def __init__(self, registry: Registry) -> None:
        self.flow = registry.dataflow

    def act(self, obs: Observation, explore: bool) -> tuple[str, float | None]:
        try:
            plan = self.flow.plan_for(obs.deliverable, obs.available)
        except PlanningError:
            return STOP, 1.0
        ready = [t for t in plan if t in obs.feasible]
        return (ready[0], 1.0) if ready else (STOP, 1.0)


class KTOAgent(Agent):
    """toolorch's own policy (`PolicyRunner`), learning online from the episodes' experiences
    exactly as the engine feeds it: inline training every k experiences (`background=False`, so
    the run is deterministic for a seed), no checkpoint files."""

    learns = True

    def __init__(
        self,
        registry: Registry,
        settings: Settings,
        embed_fn: Callable[[list[str]], np.ndarray],
        *,
        name: str = "kto",
        policy_config: PolicyConfig | None = None,
        trainer_config: TrainerConfig | None = None,
        temperature: float = 1.0,
        temperature_decay: float = 0.97,
        min_temperature: float = 0.5,
        seed: int = 0,
        persist: bool = False,
    ) -> None:
        """`persist=True` writes checkpoints to the data dir (warm start, `toolorch train
        --simulate`): a server on that data dir then starts from what was learned here."""
        from toolorch.rl.runner import PolicyRunner

        self.name = name
        self.runner = PolicyRunner(
            registry, settings, embed_fn, store=None, policy_config=policy_config,
            trainer_config=trainer_config, train=True, background=False, persist=persist,
            temperature=temperature, temperature_decay=temperature_decay,
            min_temperature=min_temperature, seed=seed,
        ).start()

    def act(self, obs: Observation, explore: bool) -> tuple[str, float | None]:
        choice = self.runner.choose(obs.state, explore)
        return choice.action, choice.prob

    def learn(self, run: EpisodeRun) -> None:
        self.runner.observe(run.experiences())

    def metrics(self) -> dict[str, object]:
        return self.runner.metrics()

    def close(self) -> None:
        self.runner.close()
