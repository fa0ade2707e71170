"""The Redis store with a local spool: kill or freeze a real redis-server mid-run, lose nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.redis_server import RedisServer
from toolorch.core.state import State
from toolorch.stores.experience import Experience
from toolorch.stores.redis_experiences import RedisExperienceStore
from toolorch.stores.resilient import ResilientExperienceStore
from toolorch.stores.sqlite_experiences import SqliteExperienceStore


def make(i: int, **kw: object) -> Experience:
    base: dict[str, object] = {
        "goal": "g", "inputs_present": [], "artifacts": [], "history": [],
        "action": "memgraph_query_graph", "desirable": i % 4 != 0, "success": i % 4 != 0,
        "workflow_id": f"wf{i // 10}", "ts": 3000.0 + i,
    }
    base.update(kw)
    state = State(*(base.pop(k) for k in ("goal", "inputs_present", "artifacts", "history")))  # type: ignore[arg-type]
    return Experience(state, **base)  # type: ignore[arg-type]


def open_resilient(url: str, spool: Path, timeout_s: float = 1.0) -> ResilientExperienceStore:
    return ResilientExperienceStore(
        RedisExperienceStore(url, socket_timeout_s=timeout_s, connect_timeout_s=timeout_s),
        SqliteExperienceStore(spool), retry_interval_s=0.0)


def test_kill_redis_mid_run_loses_nothing(persistent_redis_server: RedisServer,
                                          tmp_path: Path) -> None:
    redis_server = persistent_redis_server
    store = open_resilient(redis_server.url, tmp_path / "spool.sqlite")
    written = [make(i) for i in range(150)]
    for exp in written[:50]:
        store.append([exp])
    assert store.available and store.spool.count() == 0

    redis_server.kill()
    started = time.perf_counter()
    for exp in written[50:100]:
        store.append([exp])                      # no exception: spooled
    assert time.perf_counter() - started < 5.0
    assert not store.available
    assert store.spool.count() == 50
    summary = store.summary()
    assert summary["degraded"] is True and summary["spooled"] == 50
    assert store.count() == 100                  # last Redis count + spool
    assert [e.id for e in store.recent(3)] == [e.id for e in written[97:100]]

    redis_server.start()                         # same port, reloads its append-only file
    for exp in written[100:]:
        store.append([exp])
    assert store.available and store.spool.count() == 0
    assert store.count() == 150
    stored = [e.id for e in store.iter_all()]
    assert sorted(stored) == sorted(e.id for e in written)
    assert len(stored) == len(set(stored))
    assert store.summary()["degraded"] is False
    assert store.summary()["total"] == 150
    assert store.spooled_total == 50 and store.replayed_total == 50


@pytest.mark.slow
def test_frozen_redis_times_out_and_ambiguous_writes_count_once(
        redis_server: RedisServer, tmp_path: Path) -> None:
    store = open_resilient(redis_server.url, tmp_path / "spool.sqlite", timeout_s=0.2)
    written = [make(i) for i in range(30)]
    store.append(written[:10])
    redis_server.pause()                         # commands sent now are executed on resume
    try:
        for exp in written[10:20]:
            store.append([exp])
    finally:
        redis_server.resume()
    assert store.spool.count() >= 9              # the first may have been queued, not refused
    for exp in written[20:]:
        store.append([exp])
    assert store.spool.count() == 0
    assert store.count() == 30
    ids = [e.id for e in store.iter_all()]
    assert sorted(ids) == sorted(e.id for e in written)


def test_feedback_given_during_an_outage_is_replayed(
        persistent_redis_server: RedisServer, tmp_path: Path) -> None:
    redis_server = persistent_redis_server
    store = open_resilient(redis_server.url, tmp_path / "spool.sqlite")
    store.append([make(i) for i in range(10)])   # wf0, 10 steps
    redis_server.kill()
    store.append([make(10 + i, workflow_id="wf0") for i in range(2)])
    assert store.relabel("wf0", False) == 2      # only the spooled steps are visible locally
    redis_server.start()
    assert store.sync()
    assert store.spool.feedback() == []
    assert store.count() == 12
    assert all(not e.desirable and e.label_source == "feedback" for e in store.iter_all())
    assert store.summary()["desirable"] == 0


def test_two_stores_replaying_one_spool_store_each_experience_once(
        redis_server: RedisServer, tmp_path: Path) -> None:
    spool = SqliteExperienceStore(tmp_path / "spool.sqlite")
    written = [make(i) for i in range(40)]
    spool.append(written)                        # left behind by an outage
    a = open_resilient(redis_server.url, tmp_path / "spool.sqlite")
    b = open_resilient(redis_server.url, tmp_path / "spool.sqlite")
    a.redis.append(written[:25])                 # as if a crashed between copy and delete
    assert b.sync() and a.sync()
    assert a.count() == b.count() == 40
    assert len({e.id for e in a.iter_all()}) == 40


def test_reads_merge_redis_and_spool_without_duplicates(
        redis_server: RedisServer, tmp_path: Path) -> None:
    store = open_resilient(redis_server.url, tmp_path / "spool.sqlite")
    store.append([make(i) for i in range(5)])
    late = [make(100 + i) for i in range(3)]
    other = SqliteExperienceStore(tmp_path / "spool.sqlite")
    other.append(late[:2])                       # another process spooled these meanwhile
    store.redis.append(late[1:])                 # ... one of them already reached Redis
    ids = [e.id for e in store.iter_all()]
    assert len(ids) == len(set(ids)) == 8
    assert store.count() == 8


WRITER = textwrap.dedent("""
    import sys, time
    from toolorch.core.state import State
    from toolorch.stores.experience import Experience
    from toolorch.stores.redis_experiences import RedisExperienceStore
    from toolorch.stores.resilient import ResilientExperienceStore
    from toolorch.stores.sqlite_experiences import SqliteExperienceStore
    url, spool, tag, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    store = ResilientExperienceStore(
        RedisExperienceStore(url, socket_timeout_s=0.3, connect_timeout_s=0.3),
        SqliteExperienceStore(spool), retry_interval_s=0.05)
    print("ready", flush=True); sys.stdin.readline()
    for i in range(n):
        store.append([Experience(State("g"), action="glean_query_code", desirable=True, success=True,
                                 workflow_id=f"{tag}-{i // 5}", session_id=tag)])
        time.sleep(0.005)
    print(store.spooled_total, flush=True)
""")


@pytest.mark.slow
def test_two_processes_with_redis_killed_mid_run_lose_nothing(
        persistent_redis_server: RedisServer, tmp_path: Path) -> None:
    """Two server processes on one data dir (one spool) log through Redis; Redis is killed and
    restarted while they write. Every experience is stored exactly once."""
    redis_server, spool, n = persistent_redis_server, tmp_path / "spool.sqlite", 150
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, redis_server.url, str(spool), tag,
                               str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for tag in ("p1", "p2")]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline() == "ready\n"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.close()
    time.sleep(0.2)
    redis_server.kill()
    time.sleep(0.4)
    redis_server.start()
    spooled = 0
    for p in procs:
        assert p.wait(timeout=60) == 0
        assert p.stdout is not None
        spooled += int(p.stdout.read().strip())
        p.stdout.close()
    assert spooled > 0                                   # the outage really hit the writers
    reader = open_resilient(redis_server.url, spool)     # replays whatever is still spooled
    assert reader.count() == 2 * n
    sessions = [e.session_id for e in reader.iter_all()]
    assert sessions.count("p1") == n and sessions.count("p2") == n
    assert reader.spool.count() == 0
