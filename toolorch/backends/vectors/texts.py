"""What a code symbol looks like in the vector store: the text embedded and the payload kept.

Embedded: the symbol's name (and its words, `total_area` → "total area"), kind, signature and
the first paragraph of its documentation. Symbols without a definition in the project (external
ones it merely uses) and parameters are left out: they would crowd the hits with `lat1` and
`math.sin` and multiply the embedding work.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from toolorch.backends.vectors.store import point_id

#: Kinds that are not worth a vector of their own.
SKIPPED_KINDS = frozenset({"parameter", "self_parameter", "type_parameter"})
DOC_CHARS = 300
SIGNATURE_CHARS = 300

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def embeddable(row: dict[str, Any]) -> bool:
    """A symbol defined in the project (it has a path) and not a parameter."""
    return bool(row.get("path")) and (row.get("kind") or "") not in SKIPPED_KINDS


def short_doc(documentation: str | None) -> str:
    """The first paragraph, at most DOC_CHARS characters."""
    text = (documentation or "").strip()
    first = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    first = " ".join(first.split())
    return first if len(first) <= DOC_CHARS else first[:DOC_CHARS - 1].rstrip() + "…"


def name_words(name: str) -> str:
    """`totalArea`, `total_area`, `TotalArea` → "total area"."""
    spaced = _CAMEL.sub(" ", name).replace("_", " ").replace("-", " ")
    return " ".join(spaced.lower().split())


def symbol_text(row: dict[str, Any]) -> str:
    name = str(row.get("name") or "")
    words = name_words(name)
    head = name if words in ("", name) else f"{name} ({words})"
    kind = str(row.get("kind") or "").replace("_", " ")
    signature = " ".join(str(row.get("signature") or "").split())[:SIGNATURE_CHARS]
    parts = [f"{head}: {kind}" if kind else head, signature, short_doc(row.get("documentation"))]
    return "\n".join(p for p in parts if p)


def symbol_point(project: str, row: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(point id, text to embed, payload). The payload's `digest` identifies the text, so a
    re-index re-embeds only symbols whose text changed."""
    text = symbol_text(row)
    payload = {
        "project": project,
        "symbol": row["symbol"],
        "name": row.get("name") or "",
        "kind": row.get("kind") or "",
        "path": row.get("path"),
        "line": row.get("line"),
        "signature": row.get("signature") or "",
        "documentation": short_doc(row.get("documentation")),
        "digest": hashlib.sha1(text.encode()).hexdigest()[:16],
    }
    return point_id(project, row["symbol"]), text, payload


def public_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload shown to agents (without the internal digest)."""
    return {k: v for k, v in payload.items() if k != "digest"}
