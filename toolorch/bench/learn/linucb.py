"""LinUCB (Li et al. 2010, disjoint models) over the same features and labels as the policy.

Each step is a contextual-bandit decision among the feasible actions (+ STOP). The context vector
is the goal embedding (384) followed by one-hot state tokens (`state_tokens`: inputs present,
artifacts made, context features, the last four history entries): the information the policy
gets. Each action a keeps A_a = λI + Σ x xᵀ and b_a = Σ r x, and is scored

    θ_a·x + α √(xᵀ A_a⁻¹ x),     θ_a = A_a⁻¹ b_a

with A_a⁻¹ updated by Sherman–Morrison. The reward is the step's KTO label (1 desirable, 0 not),
learned after each episode like VW. Greedy evaluation drops the bonus.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from toolorch.bench.learn.agents import Agent, Observation
from toolorch.bench.learn.env import EpisodeRun
from toolorch.core.state import State
from toolorch.stores.experience import STOP


def state_tokens(state: State, history: int = 4) -> list[str]:
    """The state's discrete features as strings (tool names included: these baselines have a
    closed action set)."""
    tokens = [f"in_{a}" for a in sorted(state.inputs_present)]
    tokens += [f"made_{a}" for a in sorted(state.artifacts)]
    tokens += [f"{name}@{tool}" if tool else name for name, tool in state.context.tokens()]
    recent = list(reversed(state.history))[:history]
    tokens += [f"h{ago}_{tool}_{'ok' if ok else 'fail'}" for ago, (tool, ok) in enumerate(recent)]
    return tokens


class LinUCBAgent(Agent):
    learns = True

    def __init__(self, embed_fn: Callable[[list[str]], np.ndarray], *, alpha: float = 0.5, ridge: float = 1.0,
                 max_tokens: int = 256, goal_dim: int = 384, name: str = "linucb", seed: int = 0) -> None:
        self.name = name
        self.embed_fn, self.alpha, self.ridge = embed_fn, alpha, ridge
        self.goal_dim, self.max_tokens = goal_dim, max_tokens
        self.dim = goal_dim + max_tokens
        self.token_index: dict[str, int] = {}
        self.a_inv: dict[str, np.ndarray] = {}
        self.b: dict[str, np.ndarray] = {}
        self.rng = np.random.default_rng(seed)
        self._goal_cache: dict[str, np.ndarray] = {}

    def features(self, state: State) -> np.ndarray:
        x = np.zeros(self.dim)
        goal = self._goal_cache.get(state.goal)
        if goal is None:
            goal = self._goal_cache[state.goal] = np.asarray(self.embed_fn([state.goal])[0], dtype=np.float64)
        x[: self.goal_dim] = goal
        for tok in state_tokens(state):
            i = self.token_index.get(tok)
            if i is None and len(self.token_index) < self.max_tokens:
                i = self.token_index[tok] = len(self.token_index)
            if i is not None:
                x[self.goal_dim + i] = 1.0
        return x

    def _arm(self, action: str) -> tuple[np.ndarray, np.ndarray]:
        if action not in self.a_inv:
            self.a_inv[action] = np.eye(self.dim) / self.ridge
            self.b[action] = np.zeros(self.dim)
        return self.a_inv[action], self.b[action]

    def scores(self, state: State, actions: list[str], bonus: bool) -> np.ndarray:
        x = self.features(state)
        out = np.empty(len(actions))
        for i, a in enumerate(actions):
            a_inv, b = self._arm(a)
            ax = a_inv @ x
            out[i] = float((a_inv @ b) @ x) + (self.alpha * float(np.sqrt(max(x @ ax, 0.0))) if bonus else 0.0)
        return out

    def act(self, obs: Observation, explore: bool) -> tuple[str, float | None]:
        actions = [*obs.feasible, STOP]
        s = self.scores(obs.state, actions, bonus=explore)
        best = np.flatnonzero(s >= s.max() - 1e-12)
        i = int(self.rng.choice(best))
        return actions[i], None

    def update(self, state: State, action: str, reward: float) -> None:
        x = self.features(state)
        a_inv, b = self._arm(action)
        ax = a_inv @ x
        a_inv -= np.outer(ax, ax) / (1.0 + float(x @ ax))
        b += reward * x

    def learn(self, run: EpisodeRun) -> None:
        run.label()
        for e in run.experiences():
            self.update(e.state, e.action, 1.0 if e.desirable else 0.0)
