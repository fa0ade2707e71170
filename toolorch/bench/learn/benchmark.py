"""One benchmark run: every agent × every seed on the same episodes, then greedy evaluations.

Agents: `oracle` (cheapest dataflow plan; the reference), `random` (feasible), `vw`
(cb_explore_adf -q sa), `reinforce` (same network), `kto` (PolicyRunner with λ_U/λ_D =
`lambda_u`) and `kto_alt` (the same with the other loss aversion, 2.25 ↔ 1.0), so every run
reports the loss-aversion comparison.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from toolorch.bench.learn.agents import Agent, GoalEmbeddings, KTOAgent, OracleAgent, RandomAgent
from toolorch.bench.learn.env import EnvConfig, SimEnv
from toolorch.bench.learn.runner import TrainResult, evaluate, schedule, train
from toolorch.bench.learn.suite import DEFAULT_SUITE, Task, load_suite, split, validate_suite

logger = logging.getLogger(__name__)

AGENTS = ("oracle", "random", "vw", "reinforce", "kto", "kto_alt")


@dataclass
class Options:
    episodes: int = 300
    seeds: list[int] = field(default_factory=lambda: list(range(10)))
    suite: Path = DEFAULT_SUITE
    agents: list[str] = field(default_factory=lambda: list(AGENTS))
    lambda_u: float = 1.0
    window: int = 50
    eval_repeats: int = 3
    env: EnvConfig = field(default_factory=EnvConfig)
    kto_overrides: dict[str, Any] = field(default_factory=dict)
    temperature: float = 1.0
    temperature_decay: float = 0.97
    min_temperature: float = 0.5
    vw_epsilon: float = 0.05
    reinforce_lr: float = 3e-4
    jobs: int = 1
    """Worker processes; seeds are spread over them (each seed's run is the same in any process)."""


def kto_trainer_config(lambda_u: float, seed: int, overrides: dict[str, Any]) -> Any:
    """The TrainerConfig the benchmark gives the policy: toolorch's own defaults (so the benchmark
    measures what the server runs), then the command line's overrides. How the defaults were
    chosen: TrainerConfig's field docs, the README and HISTORY.md."""
    from toolorch.rl.trainer import TrainerConfig

    return replace(TrainerConfig(), **{**overrides, "lambda_u": lambda_u, "seed": seed})


def make_agent(name: str, opts: Options, seed: int, registry: Any, settings: Any,
               embed: Callable[[list[str]], np.ndarray]) -> Agent:
    if name == "oracle":
        return OracleAgent(registry)
    if name == "random":
        return RandomAgent(seed)
    if name == "vw":
        from toolorch.bench.learn.vw_agent import VWAgent

        return VWAgent(embed, epsilon=opts.vw_epsilon, seed=seed)
    if name == "reinforce":
        from toolorch.bench.learn.reinforce import ReinforceAgent

        return ReinforceAgent(registry, embed, lr=opts.reinforce_lr, temperature=opts.temperature,
                              temperature_decay=opts.temperature_decay, min_temperature=opts.min_temperature,
                              seed=seed)
    if name in ("kto", "kto_alt"):
        lam = opts.lambda_u if name == "kto" else (1.0 if opts.lambda_u != 1.0 else 2.25)
        config = kto_trainer_config(lam, seed, opts.kto_overrides)
        return KTOAgent(registry, settings, embed, name=f"kto(λ={lam:g})", trainer_config=config,
                        temperature=opts.temperature, temperature_decay=opts.temperature_decay,
                        min_temperature=opts.min_temperature, seed=seed)
    raise ValueError(f"unknown agent {name!r}; choose from {', '.join(AGENTS)}")


def run(opts: Options, settings: Any, progress: Callable[[str], None] = logger.info) -> dict[str, Any]:
    """Train and evaluate every agent on every seed. Returns results, evaluations and timings.
    With `opts.jobs > 1` the seeds run in that many spawned processes, each with its own data dir."""
    if opts.jobs > 1 and len(opts.seeds) > 1:
        return _run_parallel(opts, settings)
    import torch

    from toolorch.backends.vectors.embedder import Embedder
    from toolorch.registry.registry import Registry

    torch.set_num_threads(1)
    t_start = time.perf_counter()
    registry = Registry.load(settings.registry_dir)
    tasks = load_suite(opts.suite)
    problems = validate_suite(tasks, registry)
    if problems:
        raise ValueError(f"suite {opts.suite} is invalid: " + "; ".join(problems[:5]))
    train_tasks, test_tasks = split(tasks, "train"), split(tasks, "test")
    if not train_tasks:
        raise ValueError(f"suite {opts.suite} has no train tasks")
    t0 = time.perf_counter()
    embed = GoalEmbeddings(Embedder(settings).embed)
    embed.precompute([t.goal for t in tasks])
    embed_s = time.perf_counter() - t0
    env = SimEnv(registry, opts.env)
    max_steps = opts.env.max_steps
    agents = ["oracle", *[a for a in opts.agents if a != "oracle"]]  # the oracle sets the targets

    results: list[TrainResult] = []
    evals: dict[tuple[str, int], dict[str, Any]] = {}
    for seed in opts.seeds:
        order = schedule(train_tasks, opts.episodes, seed)
        for name in agents:
            agent = make_agent(name, opts, seed, registry, settings, embed)
            try:
                res = train(env, agent, train_tasks, order, seed, max_steps)
                learned = _final_metrics(agent)
                held = _eval(env, agent, test_tasks, seed, opts.eval_repeats, max_steps)
                on_train = _eval(env, agent, train_tasks, seed, 1, max_steps)
            finally:
                agent.close()
            results.append(res)
            evals[(res.agent, seed)] = {"heldout": held, "train": on_train, "metrics": learned}
            progress(f"seed {seed} {res.agent}: train success {np.mean(res.success):.3f} "
                     f"({res.seconds:.1f}s), held-out {held.get('success', float('nan')):.3f}")
    return {
        "results": results,
        "evals": evals,
        "tasks": {"train": len(train_tasks), "test": len(test_tasks), "intents": len({t.intent for t in tasks})},
        "embed_seconds": embed_s,
        "wall_seconds": time.perf_counter() - t_start,
    }


def _final_metrics(agent: Agent) -> dict[str, float]:
    """The KTO learner's metrics after training (last round's loss, z0, entropy, KL from the
    reference, the value head's explained variance, ...): numbers only."""
    metrics = getattr(agent, "metrics", None)
    if metrics is None:
        return {}
    return {k: float(v) for k, v in metrics().items()
            if isinstance(v, int | float) and not isinstance(v, bool) and "/" in k}


def _eval(env: SimEnv, agent: Agent, tasks: list[Task], seed: int, repeats: int, max_steps: int) -> dict[str, Any]:
    if not tasks:
        return {}
    return evaluate(env, agent, tasks, seed, repeats, max_steps)


def _run_parallel(opts: Options, settings: Any) -> dict[str, Any]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    t_start = time.perf_counter()
    jobs = min(opts.jobs, len(opts.seeds))
    chunks = [opts.seeds[i::jobs] for i in range(jobs)]
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_run_seeds, [replace(opts, seeds=c, jobs=1) for c in chunks],
                              [settings.registry_dir] * jobs))
    order = {s: i for i, s in enumerate(opts.seeds)}
    results = sorted((r for p in parts for r in p["results"]), key=lambda r: order[r.seed])
    return {
        "results": results,
        "evals": {k: v for p in parts for k, v in p["evals"].items()},
        "tasks": parts[0]["tasks"],
        "embed_seconds": max(p["embed_seconds"] for p in parts),
        "wall_seconds": time.perf_counter() - t_start,
    }


def _run_seeds(opts: Options, registry_dir: Path) -> dict[str, Any]:
    """A worker process: its own temporary data dir, log lines to stderr."""
    import sys
    import tempfile

    from toolorch.config import Settings

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    with tempfile.TemporaryDirectory(prefix="toolorch-bench-learn-") as home:
        return run(opts, Settings(home=Path(home), registry_dir=registry_dir))
