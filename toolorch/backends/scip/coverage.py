"""What the index holds beyond the indexer's own output, and what it must not hold.

- Documents whose file resolves outside the allowed roots (a symlink followed by an indexer
  that does not let us exclude it, such as scip-typescript) are removed from the index file.
- Python files the indexer was not given are covered by the outline fallback (outline.py);
  their documents are appended to the index file (concatenated protobuf records merge), with a
  metadata record naming the real project root when the run was staged.
"""

from __future__ import annotations

from pathlib import Path

from toolorch.backends.scip.outline import outline_files
from toolorch.core.paths import is_inside
from toolorch.scip.model import Document, ScipIndex
from toolorch.scip.writer import to_proto, write_index


def escaping_documents(index: ScipIndex, root: Path, roots: list[Path]) -> dict[str, str]:
    """{relative path: reason} of the documents whose file resolves outside `roots`."""
    out: dict[str, str] = {}
    for doc in index.documents:
        target = (root / doc.relative_path).resolve()
        if not any(is_inside(target, r) for r in roots):
            out[doc.relative_path] = (f"resolves to {target}, outside the allowed roots; "
                                      "removed from the index")
    return out


def drop_documents(index: ScipIndex, paths: set[str], index_path: Path) -> None:
    """Remove `paths` from `index` and rewrite the index file without them."""
    index.documents = [d for d in index.documents if d.relative_path not in paths]
    write_index(index, index_path)


def python_fallback(root: Path, files: list[str], package: str, version: str) -> list[Document]:
    """Outline documents for the Python files the indexer skipped."""
    return outline_files(root, [f for f in files if f.endswith((".py", ".pyi"))], package, version)


def append_to_index(index_path: Path, index: ScipIndex, documents: list[Document],
                    project_root: str) -> None:
    """Append `documents` (and a metadata record with `project_root`) to the index file and to
    `index`."""
    extra = ScipIndex(project_root=project_root, tool_name=index.tool_name,
                      tool_version=index.tool_version, documents=documents)
    with index_path.open("ab") as f:
        f.write(to_proto(extra).SerializeToString())
    index.documents.extend(documents)
    index.project_root = project_root
