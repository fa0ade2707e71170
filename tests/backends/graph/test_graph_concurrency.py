"""Several OS processes on one data dir: no lock error ever reaches a caller, and a reader never
sees a half-loaded project."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from toolorch.backends.graph.tool import create_graph_from_scip, query_graph
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services
from toolorch.scip import write_index
from toolorch.scip.model import DEFINITION, READ_ACCESS, Document, Occurrence, ScipIndex, SymbolInfo

WORKER = Path(__file__).with_name("graph_worker.py")
ROOT = Path(__file__).resolve().parents[3]


def synthetic_index(path: Path, n_docs: int = 40, per_doc: int = 10) -> Path:
    """A SCIP file with n_docs * per_doc functions, each calling the next one."""
    symbols = [f"scip-python python syn 1.0 `m{d}`/f{i}()." for d in range(n_docs)
               for i in range(per_doc)]
    docs = []
    for d in range(n_docs):
        doc = Document(f"pkg/m{d}.py", "python")
        for i in range(per_doc):
            k = d * per_doc + i
            doc.symbols.append(SymbolInfo(symbols[k], "function", f"f{i}"))
            doc.occurrences.append(Occurrence(symbols[k], (i * 3, 4, i * 3, 6), DEFINITION,
                                              (i * 3, 0, i * 3 + 2, 10)))
            doc.occurrences.append(Occurrence(symbols[(k + 1) % len(symbols)],
                                              (i * 3 + 1, 4, i * 3 + 1, 6), READ_ACCESS))
        docs.append(doc)
    write_index(ScipIndex(project_root="file:///nowhere/syn", documents=docs), path)
    return path


def run_tool(home: Path, index: Path, fn, args: dict) -> dict:  # type: ignore[no-untyped-def, type-arg]
    settings = Settings(home=home, allowed_roots=str(index.parent))
    services = Services(settings)
    ctx = ToolContext(tool="t", run_id="r", settings=settings, services=services,
                      roots=settings.roots)
    try:
        return anyio.run(fn, args, ctx)  # type: ignore[no-any-return]
    finally:
        services.close()


def spawn(home: Path, index: Path, mode: str, n: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(WORKER), str(home), str(index), mode, str(n)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_two_processes_create_and_query_concurrently(tmp_path: Path) -> None:
    index = synthetic_index(tmp_path / "syn.scip")
    home = tmp_path / "home"
    first = run_tool(home, index, create_graph_from_scip,
                     {"scip_index_path": str(index), "project_name": "p"})
    expected = first["nodes"]["Symbol"]
    assert expected == 400 and first["edges"]["CALLS"] == 400

    writers = [spawn(home, index, "create", 3) for _ in range(2)]
    reader = spawn(home, index, "query", 25)
    # this process queries too, while the other two run
    seen = [run_tool(home, index, query_graph, {
        "cypher_query": "MATCH (s:Symbol) WHERE s.project = 'p' RETURN count(s) AS n"})["rows"][0]["n"]
        for _ in range(3)]
    w_outs = [w.communicate(timeout=240) for w in writers]
    r_out, r_err = reader.communicate(timeout=240)
    for w, (_, w_err) in zip(writers, w_outs, strict=True):
        assert w.returncode == 0, w_err
        assert "lock" not in w_err.lower()
    assert reader.returncode == 0, r_err
    assert "lock" not in r_err.lower()
    loads = [json.loads(line) for out, _ in w_outs for line in out.splitlines()]
    assert len(loads) == 6 and all(load == [first["nodes"], first["edges"]] for load in loads)
    counts = [int(line) for line in r_out.splitlines()]
    assert len(counts) == 25 and set(counts) == {expected}      # never a partial project
    assert set(seen) == {expected}


LOCK_HOLDER = """
import sys, time, ladybug
db = ladybug.Database(sys.argv[1])
print("open", flush=True)
time.sleep(float(sys.argv[2]))
db.close()
"""


@pytest.mark.slow
def test_database_held_by_another_program_is_waited_for(tmp_path: Path) -> None:
    """A process outside toolorch's file lock holds LadybugDB's own lock: the loader retries."""
    index = synthetic_index(tmp_path / "syn.scip", n_docs=2)
    home = tmp_path / "home"
    run_tool(home, index, create_graph_from_scip, {"scip_index_path": str(index), "project_name": "p"})
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER,
                               str(home / "graph" / "code.lbug"), "1.5"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    started = time.monotonic()
    out = run_tool(home, index, create_graph_from_scip,
                   {"scip_index_path": str(index), "project_name": "p"})
    waited = time.monotonic() - started
    holder.wait(timeout=30)
    assert out["nodes"]["Symbol"] == 20
    assert waited > 0.5                       # it did wait for the other program


@pytest.mark.slow
def test_threads_of_one_process_share_the_store(tmp_path: Path) -> None:
    """Queries and loads started together in one process (one shared store) all succeed."""
    index = synthetic_index(tmp_path / "syn.scip", n_docs=5)
    settings = Settings(home=tmp_path / "home", allowed_roots=str(tmp_path))
    services = Services(settings)
    counts: list[int] = []
    loads: list[int] = []

    def ctx() -> ToolContext:
        return ToolContext(tool="t", run_id="r", settings=settings, services=services,
                           roots=settings.roots)

    async def load() -> None:
        out = await create_graph_from_scip({"scip_index_path": str(index), "project_name": "p"}, ctx())
        loads.append(out["nodes"]["Symbol"])

    async def count() -> None:
        out = await query_graph({"cypher_query": "MATCH (s:Symbol) WHERE s.project = 'p' "
                                                 "RETURN count(s) AS n"}, ctx())
        counts.append(out["rows"][0]["n"])

    async def main() -> None:
        await load()
        async with anyio.create_task_group() as tg:
            for i in range(8):
                tg.start_soon(load if i % 4 == 0 else count)

    try:
        anyio.run(main)
    finally:
        services.close()
    assert loads == [50, 50, 50] and counts == [50] * 6


@pytest.mark.slow
def test_five_thousand_symbols_load_and_reload(tmp_path: Path) -> None:
    index = synthetic_index(tmp_path / "big.scip", n_docs=500, per_doc=10)
    home = tmp_path / "home"
    out = run_tool(home, index, create_graph_from_scip,
                   {"scip_index_path": str(index), "project_name": "big"})
    again = run_tool(home, index, create_graph_from_scip,
                     {"scip_index_path": str(index), "project_name": "big"})
    assert out["nodes"]["Symbol"] == again["nodes"]["Symbol"] == 5000
    assert again["edges"]["CALLS"] == 5000  # (measured ≈ 1.5 s per load on 2 busy cores)
