"""Project identity: what a project is called in every store.

The name comes from the manifest (pyproject.toml `[project]` / `[tool.poetry]`, setup.cfg,
package.json, Cargo.toml `[package]`), else the directory name, sanitized for symbols, file names
and store keys. Two roots never share a name: when the fact store already holds the name for
another root, this root gets `<name>-<6 hex digits of its path's hash>` (stable for the root), so
their indexes, facts, graphs and vectors stay apart. A caller may pass its own name, which is
refused when it belongs to another root (the error names both).
"""

from __future__ import annotations

import configparser
import hashlib
import json
import re
import tomllib
from pathlib import Path

from toolorch.errors import ValidationError
from toolorch.scip.limits import DEFAULT_MAX_MANIFEST_BYTES, read_text_capped


def sanitize_name(raw: str) -> str:
    """A project name safe in symbols, file names and store keys."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("._-")
    return name or "project"


def _toml(path: Path, cap: int) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(read_text_capped(path, cap))
    except tomllib.TOMLDecodeError:
        return {}


def python_manifest(root: Path, cap: int = DEFAULT_MAX_MANIFEST_BYTES) -> tuple[str, str]:
    """(name, version) from pyproject.toml or setup.cfg; empty strings when absent."""
    name, version = "", ""
    data = _toml(root / "pyproject.toml", cap)
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    for table in (data.get("project"), poetry):
        if not isinstance(table, dict):
            continue
        name = name or str(table.get("name") or "")
        raw = table.get("version")
        version = version or (raw if isinstance(raw, str) else "")
    setup_cfg = root / "setup.cfg"
    if (not name or not version) and setup_cfg.is_file():
        parser = configparser.ConfigParser()
        try:
            parser.read_string(read_text_capped(setup_cfg, cap))
            name = name or parser.get("metadata", "name", fallback="")
            ver = parser.get("metadata", "version", fallback="")
            version = version or ("" if ver.startswith(("attr:", "file:")) else ver)
        except configparser.Error:
            pass
    return name, version


def manifest_name(root: Path, language: str, cap: int = DEFAULT_MAX_MANIFEST_BYTES) -> str:
    """The project's name in its manifest ("" when it has none)."""
    if language == "python":
        return python_manifest(root, cap)[0]
    if language == "typescript":
        path = root / "package.json"
        if path.is_file():
            try:
                data = json.loads(read_text_capped(path, cap))
            except json.JSONDecodeError:
                return ""
            raw = data.get("name") if isinstance(data, dict) else None
            return raw.rsplit("/", 1)[-1] if isinstance(raw, str) else ""
        return ""
    package = _toml(root / "Cargo.toml", cap).get("package")
    return str(package.get("name") or "") if isinstance(package, dict) else ""


def root_tag(root: Path) -> str:
    """6 hex digits that tell this root from any other."""
    return hashlib.sha1(str(root).encode("utf-8")).hexdigest()[:6]


def project_name(root: Path, language: str, known_root: object, requested: str = "",
                 cap: int = DEFAULT_MAX_MANIFEST_BYTES) -> str:
    """The name `root` is stored under. `known_root(name)` returns the root already stored under
    a name (None when free)."""
    def taken(name: str) -> str | None:
        other = known_root(name)  # type: ignore[operator]
        return other if other and other != str(root) else None

    if requested:
        name = sanitize_name(requested)
        other = taken(name)
        if other:
            raise ValidationError(
                f"project name {name!r} already belongs to {other}, not {root}; two roots never "
                "share a project: choose another project_name or leave it out", field="project_name")
        return name
    name = sanitize_name(manifest_name(root, language, cap) or root.name)
    if taken(name):
        name = f"{name}-{root_tag(root)}"
    return name
