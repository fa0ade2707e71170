"""Several OS processes on one data dir: no lock error ever reaches a caller."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from toolorch.backends.vectors.ingest import sync_of
from toolorch.backends.vectors.store import SYMBOLS_COLLECTION, VectorStore
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services
from toolorch.scip import read_index
from toolorch.stores.facts import facts_of

WORKER = Path(__file__).with_name("vector_worker.py")
ROOT = Path(__file__).resolve().parents[3]


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(WORKER), *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _result(proc: subprocess.Popen[str], timeout: float) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout: {out[-1000:]}\nstderr: {err[-4000:]}"
    return json.loads(out.strip().splitlines()[-1])


def test_owner_hands_the_local_store_over_on_request(tmp_path: Path) -> None:
    """This process keeps the local Qdrant open (idle); another process asks for it, gets it,
    and this process takes it back for its next operation."""
    home = tmp_path / "home"
    store = VectorStore(Settings(home=home, allowed_roots=str(tmp_path)))
    store.ensure_collection("mine", 4)
    assert store.local_opens == 1 and store.collections() == ["mine"]

    other = _result(_spawn(str(home), "lease", "theirs"), timeout=120)
    assert other["collections"] == ["mine", "theirs"]
    assert store.collections() == ["mine", "theirs"]
    assert store.local_opens == 2
    store.close()


@pytest.mark.slow
def test_two_processes_search_and_ingest_the_same_data_dir(indexed_sample, tmp_path: Path) -> None:
    """Facts for two projects are written with nobody embedding them; two server processes
    then search (both must sync first, one waiting for the other's work), ingest one project
    each and search again, concurrently."""
    home = tmp_path / "home"
    settings = Settings(home=home, allowed_roots=str(tmp_path))
    services = Services(settings)
    ctx = ToolContext(tool="t", run_id="r", settings=settings, services=services,
                      roots=settings.roots)
    facts = facts_of(ctx)
    for project, lang in (("alpha", "python"), ("beta", "rust")):
        facts.replace_project(project, "/x", lang, "/x.scip",
                              read_index(indexed_sample.index_path[lang]), "indexer")

    text = "distance along the surface of a globe between two coordinates"
    procs = [_spawn(str(home), "search", project, text) for project in ("alpha", "beta")]
    results = [_result(p, timeout=400) for p in procs]

    for result in results:
        for key in ("first", "second"):
            top = [h["payload"] for h in result[key]["hits"][:2]]
            assert {(p["project"], p["name"]) for p in top} == {("alpha", "haversine"),
                                                                ("beta", "haversine")}
        assert result["ingested"]["points"] == result["ingested"]["scheduled"] > 10
        assert result["first"]["synced_projects"] == ["alpha", "beta"]  # synced or waited for

    sync = sync_of(ctx)
    assert sync.stale() == []
    entries = sync.marker.projects()
    assert sync.store.count(SYMBOLS_COLLECTION) == sum(e["points"] for e in entries.values())
    services.close()
