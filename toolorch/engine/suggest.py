"""After a direct tool call: the next tools the policy would choose for this session, with their
probability and why — the RecommendationEngine. The result's `_meta` carries them; whether the
agent's next call took one is logged (stores/suggestions.py) for `toolorch status`.

Cheap by construction: nothing happens until the policy is loaded (it starts loading in the
background after a session's first direct call); a decision is cached per (policy version,
session state), so a repeated state costs a dict lookup; a new one costs one batch-1 forward
(≈ 0.5 ms) in a worker thread.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from toolorch.core.state import State
from toolorch.stores.experience import STOP

if TYPE_CHECKING:
    from toolorch.registry import Registry
    from toolorch.rl.runner import PolicyRunner

TOP = 3
_CACHE = 2048


class Recommender:
    def __init__(self, registry: Registry, top: int = TOP) -> None:
        self.registry, self.top = registry, top
        self._cache: OrderedDict[tuple[int, State], dict[str, Any]] = OrderedDict()
        self._offered: dict[str, list[str]] = {}   # session → what it was last offered

    def cached(self, policy: PolicyRunner, state: State) -> dict[str, Any] | None:
        hit = self._cache.get((policy.version, state))
        if hit is not None:
            self._cache.move_to_end((policy.version, state))
        return hit

    def suggest(self, policy: PolicyRunner, state: State) -> dict[str, Any]:
        """The `_meta` for `state`: the policy's top tools (masked ones — infeasible, or with nothing
        left to make — never appear, so the list may be empty) and how likely it would STOP
        instead. Blocking: call from a worker thread."""
        hit = self.cached(policy, state)
        if hit is not None:
            return hit
        choice = policy.choose(state, explore=False)
        # a tool whose probability rounds to 0 is not a suggestion: it would read as "p = 0.0"
        ranked = sorted(((a, p) for a, p in choice.probs.items() if a != STOP and round(p, 3) > 0), key=lambda ap: -ap[1])
        out = {"toolorch/suggestions": [{"tool": a, "probability": round(p, 3), "why": self._why(a, state, choice.version)}
                                        for a, p in ranked[: self.top]],
               "toolorch/stop_probability": round(choice.probs.get(STOP, 0.0), 3)}
        self._cache[(choice.version, state)] = out
        while len(self._cache) > _CACHE:
            self._cache.popitem(last=False)
        return out

    def _why(self, tool: str, state: State, version: int) -> str:
        spec = self.registry.get(tool)
        have = set(state.artifacts)
        used = [c.artifact for c in spec.consumes if c.artifact in have]
        made = ", ".join(p.artifact for p in spec.produces[:2])
        base = f"uses {', '.join(used)} this session made" if used else "can run from what this session has"
        return f"{base}; makes {made} (policy v{version})"

    # -- following ---------------------------------------------------------------------------
    def offered(self, session: str, tools: list[str]) -> None:
        self._offered[session] = tools
        if len(self._offered) > 4 * _CACHE:
            self._offered.pop(next(iter(self._offered)))

    def taken(self, session: str, tool: str) -> list[str] | None:
        """What the session was offered before this call (None: nothing), consumed."""
        return self._offered.pop(session, None)
