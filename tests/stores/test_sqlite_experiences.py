"""SqliteExperienceStore on real files: round trip, relabel, summary, threads and processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from toolorch.core.state import State
from toolorch.stores.experience import STOP, Experience
from toolorch.stores.sqlite_experiences import SqliteExperienceStore


def make(i: int, **kw: object) -> Experience:
    base: dict[str, object] = {
        "goal": "index it", "inputs_present": ["project_path"], "artifacts": [],
        "history": [("a", True)], "action": "scip_index_code", "desirable": True,
        "success": True, "workflow_id": f"wf{i % 3}", "ts": 1000.0 + i,
    }
    base.update(kw)
    state = State(*(base.pop(k) for k in ("goal", "inputs_present", "artifacts", "history")))  # type: ignore[arg-type]
    return Experience(state, **base)  # type: ignore[arg-type]


def test_round_trip_preserves_every_field(tmp_path: Path) -> None:
    store = SqliteExperienceStore(tmp_path / "e.sqlite")
    exps = [make(i, propensity=0.25, policy_version=3, error_kind=None) for i in range(5)]
    exps.append(make(5, action=STOP, desirable=False, success=False, error_kind="timeout",
                     history=[("scip_index_code", False)], workflow_id=None))
    store.append(exps)
    assert store.count() == 6
    assert list(store.iter_all()) == exps
    assert store.recent(2) == exps[-2:]
    assert store.recent(0) == []
    assert store.recent(100) == exps
    store.close()
    reopened = SqliteExperienceStore(tmp_path / "e.sqlite")
    assert list(reopened.iter_all()) == exps
    mode = reopened._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_duplicate_ids_are_stored_once(tmp_path: Path) -> None:
    store = SqliteExperienceStore(tmp_path / "e.sqlite")
    exps = [make(i) for i in range(4)]
    store.append(exps)
    store.append(exps[2:] + [make(9)])
    assert store.count() == 5


def test_iter_all_crosses_batches_in_order(tmp_path: Path) -> None:
    store = SqliteExperienceStore(tmp_path / "e.sqlite")
    exps = [make(i) for i in range(2500)]
    store.append(exps)
    assert [e.id for e in store.iter_all()] == [e.id for e in exps]


def test_relabel_applies_feedback_to_the_workflow(tmp_path: Path) -> None:
    store = SqliteExperienceStore(tmp_path / "e.sqlite")
    store.append([make(i) for i in range(9)])           # wf0, wf1, wf2 x3 each
    assert store.relabel("wf1", False) == 3
    assert store.relabel("nope", True) == 0
    by_wf = {(e.workflow_id, e.desirable, e.label_source) for e in store.iter_all()}
    assert by_wf == {("wf0", True, "outcome"), ("wf1", False, "feedback"),
                     ("wf2", True, "outcome")}
    store.append([make(10, workflow_id="wf1")])          # later steps get the feedback too
    assert store.recent(1)[0].desirable is False
    assert store.summary()["desirable"] == 6


def test_summary_counts(tmp_path: Path) -> None:
    store = SqliteExperienceStore(tmp_path / "e.sqlite")
    assert store.summary()["total"] == 0
    store.append([
        make(0), make(1, action="glean_query_code", success=False, desirable=False,
                      error_kind="query"),
        make(2, action="glean_query_code", error_kind=None),
        make(3, action=STOP, desirable=False, workflow_id=None, error_kind="timeout", ts=5000.0),
    ])
    store.relabel("wf0", False)
    s = store.summary()
    assert s["total"] == 4
    assert s["desirable"] == 1          # make(1) undesirable, STOP undesirable, wf0 relabelled
    assert s["undesirable"] == 3
    assert s["success"] == 3
    assert s["by_action"] == {"scip_index_code": 1, "glean_query_code": 2, STOP: 1}
    assert s["by_error_kind"] == {"query": 1, "timeout": 1}
    assert s["workflows"] == 3
    assert s["relabelled_workflows"] == 1
    assert s["last_ts"] == 5000.0


def test_threads_append_without_loss(tmp_path: Path) -> None:
    store = SqliteExperienceStore(tmp_path / "e.sqlite")

    def work(t: int) -> None:
        for i in range(100):
            store.append([make(t * 1000 + i)])

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert store.count() == 400


WRITER = textwrap.dedent("""
    import sys
    from toolorch.core.state import State
    from toolorch.stores.experience import Experience
    from toolorch.stores.sqlite_experiences import SqliteExperienceStore
    path, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = SqliteExperienceStore(path)
    sys.stdout.write("ready\\n"); sys.stdout.flush(); sys.stdin.readline()
    for i in range(n):
        store.append([Experience(State("g"), action="qdrant_search_similar", desirable=True, success=True,
                                 workflow_id=f"{tag}-{i // 10}", session_id=tag)])
    store.close()
""")


def test_two_processes_append_without_loss(tmp_path: Path) -> None:
    path, n = tmp_path / "shared.sqlite", 300
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(n)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for tag in ("p1", "p2")]
    for p in procs:                      # both opened the store; start them together
        assert p.stdout is not None and p.stdout.readline() == "ready\n"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.close()
    for p in procs:
        assert p.wait(timeout=60) == 0
        assert p.stdout is not None
        p.stdout.close()
    store = SqliteExperienceStore(path)
    assert store.count() == 2 * n
    sessions = [e.session_id for e in store.iter_all()]
    assert sessions.count("p1") == n and sessions.count("p2") == n
    assert store.summary()["workflows"] == 2 * n // 10
