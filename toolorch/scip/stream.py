"""Read a SCIP file one top-level record at a time, never the whole file at once.

An Index is a flat sequence of length-delimited fields: 1 Metadata, 2 Document, 3 external
SymbolInformation (scip-python even writes one `Index{documents: [d]}` chunk per file, and
concatenated protobuf messages merge by appending). So a reader can decode one Document, hand it
on, and drop it: peak memory is one document's protobuf plus what the caller keeps, instead of the
whole file's bytes plus the whole decoded tree. The first tag must be a length-delimited field
1-3, which rejects most files that are not SCIP at their first byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from toolorch.errors import BackendError, PathError
from toolorch.scip._pb import messages
from toolorch.scip.limits import DEFAULT_MAX_INDEX_BYTES, INDEX_SETTING, check_size

METADATA, DOCUMENT, EXTERNAL_SYMBOL = 1, 2, 3
_LEN = 2
#: Largest single record (one document): the biggest documents seen from the real indexers are
#: a few MB (a generated or minified file); a larger one is not read into memory.
MAX_RECORD_BYTES = 128 * 1024 * 1024


def _varint(f: BinaryIO, where: str) -> int | None:
    """The next varint, or None at a clean end of file."""
    shift = result = 0
    for i in range(10):
        b = f.read(1)
        if not b:
            if i == 0:
                return None
            raise BackendError(f"not a SCIP index: {where} ends inside a varint")
        result |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            return result
        shift += 7
    raise BackendError(f"not a SCIP index: {where} has a varint longer than 10 bytes")


def iter_records(f: BinaryIO, size: int, where: str) -> Iterator[tuple[int, bytes]]:
    """(field number, raw bytes) of each top-level field of the Index in `f`."""
    first = True
    while True:
        tag = _varint(f, where)
        if tag is None:
            return
        field, wire = tag >> 3, tag & 7
        if wire != _LEN or (first and field not in (METADATA, DOCUMENT, EXTERNAL_SYMBOL)):
            raise BackendError(f"not a SCIP index: {where} does not start like a SCIP protobuf "
                               f"Index (field {field}, wire type {wire} at offset "
                               f"{f.tell() - 1})")
        first = False
        length = _varint(f, where)
        if length is None or length > size:
            raise BackendError(f"not a SCIP index: {where} has a record of {length} bytes, "
                               f"longer than the file ({size} bytes)")
        if length > MAX_RECORD_BYTES:
            raise BackendError(f"{where} has a record (field {field}) of {length:,} bytes, over "
                               f"the {MAX_RECORD_BYTES:,}-byte limit for one document; index the "
                               "project without that file")
        data = f.read(length)
        if len(data) != length:
            raise BackendError(f"not a SCIP index: {where} is truncated")
        yield field, data


def open_index(path: Path | str, max_bytes: int = DEFAULT_MAX_INDEX_BYTES) -> tuple[BinaryIO, int]:
    """The open file and its size, after the existence and size checks."""
    path = Path(path)
    if not path.is_file():
        raise PathError(f"SCIP index {str(path)!r} does not exist or is not a file; "
                        "run scip_index_code first")
    size = check_size(path, max_bytes, "SCIP index", INDEX_SETTING)
    if size == 0:
        raise BackendError(f"not a SCIP index: {path} is empty")
    return path.open("rb"), size


def iter_messages(path: Path | str, max_bytes: int = DEFAULT_MAX_INDEX_BYTES,
                  ) -> Iterator[tuple[int, Any]]:
    """(field number, decoded protobuf message) of each record: Metadata, Document or external
    SymbolInformation. Unknown fields are skipped."""
    from google.protobuf.message import DecodeError

    m = messages()
    classes = {METADATA: m.Metadata, DOCUMENT: m.Document, EXTERNAL_SYMBOL: m.SymbolInformation}
    f, size = open_index(path, max_bytes)
    with f:
        for field, data in iter_records(f, size, str(path)):
            cls = classes.get(field)
            if cls is None:
                continue
            msg = cls()
            try:
                msg.ParseFromString(data)
            except DecodeError as exc:
                raise BackendError(f"not a SCIP index: {path} has a record (field {field}) that "
                                   f"does not decode ({exc})") from exc
            yield field, msg


def count_documents(path: Path | str, max_bytes: int = DEFAULT_MAX_INDEX_BYTES) -> int:
    """How many Document records the file holds (their bytes are read but not decoded)."""
    f, size = open_index(path, max_bytes)
    with f:
        return sum(1 for field, _ in iter_records(f, size, str(path)) if field == DOCUMENT)
