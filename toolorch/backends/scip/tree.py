"""The project's source tree as the indexers see it: one walk gives the files, the symlinks that
lead out of the allowed roots (skipped, never indexed: issue 13), and a fingerprint.

The fingerprint is a digest of every source file's (relative path, size, mtime in ns), the
manifests' too, plus the indexer and toolorch versions: when it equals the one stored with the
project's facts, the tree is unchanged and scip_index_code returns at once. A walk of ≈ 1,000
files costs ≈ 10-30 ms; no file is read.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from toolorch.core.paths import is_inside

#: Source suffixes per language (what the indexer reads).
SUFFIXES: dict[str, tuple[str, ...]] = {
    "python": (".py", ".pyi"),
    "typescript": (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"),
    "rust": (".rs",),
}
MANIFESTS = ("pyproject.toml", "setup.cfg", "setup.py", "package.json", "tsconfig.json",
             "Cargo.toml", "scip-pyrightconfig.json", "pyrightconfig.json")
#: Directories the language's indexer does not read (plus hidden ones, and virtualenvs: a
#: directory holding pyvenv.cfg). No more than that: a file the indexer reads but the walk
#: skipped would let an edit go unseen.
SKIP_DIRS: dict[str, frozenset[str]] = {
    "python": frozenset({"node_modules", "__pycache__"}),
    "typescript": frozenset({"node_modules"}),
    "rust": frozenset({"target", "node_modules"}),
}


@dataclass(slots=True)
class SourceTree:
    root: Path
    language: str
    files: list[str] = field(default_factory=list)          # relative POSIX paths, sorted
    escaping: dict[str, str] = field(default_factory=dict)   # relative path -> where it leads
    fingerprint: str = ""

    def skipped(self) -> list[dict[str, str]]:
        """The `skipped_files` entries for the escaping symlinks."""
        return [{"path": rel, "reason": f"symlink to {target}, outside the allowed roots; "
                 "not indexed"} for rel, target in sorted(self.escaping.items())]


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(is_inside(path, r) for r in roots)


def walk_tree(root: Path, language: str, roots: list[Path], salt: str = "") -> SourceTree:
    """Walk `root` (already resolved and checked): source files of `language`, symlinks that
    resolve outside `roots` (files and directories; they are not followed), and the fingerprint
    (`salt` is mixed in: the indexer's name and version)."""
    tree = SourceTree(root=root, language=language)
    suffixes = SUFFIXES.get(language, ())
    skip = SKIP_DIRS.get(language, frozenset())
    digest = hashlib.blake2b(f"{language}\0{salt}".encode(), digest_size=16)
    stack = [root]
    entries: list[tuple[str, int, int]] = []
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as it:
                items = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for entry in items:
            path = Path(entry.path)
            rel = path.relative_to(root).as_posix()
            is_link = entry.is_symlink()
            if is_link:
                target = path.resolve()
                if not _inside(target, roots):
                    if entry.is_dir() or entry.name.endswith(suffixes) or not target.exists():
                        tree.escaping[rel] = str(target)
                    continue
            if entry.is_dir():
                if (entry.name.startswith(".") or entry.name in skip
                        or (path / "pyvenv.cfg").exists()):
                    continue
                stack.append(path)
                continue
            if entry.name.endswith(suffixes) or (here == root and entry.name in MANIFESTS):
                try:
                    st = entry.stat()
                except OSError:
                    continue
                entries.append((rel, st.st_size, st.st_mtime_ns))
                if entry.name.endswith(suffixes):
                    tree.files.append(rel)
    for rel, size, mtime in sorted(entries):
        digest.update(f"{rel}\0{size}\0{mtime}\n".encode())
    for rel in sorted(tree.escaping):
        digest.update(f"escaping\0{rel}\n".encode())
    tree.files.sort()
    tree.fingerprint = digest.hexdigest()
    return tree
