"""The KTO experience record and the store interface every backend of it implements.

One experience per tool call (direct or orchestrated) and per STOP decision of the policy.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

from toolorch.core.ids import new_id
from toolorch.core.state import EXTRA_KEYS, State

STOP = "STOP"


@dataclass(slots=True)
class Experience:
    """(state, action, label, propensity, context) — DESIGN.md, "KTO, stated exactly"."""

    state: State                                # before the action: goal ("" for a bare direct
                                                # call), inputs, artifacts made, (tool, success) history,
                                                # context, failed calls (core/state.py)
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
    ts: float = field(default_factory=time.time)
    id: str = field(default_factory=new_id)

    # read-only views of the state, for stores, metrics and summaries
    @property
    def goal(self) -> str:
        return self.state.goal

    @property
    def inputs_present(self) -> Sequence[str]:
        return self.state.inputs_present

    @property
    def artifacts(self) -> Sequence[str]:
        return self.state.artifacts

    @property
    def history(self) -> Sequence[tuple[str, bool]]:
        return self.state.history

    def to_json(self) -> str:
        """Flat JSON (the state's four fields at the top level, as stores have always kept them;
        its non-empty extras — context, failed_calls, call_keys — as further top-level keys at the
        end, so a state without them writes exactly the old shape).
        C-level field access, not dataclasses.asdict: asdict's deep copy dominated an SQLite
        append, and this runs once per tool call."""
        st = self.state
        values = (st.goal, st.inputs_present, st.artifacts, st.history, *_GET_FIELDS(self))
        row = dict(zip(_JSON_KEYS, values))
        if not (st.context.empty and not st.failed_calls and not st.call_keys):
            row.update(st.extras())
        return _ENCODE(row)

    @classmethod
    def from_json(cls, text: str | bytes) -> Experience:
        """Any stored shape: the flat one, with or without the state's extras, and the learn
        branch's rows that kept them in one `features` dict."""
        data = json.loads(text)
        state = State(data.pop("goal"), data.pop("inputs_present", ()), data.pop("artifacts", ()),
                      [(t, ok) for t, ok in data.pop("history", ())])
        extras = data.pop("features", None) or {}
        extras.update({k: data.pop(k) for k in EXTRA_KEYS if k in data})
        return cls(state.with_extras(extras), **data)


_FIELDS = tuple(f.name for f in fields(Experience) if f.name != "state")
_JSON_KEYS = ("goal", "inputs_present", "artifacts", "history", *_FIELDS)
_GET_FIELDS = attrgetter(*_FIELDS)
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


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
