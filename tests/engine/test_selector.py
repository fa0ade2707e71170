"""strategy "auto" and goals without a deliverable (engine/selector.py, engine/intent.py) over the
test registry: a → {b, c} → d."""

from __future__ import annotations

import pytest

from toolorch.config import Settings
from toolorch.engine.engine import Engine
from toolorch.engine.intent import IntentIndex, clauses
from toolorch.engine.orchestrator import Orchestrator
from toolorch.engine.request import OrchestrateRequest, Strategy
from toolorch.engine.selector import (
    FAILING_MIN_CALLS,
    GOAL_ONLY_READY,
    PolicyReadiness,
    failing_tools,
    select,
)
from toolorch.registry import Registry


@pytest.fixture
def registry(settings: Settings) -> Registry:
    return Registry.for_settings(settings)


@pytest.mark.anyio
async def run(engine: Engine, **body: object):  # type: ignore[no-untyped-def]
    return await Orchestrator(engine).run(OrchestrateRequest.model_validate(body))


def test_auto_is_the_default() -> None:
    assert OrchestrateRequest(goal="g").strategy is Strategy.AUTO
    assert OrchestrateRequest(goal="g").detail == "summary"


@pytest.mark.anyio
async def test_a_goal_alone_runs_only_what_it_asks_for(engine: Engine) -> None:
    wf = await run(engine, goal="make beta", inputs={"seed": "s"})
    assert wf.success and wf.planner == "intent" and wf.strategy == "adaptive"
    assert [s.tool for s in wf.steps] == ["step_a", "step_b"]   # not c, not d
    sel = wf.to_dict()["selection"]
    assert sel["intent"]["deliverables"] == ["step_b"] and sel["intent"]["confidence"] >= 0.5
    assert sel["intent"]["candidates"][0]["tool"] == "step_b"
    assert "the goal reads as step_b" in sel["reason"] and "lexical" in sel["reason"]


@pytest.mark.anyio
async def test_an_unclear_goal_asks_for_a_deliverable_and_runs_nothing(engine: Engine) -> None:
    wf = await run(engine, goal="do the usual thing", inputs={"seed": "s"})
    assert not wf.success and wf.steps == [] and wf.planner == "intent"
    assert "nothing was run" in wf.notes[0] and "`deliverable`" in wf.notes[0] and '"all"' in wf.notes[0]
    engine.flush_experiences()
    assert engine.store.recent(10) == []


@pytest.mark.anyio
async def test_clauses_each_ask_for_something(engine: Engine) -> None:
    assert clauses("index and search; then lineage") == ["index", "search", "lineage"]
    wf = await run(engine, goal="make beta and gamma", inputs={"seed": "s"})
    assert sorted(s.tool for s in wf.steps) == ["step_a", "step_b", "step_c"]
    assert sorted(wf.to_dict()["selection"]["intent"]["deliverables"]) == ["step_b", "step_c"]


def test_a_tool_that_made_an_input_is_not_a_deliverable(registry: Registry) -> None:
    ix = IntentIndex(registry, threshold=0.5)
    # "alpha" is given: step_a already ran, so "from my alpha, make beta" asks for beta alone
    assert ix.infer("from my alpha and make beta", {"alpha", "goal"}).deliverables == ["step_b"]
    # without alpha given, step_b's prerequisite step_a is planned anyway and not listed apart
    assert ix.infer("make alpha and make beta", {"seed", "goal"}).deliverables == ["step_b"]


def test_threshold_boundary(registry: Registry) -> None:
    ix = IntentIndex(registry)
    c = ix.infer("make beta", {"seed"}).confidence
    ix.threshold = c
    assert ix.infer("make beta", {"seed"}).sure          # confidence == threshold is sure
    ix.threshold = c + 1e-9
    assert not ix.infer("make beta", {"seed"}).sure


@pytest.mark.anyio
async def test_auto_explicit_steps_with_dependencies_run_adaptive(engine: Engine) -> None:
    wf = await run(engine, goal="g", steps=[
        {"tool": "step_a", "arguments": {"seed": "x"}, "id": "first"},
        {"tool": "step_b", "arguments": {"alpha": "${first.alpha}"}},
    ])
    assert wf.success and wf.strategy == "adaptive"
    assert "explicit steps with dependencies (step 1 step_b waits for 0)" in wf.to_dict()["selection"]["reason"]


@pytest.mark.anyio
async def test_auto_independent_steps_run_parallel(engine: Engine) -> None:
    wf = await run(engine, goal="g", steps=[{"tool": "echo", "arguments": {"text": "one"}},
                                            {"tool": "echo", "arguments": {"text": "two"}}])
    assert wf.success and wf.strategy == "parallel"
    assert wf.to_dict()["selection"]["reason"].startswith("2 explicit steps, none needs another's output")


@pytest.mark.anyio
async def test_auto_with_a_deliverable_is_adaptive(engine: Engine) -> None:
    wf = await run(engine, goal="g", inputs={"seed": "s"}, deliverable="gamma")
    assert wf.strategy == "adaptive" and [s.tool for s in wf.steps] == ["step_a", "step_c"]
    assert wf.to_dict()["selection"]["reason"].startswith("deliverable 'gamma': the cheapest plan (2 steps)")


def _sel(registry: Registry, req: OrchestrateRequest, ready: PolicyReadiness, failing: dict[str, float]):  # type: ignore[no-untyped-def]
    return select(req, registry, {"seed", "goal"}, lambda: ready, lambda: failing,
                  lambda: IntentIndex(registry))


def test_auto_routes_around_a_failing_tool_only_with_a_trained_policy(registry: Registry) -> None:
    req = OrchestrateRequest(goal="g", inputs={"seed": "s"}, deliverable="beta")
    trained, untrained = PolicyReadiness(version=4), PolicyReadiness(version=0)
    sel = _sel(registry, req, trained, {"step_b": 0.2})
    assert sel.strategy is Strategy.RL_OPTIMIZED and "step_b succeeded in 20%" in sel.reason and "v4" in sel.reason
    assert _sel(registry, req, untrained, {"step_b": 0.2}).strategy is Strategy.ADAPTIVE
    assert _sel(registry, req, trained, {"step_c": 0.2}).strategy is Strategy.ADAPTIVE   # not in the plan


def test_auto_goal_only_goes_to_the_policy_once_it_serves_such_goals(registry: Registry) -> None:
    req = OrchestrateRequest(goal="make beta", inputs={"seed": "s"})
    ready = PolicyReadiness(version=3, goal_only_success=GOAL_ONLY_READY)
    sel = _sel(registry, req, ready, {})
    assert sel.strategy is Strategy.RL_OPTIMIZED and "serves such goals (90% in simulation)" in sel.reason
    almost = PolicyReadiness(version=3, goal_only_success=GOAL_ONLY_READY - 0.01)
    sel2 = _sel(registry, req, almost, {})
    assert sel2.strategy is Strategy.ADAPTIVE and sel2.deliverables == ["step_b"]
    assert PolicyReadiness.from_info({"version": 5, "metrics": {"goal_only/success_rate": 0.95}}).serves_goal_only
    assert not PolicyReadiness.from_info({}).trained


def test_failing_tools_reads_the_metrics_window() -> None:
    snap = {"tools": {"a": {"calls": FAILING_MIN_CALLS, "success_rate": 0.4},
                      "b": {"calls": FAILING_MIN_CALLS - 1, "success_rate": 0.0},
                      "c": {"calls": 50, "success_rate": 0.5}}}
    assert failing_tools(snap) == {"a": 0.4}


@pytest.mark.anyio
async def test_an_explicit_strategy_still_reads_the_goal(engine: Engine) -> None:
    wf = await run(engine, goal="make gamma", inputs={"seed": "s"}, strategy="sequential")
    assert wf.strategy == "sequential" and [s.tool for s in wf.steps] == ["step_a", "step_c"]
    assert wf.to_dict()["selection"]["reason"].startswith("requested: the goal reads as step_c")
