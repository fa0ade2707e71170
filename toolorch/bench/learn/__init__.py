"""`toolorch bench learn`: does the KTO policy learn which tool to call faster than the baselines?

    suite.py      the public task suite format (JSONL), loader, validator; suites/default.jsonl
    env.py        the simulated environment over the registry's dataflow (failures, cost, budget)
    real.py       --mode real: the same episodes through toolorch's Engine on the fixture projects
    agents.py     Agent interface, random feasible, oracle planner, KTO (PolicyRunner)
    vw_agent.py   Vowpal Wabbit cb_explore_adf -q sa
    reinforce.py  REINFORCE on the same network, value-head baseline
    runner.py     training and greedy evaluation loops, rolling success, episodes-to-threshold
    benchmark.py  one run: every agent × seed (seeds over worker processes); report.py: CSV, PNG,
                  summary, table, issue 5's goals
    contexts.py   --env contexts|drift: projects, alternatives, hidden parameters, hidden deliverables
    planners.py   registry planner, Thompson planner, 1-NN intent planner, the context oracle
    linucb.py     LinUCB (disjoint) over the policy's features
    ctxbench.py   sweep on tuning seeds, untouched seeds, regret / held-out / cost, goals, table, plot
    metatool.py   --env metatool: 199 tools, bandit feedback, Acc@1 / NDCG@5
    results/      this round's outputs; HISTORY.md: earlier rounds and why defaults changed

`main(argv)` is what `toolorch bench learn ...` calls. Output: curves.csv, curves.png,
summary.json in --out; a table on stderr; the summary JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main"]

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    from toolorch.bench.learn.benchmark import AGENTS
    from toolorch.bench.learn.suite import DEFAULT_SUITE

    p = argparse.ArgumentParser(prog="toolorch bench learn", description=__doc__.split("\n")[0])
    p.add_argument("--episodes", type=int, default=None, help="training episodes per agent and seed (300)")
    p.add_argument("--seeds", default=None, help="comma-separated seeds (0,…,9)")
    p.add_argument("--suite", type=Path, default=DEFAULT_SUITE, help="task suite JSONL")
    p.add_argument("--out", type=Path, default=Path("bench-learn"), help="output directory")
    p.add_argument("--mode", choices=["sim", "real"], default="sim",
                   help="sim: simulated tool outcomes; real: the embedded backends on the fixtures (slow)")
    p.add_argument("--agents", default=",".join(AGENTS), help=f"subset of {','.join(AGENTS)}")
    p.add_argument("--lambda-u", type=float, default=None, help="λ_U/λ_D of the headline KTO agent")
    p.add_argument("--window", type=int, default=None, help="trailing window of the success rate (50)")
    p.add_argument("--eval-repeats", type=int, default=None, help="greedy passes over the held-out tasks (3)")
    p.add_argument("--env-config", type=Path, help="JSON of EnvConfig fields (failure rates, costs, ...)")
    p.add_argument("--degrade", help="nonstationary: TOOL:EPISODE:RATE (a tool degrades mid-run)")
    p.add_argument("--temperature", type=float, default=None, help="KTO sampling temperature while training")
    p.add_argument("--temperature-decay", type=float, default=None,
                   help="KTO temperature × decay^(training rounds), floored at --min-temperature")
    p.add_argument("--min-temperature", type=float, default=None, help="floor of the annealed temperature")
    p.add_argument("--kto", action="append", default=[], metavar="FIELD=VALUE",
                   help="TrainerConfig override for the KTO agents (repeatable), e.g. lr=3e-4")
    p.add_argument("--jobs", type=int, default=None,
                   help="worker processes for the seeds (default: the CPU count, at most the number of seeds)")
    p.add_argument("--quick", action="store_true", help="few episodes, one seed (tests, smoke runs)")
    p.add_argument("--env", choices=["suite", "contexts", "drift", "metatool"], default="suite",
                   help="suite: the public task suite (a); contexts / drift: hidden context parameters, "
                        "alternatives, hidden deliverables (b, c); metatool: the external check")
    p.add_argument("--tuning-seeds", default=None, help="contexts/drift: seeds of the sweep (0,…,4)")
    p.add_argument("--no-sweep", action="store_true", help="contexts/drift: skip the sweep, first configurations")
    p.add_argument("--families", default=None, help="contexts/drift: agent families (default: all)")
    p.add_argument("--contexts", type=Path, default=None, help="contexts suite JSON (suites/contexts.json)")
    p.add_argument("--from-rows", type=Path, default=None,
                   help="contexts/drift: summarize the work items of a (possibly cut) run's *-rows.jsonl, run nothing")
    p.add_argument("--chosen-from", type=Path, default=None,
                   help="contexts/drift: skip the sweep, use the configurations chosen in this result JSON")
    return p


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def options_from_args(ns: argparse.Namespace) -> Any:
    from toolorch.bench.learn.benchmark import Options
    from toolorch.bench.learn.env import Degrade, EnvConfig

    opts = Options(suite=ns.suite, agents=[a.strip() for a in ns.agents.split(",") if a.strip()])
    if ns.quick:
        opts.episodes, opts.seeds, opts.eval_repeats, opts.window = 60, [0], 1, 20
    if ns.episodes is not None:
        opts.episodes = ns.episodes
    if ns.seeds is not None:
        opts.seeds = [int(s) for s in ns.seeds.split(",") if s.strip()]
    if ns.window is not None:
        opts.window = ns.window
    if ns.eval_repeats is not None:
        opts.eval_repeats = ns.eval_repeats
    if ns.lambda_u is not None:
        opts.lambda_u = ns.lambda_u
    if ns.temperature is not None:
        opts.temperature = ns.temperature
    if ns.temperature_decay is not None:
        opts.temperature_decay = ns.temperature_decay
    if ns.min_temperature is not None:
        opts.min_temperature = ns.min_temperature
    opts.jobs = ns.jobs if ns.jobs is not None else min(len(opts.seeds), os.cpu_count() or 1)
    if opts.jobs < 1:
        raise SystemExit(f"--jobs must be ≥ 1 (got {opts.jobs})")
    opts.env = EnvConfig.from_json(ns.env_config) if ns.env_config else EnvConfig()
    if ns.degrade:
        opts.env.degrade = Degrade.parse(ns.degrade)
    for item in ns.kto:
        key, sep, val = item.partition("=")
        if not sep:
            raise SystemExit(f"--kto {item!r}: expected FIELD=VALUE, e.g. lr=3e-4")
        opts.kto_overrides[key.strip()] = _value(val)
    return opts


def main(argv: list[str] | None = None) -> int:
    ns = _parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    opts = options_from_args(ns)
    out: Path = ns.out
    out.mkdir(parents=True, exist_ok=True)
    if ns.env in ("contexts", "drift"):
        return _run_contexts(ns, out)
    if ns.env == "metatool":
        from toolorch.bench.learn.metatool import run as run_metatool

        result = run_metatool(out, limit=600 if ns.quick else None, kto_text_scale=20.0)
        print(json.dumps({k: v for k, v in result.items()}, indent=1, default=str))
        return 0
    if ns.mode == "real":
        from toolorch.bench.learn.real import run_real

        summary = run_real(opts, out)
        print(json.dumps(summary, indent=1, default=str))
        return 0
    return _run_sim(opts, out)


def _run_contexts(ns: argparse.Namespace, out: Path) -> int:
    from toolorch.bench.learn.ctxbench import CtxOptions, markdown, plot, run
    from toolorch.config import Settings

    def seeds(text: str) -> list[int]:
        return [int(s) for s in text.split(",") if s.strip()]

    opts = CtxOptions(env=ns.env, suite=ns.suite, contexts=ns.contexts, sweep=not (ns.no_sweep or ns.chosen_from))
    if ns.chosen_from:
        opts.chosen = dict(json.loads(ns.chosen_from.read_text(encoding="utf-8"))["chosen"])
    if ns.quick:
        opts.episodes, opts.tuning_seeds, opts.seeds, opts.window = 40, [0], [1], 20
    if ns.episodes is not None:
        opts.episodes = ns.episodes
    if ns.seeds is not None:
        opts.seeds = seeds(ns.seeds)
    if ns.tuning_seeds is not None:
        opts.tuning_seeds = seeds(ns.tuning_seeds)
    if ns.families:
        opts.families = [f.strip() for f in ns.families.split(",") if f.strip()]
    opts.jobs = ns.jobs if ns.jobs is not None else 1
    if ns.from_rows:
        from toolorch.bench.learn.ctxbench import goals, summarize

        rows = [json.loads(line) for line in ns.from_rows.read_text(encoding="utf-8").splitlines() if line.strip()]
        seeds_seen = sorted({r["seed"] for r in rows})
        complete = [r for r in rows if r["seed"] in {o["seed"] for o in rows if o["family"] == "oracle"}]
        summary = summarize(complete, opts.window, opts.episodes)
        result = {"env": ns.env, "episodes": opts.episodes, "tuning_seeds": [], "seeds": seeds_seen, "chosen": opts.chosen,
                  "sweep": {}, "agents": summary, "goals": goals(summary), "wall_seconds": None,
                  "from_rows": str(ns.from_rows), "items": len(rows)}
    else:
        opts.rows_path = out / f"{ns.env}-rows.jsonl"
        opts.rows_path.unlink(missing_ok=True)
        result = run(opts, Settings().registry_dir)
    (out / f"{ns.env}.json").write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    plot(result, out / f"{ns.env}.png")
    table = markdown(result)
    (out / f"{ns.env}.md").write_text(table + "\n", encoding="utf-8")
    print(table, file=sys.stderr)
    print(json.dumps({"env": ns.env, "chosen": result["chosen"], "goals": result["goals"],
                      "wall_seconds": result["wall_seconds"]}, indent=1, default=str))
    return 0


def _run_sim(opts: Any, out: Path) -> int:
    from toolorch.bench.learn.benchmark import run
    from toolorch.bench.learn.report import goals, plot_curves, print_table, summarize, write_curves
    from toolorch.config import Settings

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="toolorch-bench-learn-") as home:
        settings = Settings(home=Path(home))
        data = run(opts, settings)
    results, evals = data["results"], data["evals"]
    summary = summarize(results, evals, opts.window)
    kto = next((r.agent for r in results if r.agent.startswith(f"kto(λ={opts.lambda_u:g})")), None)
    payload: dict[str, Any] = {
        "options": {"episodes": opts.episodes, "seeds": opts.seeds, "suite": str(opts.suite),
                    "window": opts.window, "eval_repeats": opts.eval_repeats, "lambda_u": opts.lambda_u,
                    "temperature": opts.temperature, "temperature_decay": opts.temperature_decay,
                    "min_temperature": opts.min_temperature, "kto_overrides": opts.kto_overrides, "jobs": opts.jobs,
                    "env": opts.env.to_dict()},
        "tasks": data["tasks"],
        "agents": summary,
        "loss_aversion": {a: {k: summary[a][k].get("mean") for k in ("episodes_to_95", "train_success_last",
                                                                   "heldout_success", "cost_per_success_vs_oracle")}
                          for a in summary if a.startswith("kto")},
        "goals": goals(summary, kto, opts.episodes) if kto else None,
        "embed_seconds": round(data["embed_seconds"], 2),
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
    write_curves(out / "curves.csv", results, opts.window)
    plot_curves(out / "curves.png", results, opts.window,
                f"toolorch bench learn: {len(opts.seeds)} seed(s), {data['tasks']['train']} train tasks")
    (out / "summary.json").write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    print_table(summary, f"bench learn ({opts.episodes} episodes × seeds {opts.seeds}; window {opts.window})")
    print(json.dumps(payload, indent=1, default=str))
    return 0
