"""The Recommender's `_meta`: ranked, capped at TOP, STOP apart, nothing that rounds to p = 0."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolorch.core.state import State
from toolorch.engine.suggest import TOP, Recommender
from toolorch.registry import Registry
from toolorch.rl.runner import Choice
from toolorch.stores.experience import STOP

from .conftest import SUPPORT_REGISTRY


@dataclass
class FixedPolicy:
    probs: dict[str, float]
    version: int = 7
    calls: list[State] = field(default_factory=list)

    def choose(self, state: State, explore: bool = True) -> Choice:
        self.calls.append(state)
        return Choice(action=STOP, prob=self.probs[STOP], probs=self.probs, version=self.version, value=0.5)


def test_ranked_capped_and_nothing_that_rounds_to_zero() -> None:
    registry = Registry.load(SUPPORT_REGISTRY)
    names = list(registry.names)[:4]
    assert len(names) == 4 and TOP == 3
    probs = {names[0]: 0.2, names[1]: 0.5, names[2]: 0.0004, names[3]: 0.0005, STOP: 0.2991}
    policy: Any = FixedPolicy(probs)
    rec = Recommender(registry)
    out = rec.suggest(policy, State(goal="g"))
    tools = [s["tool"] for s in out["toolorch/suggestions"]]
    assert tools == [names[1], names[0], names[3]]      # 0.0004 rounds to 0.0: left out; 0.0005 → 0.001 stays
    assert [s["probability"] for s in out["toolorch/suggestions"]] == [0.5, 0.2, 0.001]
    assert out["toolorch/stop_probability"] == 0.299
    assert all("(policy v7)" in s["why"] for s in out["toolorch/suggestions"])
    # below the cap, a tool that rounds to p = 0.0 is still left out
    tiny: Any = FixedPolicy({names[0]: 0.7, names[1]: 0.0004, names[2]: 0.0, STOP: 0.2996})
    only = Recommender(registry).suggest(tiny, State(goal="g"))["toolorch/suggestions"]
    assert [s["tool"] for s in only] == [names[0]]
    # a repeated state is a cache hit: no second forward
    assert rec.suggest(policy, State(goal="g")) is out and len(policy.calls) == 1
