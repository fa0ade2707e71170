"""`--mode real`: the same episodes, but every tool call runs the real embedded backend through
toolorch's Engine (validation, retry, cache, lineage) on a copy of tests/fixtures/sample_project.

Slow by nature (scip-python/scip-typescript indexing takes seconds per call, the embedder loads
once), so it runs few episodes: the oracle and a KTO policy first trained in the simulator
(`--episodes` simulated episodes), then both play `REAL_EPISODES` real episodes on the tasks whose
inputs can be given for real (paths, language, query texts); KTO keeps learning online. Success,
cost and wall time per episode are reported; failures are whatever the backends really do.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from toolorch.bench.learn.env import EpisodeRun, StepRecord
from toolorch.bench.learn.suite import Task
from toolorch.config import PROJECT_ROOT
from toolorch.stores.experience import STOP

if TYPE_CHECKING:
    from toolorch.bench.learn.benchmark import Options
    from toolorch.engine.results import ToolResult
    from toolorch.registry.registry import Registry

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "sample_project"
#: Inputs a real run can supply (the rest name artifacts that only a previous run could make).
REAL_INPUTS = frozenset({"project_path", "language", "search_text", "cypher_query", "angle_query", "workflow_name"})
REAL_EPISODES = 8

Call = Callable[[str, dict[str, Any]], "ToolResult"]


def real_tasks(tasks: list[Task], fixtures: Path) -> list[Task]:
    """Tasks runnable for real, with `$FIXTURES` expanded to `fixtures`."""
    out = []
    for t in tasks:
        if not set(t.inputs) <= REAL_INPUTS:
            continue
        inputs = {k: v.replace("$FIXTURES", str(fixtures)) if isinstance(v, str) else v for k, v in t.inputs.items()}
        out.append(Task(t.id, t.intent, t.goal, inputs, t.deliverable, t.budget, t.split, t.extra))
    return out


class RealEnv:
    """Same interface as SimEnv; outcomes come from `call(tool, args)` (the Engine)."""

    def __init__(self, registry: Registry, call: Call, max_steps: int = 8) -> None:
        self.registry, self.call, self.max_steps = registry, call, max_steps

    def start(self, task: Task, episode: int = 0, noise: np.ndarray | None = None) -> EpisodeRun:
        return EpisodeRun(task, self.registry, self.max_steps, episode=episode)

    def step(self, run: EpisodeRun, action: str, prob: float | None = None) -> StepRecord | None:
        if action == STOP:
            run.stop(prob)
            return None
        spec = self.registry.get(action)
        if run.task.budget is not None and run.cost + spec.cost > run.task.budget + 1e-9:
            return run.apply(action, prob, False, {}, 0.0, 0.0, skipped="budget")
        args = self.registry.dataflow.bind(action, {**run.artifacts, "goal": run.task.goal})
        result = self.call(action, args)
        return run.apply(action, prob, result.success, result.output or {}, result.cost, result.time_s * 1e3)


def run_real(opts: Options, out: Path, episodes: int = REAL_EPISODES) -> dict[str, Any]:
    """Pre-train KTO in the simulator, then oracle and KTO on real backends. Returns the summary."""
    from anyio.from_thread import start_blocking_portal

    from toolorch.backends.vectors.embedder import Embedder
    from toolorch.bench.learn.agents import GoalEmbeddings, OracleAgent
    from toolorch.bench.learn.benchmark import make_agent
    from toolorch.bench.learn.env import SimEnv
    from toolorch.bench.learn.runner import play, schedule, train
    from toolorch.bench.learn.suite import load_suite, split
    from toolorch.config import Settings
    from toolorch.engine.engine import Engine
    from toolorch.registry.registry import Registry

    t_start = time.perf_counter()
    seed = opts.seeds[0]
    with tempfile.TemporaryDirectory(prefix="toolorch-bench-real-") as tmp:
        home = Path(tmp)
        fixtures = home / "projects"
        shutil.copytree(FIXTURES, fixtures)
        settings = Settings(home=home / "home", allowed_roots=str(home))
        registry = Registry.for_settings(settings)
        tasks = load_suite(opts.suite)
        runnable = real_tasks(tasks, fixtures)
        if not runnable:
            raise ValueError(f"no task of {opts.suite} has only real inputs {sorted(REAL_INPUTS)}")
        embed = GoalEmbeddings(Embedder(settings).embed)
        embed.precompute([t.goal for t in tasks])
        kto = make_agent("kto", opts, seed, registry, settings, embed)
        train_tasks = split(tasks, "train")
        sim = train(SimEnv(registry, opts.env), kto, train_tasks, schedule(train_tasks, opts.episodes, seed),
                    seed, opts.env.max_steps)
        order = [runnable[i] for i in np.random.default_rng([seed, 3]).integers(len(runnable), size=episodes)]
        rows: list[dict[str, Any]] = []
        with start_blocking_portal() as portal:
            engine = Engine(settings)
            portal.call(engine.__aenter__)
            try:
                def call(tool: str, args: dict[str, Any]) -> ToolResult:
                    return portal.call(functools.partial(engine.execute, tool, args, strategy="bench"))

                env = RealEnv(registry, call, opts.env.max_steps)
                for agent in (OracleAgent(registry), kto):
                    for e, task in enumerate(order, 1):
                        t0 = time.perf_counter()
                        run = play(env, agent, task, e, None, explore=False, learn=True)
                        rows.append({"agent": agent.name, "episode": e, "task": task.id, "success": run.success,
                                     "cost": run.cost, "steps": [(s.action, s.success) for s in run.steps],
                                     "seconds": round(time.perf_counter() - t0, 2)})
            finally:
                portal.call(engine.aclose)
                kto.close()
    summary: dict[str, Any] = {"mode": "real", "sim_pretrain_episodes": opts.episodes,
                               "sim_pretrain_success_last50": float(np.mean(sim.success[-50:])),
                               "real_tasks": [t.id for t in runnable], "episodes": rows}
    for name in dict.fromkeys(r["agent"] for r in rows):
        mine = [r for r in rows if r["agent"] == name]
        ok = sum(r["success"] for r in mine)
        summary[name] = {"success": ok / len(mine), "cost_per_success": sum(r["cost"] for r in mine) / ok if ok else None,
                         "seconds_per_episode": float(np.mean([r["seconds"] for r in mine]))}
    summary["wall_seconds"] = round(time.perf_counter() - t_start, 1)
    (out / "real.json").write_text(__import__("json").dumps(summary, indent=1, default=str), encoding="utf-8")
    return summary
