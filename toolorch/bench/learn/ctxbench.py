"""`toolorch bench learn --env contexts|drift`: KTO against every planner and bandit, fairly.

Protocol (issue 9):
1. Every agent family gets the same small sweep (`SWEEP`: three values of its main knob; the
   families without a knob get one run) on the tuning seeds (0–4). The configuration with the
   lowest mean cumulative success regret (then cost regret) is kept; the sweep is reported.
2. The kept configurations run on untouched seeds (10–19 by default), never used for choosing.
3. Per seed and agent: cumulative regret against the oracle in success (Σ oracle − agent, same
   tasks and failure draws) and in cost (Σ agent − oracle); held-out success and cost per success
   (greedy, no learning) on unseen tasks (test phrasings) in unseen contexts (test projects),
   relative to the oracle's; episodes until the trailing-50 success stays ≥ 95% of the oracle's.
4. Goals (issue 9, point 7) on the untouched seeds' means: KTO's success regret the lowest of all
   agents and ≤ half the best non-learning planner's; held-out success ≥ 0.95 × the oracle's;
   cost per success ≤ 1.05 × the oracle's.

Work items (agent, configuration, seed) run in `jobs` spawned processes, each with the embedder
loaded once; every item is deterministic for its seed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

#: family → list of (label, parameters); the same size of sweep for every family with a knob.
SWEEP: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "oracle": [("", {})],
    "random": [("", {})],
    "registry_planner": [("", {})],
    "nn_intent_planner": [("", {})],
    "thompson_planner": [(f"prior={a:g},{b:g}", {"prior": (a, b)}) for a, b in ((1, 1), (2, 1), (4, 1))],
    "vw_epsilon": [(f"ε={v:g}", {"param": v}) for v in (0.02, 0.05, 0.1)],
    "vw_softmax": [(f"λ={v:g}", {"param": v}) for v in (1.0, 10.0, 30.0)],
    "vw_squarecb": [(f"γ={v:g}", {"param": v}) for v in (10.0, 100.0, 1000.0)],
    "linucb": [(f"α={v:g}", {"alpha": v}) for v in (0.1, 0.3, 1.0)],
    "reinforce": [(f"lr={v:g}", {"lr": v}) for v in (1e-4, 3e-4, 1e-3)],
    "kto": [(f"lr={v:g}", {"lr": v}) for v in (5e-5, 1e-4, 2e-4)],
}
NON_LEARNING = ("registry_planner", "nn_intent_planner")
FAMILIES = tuple(SWEEP)


@dataclass
class CtxOptions:
    env: str = "contexts"
    episodes: int = 400
    tuning_seeds: list[int] = field(default_factory=lambda: list(range(5)))
    seeds: list[int] = field(default_factory=lambda: list(range(10, 20)))
    families: list[str] = field(default_factory=lambda: list(FAMILIES))
    window: int = 50
    jobs: int = 1
    suite: Path | None = None
    contexts: Path | None = None
    sweep: bool = True
    chosen: dict[str, str] = field(default_factory=dict)
    """Configurations chosen elsewhere (another environment's sweep) when `sweep` is off."""
    rows_path: Path | None = None
    """Append every finished work item here (JSON lines), so a cut run keeps what it measured."""


@dataclass
class Item:
    family: str
    label: str
    params: dict[str, Any]
    seed: int


# -- one work item ----------------------------------------------------------------------------
class _World:
    """What a worker process builds once: registry with alternatives, tasks, embeddings."""

    def __init__(self, opts: CtxOptions, registry_dir: Path) -> None:
        import torch

        from toolorch.backends.vectors.embedder import Embedder
        from toolorch.bench.learn.agents import GoalEmbeddings
        from toolorch.bench.learn.contexts import DEFAULT_CONTEXTS, ContextSuite, context_tasks, with_alternatives
        from toolorch.bench.learn.suite import DEFAULT_SUITE, load_suite
        from toolorch.config import Settings
        from toolorch.registry.registry import Registry
        from toolorch.rl.actions import tool_text

        torch.set_num_threads(1)
        self.settings = Settings(registry_dir=registry_dir)
        self.suite = ContextSuite.load(opts.contexts or DEFAULT_CONTEXTS)
        self.registry = with_alternatives(Registry.load(registry_dir), self.suite.alternatives)
        base = load_suite(opts.suite or DEFAULT_SUITE)
        self.train_tasks = context_tasks(base, self.suite, "train", self.suite.split_projects("train"))
        self.test_tasks = context_tasks(base, self.suite, "test", self.suite.split_projects("test"))
        self.embed = GoalEmbeddings(Embedder(self.settings).embed)
        self.embed.precompute([t.goal for t in base] + [tool_text(s) for s in self.registry])
        self.by_id = {t.id: t for t in [*self.train_tasks, *self.test_tasks]}


def make_agent(world: _World, item: Item, env: Any, home: Path) -> Any:
    from toolorch.bench.learn import planners
    from toolorch.bench.learn.agents import KTOAgent, RandomAgent

    f, p, seed, reg = item.family, item.params, item.seed, world.registry
    if f == "oracle":
        return planners.ContextOracle(reg, env, world.by_id)
    if f == "random":
        return RandomAgent(seed)
    if f == "registry_planner":
        return planners.RegistryPlanner(reg)
    if f == "nn_intent_planner":
        return planners.NearestIntentPlanner(reg, world.train_tasks, world.embed)
    if f == "thompson_planner":
        return planners.ThompsonPlanner(reg, seed, prior=tuple(p["prior"]))
    if f.startswith("vw_"):
        from toolorch.bench.learn.vw_agent import VWAgent

        return VWAgent(world.embed, name=f, exploration=f[3:], param=p["param"], seed=seed)
    if f == "linucb":
        from toolorch.bench.learn.linucb import LinUCBAgent

        return LinUCBAgent(world.embed, alpha=p["alpha"], seed=seed)
    if f == "reinforce":
        from toolorch.bench.learn.reinforce import ReinforceAgent

        return ReinforceAgent(reg, world.embed, lr=p["lr"], seed=seed)
    if f == "kto":
        from dataclasses import replace

        from toolorch.config import Settings
        from toolorch.rl.trainer import TrainerConfig

        config = replace(TrainerConfig(), lr=p["lr"], seed=seed)
        return KTOAgent(reg, Settings(home=home, registry_dir=world.settings.registry_dir), world.embed,
                        name="kto", trainer_config=config, seed=seed)
    raise ValueError(f"unknown agent family {f!r}; choose from {', '.join(FAMILIES)}")


def run_item(world: _World, opts: CtxOptions, item: Item) -> dict[str, Any]:
    """Train one agent on one seed, then evaluate it greedily on unseen tasks × unseen projects."""
    import tempfile

    from toolorch.bench.learn.contexts import ContextEnv, HiddenParams
    from toolorch.bench.learn.runner import evaluate, schedule, train

    params = HiddenParams(world.registry, world.suite, item.seed)
    if opts.env == "contexts":
        world.suite.drift, drift = [], world.suite.drift
    else:
        drift = world.suite.drift
    try:
        env = ContextEnv(world.registry, world.suite, params, opts.episodes)
        order = schedule(world.train_tasks, opts.episodes, item.seed)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="toolorch-ctx-") as home:
            agent = make_agent(world, item, env, Path(home))
            try:
                res = train(env, agent, world.train_tasks, order, item.seed, env.max_steps)
                env.record = False
                held = evaluate(env, agent, world.test_tasks, item.seed, 1, env.max_steps)
            finally:
                agent.close()
    finally:
        world.suite.drift = drift
    return {"family": item.family, "label": item.label, "seed": item.seed, "success": res.success,
            "cost": res.cost, "steps": res.steps, "heldout": held, "seconds": time.perf_counter() - t0}


_WORLD: _World | None = None


def _init_worker(opts: CtxOptions, registry_dir: Path) -> None:
    import sys

    global _WORLD
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    _WORLD = _World(opts, registry_dir)


def _work(opts: CtxOptions, item: Item) -> dict[str, Any]:
    assert _WORLD is not None
    out = run_item(_WORLD, opts, item)
    logger.info("%s %s %s seed %d: train success %.3f, held-out %.3f (%.0fs)", opts.env, item.family,
                item.label, item.seed, float(np.mean(out["success"])), out["heldout"]["success"], out["seconds"])
    return out


def run_items(opts: CtxOptions, items: list[Item], registry_dir: Path) -> list[dict[str, Any]]:
    # the cheap agents first, then KTO, then the other heavy learners: a run cut short keeps the most
    order = {"oracle": 0, "registry_planner": 1, "nn_intent_planner": 1, "random": 1, "thompson_planner": 1,
             "kto": 2, "vw_epsilon": 3, "vw_softmax": 3, "vw_squarecb": 3, "linucb": 4, "reinforce": 5}
    items = sorted(items, key=lambda i: (order.get(i.family, 9), i.seed))
    rows: list[dict[str, Any]] = []

    def keep(row: dict[str, Any]) -> None:
        rows.append(row)
        if opts.rows_path is not None:
            import json

            with opts.rows_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")

    if opts.jobs <= 1:
        _init_worker(opts, registry_dir)
        for i in items:
            keep(_work(opts, i))
        return rows
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(opts.jobs, mp_context=ctx, initializer=_init_worker,
                             initargs=(opts, registry_dir)) as pool:
        for fut in as_completed([pool.submit(_work, opts, i) for i in items]):
            keep(fut.result())
    return rows


# -- metrics ----------------------------------------------------------------------------------
def seed_metrics(row: dict[str, Any], oracle: dict[str, Any], window: int) -> dict[str, Any]:
    from toolorch.bench.learn.runner import episodes_to

    s, o = np.asarray(row["success"], float), np.asarray(oracle["success"], float)
    c, oc = np.asarray(row["cost"], float), np.asarray(oracle["cost"], float)
    held, oheld = row["heldout"], oracle["heldout"]
    target = 0.95 * float(o.mean())
    return {
        "regret_success": float((o - s).sum()),
        "regret_cost": float((c - oc).sum()),
        "regret_success_curve": np.cumsum(o - s).tolist(),
        "train_success": float(s.mean()),
        "heldout_success": held["success"],
        "heldout_vs_oracle": held["success"] / oheld["success"] if oheld["success"] else None,
        "heldout_cost_per_success": held["cost_per_success"],
        "cost_per_success_vs_oracle": (held["cost_per_success"] / oheld["cost_per_success"]
                                       if np.isfinite(held["cost_per_success"]) and oheld["cost_per_success"] else None),
        "episodes_to_95": episodes_to(row["success"], target, window, sustained=True),
        "seconds": row["seconds"],
    }


def summarize(rows: list[dict[str, Any]], window: int, episodes: int) -> dict[str, dict[str, Any]]:
    """{agent label: {metric: {values, mean, std}}} over seeds."""
    oracle = {r["seed"]: r for r in rows if r["family"] == "oracle"}
    out: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(_name(r["family"], r["label"]), []).append(r)
    for name, mine in groups.items():
        per = [seed_metrics(r, oracle[r["seed"]], window) for r in sorted(mine, key=lambda r: r["seed"])]
        stats: dict[str, Any] = {"family": mine[0]["family"], "label": mine[0]["label"],
                                 "seeds": [r["seed"] for r in sorted(mine, key=lambda r: r["seed"])]}
        for key in per[0]:
            if key == "regret_success_curve":
                stats["regret_success_curve_mean"] = np.mean([p[key] for p in per], axis=0).tolist()
                continue
            vals = [p[key] for p in per]
            if key == "episodes_to_95":
                vals = [episodes + 1 if v is None else v for v in vals]   # never = episodes + 1
            real = [float(v) for v in vals if v is not None and np.isfinite(v)]
            stats[key] = {"values": vals, "mean": float(np.mean(real)) if real else None,
                          "std": float(np.std(real)) if real else None}
        out[name] = stats
    return out


def _name(family: str, label: str) -> str:
    return f"{family}({label})" if label else family


def choose(sweep: dict[str, dict[str, Any]]) -> dict[str, str]:
    """family → the label with the lowest mean success regret (then cost regret)."""
    best: dict[str, tuple[float, float, str]] = {}
    for s in sweep.values():
        key = (s["regret_success"]["mean"], s["regret_cost"]["mean"], s["label"])
        if s["family"] not in best or key < best[s["family"]]:
            best[s["family"]] = key
    return {f: k[2] for f, k in best.items()}


def goals(summary: dict[str, dict[str, Any]]) -> dict[str, Any]:
    kto = next((s for s in summary.values() if s["family"] == "kto"), None)
    if kto is None:
        return {}
    regrets = {n: s["regret_success"]["mean"] for n, s in summary.items() if s["family"] != "oracle"}
    planners = {n: regrets[n] for n, s in summary.items() if s["family"] in NON_LEARNING}
    best_planner = min(planners.values()) if planners else None
    k = kto["regret_success"]["mean"]
    return {
        "regret_success_mean": regrets,
        "kto_lowest_regret": all(k <= v for n, v in regrets.items()),
        "kto_at_most_half_best_non_learning_planner": best_planner is not None and k <= 0.5 * best_planner,
        "heldout_vs_oracle_at_least_0.95": (kto["heldout_vs_oracle"]["mean"] or 0) >= 0.95,
        "cost_per_success_at_most_1.05": (kto["cost_per_success_vs_oracle"]["mean"] or 9) <= 1.05,
    }


def run(opts: CtxOptions, registry_dir: Path, progress: Callable[[str], None] = logger.info) -> dict[str, Any]:
    t0 = time.perf_counter()
    chosen: dict[str, str] = dict(opts.chosen)
    sweep_summary: dict[str, Any] = {}
    if opts.sweep:
        items = [Item(f, label, params, s) for f in opts.families for label, params in SWEEP[f]
                 for s in opts.tuning_seeds]
        if "oracle" not in opts.families:
            items += [Item("oracle", "", {}, s) for s in opts.tuning_seeds]
        sweep_summary = summarize(run_items(opts, items, registry_dir), opts.window, opts.episodes)
        chosen = choose(sweep_summary)
        progress(f"sweep on seeds {opts.tuning_seeds}: chosen {chosen}")
    configs = {f: dict(SWEEP[f]) for f in opts.families}
    items = [Item(f, chosen.get(f, SWEEP[f][0][0]), configs[f][chosen.get(f, SWEEP[f][0][0])], s)
             for f in opts.families for s in opts.seeds]
    if "oracle" not in opts.families:
        items += [Item("oracle", "", {}, s) for s in opts.seeds]
    rows = run_items(opts, items, registry_dir)
    summary = summarize(rows, opts.window, opts.episodes)
    return {"env": opts.env, "episodes": opts.episodes, "tuning_seeds": opts.tuning_seeds, "seeds": opts.seeds,
            "chosen": chosen, "sweep": sweep_summary, "agents": summary, "goals": goals(summary),
            "wall_seconds": round(time.perf_counter() - t0, 1)}


# -- output -----------------------------------------------------------------------------------
def markdown(result: dict[str, Any]) -> str:
    """The untouched seeds' table (mean ± std over seeds) and the sweep, as README markdown."""
    def cell(stat: dict[str, Any], digits: int = 1) -> str:
        if not stat or stat.get("mean") is None:
            return "–"
        return f"{stat['mean']:.{digits}f} ± {stat['std']:.{digits}f}"

    lines = [f"| agent ({result['env']}, seeds {result['seeds'][0]}–{result['seeds'][-1]}) | success regret | cost regret "
             f"| held-out success / oracle | cost per success / oracle | ep→95% (never = {result['episodes'] + 1}) |",
             "|---|---|---|---|---|---|"]
    rows = sorted(result["agents"].items(), key=lambda kv: kv[1]["regret_success"]["mean"] or 0.0)
    for name, s in rows:
        lines.append(f"| {name} | {cell(s['regret_success'])} | {cell(s['regret_cost'])} | "
                     f"{cell(s['heldout_vs_oracle'], 3)} | {cell(s['cost_per_success_vs_oracle'], 2)} | "
                     f"{cell(s['episodes_to_95'], 0)} |")
    if result.get("sweep"):
        lines += ["", f"Sweep on tuning seeds {result['tuning_seeds']} (mean success regret / cost regret; kept = *):", ""]
        by_family: dict[str, list[str]] = {}
        for s in result["sweep"].values():
            mark = "*" if result["chosen"].get(s["family"]) == s["label"] else ""
            by_family.setdefault(s["family"], []).append(
                f"{s['label'] or '–'} {s['regret_success']['mean']:.1f} / {s['regret_cost']['mean']:.0f}{mark}")
        lines += [f"- {f}: " + "; ".join(v) for f, v in by_family.items()]
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for name, s in sorted(result["agents"].items()):
        if s["family"] == "oracle":
            continue
        curve = s["regret_success_curve_mean"]
        ax.plot(range(1, len(curve) + 1), curve, "-" if s["family"] == "kto" else "--", label=name,
                lw=2.2 if s["family"] == "kto" else 1.0)
    ax.set_xlabel("episode")
    ax.set_ylabel("cumulative success regret vs the oracle (mean over seeds)")
    ax.set_title(f"bench learn --env {result['env']}: seeds {result['seeds'][0]}–{result['seeds'][-1]}")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
