"""Warm start: train the production policy in the simulator on the public suite, so a fresh
server's `rl_optimized` starts from sensible choices instead of an untrained network. The
checkpoints land in the data dir like any online training round; online learning from real
experiences continues from there. `toolorch train --simulate N`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolorch.config import Settings


def pretrain(settings: Settings, episodes: int = 300, seed: int = 0, suite: Path | None = None) -> dict[str, Any]:
    from toolorch.backends.vectors.embedder import Embedder
    from toolorch.bench.learn.agents import GoalEmbeddings, KTOAgent
    from toolorch.bench.learn.env import SimEnv
    from toolorch.bench.learn.runner import TRAIN_STREAM, noise_for, play, schedule
    from toolorch.bench.learn.suite import DEFAULT_SUITE, load_suite, split
    from toolorch.registry import Registry

    registry = Registry.load(settings.registry_dir)
    tasks = split(load_suite(suite or DEFAULT_SUITE), "train")
    env = SimEnv(registry)
    agent = KTOAgent(registry, settings, GoalEmbeddings(Embedder(settings).embed), seed=seed, persist=True)
    try:
        order = schedule(tasks, episodes, seed)
        max_steps = env.config.max_steps
        wins = [play(env, agent, tasks[i], e, noise_for(seed, TRAIN_STREAM, e, max_steps), True, True).success
                for e, i in enumerate(order, start=1)]
        tail = wins[-50:]
        return {
            "episodes": episodes,
            "success_rate_last_50": sum(tail) / len(tail),
            "policy_version": agent.runner.version,
            "checkpoint_dir": str(settings.home / "policy"),
            "metrics": agent.metrics(),
        }
    finally:
        agent.close()
