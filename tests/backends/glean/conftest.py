"""A real FactStore holding the hand-made sample index (project "demo") and a decoy project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from toolorch.scip.model import Document, ScipIndex, SymbolInfo
from toolorch.stores.facts import FactStore

from .sample import PKG, _def, sample_index


@pytest.fixture

def store(tmp_path: Path) -> Iterator[FactStore]:
    fs = FactStore(tmp_path / "facts.sqlite")
    fs.replace_project("demo", "/demo", "python", "/demo/index.scip", sample_index(), "scip-python")
    # a second project with a same-named function: queries must never leak across projects
    other = ScipIndex("file:///other", "scip-python", "0.6.6", [Document(
        "other/geometry.py", "python",
        symbols=[SymbolInfo(PKG.replace("demo", "other") + "`other.geometry`/area().", "function",
                            "area")],
        occurrences=[_def(PKG.replace("demo", "other") + "`other.geometry`/area().", 0, 4, 4, 1)])])
    fs.replace_project("other", "/other", "python", "/other/index.scip", other, "scip-python")
    yield fs
    fs.close()
