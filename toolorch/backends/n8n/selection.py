"""Which operations of a Lean spec the n8n generators expose: the public API by default.

A Lean spec written by lean4_generate_specs names its source file in each doc comment
(`Source (tests/test_api.py): …`) and mirrors the source tree in its namespaces
(`Proj.Tests.TestApi`); a hand-written one has at least its namespaces. Left out with
`public_only`: a source path visibility.py calls non-public, a namespace component that is a
tests / examples / benches / docs directory, a `_private` name.
"""

from __future__ import annotations

import re
from typing import Any

from toolorch.backends.lean4.names import upper_camel
from toolorch.backends.lean4.visibility import NON_PUBLIC_DIRS, public_path
from toolorch.backends.n8n.leanparse import LeanOperation

_SOURCE = re.compile(r"^Source \(([^)]+)\)", re.MULTILINE)
_HIDDEN_NAMESPACES = frozenset(upper_camel(d) for d in NON_PUBLIC_DIRS)


def _private(component: str) -> bool:
    return component.startswith("_") and not (component.startswith("__") and component.endswith("__"))


def public_operation(op: LeanOperation) -> bool:
    source = _SOURCE.search(op.doc)
    if source is not None and not public_path(source.group(1).strip()):
        return False
    parts = op.full_name.split(".")
    if any(p in _HIDDEN_NAMESPACES for p in parts[1:-1]):
        return False
    return not any(_private(p) for p in parts)


def select(operations: list[LeanOperation], public_only: bool) -> tuple[list[LeanOperation], list[LeanOperation]]:
    """(kept, left out), each in spec order."""
    if not public_only:
        return list(operations), []
    kept: list[LeanOperation] = []
    left: list[LeanOperation] = []
    for op in operations:
        (kept if public_operation(op) else left).append(op)
    return kept, left


def excluded_summary(left: list[LeanOperation]) -> dict[str, Any]:
    return {"count": len(left), "operations": [o.full_name for o in left[:50]]}
