"""`bench learn --env contexts|drift|metatool`: the environment's rules, every baseline on a tiny
configuration, the sweep's choice, the MetaTool metrics and agents."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from toolorch.bench.learn import ctxbench as cb
from toolorch.bench.learn.contexts import ContextEnv, HiddenParams
from toolorch.config import Settings
from toolorch.stores.experience import STOP


@pytest.fixture(scope="module")
def world() -> cb._World:
    import torch

    world = cb._World(cb.CtxOptions(), Settings().registry_dir)
    torch.set_num_threads(1)
    return world


def _task(world: cb._World, task_id: str):
    return next(t for t in world.train_tasks if t.id == task_id)


def test_suite_adds_alternatives_projects_and_hidden_tasks(world) -> None:
    reg = world.registry
    assert {"scip_index_remote", "lexical_search_code", "graph_build_bulk"} <= set(reg.names) and len(reg) == 12
    assert reg.dataflow.made_by["scip_index_remote"] == reg.dataflow.made_by["scip_index_code"]
    assert len(world.train_tasks) == 60 * 9 and len(world.test_tasks) == 40 * 3
    assert {t.extra["project"] for t in world.test_tasks}.isdisjoint({t.extra["project"] for t in world.train_tasks})
    hidden = {t.intent for t in world.train_tasks if t.extra["hidden"]}
    assert hidden == world.suite.hidden_intents


def test_hidden_params_break_the_preferred_alternative_for_one_language(world) -> None:
    for seed in range(3):
        params = HiddenParams(world.registry, world.suite, seed)
        broken_tools = {t for t, _ in params.broken}
        # the registry's cheaper member of each group (remote indexer, lexical search, bulk loader)
        assert {"scip_index_remote", "lexical_search_code", "graph_build_bulk"} <= broken_tools
        project = world.suite.projects[0]
        for tool, lang in params.broken:
            p = next(p for p in world.suite.projects if p.language == lang)
            assert params.success(tool, p, 0.0) == 0.0
        assert 0.0 < params.success("glean_query_code", project, 0.0) < 1.0
    drift = world.suite.drift[0]
    params = HiddenParams(world.registry, world.suite, 0)
    ok = next(p for p in world.suite.projects if (drift.tool, p.language) not in params.broken)
    assert params.success(drift.tool, ok, drift.start) == drift.success
    assert params.success(drift.tool, ok, drift.end) != drift.success      # recovered


def test_broken_call_is_masked_and_a_hidden_goal_must_stop(world) -> None:
    params = HiddenParams(world.registry, world.suite, 0)
    tool, lang = next((t, lang) for t, lang in params.broken if t == "scip_index_remote")
    project = next(p for p in world.suite.projects if p.language == lang and p.split == "train")
    task = next(t for t in world.train_tasks if t.intent == "index" and t.extra["project"] == project.id)
    assert task.extra["hidden"]
    env = ContextEnv(world.registry, world.suite, params, episodes=10)
    run = env.start(task, 1, np.full(8, 0.9999))      # uniforms near 1: every call that can succeed does
    assert "scip_index_remote" in run.feasible() and not run.state().context.deliverable
    env.step(run, "scip_index_remote")
    assert not run.steps[0].success and run.failed_calls and "scip_index_remote" not in run.feasible()
    assert "scip_index_code" in run.feasible()        # the alternative stays
    env.step(run, "scip_index_code")
    assert run.delivered and not run.done             # hidden: delivery does not end the episode
    env.step(run, "glean_query_code")                 # a useless step after the goal was served
    env.step(run, STOP)
    exps = run.experiences()
    assert [e.desirable for e in exps[:3]] == [False, True, False]
    assert exps[3].action == STOP and exps[3].desirable                          # STOP after the goal
    assert exps[4].action == STOP and exps[4].label_source == "hindsight" and exps[4].step == 2
    assert exps[1].state.failed_calls[0][0] == "scip_index_remote"
    assert exps[0].state.context.language == lang


@pytest.mark.parametrize("family", cb.FAMILIES)
def test_each_baseline_runs_on_a_tiny_configuration(world, family: str) -> None:
    opts = cb.CtxOptions(env="drift", episodes=3)
    label, params = cb.SWEEP[family][-1]
    row = cb.run_item(world, opts, cb.Item(family, label, params, seed=0))
    assert len(row["success"]) == len(row["cost"]) == 3
    assert row["heldout"]["episodes"] == len(world.test_tasks)
    assert 0.0 <= row["heldout"]["success"] <= 1.0


def test_summary_regret_choice_and_goals() -> None:
    heldout = {"success": 1.0, "cost_per_success": 2.0}
    oracle = {"family": "oracle", "label": "", "seed": 0, "success": [1, 1, 1], "cost": [1.0, 1.0, 1.0],
              "heldout": heldout, "seconds": 0.0}
    rows = [oracle,
            {**oracle, "family": "kto", "label": "lr=1", "success": [0, 1, 1], "cost": [2.0, 1.0, 1.0],
             "heldout": {"success": 0.96, "cost_per_success": 2.1}},
            {**oracle, "family": "kto", "label": "lr=2", "success": [0, 0, 1], "cost": [1.0, 1.0, 1.0]},
            {**oracle, "family": "registry_planner", "success": [0, 0, 1], "cost": [3.0, 3.0, 3.0]}]
    summary = cb.summarize(rows, window=1, episodes=3)
    k = summary["kto(lr=1)"]
    assert k["regret_success"]["mean"] == 1.0 and k["regret_cost"]["mean"] == 1.0
    assert k["regret_success_curve_mean"] == [1.0, 1.0, 1.0]
    assert k["episodes_to_95"]["values"] == [2] and summary["registry_planner"]["episodes_to_95"]["values"] == [3]
    assert k["heldout_vs_oracle"]["mean"] == pytest.approx(0.96)
    assert k["cost_per_success_vs_oracle"]["mean"] == pytest.approx(1.05)
    assert cb.choose(summary)["kto"] == "lr=1"
    del summary["kto(lr=2)"]
    g = cb.goals(summary)
    assert g["kto_lowest_regret"] and g["kto_at_most_half_best_non_learning_planner"]
    assert g["heldout_vs_oracle_at_least_0.95"] and g["cost_per_success_at_most_1.05"]
    assert "kto(lr=1)" in cb.markdown({"env": "contexts", "seeds": [0], "episodes": 3, "agents": summary,
                                       "sweep": {}, "chosen": {}, "tuning_seeds": []})


# -- MetaTool ---------------------------------------------------------------------------------
def test_metatool_metrics() -> None:
    from toolorch.bench.learn.metatool import metrics, ranks

    scores = np.array([[0.9, 0.1, 0.5], [0.2, 0.3, 0.9], [0.5, 0.5, 0.1]])
    truth = np.array([0, 0, 1])
    assert ranks(scores, truth).tolist() == [1, 3, 2]           # a tie counts against the truth
    m = metrics(scores, truth)
    assert m["acc1"] == pytest.approx(1 / 3)
    assert m["ndcg5"] == pytest.approx((1 + 1 / np.log2(4) + 1 / np.log2(3)) / 3)


def test_metatool_agents_learn_from_bandit_feedback(tmp_path: Path) -> None:
    from toolorch.bench.learn.metatool import KTO, OATS, VW, LinUCB, Retrieval

    rng = np.random.default_rng(0)
    tools = rng.standard_normal((6, 384)).astype(np.float32)
    tools /= np.linalg.norm(tools, axis=1, keepdims=True)
    q = tools[2] * 0.3 + tools[4] * 0.7
    q = (q / np.linalg.norm(q)).astype(np.float32)                # closest to tool 4, truly tool 2
    oats = OATS(tools, eta=0.5)
    assert oats.choose(0, q) == 4
    for _ in range(5):
        a = oats.choose(0, q)
        oats.feedback(0, q, a, a == 2)
    assert oats.choose(0, q) == 2 and Retrieval(tools).choose(0, q) == 4
    lin = LinUCB(tools, alpha=0.1)
    for _ in range(20):
        a = lin.choose(0, q)
        lin.feedback(0, q, a, a == 2)
    assert lin.scores(q[None]).argmax() == 2
    vw = VW(tools, [f"t{i}" for i in range(6)], lam=10.0)
    a = vw.choose(0, q)
    vw.feedback(0, q, a, a == 2)
    assert vw.scores(q[None]).shape == (1, 6)
    names = [f"tool_{i}" for i in range(6)]
    kto = KTO(names, [f"does thing {i}" for i in range(6)], ["the query"], q[None], tools, tmp_path, text_scale=20.0)
    a = kto.choose(0, q)
    assert 0 <= a < 6 and kto.scores([0]).shape == (1, 6)
    kto.feedback(0, q, a, a == 2)
