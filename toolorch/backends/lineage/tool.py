"""marquez_get_lineage: the lineage graph of a dataset, from the local store or from Marquez.

The dataset is found by name: exactly; or, for files, by a relative path (made absolute against
the current directory) or by a unique path suffix such as a basename. The namespace is optional
unless the name exists in several. Not cacheable (the registry says so): lineage grows with every
run.
"""

from __future__ import annotations

import difflib
import logging
import os
from typing import Any

import anyio

from toolorch.core.context import ToolContext
from toolorch.core.services import ServiceKey
from toolorch.errors import BackendError
from toolorch.lineage.graph import DEFAULT_DEPTH, build_lineage, dataset_node_id
from toolorch.lineage.observer import WRITER_KEY, store_path
from toolorch.lineage.store import DatasetKey, LineageStore

log = logging.getLogger(__name__)

STORE_KEY: ServiceKey[LineageStore] = ServiceKey("lineage_store")
MAX_SUGGESTIONS = 8


async def get_lineage(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    name = str(args["dataset_name"]).strip()
    namespace = args.get("namespace") or None
    depth = int(args.get("depth") or DEFAULT_DEPTH)
    if not name:
        raise BackendError("dataset_name is empty; pass a dataset name such as a file path a tool produced")

    writer = ctx.services.peek(WRITER_KEY)
    if writer is not None:  # runs that finished just before this call are in the store
        await anyio.to_thread.run_sync(writer.flush, 2.0)
    store = ctx.services.get(STORE_KEY, lambda: LineageStore(store_path(ctx.settings)))

    key, note = await anyio.to_thread.run_sync(_resolve, store, name, namespace,
                                               bool(ctx.settings.marquez_url))
    node_id = dataset_node_id(*key)
    result: dict[str, Any] | None = None
    source = "local"
    warning: str | None = None
    if ctx.settings.marquez_url:
        from toolorch.lineage.marquez import fetch_lineage

        try:
            result = await fetch_lineage(ctx.settings.marquez_url, node_id, depth)
            source = "marquez"
            if result is None:
                warning = f"Marquez does not know {node_id} (yet); answered from the local store"
        except BackendError as exc:
            warning = f"{exc.message}; answered from the local store"
            log.warning("lineage: %s", warning)
    if result is None:
        source = "local"
        result = await anyio.to_thread.run_sync(build_lineage, store, key, depth)
        if not any(n["id"] == node_id for n in result["graph"]):
            raise BackendError(_not_found_message(store, name, namespace))

    out: dict[str, Any] = {"graph": result["graph"], "node_id": node_id, "source": source,
                           "namespace": key[0], "dataset_name": key[1], "depth": depth,
                           "nodes": len(result["graph"])}
    if note:
        out["resolved"] = note
    if warning:
        out["warning"] = warning
    return out


def _resolve(store: LineageStore, name: str, namespace: str | None, remote: bool
             ) -> tuple[DatasetKey, str | None]:
    """(namespace, name) of the dataset, and a note when the given name was rewritten."""
    candidates = [name]
    if not os.path.isabs(name) and ("/" in name or os.sep in name or "." in name):
        candidates.append(os.path.abspath(name))
    for cand in candidates:
        spaces = store.namespaces_of(cand)
        if namespace is not None:
            if namespace in spaces:
                return (namespace, cand), None if cand == name else f"{name!r} -> {cand!r}"
            continue
        if len(spaces) == 1:
            return (spaces[0], cand), None if cand == name else f"{name!r} -> {cand!r}"
        if len(spaces) > 1:
            raise BackendError(
                f"dataset {cand!r} exists in several namespaces ({', '.join(spaces)}); "
                "pass `namespace` to choose one")
    suffix = [(ns, n) for ns, n in store.dataset_names()
              if (namespace is None or ns == namespace) and _is_suffix(name, n)]
    if len(suffix) == 1:
        return suffix[0], f"{name!r} -> {suffix[0][1]!r} (namespace {suffix[0][0]!r})"
    if len(suffix) > 1:
        shown = "; ".join(f"{ns}:{n}" for ns, n in suffix[:MAX_SUGGESTIONS])
        raise BackendError(f"dataset name {name!r} matches several datasets: {shown}; "
                           "pass the full name (and `namespace`)")
    if remote:  # not seen locally: Marquez may know it from other producers
        guess = namespace or ("file" if os.path.isabs(name) else "toolorch")
        return (guess, name), None
    raise BackendError(_not_found_message(store, name, namespace))


def _is_suffix(given: str, known: str) -> bool:
    given = given.strip("/")
    return bool(given) and (known == given or known.endswith("/" + given))


def _not_found_message(store: LineageStore, name: str, namespace: str | None) -> str:
    known = store.dataset_names()
    where = f" in namespace {namespace!r}" if namespace else ""
    if not known:
        return (f"unknown dataset {name!r}{where}: no lineage recorded yet. Lineage comes from tool "
                "runs (scip_index_code, lean4_generate_specs, n8n_generate_workflow...); run one first")
    names = sorted({n for _, n in known})
    close = difflib.get_close_matches(name, names, n=MAX_SUGGESTIONS, cutoff=0.5)
    base = os.path.basename(name.rstrip("/"))
    close += [n for n in names if base and os.path.basename(n) == base and n not in close]
    if not close:  # a basename is a poor fuzzy match for a long absolute path: compare basenames
        by_base = {os.path.basename(n): n for n in names}
        close = [by_base[b] for b in difflib.get_close_matches(base, list(by_base), n=MAX_SUGGESTIONS)]
    hint = ("; close matches: " + ", ".join(
        f"{ns}:{n}" for ns, n in known if n in close[:MAX_SUGGESTIONS])) if close else (
        f"; {len(names)} datasets are known, e.g. " + ", ".join(names[:3]))
    return f"unknown dataset {name!r}{where}{hint}"
