"""The KTO experience record and the store interface every backend of it implements.

One experience per tool call (direct or orchestrated) and per STOP decision of the policy.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

from toolorch.ids import new_id

STOP = "STOP"


@dataclass(slots=True)
class Experience:
    """(state, action, label, propensity, context) — DESIGN.md, "KTO, stated exactly"."""

    # state
    goal: str                                   # goal text ("" for a bare direct call)
    inputs_present: list[str]                   # artifact names given as inputs
    artifacts: list[str]                        # artifact names produced before this step
    history: list[tuple[str, bool]]             # (tool, success) earlier in the workflow/session
    # action and label
    action: str                                 # a tool name or STOP
    desirable: bool                             # the KTO label (may be relabelled later)
    success: bool                               # did the call itself succeed
    label_source: str = "outcome"               # outcome | goal | feedback
    propensity: float | None = None             # π(a|s) when a policy chose the action
    policy_version: int | None = None
    # context
    workflow_id: str | None = None
    session_id: str = ""
    step: int = 0
    strategy: str = "direct"
    error_kind: str | None = None
    latency_s: float = 0.0
    cost: float = 0.0
    attempts: int = 1
    cached: bool = False
    features: dict[str, Any] = field(default_factory=dict)  # more of the state: context, failed calls (rl.State.features)
    ts: float = field(default_factory=time.time)
    id: str = field(default_factory=new_id)

    def to_json(self) -> str:
        # a field loop, not dataclasses.asdict: asdict's deep copy dominated an SQLite append
        return json.dumps({f: getattr(self, f) for f in _FIELDS}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Experience:
        data = json.loads(text)
        data["history"] = [tuple(h) for h in data.get("history", [])]
        return cls(**data)


_FIELDS = tuple(f.name for f in fields(Experience))


class ExperienceStore(ABC):
    """Durable, append-only log of experiences (labels can be rewritten by feedback)."""

    @abstractmethod
    def append(self, exps: list[Experience]) -> None:
        """Persist; returns only once stored (or raises)."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def iter_all(self) -> Iterator[Experience]:
        """Oldest first."""

    @abstractmethod
    def recent(self, n: int) -> list[Experience]:
        """The newest n, oldest first."""

    @abstractmethod
    def relabel(self, workflow_id: str, desirable: bool) -> int:
        """Agent feedback: set every step of a workflow to the label; returns how many changed."""

    @abstractmethod
    def summary(self) -> dict[str, Any]:
        """Counts: total, desirable, undesirable, by action, by error kind, workflows."""

    def close(self) -> None:
        return None
