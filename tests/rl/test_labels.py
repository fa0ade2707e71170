"""The KTO label rule shared by the orchestrator and the learning benchmark (toolorch/rl/labels.py),
on the nine registered tools."""

from __future__ import annotations

import pytest

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


# -- goals without a deliverable, STOP, cost ----------------------------------------------------
def _steps(*spec: tuple[str, bool, set[int]]) -> list[StepTrace]:
    return [StepTrace(tool, True, ok, frozenset(used)) for tool, ok, used in spec]


def test_used_output_labels_credit_the_provenance_of_what_was_used() -> None:
    from toolorch.rl.labels import used_output_labels

    steps = _steps(("scip_index_code", True, set()), ("glean_query_code", True, {0}),
                   ("lean4_generate_specs", True, {0}), ("memgraph_query_graph", False, {0}))
    assert used_output_labels(steps, used_later=[1]) == [True, True, False, False]   # lean4 ran, unused
    assert used_output_labels(steps, used_later=[]) == [False] * 4      # nothing used: no success is enough
    assert used_output_labels(steps, used_later=[3]) == [True, False, False, False]  # a failure stays bad
    assert used_output_labels(steps, used_later=[1], feedback=False) == [False] * 4
    assert used_output_labels(steps, used_later=[], feedback=True) == [True, True, True, False]
    assert used_output_labels(steps, used_later=[2], feedback=True) == [True, False, True, False]
    assert used_output_labels(steps, used_later=[9, -1]) == [False] * 4   # out-of-range indices ignored
    refused = [StepTrace("glean_query_code", False, False, frozenset())]
    assert used_output_labels(refused, feedback=True) == [False]


def test_stop_label_and_hindsight_stop() -> None:
    from toolorch.rl.labels import hindsight_stop, stop_label

    assert stop_label(True) is True and stop_label(False) is False and stop_label(None) is None
    assert stop_label(True, feedback=False) is False and stop_label(None, feedback=True) is True
    assert hindsight_stop([True, True, False, False], served=True) == 2
    assert hindsight_stop([True, False, True], served=True) == 3
    assert hindsight_stop([True, True], served=False) is None
    assert hindsight_stop([False, False], served=True) is None


def test_cost_reference_marks_the_expensive_maker() -> None:
    from toolorch.rl.labels import CostReference

    made = frozenset({"scip_index_path"})
    ref = CostReference(tolerance=0.25)
    assert ref.efficient(made, "rust|large", "scip_index_code")            # nothing known: not judged
    for _ in range(2):
        ref.observe(made, "rust|large", "scip_index_code", 12.5, True)
    ref.observe(made, "rust|large", "scip_index_remote", 4.0, False)
    assert ref.expected_cost(made, "rust|large", "scip_index_remote") is None
    assert ref.efficient(made, "rust|large", "scip_index_code")            # the only one that succeeded
    ref.observe(made, "rust|large", "scip_index_remote", 4.0, True)         # 8.0 per success
    assert ref.expected_cost(made, "rust|large", "scip_index_remote") == 8.0
    assert not ref.efficient(made, "rust|large", "scip_index_code")        # 12.5 > 1.25 × 8
    assert ref.efficient(made, "python|small", "scip_index_code")          # another context
    assert ref.relabel([True, True], ["scip_index_code", "scip_index_remote"], [made, made], "rust|large") == [False, True]
    ref.observe(made, "rust|large", "scip_index_code", 0.0, True)           # 25 / 3 = 8.33 ≤ 10 (boundary side)
    assert ref.efficient(made, "rust|large", "scip_index_code")
    with pytest.raises(ValueError, match="tolerance"):
        CostReference(tolerance=-0.1)
