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
