"""Run scip-python on a project minus some files, without writing into the project.

scip-python (pyright) reads its file list from a `scip-pyrightconfig.json` in its working
directory; it has no exclude flag. So when files must be left out (symlinks out of the allowed
roots, files that crash it), it runs in a staging directory under the data dir that holds one
symlink per top-level entry of the project and a config that excludes those files. Relative paths
and symbols come out exactly as from the project itself; only the index's project_root names the
staging directory, and the reader is given the real root instead. Settings from the project's
`[tool.pyright]` table (extraPaths, ...) are carried over.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from toolorch.scip.limits import DEFAULT_MAX_MANIFEST_BYTES, read_text_capped

CONFIG_NAME = "scip-pyrightconfig.json"
#: What pyright excludes by itself when the config has no `exclude` (ours always has one).
DEFAULT_EXCLUDES = ["**/node_modules", "**/__pycache__", "**/.*"]


def _pyright_table(root: Path, cap: int) -> dict[str, Any]:
    for name in ("scip-pyrightconfig.json", "pyrightconfig.json"):
        path = root / name
        if path.is_file():
            try:
                data = json.loads(read_text_capped(path, cap))
            except json.JSONDecodeError:
                return {}
            return data if isinstance(data, dict) else {}
    path = root / "pyproject.toml"
    if path.is_file():
        try:
            data = tomllib.loads(read_text_capped(path, cap))
        except tomllib.TOMLDecodeError:
            return {}
        table = (data.get("tool") or {}).get("pyright")
        return dict(table) if isinstance(table, dict) else {}
    return {}


def src_layout(root: Path, cap: int = DEFAULT_MAX_MANIFEST_BYTES) -> bool:
    """A `src/` layout whose `src` is not already an import root in the project's config.
    scip-python (pyright without auto search paths) then names the modules `src.pkg...` and
    resolves `import pkg` in tests/ and examples/ to an installed copy of the package, if there
    is one (symbols of another version, `file = null`), or to nothing."""
    src = root / "src"
    if not src.is_dir() or "src" in (_pyright_table(root, cap).get("extraPaths") or []):
        return False
    return any((child / "__init__.py").is_file() or child.suffix == ".py"
               for child in src.iterdir())


def pyright_config(root: Path, excluded: dict[str, str], cap: int = DEFAULT_MAX_MANIFEST_BYTES,
                   ) -> dict[str, Any]:
    """The config for the staging directory: the project's own, plus `excluded` paths (files,
    and directories with everything under them), plus `src` as an import root in a src layout
    (so the project's own modules win over an installed copy)."""
    config = _pyright_table(root, cap)
    if src_layout(root, cap):
        config["extraPaths"] = [*(config.get("extraPaths") or []), "src"]
    exclude = list(config.get("exclude") or DEFAULT_EXCLUDES)
    for rel in sorted(excluded):
        exclude += [rel, f"{rel}/**"]
    config["exclude"] = exclude
    config.setdefault("include", ["."])
    return config


@contextmanager
def staged_root(root: Path, stage: Path, excluded: dict[str, str],
                cap: int = DEFAULT_MAX_MANIFEST_BYTES) -> Iterator[Path]:
    """A staging directory mirroring `root` (top-level symlinks) with a config excluding
    `excluded`; removed afterwards."""
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    try:
        for entry in os.scandir(root):
            if entry.name in (CONFIG_NAME, "pyrightconfig.json") or entry.name in excluded:
                continue
            (stage / entry.name).symlink_to(Path(entry.path), target_is_directory=entry.is_dir())
        (stage / CONFIG_NAME).write_text(json.dumps(pyright_config(root, excluded, cap), indent=1),
                                         encoding="utf-8")
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)
