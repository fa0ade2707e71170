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


def ship(episodes: int = 300, seed: int = 0) -> dict[str, Any]:
    """`toolorch train --simulate N --ship`: train from scratch in a scratch data dir and write the
    result as the package's shipped warm start (toolorch/rl/warm/, see rl/shipped.py)."""
    import tempfile

    from toolorch.rl import shipped
    from toolorch.rl.checkpoint import CheckpointDir

    with tempfile.TemporaryDirectory(prefix="toolorch-ship-") as tmp:
        out = pretrain(Settings(home=Path(tmp), policy_warm_start=False), episodes=episodes, seed=seed)
        checkpoints = CheckpointDir(Path(tmp) / "policy")
        latest = checkpoints.latest_info()
        version = int(latest["version"])
        facts = {
            "version": version,
            "command": f"toolorch train --simulate {episodes} --seed {seed} --ship",
            "episodes": episodes, "seed": seed, "suite": "toolorch/bench/learn/suites/default.jsonl (train split)",
            "success_rate_last_50": out["success_rate_last_50"],
            "metrics": {k: v for k, v in (latest.get("metrics") or {}).items() if isinstance(v, (int, float, str))},
        }
        return shipped.write(checkpoints.read_bytes(version), facts)
