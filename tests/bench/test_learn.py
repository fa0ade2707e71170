"""`toolorch bench learn`: the suite, the environment's rules, every agent, and that KTO learns.

The goal embedder is the real all-MiniLM-L6-v2 (loaded once per module, ≈ 5–10 s on a busy
machine); every run here uses --quick sizes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from toolorch.bench.learn.agents import (
    GoalEmbeddings,
    KTOAgent,
    Observation,
    OracleAgent,
    RandomAgent,
)
from toolorch.bench.learn.env import Degrade, EnvConfig, SimEnv
from toolorch.bench.learn.runner import episodes_to, evaluate, play, rolling, schedule, train
from toolorch.bench.learn.suite import (
    DEFAULT_SUITE,
    Task,
    deliverable_tools,
    load_suite,
    split,
    validate_suite,
)
from toolorch.config import Settings
from toolorch.registry.registry import Registry
from toolorch.stores.experience import STOP


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(Settings().registry_dir)


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    return load_suite()


@pytest.fixture(scope="module")
def embed(tasks: list[Task]) -> GoalEmbeddings:
    import torch

    from toolorch.backends.vectors.embedder import Embedder

    torch.set_num_threads(1)
    e = GoalEmbeddings(Embedder().embed)
    e.precompute([t.goal for t in tasks])
    return e


def _task(tasks: list[Task], tid: str) -> Task:
    return next(t for t in tasks if t.id == tid)


# -- the suite --------------------------------------------------------------------------------
def test_default_suite_is_valid_and_covers_every_tool(registry: Registry, tasks: list[Task]) -> None:
    assert len(tasks) >= 60
    assert validate_suite(tasks, registry, min_tasks=60) == []
    assert deliverable_tools(tasks, registry) == set(registry.names)
    intents = {t.intent for t in tasks}
    train_goals, test_goals = {t.goal for t in split(tasks, "train")}, {t.goal for t in split(tasks, "test")}
    assert not train_goals & test_goals                      # split by phrasing: no shared text
    assert {t.intent for t in split(tasks, "test")} == intents == {t.intent for t in split(tasks, "train")}
    assert all(sum(t.intent == i for t in tasks) >= 3 for i in intents)  # several phrasings each
    # some tasks admit two plans, one cheaper: more tools are feasible at the start than the oracle needs
    flow = registry.dataflow
    two_plans = [t for t in tasks if t.budget is not None and "project_path" in t.inputs
                 and "scip_index_code" not in flow.plan_for(t.deliverable, t.inputs)]
    assert len(two_plans) >= 9


def test_validator_names_the_problem(registry: Registry, tmp_path: Path) -> None:
    rows = [
        {"id": "a", "intent": "x", "goal": "g", "inputs": {"language": "python"}, "deliverable": "lean4_file_path"},
        {"id": "b", "intent": "y", "goal": "h", "inputs": {"dataset_name": "d"}, "deliverable": "lineage_graph",
         "budget": 0.1, "split": "test"},
    ]
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    problems = validate_suite(load_suite(path), registry)
    assert any(p.startswith("a: nothing can produce") for p in problems)
    assert any("budget 0.1" in p for p in problems)
    assert any("intent 'y' has no train phrasing" in p for p in problems)


# -- the environment --------------------------------------------------------------------------
def test_env_feasibility_labels_and_provenance(registry: Registry, tasks: list[Task]) -> None:
    env = SimEnv(registry, EnvConfig().without_failures())
    run = env.start(_task(tasks, "n8n_package-1"), noise=np.ones(8))
    assert run.feasible() == registry.dataflow.feasible_tools({"project_path", "language"})
    with pytest.raises(ValueError, match="infeasible"):
        env.step(run, "lean4_generate_specs")
    for tool in ["scip_index_code", "scip_index_code", "marquez_get_lineage", "lean4_generate_specs",
                 "n8n_generate_components"]:
        env.step(run, tool, 0.5)
    assert run.done and run.success and run.cost == pytest.approx(5 + 5 + 0.3 + 2 + 1.5)
    # the agents are never offered the remake: a tool whose products all exist is not feasible
    replay = env.start(_task(tasks, "n8n_package-1"), noise=np.ones(8))
    env.step(replay, "scip_index_code", 1.0)
    assert "scip_index_code" not in replay.feasible()
    assert "lean4_generate_specs" in replay.feasible() and "marquez_get_lineage" in replay.feasible()
    labels = [(s.action, s.desirable) for s in run.steps]
    assert labels == [("scip_index_code", True), ("scip_index_code", False),   # a remake serves nothing
                      ("marquez_get_lineage", False), ("lean4_generate_specs", True),
                      ("n8n_generate_components", True)]
    exps = run.experiences()
    assert [e.action for e in exps] == [a for a, _ in labels]
    assert exps[3].artifacts and "scip_index_path" in exps[3].artifacts and exps[3].propensity == 0.5
    assert exps[1].history == (("scip_index_code", True),)


def test_env_failures_budget_and_stop(registry: Registry, tasks: list[Task]) -> None:
    config = EnvConfig(failure_rates={"lean4_generate_specs": 0.5}, default_failure_rate=0.0)
    env = SimEnv(registry, config)
    task = _task(tasks, "lean4_reuse-1")                 # budget 4: the index is given
    run = env.start(task, noise=np.array([0.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]))
    env.step(run, "lean4_generate_specs")                # u=0.1 < 0.5: fails, still costs 2
    assert not run.steps[0].success and run.cost == 2 and not run.done
    env.step(run, "scip_index_code")                     # 2 + 5 > 4: not run, costs nothing
    assert run.steps[1].skipped and run.cost == 2 and not run.steps[1].success
    env.step(run, "lean4_generate_specs")
    assert run.success and run.cost == 4
    assert [s.desirable for s in run.steps] == [False, False, True]
    run2 = env.start(task, noise=np.ones(8))
    env.step(run2, STOP, 0.3)
    assert run2.done and not run2.success
    stop = run2.experiences()[-1]
    assert stop.action == STOP and not stop.desirable and stop.propensity == 0.3
    degraded = EnvConfig(degrade=Degrade.parse("lean4_generate_specs:10:0.9"))
    assert degraded.failure_rate("lean4_generate_specs", 9) == degraded.default_failure_rate
    assert degraded.failure_rate("lean4_generate_specs", 10) == 0.9


def test_oracle_succeeds_on_every_task_without_failures(registry: Registry, tasks: list[Task]) -> None:
    env = SimEnv(registry, EnvConfig().without_failures())
    result = evaluate(env, OracleAgent(registry), tasks, seed=0, repeats=1, max_steps=8)
    assert result["success"] == 1.0 and result["failed_tasks"] == []
    flow = registry.dataflow
    cheapest = sum(sum(flow.tools[n].cost for n in flow.plan_for(t.deliverable, t.inputs)) for t in tasks)
    assert result["cost_per_success"] == pytest.approx(cheapest / len(tasks))


# -- agents -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_every_agent_plays_an_episode(registry: Registry, tasks: list[Task], embed: GoalEmbeddings,
                                      tmp_path: Path) -> None:
    from toolorch.bench.learn.benchmark import AGENTS, Options, make_agent

    env = SimEnv(registry)
    settings = Settings(home=tmp_path)
    task = _task(tasks, "facts-1")
    for name in AGENTS:
        agent = make_agent(name, Options(), 0, registry, settings, embed)
        try:
            for e in range(1, 3):   # the second episode runs after the first one's learning
                run = play(env, agent, task, e, np.ones(8), explore=True, learn=True)
                assert (run.done and run.steps) or run.stopped
                assert all(s.action in registry.names for s in run.steps)
        finally:
            agent.close()
    random_run = play(env, RandomAgent(0), task, 1, np.ones(8), explore=True, learn=False)
    assert all(p.prob is not None and 0 < p.prob <= 1 for p in random_run.steps)


@pytest.mark.slow
def test_kto_improves_on_an_easy_subsuite(registry: Registry, tasks: list[Task], embed: GoalEmbeddings,
                                          tmp_path: Path) -> None:
    """Three intents that need different tools from the same inputs (the goal decides)."""
    from toolorch.bench.learn.benchmark import kto_trainer_config

    easy = [t for t in split(tasks, "train") if t.intent in ("lineage_specs", "lean4_reuse", "n8n_package_from_lean")]
    env = SimEnv(registry)
    agent = KTOAgent(registry, Settings(home=tmp_path), embed, trainer_config=kto_trainer_config(1.0, 0, {}), seed=0)
    try:
        res = train(env, agent, easy, schedule(easy, 120, 0), seed=0, max_steps=8)
        steps = np.asarray(res.steps, dtype=float)
        first, last = res.success[:30], res.success[-30:]
        assert np.mean(last) >= np.mean(first) and np.mean(last) >= 0.9
        assert steps[-30:].mean() < steps[:30].mean()          # fewer wasted calls
        greedy = evaluate(env, agent, easy, seed=0, repeats=1, max_steps=8)
        assert greedy["success"] == 1.0
    finally:
        agent.close()


# -- measures ---------------------------------------------------------------------------------
def test_rolling_and_episodes_to() -> None:
    s = [0, 0, 1, 1, 1, 1]
    assert rolling(s, 2).tolist() == [0.0, 0.0, 0.5, 1.0, 1.0, 1.0]
    assert episodes_to(s, 1.0, 2) == 4
    assert episodes_to(s, 0.5, 4) == 4 and episodes_to([0] * 5, 0.1, 2) is None
    lucky = [1, 1, 0, 0, 1, 1, 1]          # touches 1.0 at episode 2, stays there from episode 6
    assert episodes_to(lucky, 1.0, 2) == 2 and episodes_to(lucky, 1.0, 2, sustained=True) == 6
    assert episodes_to([1, 1, 1, 0], 1.0, 2, sustained=True) is None


def test_goals_are_checked_per_seed_too() -> None:
    from toolorch.bench.learn.report import goals

    def stat(values: list[float | None]) -> dict[str, object]:
        real = [v for v in values if v is not None]
        out: dict[str, object] = {"values": values, "n": len(values), "n_valid": len(real)}
        return {**out, "mean": float(np.mean(real))} if real else out

    summary = {
        "kto(λ=1)": {"episodes_to_95": stat([80, 120]), "heldout_success": stat([0.99, 0.95]),
                     "cost_per_success_vs_oracle": stat([1.02, 1.15])},
        "vw": {"episodes_to_95": stat([150, 100])},
        "random": {"episodes_to_95": stat([None, None])},
    }
    g = goals(summary, "kto(λ=1)", 300)
    assert g["faster_than_every_baseline_to_95"] is True          # means: 100 < 125 < 301
    assert g["episodes_to_95_censored_mean"] == {"kto(λ=1)": 100, "vw": 125, "random": 301}
    assert g["cost_per_success_within_10pct"] is True              # mean 1.085
    assert [s["faster_than_every_baseline_to_95"] for s in g["per_seed"]] == [True, False]
    assert [s["cost_per_success_within_10pct"] for s in g["per_seed"]] == [True, False]
    # a baseline that misses a seed counts as episodes + 1 there (a lower bound of its value)
    summary["vw"] = {"episodes_to_95": stat([None, 60])}              # censored mean 180.5
    assert goals(summary, "kto(λ=1)", 300)["faster_than_every_baseline_to_95"] is True
    summary["vw"] = {"episodes_to_95": stat([None, 10])}              # censored mean 155.5, still slower
    assert goals(summary, "kto(λ=1)", 300)["faster_than_every_baseline_to_95"] is True
    summary["vw"] = {"episodes_to_95": stat([90, 100])}               # 95 < 100
    assert goals(summary, "kto(λ=1)", 300)["faster_than_every_baseline_to_95"] is False
    summary["kto(λ=1)"]["episodes_to_95"] = stat([80, None])          # KTO must reach it on every seed
    assert goals(summary, "kto(λ=1)", 300)["reaches_95_within_episodes"] is False


def test_observation_is_what_the_policy_sees(registry: Registry, tasks: list[Task]) -> None:
    env = SimEnv(registry)
    run = env.start(_task(tasks, "graph_rows-1"), noise=np.ones(8))
    env.step(run, "scip_index_code")
    obs = Observation(run.state(), run.feasible(), "graph_rows", frozenset(run.artifacts))
    assert obs.state.inputs_present == ("cypher_query", "language", "project_path")
    assert "scip_index_path" in obs.state.artifacts and "project_path" not in obs.state.artifacts
    assert OracleAgent(registry).act(obs, False)[0] == "memgraph_create_graph_from_scip"


@pytest.mark.slow
def test_quick_cli_writes_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from toolorch.bench.learn import main

    assert main(["--quick", "--episodes", "30", "--agents", "oracle,random,kto", "--out", str(tmp_path)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["agents"]) == {"oracle", "random", "kto(λ=1)"}
    assert payload["goals"]["kto_agent"] == "kto(λ=1)"
    learned = payload["agents"]["kto(λ=1)"]["final_metrics"]   # the trainer's own metrics
    assert learned["trainer/rounds"]["mean"] >= 1 and "losses/value_loss" in learned   # (explained variance: nan when every outcome is alike)
    assert "final_metrics" not in payload["agents"]["random"]
    assert payload["agents"]["oracle"]["heldout_success"]["mean"] > 0.9
    lines = (tmp_path / "curves.csv").read_text().splitlines()
    assert lines[0].startswith("episode,agent,seed") and len(lines) == 1 + 3 * 30
    assert (tmp_path / "curves.png").stat().st_size > 1000
    assert json.loads((tmp_path / "summary.json").read_text())["tasks"]["train"] == len(split(load_suite(DEFAULT_SUITE), "train"))


@pytest.mark.slow
def test_seeds_in_worker_processes_give_the_same_curves(tmp_path: Path) -> None:
    from toolorch.bench.learn import main

    common = ["--episodes", "20", "--window", "10", "--eval-repeats", "1", "--seeds", "3,4",
              "--agents", "oracle,random"]
    assert main([*common, "--jobs", "1", "--out", str(tmp_path / "one")]) == 0
    assert main([*common, "--jobs", "2", "--out", str(tmp_path / "two")]) == 0
    one, two = ((tmp_path / d / "curves.csv").read_text() for d in ("one", "two"))
    assert one == two and one.count("\n") == 1 + 2 * 2 * 20


def test_reinforce_anneals_its_exploration_like_kto(registry: Registry, tasks: list[Task]) -> None:
    from tests.rl.helpers import hash_embed
    from toolorch.bench.learn.reinforce import ReinforceAgent

    agent = ReinforceAgent(registry, hash_embed, train_every=2, steps=1, batch_size=4,
                           temperature_decay=0.5, min_temperature=0.3)
    assert agent.sampling_temperature() == 1.0
    env = SimEnv(registry)
    seen, total = [], 0
    for e in range(3):                                  # a round per 2 experiences (KTO's k = 2)
        run = play(env, agent, _task(tasks, "graph_rows-1"), e + 1, np.ones(8), True, True)
        total += len(run.experiences())
        assert agent._updates == total // 2
        seen.append((agent.sampling_temperature(), max(0.3, 0.5 ** (total // 2))))  # 1.0 · 0.5^rounds, floor 0.3
    assert [s for s, _ in seen] == pytest.approx([e for _, e in seen])
    assert seen[0][0] < 1.0 and seen[-1][0] == pytest.approx(0.3)
