"""Read a SCIP index file into toolorch's normalized model (toolorch.scip.model).

Besides decoding, the reader fills the gaps the real indexers leave, so every consumer sees the
same complete picture: the kind (from the hover text or the descriptor suffix), the display name
(last descriptor), the signature (the documentation's code block, fences removed), the document's
language (file extension), a symbol's enclosing symbol (one descriptor up) and, for Python files
whose source is on disk, the enclosing ranges of definitions (scip-python omits them).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from toolorch.errors import BackendError
from toolorch.scip import kinds as K
from toolorch.scip import symbols as S
from toolorch.scip._pb import messages
from toolorch.scip.limits import DEFAULT_MAX_INDEX_BYTES
from toolorch.scip.model import (
    DEFINITION,
    FORWARD_DEFINITION,
    KIND_NAMES,
    Document,
    Occurrence,
    Range,
    Relationship,
    ScipIndex,
    SymbolInfo,
)
from toolorch.scip.pyranges import python_definition_ranges, python_overloads
from toolorch.scip.stream import DOCUMENT, METADATA, iter_messages

log = logging.getLogger(__name__)


def read_index(path: Path | str, *, fill_ranges: bool = True,
               max_bytes: int = DEFAULT_MAX_INDEX_BYTES, project_root: str = "") -> ScipIndex:
    """Decode the SCIP index at `path`, one record at a time (see stream.py). Raises PathError
    when it is missing, ValidationError when it is larger than `max_bytes`
    (TOOLORCH_MAX_INDEX_BYTES) and BackendError when it is not a SCIP index. With `fill_ranges`,
    Python definitions get enclosing ranges computed from the sources under the project root
    (`project_root`, a file:// URI, overrides the one in the metadata)."""
    index = ScipIndex()
    seen_metadata = False
    for field, msg in iter_messages(path, max_bytes):
        if field == METADATA:
            seen_metadata = True
            index.project_root = msg.project_root or index.project_root
            index.tool_name = msg.tool_info.name or index.tool_name
            index.tool_version = msg.tool_info.version or index.tool_version
        elif field == DOCUMENT:
            _check_document(msg, str(path))
            index.documents.append(_document(msg))
        else:
            index.external_symbols.append(_symbol_info(msg))
    if not seen_metadata and not index.documents:
        raise BackendError(f"not a SCIP index: {path} has neither metadata nor documents")
    if project_root:
        index.project_root = project_root
    _fix_enclosing_symbols(index)
    if fill_ranges:
        _fill_python_ranges(index)
    return index


def _check_document(doc: Any, where: str) -> None:
    bad = not doc.relative_path or doc.relative_path.startswith("/") or any(
        len(o.range) not in (3, 4) for o in doc.occurrences)
    if bad:
        raise BackendError(f"not a SCIP index: {where} has a malformed document "
                           f"{doc.relative_path!r} (empty/absolute path or bad ranges)")


def decode_index(data: bytes, where: str = "<bytes>") -> Any:
    """Parse bytes into the protobuf Index, refusing what is not a SCIP index."""
    from google.protobuf.message import DecodeError

    if not data:
        raise BackendError(f"not a SCIP index: {where} is empty")
    raw = messages().Index()
    try:
        raw.ParseFromString(data)
    except DecodeError as exc:
        raise BackendError(f"not a SCIP index: {where} does not decode as a SCIP protobuf "
                           f"Index ({exc})") from exc
    if not raw.HasField("metadata") and not raw.documents:
        raise BackendError(f"not a SCIP index: {where} has neither metadata nor documents "
                           f"({len(data)} bytes)")
    for doc in raw.documents:
        bad = not doc.relative_path or doc.relative_path.startswith("/") or any(
            len(o.range) not in (3, 4) for o in doc.occurrences)
        if bad:
            raise BackendError(f"not a SCIP index: {where} has a malformed document "
                               f"{doc.relative_path!r} (empty/absolute path or bad ranges)")
    return raw


def _range(values: Any) -> Range | None:
    v = list(values)
    if len(v) == 3:
        return (v[0], v[1], v[0], v[2])
    if len(v) == 4:
        return (v[0], v[1], v[2], v[3])
    return None


def project_root_path(index: ScipIndex) -> Path | None:
    """The project root as a local path, from the file:// URI in the metadata."""
    uri = urlparse(index.project_root)
    if uri.scheme != "file":
        return None
    return Path(unquote(uri.path))


def _symbol_info(raw: Any) -> SymbolInfo:
    docs = list(raw.documentation)
    parsed = S.try_parse(raw.symbol)
    signature, _ = K.split_documentation(docs)
    if not signature and raw.HasField("signature_documentation"):
        signature = raw.signature_documentation.text
    if raw.kind:
        kind = KIND_NAMES.get(raw.kind, "unspecified")
    elif parsed is not None:
        kind = K.infer_kind(parsed, signature, docs)
    else:
        kind = "unspecified"
    display = raw.display_name or (S.display_name(parsed) if parsed else raw.symbol)
    enclosing = raw.enclosing_symbol or (K.parent_symbol(parsed) if parsed else "")
    return SymbolInfo(
        symbol=raw.symbol, kind=kind, display_name=display, documentation=docs,
        signature=signature, enclosing_symbol=enclosing,
        relationships=[Relationship(r.symbol, r.is_reference, r.is_implementation,
                                    r.is_type_definition, r.is_definition)
                       for r in raw.relationships],
    )


def from_proto(raw: Any, *, fill_ranges: bool = True) -> ScipIndex:
    """Normalize a decoded protobuf Index (see the module docstring for what is filled)."""
    index = ScipIndex(project_root=raw.metadata.project_root,
                      tool_name=raw.metadata.tool_info.name,
                      tool_version=raw.metadata.tool_info.version)
    for rdoc in raw.documents:
        index.documents.append(_document(rdoc))
    index.external_symbols = [_symbol_info(s) for s in raw.external_symbols]
    _fix_enclosing_symbols(index)
    if fill_ranges:
        _fill_python_ranges(index)
    return index


def _document(rdoc: Any) -> Document:
    doc = Document(relative_path=rdoc.relative_path,
                   language=(rdoc.language or K.language_of(rdoc.relative_path)).lower(),
                   text=rdoc.text)
    doc.symbols = [_symbol_info(s) for s in rdoc.symbols]
    for o in rdoc.occurrences:
        rng = _range(o.range)
        if rng is None:
            continue
        # one str per symbol, not per occurrence (protobuf makes a new one on every access)
        symbol = sys.intern(o.symbol)
        doc.occurrences.append(Occurrence(symbol, rng, o.symbol_roles, _range(o.enclosing_range)))
    return doc


def _fix_enclosing_symbols(index: ScipIndex) -> None:
    """scip-python names a module `pkg.mod/__init__:` but its members' parent is `pkg.mod/`:
    point such members at the module symbol that exists."""
    defined = {s.symbol for d in index.documents for s in d.symbols}
    for doc in index.documents:
        for info in doc.symbols:
            parent = info.enclosing_symbol
            if parent and parent not in defined and parent.endswith("/"):
                module = parent + "__init__:"
                info.enclosing_symbol = module if module in defined and module != info.symbol else ""
            elif parent == info.symbol:
                info.enclosing_symbol = ""


def _fill_python_ranges(index: ScipIndex) -> None:
    """Enclosing ranges of Python definitions (from `ast`), and `@overload` groups defined at
    their implementation (see _fix_overloads)."""
    root = project_root_path(index)
    for doc in index.documents:
        if doc.language != "python":
            continue
        defs = [o for o in doc.occurrences if o.is_definition and o.enclosing_range is None
                and not S.is_local(o.symbol)]
        overloaded = any(i.signature.startswith("@overload") or "@typing.overload" in i.signature
                         for i in doc.symbols)
        if not defs and not overloaded:
            continue
        text = doc.text
        if not text and root is not None:
            try:
                text = (root / doc.relative_path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
        if not text:
            continue
        ranges = python_definition_ranges(text)
        for occ in defs:
            found = ranges.get((occ.range[0], occ.range[1]))
            if found is not None:
                occ.enclosing_range = found
        if overloaded:
            _fix_overloads(doc, python_overloads(text), ranges)


def _fix_overloads(doc: Document, groups: dict[tuple[int, int], tuple[int, int]],
                   ranges: dict[tuple[int, int], Range]) -> None:
    """scip-python defines an overloaded function at its first `@overload` stub and makes the
    implementation a reference, so the body's calls had no caller and the docs were the stub's.
    Make the implementation the definition (with its range), the stubs forward definitions,
    and the implementation's SymbolInformation the first one."""
    at = {(o.range[0], o.range[1]): o for o in doc.occurrences if not S.is_local(o.symbol)}
    fixed: set[str] = set()
    for stub_pos, impl_pos in groups.items():
        stub, impl = at.get(stub_pos), at.get(impl_pos)
        if stub is None or impl is None or stub.symbol != impl.symbol:
            continue
        stub.roles = (stub.roles & ~DEFINITION) | FORWARD_DEFINITION
        impl.roles |= DEFINITION
        impl.enclosing_range = ranges.get(impl_pos, impl.enclosing_range)
        fixed.add(impl.symbol)
    if fixed:
        def stub_first(info: SymbolInfo) -> int:
            return int(info.symbol in fixed and info.signature.lstrip().startswith("@"))
        doc.symbols.sort(key=stub_first)
