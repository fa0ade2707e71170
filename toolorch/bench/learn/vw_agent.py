"""Vowpal Wabbit `cb_explore_adf` with the shared×action interaction `-q sa`.

Each step is one contextual-bandit decision over the feasible actions (+ STOP), with the same
information the policy gets: the shared features are the full goal embedding (384 dense values),
the inputs present, the artifacts made, the context features and the recent history
(`linucb.state_tokens`); an action's features are its name. Exploration: `epsilon` (ε-greedy,
`--epsilon`), `softmax` (`--softmax --lambda`) or `squarecb` (`--squarecb --gamma_scale`),
`param` being that value.
`-q sa` crosses them, so every action gets its own linear model of the state. The reward is the
step's KTO label (cost 0 when desirable, 1 when not), logged with the propensity VW sampled with.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from toolorch.bench.learn.agents import Agent, Observation
from toolorch.bench.learn.env import EpisodeRun
from toolorch.bench.learn.linucb import state_tokens
from toolorch.core.state import State
from toolorch.rl.mask import blocked_tools
from toolorch.rl.state import useful_tools
from toolorch.stores.experience import STOP


class VWAgent(Agent):
    learns = True

    def __init__(
        self,
        embed_fn: Callable[[list[str]], np.ndarray],
        *,
        name: str = "vw",
        epsilon: float = 0.05,
        seed: int = 0,
        history: int = 4,
        exploration: str = "epsilon",
        param: float | None = None,
    ) -> None:
        import vowpalwabbit

        self.name = name
        self.embed_fn = embed_fn
        self.history = history
        self.rng = np.random.default_rng(seed)
        value = epsilon if param is None else param
        flags = {"epsilon": f"--epsilon {value}", "softmax": f"--softmax --lambda {value}",
                 "squarecb": f"--squarecb --gamma_scale {value}"}
        if exploration not in flags:
            raise ValueError(f"VW exploration {exploration!r}: choose one of {sorted(flags)}")
        self.vw = vowpalwabbit.Workspace(
            f"--cb_explore_adf -q sa {flags[exploration]} --random_seed {seed} -b 20 --quiet"
        )
        self._goal_cache: dict[str, str] = {}

    # -- features -----------------------------------------------------------------------------
    def _goal_features(self, goal: str) -> str:
        feats = self._goal_cache.get(goal)
        if feats is None:
            vec = self.embed_fn([goal])[0]
            feats = " ".join(f"g{i}:{v:.5f}" for i, v in enumerate(vec))
            self._goal_cache[goal] = feats
        return feats

    def _shared(self, state: State) -> str:
        tokens = [t.replace(":", "_") for t in state_tokens(state, self.history)]
        return f"shared |s {self._goal_features(state.goal)} {' '.join(tokens)}"

    def _example(self, state: State, actions: list[str], chosen: int | None = None,
                 cost: float = 0.0, prob: float = 1.0) -> list[str]:
        lines = [self._shared(state)]
        for i, a in enumerate(actions):
            label = f"0:{cost}:{prob} " if i == chosen else ""
            lines.append(f"{label}|a {a}")
        return lines

    # -- acting and learning ------------------------------------------------------------------
    def act(self, obs: Observation, explore: bool) -> tuple[str, float | None]:
        actions = [*obs.feasible, STOP]
        pmf = np.asarray(self.vw.predict(self._example(obs.state, actions)), dtype=np.float64)
        pmf = pmf / pmf.sum()
        i = int(self.rng.choice(len(actions), p=pmf)) if explore else int(np.argmax(pmf))
        return actions[i], float(pmf[i])

    def learn(self, run: EpisodeRun) -> None:
        flow = run.registry.dataflow
        run.label()
        for e in run.experiences():
            state = e.state
            blocked = blocked_tools(state)
            actions = [*(t for t in useful_tools(flow, state.available) if t not in blocked), STOP]
            self.vw.learn(self._example(state, actions, actions.index(e.action),   # the set it acted in
                                        0.0 if e.desirable else 1.0, e.propensity or 1.0))

    def close(self) -> None:
        self.vw.finish()
