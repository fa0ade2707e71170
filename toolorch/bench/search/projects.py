"""Real projects for the search benchmarks: PyPI sdists, fetched when the benchmark runs.

`prepare(spec, cache)` downloads `name==version` as an sdist with pip (into `.cache/bench-search/`
by default, never into the repository), unpacks it, and writes a copy of its Python sources in
which every function's docstring is blanked out (lines kept, so positions do not move). Each
blanked docstring's summary (first paragraph) becomes a query whose answer is that function:
the self-supervised benchmark of issue 11 — the function is indexed without the text that
describes it, and a search must find it from that text.
"""

from __future__ import annotations

import ast
import logging
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

#: The default projects: ≈ 59k lines, ≈ 1,150 documented functions.
DEFAULT_PROJECTS = ("boltons==26.2.0", "click==8.5.1", "more-itertools==11.2.1", "werkzeug==3.1.9")
SKIP_DIRS = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "example",
                       "benchmarks", "build", ".git"})
MIN_QUERY_WORDS = 4
QUERY_CHARS = 300


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    path: str       # relative to the project root
    line: int       # 1-based line of the `def`
    name: str


@dataclass(slots=True)
class Project:
    name: str
    version: str
    root: Path              # the copy without function docstrings
    lines: int = 0
    files: int = 0
    queries: list[Query] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


def default_cache() -> Path:
    return Path.cwd() / ".cache" / "bench-search"


def download(spec: str, into: Path) -> Path:
    """The sdist archive of `spec` (name==version), downloaded with pip unless present."""
    name, _, version = spec.partition("==")
    into.mkdir(parents=True, exist_ok=True)
    stem = name.replace("-", "_").lower()
    found = [p for p in into.iterdir() if p.name.lower().replace("-", "_").startswith(f"{stem}_{version}")]
    if found:
        return found[0]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
           "--quiet", "-d", str(into), spec]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, timeout=600)
    found = [p for p in into.iterdir() if p.name.lower().replace("-", "_").startswith(f"{stem}_{version}")]
    if not found:
        raise RuntimeError(f"pip download {spec} wrote no sdist into {into}")
    return found[0]


def unpack(archive: Path, into: Path) -> Path:
    target = into / archive.name.removesuffix(".tar.gz").removesuffix(".zip")
    if not target.exists():
        into.mkdir(parents=True, exist_ok=True)
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(into)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(into, filter="data")
    return target


def prepare(spec: str, cache: Path) -> Project:
    """Download, unpack and strip one project; its queries in file and line order."""
    name, _, version = spec.partition("==")
    source = unpack(download(spec, cache / "sdists"), cache / "src")
    root = cache / "stripped" / f"{name}-{version}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    project = Project(name, version, root)
    for path in sorted(source.rglob("*.py")):
        rel = path.relative_to(source)
        if SKIP_DIRS & set(rel.parts[:-1]) or rel.name in ("setup.py", "conftest.py"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        stripped, queries = strip_docstrings(text, rel.as_posix(), project.skipped)
        out = root / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(stripped, encoding="utf-8")
        project.files += 1
        project.lines += len(text.splitlines())
        project.queries += queries
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "{version}"\n',
                                         encoding="utf-8")
    counts: dict[str, int] = {}
    for q in project.queries:
        counts[q.text] = counts.get(q.text, 0) + 1
    unique = [q for q in project.queries if counts[q.text] == 1]
    project.skipped["duplicate summary"] = len(project.queries) - len(unique)
    project.queries = unique
    return project


def summary(docstring: str) -> str:
    first = docstring.strip().split("\n\n", 1)[0]
    return " ".join(first.split())[:QUERY_CHARS]


def strip_docstrings(text: str, rel: str, skipped: dict[str, int]) -> tuple[str, list[Query]]:
    """`text` with every function docstring's lines blanked (a `pass` keeps a body that was
    only a docstring valid), and one Query per docstring with a summary of ≥ 4 words. Nested
    functions keep their docstrings (search folds them into their parent) and give no query."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        skipped["unparsable file"] = skipped.get("unparsable file", 0) + 1
        return text, []
    lines = text.splitlines()
    queries: list[Query] = []
    nested: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if inner is not node and isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                    nested.add(id(inner))
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or id(node) in nested:
            continue
        doc = ast.get_docstring(node, clean=True)
        first = node.body[0]
        if not doc or not isinstance(first, ast.Expr) or first.end_lineno is None:
            continue
        words = summary(doc)
        if first.lineno == node.lineno or first.end_lineno >= (node.end_lineno or 0) + 1:
            skipped["one-line function"] = skipped.get("one-line function", 0) + 1
            continue
        indent = " " * first.col_offset
        for i in range(first.lineno - 1, first.end_lineno):
            lines[i] = ""
        if len(node.body) == 1:
            lines[first.lineno - 1] = f"{indent}pass"
        if len(words.split()) < MIN_QUERY_WORDS:
            skipped["summary under 4 words"] = skipped.get("summary under 4 words", 0) + 1
            continue
        queries.append(Query(words, rel, node.lineno, node.name))
    return "\n".join(lines) + "\n", sorted(queries, key=lambda q: q.line)
