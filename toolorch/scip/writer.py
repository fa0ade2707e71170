"""Write toolorch's normalized model as a standard SCIP protobuf file.

What comes out reads back with the official SCIP schema (and with toolorch's reader): kinds are
written as SCIP Kind numbers, ranges in the 3-int form when they stay on one line, documents with
their language and position encoding.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from toolorch.scip._pb import messages
from toolorch.scip.model import KIND_NUMBERS, Range, ScipIndex, SymbolInfo

#: SCIP PositionEncoding per language: 1 UTF-8 bytes, 2 UTF-16 code units, 3 UTF-32 code points.
POSITION_ENCODING = {"rust": 1, "go": 1, "c": 1, "cpp": 1, "typescript": 2, "javascript": 2,
                     "java": 2, "kotlin": 2, "python": 3}


def _range(r: Range) -> list[int]:
    return [r[0], r[1], r[3]] if r[0] == r[2] else list(r)


def _fill_symbol(out: Any, info: SymbolInfo) -> None:
    out.symbol = info.symbol
    out.documentation.extend(info.documentation)
    out.kind = KIND_NUMBERS.get(info.kind, 0)
    out.display_name = info.display_name
    out.enclosing_symbol = info.enclosing_symbol
    for rel in info.relationships:
        out.relationships.add(symbol=rel.symbol, is_reference=rel.is_reference,
                              is_implementation=rel.is_implementation,
                              is_type_definition=rel.is_type_definition,
                              is_definition=rel.is_definition)


def to_proto(index: ScipIndex, arguments: list[str] | None = None) -> Any:
    """The protobuf Index for `index`."""
    m = messages()
    raw = m.Index()
    raw.metadata.version = 0
    raw.metadata.tool_info.name = index.tool_name
    raw.metadata.tool_info.version = index.tool_version
    raw.metadata.tool_info.arguments.extend(arguments or [])
    raw.metadata.project_root = index.project_root
    raw.metadata.text_document_encoding = 1  # UTF-8
    for doc in index.documents:
        rdoc = raw.documents.add(relative_path=doc.relative_path, language=doc.language,
                                 position_encoding=POSITION_ENCODING.get(doc.language, 0))
        if doc.text:
            rdoc.text = doc.text
        for occ in doc.occurrences:
            rocc = rdoc.occurrences.add(symbol=occ.symbol, symbol_roles=occ.roles)
            rocc.range.extend(_range(occ.range))
            if occ.enclosing_range is not None:
                rocc.enclosing_range.extend(_range(occ.enclosing_range))
        for info in doc.symbols:
            _fill_symbol(rdoc.symbols.add(), info)
    for info in index.external_symbols:
        _fill_symbol(raw.external_symbols.add(), info)
    return raw


def write_index(index: ScipIndex, path: Path | str, arguments: list[str] | None = None) -> Path:
    """Serialize `index` to `path` atomically (write a sibling temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(to_proto(index, arguments).SerializeToString())
    os.replace(tmp, path)
    return path
