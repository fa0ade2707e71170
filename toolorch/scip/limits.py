"""Size caps on files read whole: a file past its cap is refused before a byte is read.

Why: a 400 MB file passed as a SCIP index took the server from 42 MB to 520 MB RSS before the
"not a SCIP index" error (issue 13). Every error names the cap and the setting that raises it.
"""

from __future__ import annotations

from pathlib import Path

from toolorch.errors import ValidationError

DEFAULT_MAX_INDEX_BYTES = 1 << 30
DEFAULT_MAX_MANIFEST_BYTES = 1 << 20
INDEX_SETTING = "TOOLORCH_MAX_INDEX_BYTES"
MANIFEST_SETTING = "TOOLORCH_MAX_MANIFEST_BYTES"


def check_size(path: Path, cap: int, what: str, setting: str) -> int:
    """The size of `path`; ValidationError when it is larger than `cap` bytes."""
    size = path.stat().st_size
    if size > cap:
        raise ValidationError(
            f"{what} {str(path)!r} is {size:,} bytes, over the cap of {cap:,} bytes "
            f"({setting}); raise {setting} if the file is really meant to be read",
            field=setting)
    return size


def read_text_capped(path: Path, cap: int = DEFAULT_MAX_MANIFEST_BYTES, what: str = "manifest",
                     setting: str = MANIFEST_SETTING) -> str:
    """A text file read whole, after the size check (UTF-8, bad bytes replaced)."""
    check_size(path, cap, what, setting)
    return path.read_text(encoding="utf-8", errors="replace")
