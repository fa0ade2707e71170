"""`State`: the one state type. The policy sees it, experiences carry it, the engine keeps one per
client session and the orchestrator one per step.

A state (DESIGN.md, "KTO, stated exactly") is the goal, the inputs present, the artifacts produced
so far and the history of (tool, outcome), plus what the policy needs beyond them:

- `context`: where the workflow runs (language, size, bound backends, recent outcomes, whether a
  deliverable was named; core/context_features.py);
- `failed_calls` / `call_keys`: what the repeat-failure mask (rl/mask.py) needs: the
  non-retryable failures of this workflow as (tool, args key), and the args key of the call each
  tool would make now.

It is a plain immutable value; the policy's encoder (toolorch.rl.state.StateEncoder) turns it into
tokens. `extras()` / `with_extras()` are how a store keeps the parts beyond the first four (only
the non-empty ones, so rows written before they existed read and write back unchanged).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from toolorch.core.context_features import Context

#: (tool, outcome) pairs a state remembers: the policy's history length.
HISTORY = 16
#: The keys `extras()` may hold, in the order stores write them.
EXTRA_KEYS = ("context", "failed_calls", "call_keys")

_NO_CONTEXT = Context()


@dataclass(frozen=True, slots=True)
class State:
    """What the policy sees before choosing the next action. Sequences given as lists are
    stored as tuples (the state is immutable and hashable)."""

    goal: str
    inputs_present: Sequence[str] = ()
    artifacts: Sequence[str] = ()
    history: Sequence[tuple[str, bool]] = ()
    context: Context = _NO_CONTEXT
    failed_calls: Sequence[tuple[str, str]] = ()
    call_keys: Sequence[tuple[str, str]] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs_present", tuple(self.inputs_present))
        object.__setattr__(self, "artifacts", tuple(self.artifacts))
        object.__setattr__(self, "history", tuple((t, bool(ok)) for t, ok in self.history))
        if self.failed_calls:
            object.__setattr__(self, "failed_calls", tuple((str(t), str(k)) for t, k in self.failed_calls))
        else:
            object.__setattr__(self, "failed_calls", ())
        if self.call_keys:
            object.__setattr__(self, "call_keys", tuple((str(t), str(k)) for t, k in self.call_keys))
        else:
            object.__setattr__(self, "call_keys", ())

    @classmethod
    def of(
        cls,
        goal: str,
        inputs_present: Iterable[str] = (),
        artifacts: Iterable[str] = (),
        history: Iterable[tuple[str, bool]] = (),
        context: Context | None = None,
        failed_calls: Iterable[tuple[str, str]] = (),
        call_keys: Iterable[tuple[str, str]] = (),
    ) -> State:
        return cls(goal, tuple(inputs_present), tuple(artifacts), tuple(history), context or _NO_CONTEXT,
                   tuple(failed_calls), tuple(call_keys))

    @property
    def available(self) -> set[str]:
        """Artifact names a tool may consume: the inputs, everything produced so far, and the
        goal text itself (qdrant_search_similar's text defaults to it)."""
        return set(self.inputs_present) | set(self.artifacts) | ({"goal"} if self.goal else set())

    def after(self, tool: str, success: bool, made: Iterable[str] = (), *, history: int = HISTORY) -> State:
        """The state once `tool` ran: its outcome appended to the history (the newest `history`
        kept) and the artifacts it made added (first-seen order). Context, failed calls and call
        keys carry over unchanged (the caller that knows them better replaces them)."""
        artifacts = tuple(dict.fromkeys((*self.artifacts, *made))) if made else self.artifacts
        return trusted_state(self.goal, self.inputs_present, artifacts, (*self.history, (tool, bool(success)))[-history:],
                             self.context, self.failed_calls, self.call_keys)

    # -- what a store keeps beyond goal, inputs, artifacts and history --------------------------
    def extras(self) -> dict[str, Any]:
        """The non-empty parts beyond the first four, as JSON-ready values (keys of EXTRA_KEYS)."""
        out: dict[str, Any] = {}
        if not self.context.empty:
            out["context"] = self.context.to_dict()
        if self.failed_calls:
            out["failed_calls"] = [list(c) for c in self.failed_calls]
        if self.call_keys:
            out["call_keys"] = [list(c) for c in self.call_keys]
        return out

    def with_extras(self, data: Mapping[str, Any] | None) -> State:
        """This state with the parts `extras()` wrote (missing keys: empty)."""
        if not data:
            return self
        return State(self.goal, self.inputs_present, self.artifacts, self.history,
                     Context.from_dict(data.get("context")),
                     [(t, k) for t, k in data.get("failed_calls", ())],
                     [(t, k) for t, k in data.get("call_keys", ())])


def trusted_state(goal: str, inputs_present: Sequence[str], artifacts: Sequence[str],
                  history: Sequence[tuple[str, bool]], context: Context = _NO_CONTEXT,
                  failed_calls: Sequence[tuple[str, str]] = (), call_keys: Sequence[tuple[str, str]] = ()) -> State:
    """A State from parts that are already tuples of the right shape, without re-normalising
    them (`after` and the orchestrator build one per step; re-normalising a 16-entry history
    cost more than the rest of a cached step)."""
    state = object.__new__(State)
    object.__setattr__(state, "goal", goal)
    object.__setattr__(state, "inputs_present", inputs_present)
    object.__setattr__(state, "artifacts", artifacts)
    object.__setattr__(state, "history", history)
    object.__setattr__(state, "context", context)
    object.__setattr__(state, "failed_calls", failed_calls)
    object.__setattr__(state, "call_keys", call_keys)
    return state
