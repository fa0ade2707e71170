"""File stamps: (path, mtime_ns, size) of a file a result was computed from.

Backends stamp what they read (`ToolContext.record_read`); the result cache keeps the stamps with
an entry and drops the entry when the disk no longer matches them. A directory's mtime changes only
when entries are added or removed, so tools should record the files they read, not only their
directories.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class FileStamp:
    path: str
    mtime_ns: int
    size: int


def stamp(path: Path | str) -> FileStamp | None:
    """The file's stamp now, or None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return FileStamp(str(path), st.st_mtime_ns, st.st_size)


def fingerprint(files: Iterable[Path | str | FileStamp]) -> tuple[FileStamp, ...] | None:
    """Stamps of the files (FileStamps taken at read time are kept as given); None when one is
    missing, i.e. the result cannot be checked later and must not be cached."""
    out: list[FileStamp] = []
    for f in dict.fromkeys(files):
        s = f if isinstance(f, FileStamp) else stamp(f)
        if s is None:
            return None
        out.append(s)
    return tuple(out)


def is_fresh(files: Iterable[FileStamp]) -> bool:
    """True when every file still has the stamp it had."""
    return all(stamp(f.path) == f for f in files)
