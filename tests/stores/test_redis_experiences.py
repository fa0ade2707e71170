"""RedisExperienceStore against a real redis-server."""

from __future__ import annotations

import pytest

from tests.redis_server import RedisServer
from toolorch.config import mask_url
from toolorch.core.state import State
from toolorch.errors import BackendError
from toolorch.stores.experience import STOP, Experience
from toolorch.stores.redis_experiences import RedisExperienceStore


def make(i: int, **kw: object) -> Experience:
    base: dict[str, object] = {
        "goal": "g", "inputs_present": ["text"], "artifacts": ["scip_index_path"],
        "history": [("scip_index_code", True)], "action": "qdrant_search_similar",
        "desirable": True, "success": True, "workflow_id": f"wf{i % 3}", "ts": 2000.0 + i,
    }
    base.update(kw)
    state = State(*(base.pop(k) for k in ("goal", "inputs_present", "artifacts", "history")))  # type: ignore[arg-type]
    return Experience(state, **base)  # type: ignore[arg-type]


def test_round_trip_and_order(redis_url: str) -> None:
    store = RedisExperienceStore(redis_url)
    exps = [make(i, propensity=0.5, policy_version=1) for i in range(1203)]
    store.append(exps)
    assert store.count() == 1203
    assert list(store.iter_all()) == exps
    assert store.recent(3) == exps[-3:]
    assert store.recent(0) == []


def test_append_is_idempotent_by_id(redis_url: str) -> None:
    store = RedisExperienceStore(redis_url)
    exps = [make(i) for i in range(5)]
    store.append(exps)
    store.append(exps[3:] + [make(7)])
    assert store.count() == 6
    assert store.contains([exps[0].id, "missing"]) == {exps[0].id}
    assert store.summary()["total"] == 6


def test_instances_share_one_stream(redis_url: str) -> None:
    a, b = RedisExperienceStore(redis_url), RedisExperienceStore(redis_url)
    a.append([make(1)])
    b.append([make(2)])
    assert a.count() == b.count() == 2
    other = RedisExperienceStore(redis_url, stream="other:stream")
    assert other.count() == 0


def test_relabel_and_summary_match_a_scan(redis_url: str) -> None:
    store = RedisExperienceStore(redis_url)
    store.append([
        make(0), make(1, success=False, desirable=False, error_kind="backend"),
        make(2, action="glean_query_code"), make(3, desirable=False),
        make(4, action=STOP, desirable=False, workflow_id=None, error_kind="timeout", ts=9000.0),
    ])                                                   # wf0: 0,3  wf1: 1  wf2: 2
    assert store.relabel("wf0", True) == 2
    assert store.relabel("wf1", False) == 1
    assert store.relabel("ghost", True) == 0
    exps = list(store.iter_all())
    labelled = {e.id: (e.desirable, e.label_source) for e in exps}
    assert sorted(labelled.values()) == sorted([
        (True, "feedback"), (False, "feedback"), (True, "outcome"), (True, "feedback"),
        (False, "outcome")])
    s = store.summary()
    assert s["total"] == 5
    assert s["desirable"] == sum(e.desirable for e in exps) == 3
    assert s["undesirable"] == 2
    assert s["success"] == 4
    assert s["by_action"] == {"qdrant_search_similar": 3, "glean_query_code": 1, STOP: 1}
    assert s["by_error_kind"] == {"backend": 1, "timeout": 1}
    assert s["workflows"] == 3
    assert s["relabelled_workflows"] == 3
    assert s["last_ts"] == 9000.0
    store.relabel("wf0", False)                           # feedback can be changed
    assert store.summary()["desirable"] == sum(e.desirable for e in store.iter_all()) == 1


def test_outage_raises_retryable_backend_error(redis_server: RedisServer) -> None:
    store = RedisExperienceStore(redis_server.url)
    store.append([make(0)])
    redis_server.kill()
    with pytest.raises(BackendError) as info:
        store.append([make(1)])
    assert info.value.retryable
    assert "redis-server running" in info.value.message
    assert not store.ping()


def test_mask_url_hides_the_password() -> None:
    assert mask_url("redis://user:secret@host:6379/0") == "redis://***@host:6379/0"
    assert mask_url("redis://host:6379/0") == "redis://host:6379/0"
