"""Test helpers for the policy: a small in-memory ExperienceStore, a deterministic stand-in for the
sentence embedder (unit tests of shapes and learning only; never used outside tests), experiences."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from toolorch.core.state import State
from toolorch.stores.experience import Experience, ExperienceStore


def hash_embed(texts: list[str]) -> np.ndarray:
    """Unit vectors seeded by each text's hash: equal texts map equal, different texts apart."""
    rows = []
    for t in texts:
        seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
        rows.append(v / np.linalg.norm(v))
    return np.stack(rows)


class MemoryStore(ExperienceStore):
    """The ExperienceStore contract over a list (append-only, relabel by workflow)."""

    def __init__(self) -> None:
        self.rows: list[Experience] = []

    def append(self, exps: list[Experience]) -> None:
        self.rows.extend(Experience.from_json(e.to_json()) for e in exps)

    def count(self) -> int:
        return len(self.rows)

    def iter_all(self) -> Iterator[Experience]:
        return iter([Experience.from_json(e.to_json()) for e in self.rows])

    def recent(self, n: int) -> list[Experience]:
        return [Experience.from_json(e.to_json()) for e in self.rows[-n:]] if n > 0 else []

    def relabel(self, workflow_id: str, desirable: bool) -> int:
        changed = 0
        for e in self.rows:
            if e.workflow_id == workflow_id and e.desirable != desirable:
                e.desirable, e.label_source = desirable, "feedback"
                changed += 1
        return changed

    def summary(self) -> dict[str, Any]:
        good = sum(e.desirable for e in self.rows)
        return {"total": len(self.rows), "desirable": good, "undesirable": len(self.rows) - good}


#: After scip_index_code: lean4, glean, memgraph_create, marquez and STOP are feasible (scip again
#: would remake only what exists, so the mask drops it).
INDEXED: dict[str, Any] = {
    "inputs_present": ["project_path", "language"],
    "artifacts": ["scip_index_path", "project_name", "code_facts", "symbol_vectors", "dataset_name"],
    "history": [("scip_index_code", True)],
}


def experience(action: str, desirable: bool, goal: str = "write Lean specs for my crate", **kw: Any) -> Experience:
    fields: dict[str, Any] = {**INDEXED, **kw}
    state = State(goal, fields.pop("inputs_present"), fields.pop("artifacts"), fields.pop("history"))
    return Experience(state, action=action, desirable=desirable, success=desirable, **fields)
