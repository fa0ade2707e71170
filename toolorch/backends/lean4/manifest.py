"""The facts of a project's own manifest that generated artifacts carry (name, version,
description, author, homepage, license), from pyproject.toml, package.json or Cargo.toml.

lean4_generate_specs writes them as `toolorch-source.json` beside the Lean project, so the n8n
generators (which read only Lean files) can put the real author and homepage in the community
package. Missing facts stay missing: the reader never invents them.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

MANIFESTS = ("pyproject.toml", "package.json", "Cargo.toml")
SOURCE_FILE = "toolorch-source.json"
_PERSON = re.compile(r"^\s*(?P<name>[^<(]*?)\s*(?:<(?P<email>[^>]*)>)?\s*(?:\((?P<url>[^)]*)\))?\s*$")
_URL_KEYS = ("homepage", "home", "home-page", "documentation", "repository", "source", "source code", "code")


def _person(raw: Any) -> dict[str, str]:
    """`"Ada <ada@x.org>"` / `{"name": .., "email": ..}` → {"name", "email"} (empty parts dropped)."""
    if isinstance(raw, dict):
        out = {k: str(raw[k]).strip() for k in ("name", "email") if isinstance(raw.get(k), str)}
    elif isinstance(raw, str):
        m = _PERSON.match(raw)
        out = {"name": (m.group("name") if m else raw).strip(), "email": ((m.group("email") if m else "") or "").strip()}
    else:
        return {}
    return {k: v for k, v in out.items() if v}


def _url(raw: Any) -> str:
    if isinstance(raw, dict):
        raw = raw.get("url", "")
    if not isinstance(raw, str):
        return ""
    url = raw.strip().removeprefix("git+")
    if url.startswith("git@github.com:"):
        url = "https://github.com/" + url[len("git@github.com:"):]
    url = url.removesuffix(".git")
    return url if re.match(r"^https?://[^\s/]+", url) else ""


def _first_url(urls: dict[str, Any]) -> str:
    lowered = {str(k).lower(): v for k, v in urls.items()}
    for key in _URL_KEYS:
        if _url(lowered.get(key)):
            return _url(lowered[key])
    return next((_url(v) for v in urls.values() if _url(v)), "")


def _license(raw: Any) -> str:
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, dict) and isinstance(raw.get("text"), str) and len(raw["text"]) < 60:
        return str(raw["text"]).strip()
    return ""


def _from_pyproject(data: dict[str, Any]) -> dict[str, Any]:
    project = data.get("project") or data.get("tool", {}).get("poetry") or {}
    authors = project.get("authors") or project.get("maintainers") or []
    author = next((p for p in (_person(a) for a in authors) if p.get("name")), {}) if isinstance(authors, list) else {}
    urls = project.get("urls") or {}
    homepage = _url(project.get("homepage")) or (_first_url(urls) if isinstance(urls, dict) else "") \
        or _url(project.get("repository"))
    return {"name": project.get("name"), "version": project.get("version"),
            "description": project.get("description"), "author": author, "homepage": homepage,
            "license": _license(project.get("license"))}


def _from_package_json(data: dict[str, Any]) -> dict[str, Any]:
    raw = data.get("contributors")
    contributors: list[Any] = raw if isinstance(raw, list) else []
    author = _person(data.get("author")) or next(
        (p for p in (_person(c) for c in contributors) if p.get("name")), {})
    return {"name": data.get("name"), "version": data.get("version"), "description": data.get("description"),
            "author": author, "homepage": _url(data.get("homepage")) or _url(data.get("repository")),
            "license": _license(data.get("license"))}


def _from_cargo(data: dict[str, Any]) -> dict[str, Any]:
    package = data.get("package") or {}
    raw = package.get("authors")
    authors: list[Any] = raw if isinstance(raw, list) else []
    author = next((p for p in (_person(a) for a in authors) if p.get("name")), {})
    return {"name": package.get("name"), "version": package.get("version"),
            "description": package.get("description"), "author": author,
            "homepage": _url(package.get("homepage")) or _url(package.get("repository")),
            "license": _license(package.get("license"))}


def read_manifest(root: Path) -> dict[str, Any]:
    """The first manifest found in `root` (in MANIFESTS order), as {"manifest": file name,
    name, version, description, author, homepage, license} without the empty facts; {} when
    there is none or it cannot be read."""
    for name in MANIFESTS:
        path = root / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if name.endswith(".json") else tomllib.loads(text)
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        facts = {"pyproject.toml": _from_pyproject, "package.json": _from_package_json,
                 "Cargo.toml": _from_cargo}[name](data)
        clean = {k: v.strip() if isinstance(v, str) else v for k, v in facts.items()}
        return {"manifest": name, **{k: v for k, v in clean.items() if v}}
    return {}
