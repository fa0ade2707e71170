"""`State`: the one state type. The policy sees it, experiences carry it, the engine keeps one per
client session and the orchestrator one per step.

A state (DESIGN.md, "KTO, stated exactly") is the goal, the inputs present, the artifacts produced
so far and the history of (tool, outcome). It is a plain immutable value; the policy's encoder
(toolorch.rl.state.StateEncoder) turns it into tokens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: (tool, outcome) pairs a state remembers: the policy's history length.
HISTORY = 16


@dataclass(frozen=True, slots=True)
class State:
    """What the policy sees before choosing the next action. Sequences given as lists are
    stored as tuples (the state is immutable and hashable)."""

    goal: str
    inputs_present: Sequence[str] = ()
    artifacts: Sequence[str] = ()
    history: Sequence[tuple[str, bool]] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs_present", tuple(self.inputs_present))
        object.__setattr__(self, "artifacts", tuple(self.artifacts))
        object.__setattr__(self, "history", tuple((t, bool(ok)) for t, ok in self.history))

    @classmethod
    def of(
        cls,
        goal: str,
        inputs_present: Iterable[str] = (),
        artifacts: Iterable[str] = (),
        history: Iterable[tuple[str, bool]] = (),
    ) -> State:
        return cls(goal, tuple(inputs_present), tuple(artifacts), tuple(history))

    @property
    def available(self) -> set[str]:
        """Artifact names a tool may consume: the inputs, everything produced so far, and the
        goal text itself (qdrant_search_similar's text defaults to it)."""
        return set(self.inputs_present) | set(self.artifacts) | ({"goal"} if self.goal else set())

    def after(self, tool: str, success: bool, made: Iterable[str] = (), *, history: int = HISTORY) -> State:
        """The state once `tool` ran: its outcome appended to the history (the newest `history`
        kept) and the artifacts it made added (first-seen order)."""
        artifacts = tuple(dict.fromkeys((*self.artifacts, *made))) if made else self.artifacts
        return trusted_state(self.goal, self.inputs_present, artifacts, (*self.history, (tool, bool(success)))[-history:])


def trusted_state(goal: str, inputs_present: Sequence[str], artifacts: Sequence[str],
             history: Sequence[tuple[str, bool]]) -> State:
    """A State from parts that are already tuples of the right shape, without re-normalising
    them (`after` and the orchestrator build one per step; re-normalising a 16-entry history
    cost more than the rest of a cached step)."""
    state = object.__new__(State)
    object.__setattr__(state, "goal", goal)
    object.__setattr__(state, "inputs_present", inputs_present)
    object.__setattr__(state, "artifacts", artifacts)
    object.__setattr__(state, "history", history)
    return state
