"""completion/complete: values for prompt arguments and resource-template variables — languages,
indexed project names, and recent workflow ids — so a client can offer them as the user types."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import mcp_types as types

LANGUAGES = ["python", "typescript", "rust"]
_MAX = 100   # the spec's cap on values per answer


def indexed_projects(home: Path) -> list[str]:
    path = home / "facts.sqlite"
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            return [str(r[0]) for r in conn.execute("SELECT name FROM projects ORDER BY name")]
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def complete(argument: str, prefix: str, home: Path, workflows: list[str]) -> types.CompleteResult:
    """Candidates for `argument` starting with `prefix`; empty for arguments without a known set."""
    if argument == "language":
        pool = LANGUAGES
    elif argument in ("project", "project_name"):
        pool = indexed_projects(home)
    elif argument == "workflow_id":
        pool = workflows
    else:
        pool = []
    values = [v for v in pool if v.startswith(prefix)]
    return types.CompleteResult(completion=types.Completion(
        values=values[:_MAX], total=len(values), has_more=len(values) > _MAX))
