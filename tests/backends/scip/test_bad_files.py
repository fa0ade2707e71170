"""A file the indexer cannot handle never costs the whole index (issue 11, point 5)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.backends.scip.conftest import make_ctx, write
from toolorch.backends.scip.outline import module_name, outline_document
from toolorch.backends.scip.screen import MAX_PYTHON_DEPTH, fatal_file, python_depth_problem
from toolorch.backends.scip.tool import index_code
from toolorch.config import PROJECT_ROOT
from toolorch.scip.reader import read_index
from toolorch.stores.facts import facts_of

pytestmark = pytest.mark.anyio

GOOD = '''def helper(x: int) -> int:
    """Double it."""
    return x * 2


def caller() -> int:
    return helper(3)
'''
# 2,400 chained conditional expressions: scip-python 0.6.6 overflows its stack in the binder
# and the checker ("RangeError: Maximum call stack size exceeded"); longer chains drop the file
DEEP = ("def nested(x: int) -> int:\n    \"\"\"Deep.\"\"\"\n    return "
        + " if x else ".join(["x"] * 2400) + "\n\n\ndef after_nested() -> int:\n    return 1\n")
PY2 = '''class Legacy:
    """Python 2 only."""

    def show(self, x):
        print "value %s" % x
        exec "y = 1"


def old_style(a, (b, c)):
    return a
'''


def test_depth_screen_boundary(tmp_path: Path) -> None:
    shallow = tmp_path / "shallow.py"
    shallow.write_text(GOOD)
    deep = tmp_path / "deep.py"
    deep.write_text(DEEP)
    py2 = tmp_path / "py2.py"
    py2.write_text(PY2)
    assert python_depth_problem(shallow) is None
    assert python_depth_problem(py2) is None            # left to pyright, which copes
    reason = python_depth_problem(deep)
    assert reason is not None and f"deeper than {MAX_PYTHON_DEPTH}" in reason
    assert python_depth_problem(shallow, max_depth=3) is not None


def test_fatal_file_is_read_from_scip_python_output(tmp_path: Path) -> None:
    out = ("Experienced Fatal Error While Indexing:\nPlease create an issue ... { currentFilepath: "
           f"'{tmp_path}/pkg/bad.py',\n  error: RangeError: Maximum call stack size exceeded }}")
    assert fatal_file(out, tmp_path) == "pkg/bad.py"
    assert fatal_file(out, tmp_path / "other") is None
    assert fatal_file("no fatal error", tmp_path) is None


def test_outline_reads_python_2_and_names_like_scip_python() -> None:
    doc = outline_document("pkg/legacy.py", PY2, "proj", "1.0")
    symbols = {s.symbol: s for s in doc.symbols}
    head = "scip-python python proj 1.0 `pkg.legacy`/"
    assert set(symbols) == {head + "__init__:", head + "Legacy#", head + "Legacy#show().",
                            head + "old_style()."}
    assert symbols[head + "Legacy#"].kind == "class"
    assert symbols[head + "Legacy#"].documentation[1] == "Python 2 only."
    assert symbols[head + "Legacy#show()."].kind == "method"
    defs = {o.symbol: o for o in doc.occurrences}
    assert defs[head + "Legacy#"].range == (0, 6, 0, 12)
    assert defs[head + "Legacy#"].enclosing_range == (0, 0, 5, 20)
    assert module_name("src/pkg/__init__.py") == "pkg" and module_name("a/b.pyi") == "a.b"


@pytest.mark.slow
async def test_deep_and_python2_files_do_not_cost_the_index(tmp_path: Path) -> None:
    project = write(tmp_path / "proj", {
        "pyproject.toml": '[project]\nname = "deepproj"\nversion = "0.1.0"\n',
        "pkg/__init__.py": '"""Package."""\n', "pkg/good.py": GOOD, "pkg/deep.py": DEEP,
        "pkg/legacy.py": PY2})
    ctx = make_ctx(tmp_path / "home", tmp_path)
    result = await index_code({"project_path": str(project), "language": "python"}, ctx)
    assert [s["path"] for s in result["skipped_files"]] == ["pkg/deep.py"]
    assert "deeper than" in result["skipped_files"][0]["reason"]
    assert result["fallback"] == {"tool": "toolorch-python-outline", "files": ["pkg/deep.py"]}
    rows = {r["name"]: r for r in facts_of(ctx).symbols("deepproj")}
    assert rows["nested"]["path"] == "pkg/deep.py" and rows["nested"]["documentation"] == "Deep."
    assert rows["after_nested"]["line"] == 6
    assert rows["caller"]["path"] == "pkg/good.py"          # the indexer's own facts
    assert rows["Legacy"]["path"] == "pkg/legacy.py"        # scip-python copes with Python 2
    docs = {d.relative_path for d in read_index(result["scip_index_path"]).documents}
    assert docs == {"pkg/__init__.py", "pkg/good.py", "pkg/deep.py", "pkg/legacy.py"}
    ctx.services.close()


@pytest.mark.slow
async def test_a_file_scip_python_dies_on_is_excluded_and_retried(tmp_path: Path) -> None:
    """A stand-in scip-python dies (as 0.6.6 does) naming pkg/bad.py until that file is
    excluded; then the real one runs."""
    real = PROJECT_ROOT / "node_modules" / ".bin" / "scip-python"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "scip-python"
    fake.write_text(f"""#!/bin/sh
if grep -q 'pkg/bad.py' scip-pyrightconfig.json 2>/dev/null; then exec {real} "$@"; fi
echo "Experienced Fatal Error While Indexing:" >&2
echo "{{ currentFilepath: '$(pwd)/pkg/bad.py', error: RangeError: Maximum call stack size exceeded }}" >&2
exit 1
""")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    project = write(tmp_path / "proj", {
        "pyproject.toml": '[project]\nname = "dies"\nversion = "0.1.0"\n',
        "pkg/__init__.py": "", "pkg/good.py": GOOD,
        "pkg/bad.py": "def bad_one() -> int:\n    return 1\n"})
    ctx = make_ctx(tmp_path / "home", tmp_path, node_bin=bin_dir)
    result = await index_code({"project_path": str(project), "language": "python"}, ctx)
    [skip] = result["skipped_files"]
    assert skip["path"] == "pkg/bad.py" and "RangeError" in skip["reason"]
    names = {r["name"]: r["path"] for r in facts_of(ctx).symbols("dies")}
    assert names["caller"] == "pkg/good.py" and names["bad_one"] == "pkg/bad.py"
    assert not any(p.name.endswith(".stage") for p in (tmp_path / "home" / "staging").iterdir())
    ctx.services.close()
