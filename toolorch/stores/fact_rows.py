"""A SCIP index as fact-store rows, grouped by document so a re-index can rewrite only the
documents that changed (facts.py). Lines are 1-based, columns 0-based; local symbols are left out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from toolorch.scip import kinds as K
from toolorch.scip import symbols as S
from toolorch.scip.model import ScipIndex, SymbolInfo

Row = tuple[Any, ...]
Rows = list[Row]

REL_KINDS = (("is_reference", "reference"), ("is_implementation", "implementation"),
             ("is_type_definition", "type_definition"), ("is_definition", "definition"))


@dataclass(slots=True)
class ProjectRows:
    """Every row of one project: files and occurrences per document path, symbols by symbol,
    relationships as a set, and a digest per document (its file row, occurrences and the
    symbols defined in it)."""

    files: dict[str, Row] = field(default_factory=dict)
    occurrences: dict[str, Rows] = field(default_factory=dict)
    symbols: dict[str, Row] = field(default_factory=dict)
    relationships: set[Row] = field(default_factory=set)
    digests: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"files": len(self.files), "symbols": len(self.symbols),
                "occurrences": sum(len(v) for v in self.occurrences.values()),
                "relationships": len(self.relationships)}


def _symbol_row(project: str, info: SymbolInfo, site: Row) -> Row:
    signature, prose = K.split_documentation(info.documentation)
    return (project, info.symbol, info.display_name, info.kind, info.signature or signature or None,
            prose or None, *site, info.enclosing_symbol or None)


def definition_sites(index: ScipIndex) -> dict[str, tuple[str, int, int, int]]:
    """symbol -> (path, line, col, end_line) of its first definition (1-based lines); the end is
    the enclosing range's when the indexer gave one."""
    sites: dict[str, tuple[str, int, int, int]] = {}
    for doc in index.documents:
        for occ in doc.occurrences:
            if occ.is_definition and occ.symbol not in sites and not S.is_local(occ.symbol):
                end = (occ.enclosing_range or occ.range)[2]
                sites[occ.symbol] = (doc.relative_path, occ.range[0] + 1, occ.range[1], end + 1)
    return sites


def _iter_infos(index: ScipIndex) -> Iterator[SymbolInfo]:
    for doc in index.documents:
        yield from doc.symbols
    yield from index.external_symbols


def undescribed(project: str, symbol: str, site: Row) -> Row:
    """A row for a symbol that occurs but has no SymbolInformation (kind from its descriptor)."""
    parsed = S.try_parse(symbol)
    if parsed is None:
        return (project, symbol, symbol, "unspecified", None, None, *site, None)
    return (project, symbol, S.display_name(parsed), K.infer_kind(parsed, "", []), None, None,
            *site, K.parent_symbol(parsed) or None)


def project_rows(project: str, index: ScipIndex) -> ProjectRows:
    out = ProjectRows()
    sites = definition_sites(index)
    no_site = (None, None, None, None)
    for info in _iter_infos(index):
        if S.is_local(info.symbol) or info.symbol in out.symbols:
            continue
        out.symbols[info.symbol] = _symbol_row(project, info, sites.get(info.symbol, no_site))
        for rel in info.relationships:
            if S.is_local(rel.symbol):
                continue
            for flag, kind in REL_KINDS:
                if getattr(rel, flag):
                    out.relationships.add((project, info.symbol, rel.symbol, kind))
    for doc in index.documents:
        path = doc.relative_path
        out.files.setdefault(path, (project, path, doc.language))
        rows = out.occurrences.setdefault(path, [])
        for occ in doc.occurrences:
            if S.is_local(occ.symbol) or not occ.symbol:
                continue
            r = occ.range
            rows.append((project, path, occ.symbol, r[0] + 1, r[1], r[2] + 1, r[3], occ.roles,
                         int(occ.is_definition)))
            if occ.symbol not in out.symbols:
                out.symbols[occ.symbol] = undescribed(project, occ.symbol,
                                                      sites.get(occ.symbol, no_site))
    by_path: dict[str, list[Row]] = {}
    for row in out.symbols.values():
        if row[6] is not None:
            by_path.setdefault(row[6], []).append(row)
    rels: dict[str, list[Row]] = {}
    for rel_row in out.relationships:
        rels.setdefault(rel_row[1], []).append(rel_row)
    for path, file_row in out.files.items():
        h = hashlib.blake2b(repr(file_row).encode(), digest_size=16)
        for row in out.occurrences[path]:
            h.update(repr(row).encode())
        for row in sorted(by_path.get(path, []), key=lambda r: r[1]):
            h.update(repr(row).encode())
            h.update(repr(sorted(rels.get(row[1], []))).encode())
        out.digests[path] = h.hexdigest()
    return out
