"""The KTO label rule shared by the orchestrator and the learning benchmark (toolorch/rl/labels.py),
on the nine registered tools."""

from __future__ import annotations

from toolorch.registry.registry import Registry
from toolorch.rl.labels import StepTrace, makers_of, served_goal

SCIP, LEAN, COMPONENTS, WORKFLOW = ("scip_index_code", "lean4_generate_specs", "n8n_generate_components",
                                    "n8n_generate_workflow")


def step(tool: str, success: bool = True, used: tuple[int, ...] = (), ran: bool = True) -> StepTrace:
    return StepTrace(tool, ran, success, frozenset(used))


def test_made_deliverable_credits_its_provenance_only(registry: Registry) -> None:
    steps = [step(SCIP), step(LEAN, used=(0,)), step(COMPONENTS, used=(1,)), step(WORKFLOW, used=(1,))]
    assert served_goal(steps, "workflow_path", 3, registry.dataflow) == [True, True, False, True]


def test_failed_attempts_credit_what_they_used(registry: Registry) -> None:
    # the workflow was never made: both attempts failed; what they used served the goal, the
    # components package (used by nobody) did not
    steps = [step(SCIP), step(LEAN, used=(0,)), step(WORKFLOW, False, (1,)), step(COMPONENTS, used=(1,)),
             step(WORKFLOW, False, (1,))]
    assert served_goal(steps, "workflow_path", None, registry.dataflow) == [True, True, False, False, False]


def test_no_attempt_means_nothing_served(registry: Registry) -> None:
    steps = [step(SCIP), step(LEAN, used=(0,))]
    assert served_goal(steps, "workflow_path", None, registry.dataflow) == [False, False]


def test_a_refused_step_is_no_attempt(registry: Registry) -> None:
    steps = [step(SCIP), step(LEAN, used=(0,)), step(WORKFLOW, False, (1,), ran=False)]
    assert served_goal(steps, "workflow_path", None, registry.dataflow) == [False, False, False]


def test_a_tool_as_deliverable(registry: Registry) -> None:
    assert makers_of(WORKFLOW, registry.dataflow) == {WORKFLOW}
    assert makers_of("workflow_path", registry.dataflow) == {WORKFLOW}
    assert makers_of("dataset_name", registry.dataflow) >= {SCIP, LEAN, COMPONENTS, WORKFLOW}
    steps = [step(SCIP), step(LEAN, used=(0,)), step(WORKFLOW, False, (1,))]
    assert served_goal(steps, WORKFLOW, None, registry.dataflow) == [True, True, False]
