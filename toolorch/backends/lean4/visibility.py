"""What counts as a project's public API, for the generators (`public_only`, true by default).

Left out: files under a tests / examples / benches / docs directory or named as a test
(`test_*.py`, `*_test.py`, `test.py`, `tests.py`, `conftest.py`, `*.test.ts`, `*.spec.ts`), private modules
(`_internal.py`, not `__init__.py`), and private names: Python `_name` (dunders such as
`__init__` stay), TypeScript `#name` and `private` / `protected` members, Rust items without a
bare `pub` (`pub(crate)` is not public). Rust methods are not judged by `pub`: a trait impl's
methods (`fn area(&self)` in `impl Shape for Circle`) carry none and are public through the trait.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

NON_PUBLIC_DIRS = frozenset({"test", "tests", "testing", "__tests__", "example", "examples", "bench",
                             "benches", "benchmark", "benchmarks", "doc", "docs"})
_TEST_FILE = re.compile(r"^(test_.*\.py|.*_test\.py|tests?\.py|conftest\.py|.*\.(test|spec)\.[cm]?[jt]sx?|.*_test\.rs)$")
_TS_HIDDEN = re.compile(r"^(?:\(\w+(?: \w+)?\)\s*)?(?:(?:static|readonly|abstract|async|get|set)\s+)*"
                        r"(?:private|protected)\s")
_RUST_PUB = re.compile(r"^(?:#\[[^\]]*\]\s*)*pub\s")

REASON = ("public API only (public_only=true): tests/, examples/, benches/, docs/ and _private names "
          "are left out; pass public_only=false to include them")


def public_path(relative_path: str) -> bool:
    """False for a file that is no part of the public API (tests, examples, private modules)."""
    parts = PurePosixPath(relative_path).parts
    if any(p.lower() in NON_PUBLIC_DIRS for p in parts[:-1]):
        return False
    name = parts[-1] if parts else ""
    if _TEST_FILE.match(name):
        return False
    stem = name.split(".", 1)[0]
    return not (stem.startswith("_") and not (stem.startswith("__") and stem.endswith("__")))


def public_name(name: str, signature: str, language: str, *, member: bool) -> bool:
    """False for a private declaration; `member` is true for methods and fields of a type."""
    if name.startswith("#"):
        return False
    if language in ("python", "typescript", "javascript") and name.startswith("_") \
            and not (name.startswith("__") and name.endswith("__") and len(name) > 4):
        return False
    head = " ".join(ln.strip() for ln in signature.strip().splitlines() if ln.strip()
                    and not ln.strip().startswith(("@", "#[")))
    if language in ("typescript", "javascript") and _TS_HIDDEN.match(head):
        return False
    if language == "rust" and not member and head and not _RUST_PUB.match(head):
        if head.startswith("pub("):
            return False
        return not re.match(r"^(?:async\s+|unsafe\s+|const\s+)*(fn|struct|enum|trait|type|const|static|union)\b", head)
    return True
