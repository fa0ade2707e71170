"""Experiences carry a State, but the stored JSON keeps its flat shape: data written before the
state type moved reads back, and what is written now reads in older code."""

from __future__ import annotations

import json

from toolorch.core.state import State
from toolorch.stores.experience import Experience

OLD_LINE = (
    '{"goal":"g","inputs_present":["project_path"],"artifacts":["scip_index_path"],'
    '"history":[["scip_index_code",true]],"action":"glean_query_code","desirable":true,"success":true,'
    '"label_source":"outcome","propensity":null,"policy_version":null,"workflow_id":"w","session_id":"",'
    '"step":1,"strategy":"adaptive","error_kind":null,"latency_s":0.5,"cost":1.0,"attempts":1,'
    '"cached":false,"ts":1000.0,"id":"abc"}'
)


def test_a_stored_line_reads_into_a_state_and_writes_back_the_same() -> None:
    exp = Experience.from_json(OLD_LINE)
    assert exp.state == State("g", ("project_path",), ("scip_index_path",), (("scip_index_code", True),))
    assert exp.goal == "g" and exp.history == (("scip_index_code", True),)
    assert json.loads(exp.to_json()) == json.loads(OLD_LINE)
    assert list(json.loads(exp.to_json())) == list(json.loads(OLD_LINE))  # same keys, same order


CONTEXT = {"language": "typescript", "size": "large", "deliverable": False,
           "backends": [["scip_index_code", "http"]], "recent": [["scip_index_code", 0.25, 4]]}


def test_state_extras_are_stored_as_trailing_keys_only_when_present() -> None:
    from toolorch.core.context_features import Context

    plain = Experience.from_json(OLD_LINE)
    assert "context" not in plain.to_json() and "failed_calls" not in plain.to_json()
    state = State("g", ("project_path",), (), (), Context.from_dict(CONTEXT), (("scip_index_code", "k1"),),
                  (("scip_index_code", "k1"),))
    exp = Experience(state, action="scip_index_code", desirable=False, success=False)
    row = json.loads(exp.to_json())
    assert list(row)[-3:] == ["context", "failed_calls", "call_keys"]
    assert row["context"] == CONTEXT and row["failed_calls"] == [["scip_index_code", "k1"]]
    assert Experience.from_json(exp.to_json()).state == state


def test_a_learn_branch_row_with_a_features_dict_loads_into_the_state() -> None:
    row = json.loads(OLD_LINE)
    row["features"] = {"context": CONTEXT, "failed_calls": [["scip_index_code", "k1"]]}
    exp = Experience.from_json(json.dumps(row))
    assert exp.state.context.language == "typescript" and exp.state.context.deliverable is False
    assert exp.state.context.recent == (("scip_index_code", 0.25, 4),)
    assert exp.state.failed_calls == (("scip_index_code", "k1"),) and exp.state.call_keys == ()
    assert "features" not in json.loads(exp.to_json())
