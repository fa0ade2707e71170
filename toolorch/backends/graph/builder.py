"""Turn a normalized SCIP index into the rows of the code graph (see schema.py).

Which symbols become Symbol nodes: every global symbol the project defines (a definition
occurrence, or an entry in a document's symbol list), except parameters and type parameters.
Local symbols (`local N`) and symbols of other packages are not nodes, so references to them make
no edge; their numbers are reported under `skipped`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from toolorch.backends.graph.calls import CALLER_KINDS, find_calls, is_function_value
from toolorch.backends.graph.schema import EDGE_NAMES
from toolorch.scip import kinds as K
from toolorch.scip import symbols as S
from toolorch.scip.model import ScipIndex, SymbolInfo
from toolorch.scip.reader import project_root_path

#: Kinds that are not nodes: they belong to their function or type.
EXCLUDED_KINDS = frozenset({"parameter", "self_parameter", "type_parameter"})

SourceFn = Callable[[str], "str | None"]


@dataclass(slots=True)
class GraphData:
    """Rows ready to load: node rows keyed by label, edge rows ({src, dst, props}) by type."""

    project: str
    nodes: dict[str, list[dict[str, Any]]]
    edges: dict[str, list[dict[str, Any]]]
    skipped: dict[str, int] = field(default_factory=dict)

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        return ({k: len(v) for k, v in self.nodes.items()},
                {k: len(v) for k, v in self.edges.items()})


def _info_for(symbol: str) -> SymbolInfo:
    """A SymbolInfo for a symbol defined without one (scip-python's module variables)."""
    parsed = S.try_parse(symbol)
    if parsed is None:
        return SymbolInfo(symbol=symbol, display_name=symbol)
    return SymbolInfo(symbol=symbol, kind=K.infer_kind(parsed, "", []),
                      display_name=S.display_name(parsed))


def _is_node(symbol: str, kind: str) -> bool:
    if S.is_local(symbol) or kind in EXCLUDED_KINDS:
        return False
    parsed = S.try_parse(symbol)
    last = parsed.last if parsed else None
    return last is None or last.suffix not in (S.PARAMETER, S.TYPE_PARAMETER)


def build_graph(index: ScipIndex, project: str, source: SourceFn | None = None) -> GraphData:
    """The graph rows of `index` under `project`. `source(relative_path)` returns a document's
    text when it is available (used to tell calls from other references), else None."""
    def sid(symbol: str) -> str:
        return f"{project}:{symbol}"

    def did(path: str) -> str:
        return f"{project}:{path}"

    infos: dict[str, SymbolInfo] = {}
    declared_in: dict[str, str] = {}
    for doc in index.documents:
        for info in doc.symbols:
            infos.setdefault(info.symbol, info)
            declared_in.setdefault(info.symbol, doc.relative_path)

    # Definitions: where each symbol is defined (first one wins for path/line).
    where: dict[str, tuple[str, int]] = {}
    defines: set[tuple[str, str]] = set()
    for doc in index.documents:
        for occ in doc.occurrences:
            if occ.is_definition and not S.is_local(occ.symbol):
                where.setdefault(occ.symbol, (doc.relative_path, occ.range[0] + 1))
                defines.add((doc.relative_path, occ.symbol))
    for symbol, path in declared_in.items():
        defines.add((path, symbol))

    kinds: dict[str, str] = {}
    callers: set[str] = set()
    symbol_rows: list[dict[str, Any]] = []
    for symbol in dict.fromkeys([*where, *declared_in]):
        info = infos.get(symbol) or _info_for(symbol)
        if not _is_node(symbol, info.kind):
            continue
        kinds[symbol] = info.kind
        if info.kind in CALLER_KINDS or is_function_value(info.kind, info.signature):
            callers.add(symbol)
        path, line = where.get(symbol, (declared_in.get(symbol, ""), None))
        symbol_rows.append({
            "id": sid(symbol), "project": project, "symbol": symbol,
            "name": info.display_name or symbol, "kind": info.kind, "path": path, "line": line,
            "signature": info.signature, "documentation": K.split_documentation(info.documentation)[1],
        })

    languages = Counter(d.language for d in index.documents if d.language)
    root = project_root_path(index)
    project_row = {"name": project, "root": str(root) if root else index.project_root,
                   "language": languages.most_common(1)[0][0] if languages else ""}
    doc_rows = list({did(d.relative_path): {
        "id": did(d.relative_path), "project": project, "path": d.relative_path,
        "language": d.language} for d in index.documents}.values())

    edges: dict[str, list[dict[str, Any]]] = {name: [] for name in EDGE_NAMES}
    edges["HAS_DOCUMENT"] = [{"src": project, "dst": row["id"]} for row in doc_rows]
    edges["HAS_SYMBOL"] = [{"src": project, "dst": row["id"]} for row in symbol_rows]
    edges["DEFINES"] = [{"src": did(path), "dst": sid(symbol)}
                        for path, symbol in sorted(defines) if symbol in kinds]

    skipped: Counter[str] = Counter()
    references: set[tuple[str, str, int]] = set()
    calls: dict[tuple[str, str], list[int]] = {}
    for doc in index.documents:
        for occ in doc.occurrences:
            if occ.is_definition:
                continue
            if occ.symbol in kinds:
                references.add((doc.relative_path, occ.symbol, occ.range[0] + 1))
            elif S.is_local(occ.symbol):
                skipped["local_references"] += 1
            else:
                skipped["external_references"] += 1
        text = doc.text or (source(doc.relative_path) if source else None)
        lines = text.split("\n") if text else None
        for caller, callee, line in find_calls(doc, kinds.get, lines, callers.__contains__):
            calls.setdefault((caller, callee), []).append(line)
    edges["REFERENCES"] = [{"src": did(p), "dst": sid(s), "line": n}
                           for p, s, n in sorted(references)]
    edges["CALLS"] = [{"src": sid(a), "dst": sid(b), "line": min(ls), "count": len(ls)}
                      for (a, b), ls in sorted(calls.items())]

    implements: set[tuple[str, str]] = set()
    for symbol in kinds:
        known = infos.get(symbol)
        for rel in known.relationships if known else []:
            if rel.is_implementation and rel.symbol != symbol:
                if rel.symbol in kinds:
                    implements.add((symbol, rel.symbol))
                else:
                    skipped["external_implementations"] += 1
    edges["IMPLEMENTS"] = [{"src": sid(a), "dst": sid(b)} for a, b in sorted(implements)]

    return GraphData(
        project=project,
        nodes={"Project": [project_row], "Document": doc_rows, "Symbol": symbol_rows},
        edges=edges,
        skipped=dict(skipped),
    )
