"""Path policy: tools read and write only inside the allowed roots.

`..` and symlinks are resolved before the check, so a link that points out of a root is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from toolorch.errors import PathError


def is_inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def resolve_inside(
    raw: str | Path,
    roots: Sequence[Path],
    *,
    must_exist: bool = True,
    want: str | None = None,
    what: str = "path",
) -> Path:
    """Resolve `raw` (symlinks and `..` included) and require it inside one of `roots`.

    `want` is "file" or "dir" to check the kind. Errors say which rule failed and how to fix it.
    """
    text = str(raw)
    if not text.strip():
        raise PathError(f"{what} is empty")
    if "\x00" in text:
        raise PathError(f"{what} contains a NUL byte")
    shown_raw = text if len(text) <= 200 else f"{text[:120]}…({len(text)} characters)"
    try:
        return _check(Path(text).expanduser(), roots, must_exist=must_exist, want=want,
                      what=what, shown_raw=shown_raw)
    except OSError as exc:
        # ENAMETOOLONG, EACCES on /proc/<pid>/root, ELOOP...: the path cannot be used as given
        reason = exc.strerror or type(exc).__name__
        raise PathError(f"{what} {shown_raw!r} cannot be used: {reason}; pass a readable path "
                        "inside an allowed root") from None


def _check(path: Path, roots: Sequence[Path], *, must_exist: bool, want: str | None, what: str,
           shown_raw: str) -> Path:
    if not path.is_absolute():
        path = Path.cwd() / path
    resolved = path.resolve(strict=False)
    if not any(is_inside(resolved, r) for r in roots):
        shown = ", ".join(str(r) for r in roots)
        raise PathError(
            f"{what} {shown_raw!r} resolves to {resolved}, outside the allowed roots ({shown}); "
            "add its directory to TOOLORCH_ALLOWED_ROOTS or pass a path inside a root"
        )
    if must_exist and not resolved.exists():
        raise PathError(f"{what} {shown_raw!r} does not exist (resolved to {resolved})")
    if want == "dir" and resolved.exists() and not resolved.is_dir():
        raise PathError(f"{what} {shown_raw!r} is not a directory")
    if want == "file" and resolved.exists() and not resolved.is_file():
        raise PathError(f"{what} {shown_raw!r} is not a regular file")
    return resolved
