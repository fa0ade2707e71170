"""The lineage graph of a dataset, in the shape of Marquez's `GET /api/v1/lineage` answer.

    {"graph": [{"id": "dataset:<ns>:<name>" | "job:<ns>:<name>", "type": "DATASET" | "JOB",
                "data": {...}, "inEdges": [{"origin", "destination"}], "outEdges": [...]}, ...]}

Nodes are sorted by id (as Marquez does); job data carries the job's inputs, outputs and latest
run (state, times, run facets such as `errorMessage`); dataset data carries namespace, name,
fields (from a `schema` facet), `lastModifiedAt` and facets.

The walk differs from Marquez on purpose. Marquez joins *jobs* that share any dataset, over
each job's current version, so siblings and other projects' runs of the same tool leak in.
toolorch's jobs are tools run on many projects, so the walk follows *runs*: upstream from the
dataset through the runs that wrote it to their inputs, downstream through the runs that read it
to their outputs. `depth` counts job hops in each direction (depth 1 = the producing and
consuming runs with their own inputs and outputs). Runs are then folded into one node per job.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from toolorch.lineage.store import DatasetKey, DatasetRecord, RunRecord

DEFAULT_DEPTH = 20


class LineageReader(Protocol):
    """What the walk needs from a store (toolorch.lineage.store.LineageStore implements it)."""

    def runs_touching(self, keys: Iterable[DatasetKey], io: str) -> set[str]: ...

    def run_io(self, run_ids: Iterable[str]) -> dict[str, tuple[list[DatasetKey], list[DatasetKey]]]: ...

    def runs(self, run_ids: Iterable[str]) -> dict[str, RunRecord]: ...

    def datasets(self, keys: Iterable[DatasetKey]) -> dict[DatasetKey, DatasetRecord]: ...


def dataset_node_id(namespace: str, name: str) -> str:
    return f"dataset:{namespace}:{name}"


def job_node_id(namespace: str, name: str) -> str:
    return f"job:{namespace}:{name}"


def parse_node_id(node_id: str) -> tuple[str, str, str]:
    """`dataset:<ns>:<name>` -> ("DATASET", ns, name). Namespaces hold no ':' in toolorch
    ("file", "toolorch"); names may (URLs), so the split is on the first two colons."""
    kind, sep, rest = node_id.partition(":")
    namespace, sep2, name = rest.partition(":")
    if not (sep and sep2 and name) or kind not in ("dataset", "job"):
        raise ValueError(f"node id {node_id!r} is not 'dataset:<namespace>:<name>' or 'job:<namespace>:<name>'")
    return kind.upper(), namespace, name


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def walk(reader: LineageReader, root: DatasetKey, depth: int = DEFAULT_DEPTH
         ) -> tuple[dict[str, RunRecord], dict[str, tuple[list[DatasetKey], list[DatasetKey]]]]:
    """Runs within `depth` job hops of `root`, upstream and downstream, with their io."""
    visited: set[str] = set()
    io: dict[str, tuple[list[DatasetKey], list[DatasetKey]]] = {}
    for direction, side in (("out", 0), ("in", 1)):
        # upstream: runs that wrote the frontier, then their inputs (side 0);
        # downstream: runs that read the frontier, then their outputs (side 1).
        frontier, seen = {root}, {root}
        for _ in range(depth):
            runs = reader.runs_touching(frontier, direction) - visited
            if not runs:
                break
            visited |= runs
            io.update(reader.run_io(runs))
            nxt = {ds for r in runs for ds in io.get(r, ([], []))[side]} - seen
            seen |= nxt
            frontier = nxt
            if not frontier:
                break
    return reader.runs(visited), io


def build_lineage(reader: LineageReader, root: DatasetKey, depth: int = DEFAULT_DEPTH
                  ) -> dict[str, Any]:
    """The Marquez-shaped graph around dataset `root` (see the module docstring); an empty
    graph when the store has never seen `root`."""
    runs, io = walk(reader, root, depth)
    if not runs and not reader.datasets([root]):
        return {"graph": []}
    jobs: dict[tuple[str, str], list[RunRecord]] = {}
    for run in runs.values():
        jobs.setdefault((run.job_namespace, run.job_name), []).append(run)

    in_edges: dict[str, set[tuple[str, str]]] = {}
    out_edges: dict[str, set[tuple[str, str]]] = {}
    dataset_keys: set[DatasetKey] = {root}
    job_io: dict[tuple[str, str], tuple[set[DatasetKey], set[DatasetKey]]] = {}
    for key, job_runs in jobs.items():
        jid = job_node_id(*key)
        ins, outs = job_io.setdefault(key, (set(), set()))
        for run in job_runs:
            r_in, r_out = io.get(run.run_id, ([], []))
            ins.update(r_in)
            outs.update(r_out)
        for ds in ins:
            edge = (dataset_node_id(*ds), jid)
            out_edges.setdefault(edge[0], set()).add(edge)
            in_edges.setdefault(jid, set()).add(edge)
        for ds in outs:
            edge = (jid, dataset_node_id(*ds))
            out_edges.setdefault(jid, set()).add(edge)
            in_edges.setdefault(edge[1], set()).add(edge)
        dataset_keys |= ins | outs

    nodes: list[dict[str, Any]] = []
    for key, job_runs in jobs.items():
        jid = job_node_id(*key)
        nodes.append(_node(jid, "JOB", _job_data(key, job_runs, *job_io[key]), in_edges, out_edges))
    records = reader.datasets(dataset_keys)
    for ds in dataset_keys:
        did = dataset_node_id(*ds)
        nodes.append(_node(did, "DATASET", _dataset_data(ds, records.get(ds)), in_edges, out_edges))
    nodes.sort(key=lambda n: n["id"])
    return {"graph": nodes}


def _node(node_id: str, kind: str, data: dict[str, Any], in_edges: dict[str, set[tuple[str, str]]],
          out_edges: dict[str, set[tuple[str, str]]]) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": kind,
        "data": data,
        "inEdges": [{"origin": o, "destination": d} for o, d in sorted(in_edges.get(node_id, ()))],
        "outEdges": [{"origin": o, "destination": d} for o, d in sorted(out_edges.get(node_id, ()))],
    }


def _ids(keys: set[DatasetKey]) -> list[dict[str, str]]:
    return [{"namespace": ns, "name": name} for ns, name in sorted(keys)]


def _job_data(key: tuple[str, str], runs: list[RunRecord], ins: set[DatasetKey],
              outs: set[DatasetKey]) -> dict[str, Any]:
    namespace, name = key
    latest = max(runs, key=lambda r: (r.updated_at, r.run_id))
    return {
        "id": {"namespace": namespace, "name": name},
        "type": "BATCH",
        "name": name,
        "simpleName": name,
        "parentJobName": None,
        "parentJobUuid": None,
        "createdAt": iso(min(r.created_at for r in runs)),
        "updatedAt": iso(max(r.updated_at for r in runs)),
        "namespace": namespace,
        "inputs": _ids(ins),
        "outputs": _ids(outs),
        "location": None,
        "description": None,
        "latestRun": _run_data(latest),
        "runCount": len(runs),
    }


def _run_data(run: RunRecord) -> dict[str, Any]:
    duration = None
    if run.started_at is not None and run.ended_at is not None:
        duration = round((run.ended_at - run.started_at) * 1000)
    return {
        "id": run.run_id,
        "createdAt": iso(run.created_at),
        "updatedAt": iso(run.updated_at),
        "nominalStartTime": None,
        "nominalEndTime": None,
        "state": run.state,
        "startedAt": iso(run.started_at),
        "endedAt": iso(run.ended_at),
        "durationMs": duration,
        "args": {},
        "parentRunId": run.parent_run_id,
        "facets": run.facets,
    }


def _dataset_data(key: DatasetKey, record: DatasetRecord | None) -> dict[str, Any]:
    namespace, name = key
    facets = record.facets if record else {}
    schema: dict[str, Any] = facets.get("schema") or {}
    if not isinstance(schema, dict):
        schema = {}
    fields: list[dict[str, Any]] = [
        {"name": f.get("name"), "type": f.get("type"), "tags": [], "description": f.get("description")}
        for f in (schema.get("fields") or []) if isinstance(f, dict)
    ]
    return {
        "id": {"namespace": namespace, "name": name},
        "type": "DB_TABLE",
        "name": name,
        "physicalName": name,
        "createdAt": iso(record.created_at) if record else None,
        "updatedAt": iso(record.updated_at) if record else None,
        "namespace": namespace,
        "sourceName": namespace,
        "fields": fields,
        "tags": [],
        "lastModifiedAt": iso(record.last_modified_at) if record else None,
        "description": None,
        "lastLifecycleState": None,
        "facets": facets,
    }
