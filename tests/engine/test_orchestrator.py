"""orchestrate over the test registry: a → {b, c} → d, derived from the tools' dataflow."""

from __future__ import annotations

import pytest

from toolorch.engine.engine import Engine
from toolorch.engine.orchestrator import Orchestrator
from toolorch.engine.request import OrchestrateRequest
from toolorch.errors import OrchestrationError

pytestmark = pytest.mark.anyio


async def run(engine: Engine, **body: object):  # type: ignore[no-untyped-def]
    return await Orchestrator(engine).run(OrchestrateRequest.model_validate(body))


async def test_adaptive_plans_from_dataflow(engine: Engine) -> None:
    wf = await run(engine, goal="make delta", inputs={"seed": "s"})
    d = wf.to_dict()
    assert wf.success and wf.planner == "dataflow"
    assert [p["tool"] for p in d["plan"]] == ["step_a", "step_b", "step_c", "step_d"]
    assert d["plan"][3]["depends_on"] == [1, 2]
    assert wf.outputs["delta"] == "d(b(a(s)),c(a(s)))"
    assert d["totals"] == {"steps": 4, "succeeded": 4, "failed": 0, "skipped": 0,
                           "time_s": d["totals"]["time_s"], "cost": 5.0}


async def test_deliverable_limits_the_plan(engine: Engine) -> None:
    wf = await run(engine, goal="only beta", inputs={"seed": "s"}, deliverable="beta")
    assert [s.tool for s in wf.steps] == ["step_a", "step_b"] and wf.success


async def test_adaptive_skips_only_dependents_of_a_failure(engine: Engine) -> None:
    wf = await run(engine, goal="g", inputs={"seed": "fail"})
    by_tool = {s.tool: s for s in wf.steps}
    assert by_tool["step_b"].success and not by_tool["step_c"].success
    assert by_tool["step_d"].result is None and "step_c" in (by_tool["step_d"].skipped_reason or "")
    assert not wf.success


async def test_sequential_fails_fast(engine: Engine) -> None:
    wf = await run(engine, goal="g", inputs={"seed": "fail"}, strategy="sequential", deliverable="delta")
    tools = [(s.tool, s.success, s.result is None) for s in wf.steps]
    assert tools == [("step_a", True, False), ("step_b", True, False), ("step_c", False, False),
                     ("step_d", False, True)]


async def test_explicit_steps_use_earlier_outputs(engine: Engine) -> None:
    wf = await run(engine, goal="g", strategy="sequential", steps=[
        {"tool": "step_a", "arguments": {"seed": "x"}, "id": "first"},
        {"tool": "echo", "arguments": {"text": "got ${first.alpha}"}},
        {"tool": "step_b", "arguments": {"alpha": "${alpha}"}},
    ])
    assert wf.success and wf.planner == "explicit"
    assert wf.steps[1].result is not None and wf.steps[1].result.output == {"text": "got a(x)", "length": 8}
    assert wf.outputs["beta"] == "b(a(x))"


async def test_parallel_runs_independent_steps(engine: Engine) -> None:
    wf = await run(engine, goal="g", strategy="parallel", steps=[
        {"tool": "echo", "arguments": {"text": "one"}},
        {"tool": "echo", "arguments": {"text": "two"}},
        {"tool": "step_a", "arguments": {"seed": "p"}},
    ])
    assert wf.success and len(wf.steps) == 3


async def test_cost_budget_and_max_steps(engine: Engine) -> None:
    wf = await run(engine, goal="g", inputs={"seed": "s"}, cost_budget=2.5)
    skipped = [s for s in wf.steps if s.result is None]
    assert skipped and all("cost budget" in (s.skipped_reason or "") or "depends on" in (s.skipped_reason or "")
                           for s in skipped)
    wf2 = await run(engine, goal="g", inputs={"seed": "s"}, max_steps=2)
    assert len(wf2.steps) == 2 and any("max_steps" in n for n in wf2.notes)


async def test_workflow_timeout(engine: Engine) -> None:
    wf = await run(engine, goal="g", strategy="sequential", timeout_s=0.3, steps=[
        {"tool": "sleepy", "arguments": {"seconds": 0.9}},
        {"tool": "echo", "arguments": {"text": "never"}},
    ])
    assert not wf.success and any("timeout" in n for n in wf.notes)
    assert wf.steps[1].result is None


async def test_experiences_labels_and_feedback(engine: Engine) -> None:
    wf = await run(engine, goal="only beta", inputs={"seed": "s"}, deliverable="beta")
    engine.flush_experiences()
    exps = [e for e in engine.store.recent(20) if e.workflow_id == wf.workflow_id]
    assert [(e.action, e.desirable) for e in exps] == [("step_a", True), ("step_b", True)]
    assert exps[1].artifacts == ("alpha",) and exps[1].inputs_present == ("goal", "seed")
    fb = await run(engine, feedback={"workflow_id": wf.workflow_id, "desirable": False})
    assert "relabelled 2 experiences" in fb.notes[0]
    engine.flush_experiences()
    after = [e for e in engine.store.recent(20) if e.workflow_id == wf.workflow_id]
    assert all(not e.desirable and e.label_source == "feedback" for e in after)
    with pytest.raises(OrchestrationError, match="no experiences of workflow"):
        await run(engine, feedback={"workflow_id": "nope", "desirable": True})


async def test_useless_step_is_undesirable(engine: Engine) -> None:
    wf = await run(engine, goal="g", strategy="sequential", deliverable="beta", steps=[
        {"tool": "echo", "arguments": {"text": "unrelated"}},
        {"tool": "step_a", "arguments": {"seed": "u"}},
        {"tool": "step_b", "arguments": {}},
    ])
    assert wf.success
    assert [s.desirable for s in wf.steps] == [False, True, True]


async def test_rl_optimized_without_policy_says_so(engine: Engine) -> None:
    wf = await run(engine, goal="make delta", inputs={"seed": "s"}, strategy="rl_optimized")
    assert wf.success and wf.planner == "dataflow"
    assert any("disabled" in n and "dependency analysis" in n for n in wf.notes)


async def test_progress_per_step(engine: Engine) -> None:
    msgs: list[str] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        msgs.append(message or "")

    await Orchestrator(engine).run(OrchestrateRequest(goal="g", inputs={"seed": "s"}), progress=progress)
    assert sum("started" in m for m in msgs) == 4 and sum(m.endswith(" ok") for m in msgs) == 4


async def test_labels_follow_the_deliverables_provenance(engine: Engine) -> None:
    wf = await run(engine, goal="g", strategy="sequential", deliverable="beta", steps=[
        {"tool": "step_a", "arguments": {"seed": "p"}},
        {"tool": "step_a", "arguments": {"seed": "p"}},     # remakes alpha: useless
        {"tool": "step_c", "arguments": {}},                 # uses alpha, but beta does not need it
        {"tool": "step_b", "arguments": {}},                 # makes the deliverable from the first alpha
    ])
    assert wf.success
    assert [s.desirable for s in wf.steps] == [True, False, False, True]


async def test_parallel_skips_steps_that_need_other_steps(engine: Engine) -> None:
    wf = await run(engine, goal="make delta", inputs={"seed": "s"}, strategy="parallel")
    by_tool = {s.tool: s for s in wf.steps}
    assert by_tool["step_a"].success
    assert by_tool["step_d"].result is None and "use adaptive" in (by_tool["step_d"].skipped_reason or "")
    assert not wf.success


async def test_a_failed_attempt_at_the_deliverable_credits_what_it_used(engine: Engine) -> None:
    # seed "fail" makes step_c (the maker of gamma) fail: step_a served the goal, step_c did not
    wf = await run(engine, goal="g", inputs={"seed": "fail"}, strategy="sequential", deliverable="gamma")
    assert not wf.success
    assert [(s.tool, s.desirable) for s in wf.steps] == [("step_a", True), ("step_c", False)]


async def test_rl_optimized_timeout_keeps_what_the_policy_did(engine: Engine) -> None:
    """A workflow timeout while the policy decides ends the workflow with the steps it ran (it
    used to lose the partial plan and fail with UnboundLocalError)."""
    import time

    from toolorch.rl.runner import Choice
    from toolorch.stores.experience import STOP

    class SlowPolicy:
        calls = 0

        def choose(self, state: object, explore: bool) -> Choice:
            self.calls += 1
            if self.calls == 1:
                return Choice("step_a", 0.9, {"step_a": 0.9, STOP: 0.1}, 3, 0.5)
            time.sleep(0.3)  # the next decision outlasts the workflow's timeout
            return Choice("step_b", 0.8, {"step_b": 0.8, STOP: 0.2}, 3, 0.5)

        def observe(self, exps: object) -> None:
            return None

        def close(self) -> None:
            return None

    engine.policy = SlowPolicy()  # type: ignore[assignment]
    req = OrchestrateRequest(goal="make alpha", inputs={"seed": "x"}, strategy="rl_optimized", timeout_s=0.15)
    wf = await Orchestrator(engine).run(req)
    assert wf.planner == "policy" and wf.policy_version == 3
    assert [s.tool for s in wf.steps] == ["step_a", "step_b"] and wf.steps[0].success
    assert wf.steps[1].result is None and wf.steps[1].skipped_reason == "not started: workflow timeout (0.15s)"
    assert [p["probability"] for p in wf.plan] == [0.9, 0.8]
    assert any("workflow timeout after 0.15s" in n for n in wf.notes)
