"""REINFORCE on the same network and features as the KTO policy, with the value head as baseline.

Same `StateEncoder` (goal embedding + artifact/history tokens + action mask) and the same
`build_policy(PolicyConfig)` transformer; only the learning rule differs:

    G      = 1[success] · (1 − cost_coef · cost)          the episode's return, in [0, 1]
    A_t    = G − V(s_t)                                   advantage against the value head
    loss   = −mean_t A_t log π(a_t|s_t) − ent_coef · H(π(·|s_t)) + vf_coef · mean_t (V(s_t) − G)²

One gradient step after every `update_every` episodes, on all their steps. Exploration anneals
like the KTO policy's (`annealed_temperature`): temperature · decay^updates, floored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from toolorch.bench.learn.agents import Agent, Observation
from toolorch.bench.learn.env import EpisodeRun
from toolorch.rl.state import State
from toolorch.stores.experience import STOP

if TYPE_CHECKING:
    from toolorch.registry.registry import Registry
    from toolorch.rl.policy import PolicyConfig


class ReinforceAgent(Agent):
    learns = True

    def __init__(
        self,
        registry: Registry,
        embed_fn: Callable[[list[str]], np.ndarray],
        *,
        name: str = "reinforce",
        policy_config: PolicyConfig | None = None,
        lr: float = 3e-4,
        cost_coef: float = 0.02,
        ent_coef: float = 0.01,
        vf_coef: float = 0.5,
        max_grad_norm: float = 1.0,
        update_every: int = 4,
        temperature: float = 1.0,
        temperature_decay: float = 0.97,
        min_temperature: float = 0.5,
        seed: int = 0,
    ) -> None:
        import torch

        from toolorch.rl.policy import PolicyConfig, policy_for
        from toolorch.rl.state import StateEncoder

        torch.set_num_threads(1)
        self.name = name
        config = policy_config or PolicyConfig.preset("default")
        self.encoder = StateEncoder(registry, embed_fn, goal_dim=config.goal_dim, max_history=config.max_history)
        self.policy = policy_for(self.encoder, config, seed).eval()
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=lr, eps=1e-5)
        self.generator = torch.Generator().manual_seed(seed)
        self.cost_coef, self.ent_coef, self.vf_coef = cost_coef, ent_coef, vf_coef
        self.max_grad_norm, self.update_every, self.temperature = max_grad_norm, update_every, temperature
        self._states: list[State] = []
        self._actions: list[int] = []
        self._returns: list[float] = []
        self.temperature_decay, self.min_temperature = temperature_decay, min(min_temperature, temperature)
        self._episodes = 0
        self._updates = 0

    def act(self, obs: Observation, explore: bool) -> tuple[str, float | None]:
        import torch

        from toolorch.rl.policy import collate, sample_actions

        batch = collate(self.encoder.encode_many([obs.state]))
        with torch.inference_mode():
            logits, _ = self.policy(batch)
            action, prob, _ = sample_actions(logits, self.sampling_temperature(), not explore, self.generator)
        return self.encoder.vocab.actions[int(action[0])], float(prob[0])

    def sampling_temperature(self) -> float:
        from toolorch.rl.runner import annealed_temperature

        return annealed_temperature(self.temperature, self.temperature_decay, self.min_temperature, self._updates)

    def learn(self, run: EpisodeRun) -> None:
        g = float(run.success) * (1.0 - self.cost_coef * run.cost)
        inputs = run.inputs
        for s in run.steps:
            self._states.append(State.of(run.task.goal, inputs, s.artifacts_before, s.history_before))
            self._actions.append(self.encoder.action_index(s.action))
            self._returns.append(g)
        if run.stopped:
            self._states.append(run.state())
            self._actions.append(self.encoder.action_index(STOP))
            self._returns.append(g)
        self._episodes += 1
        if self._episodes % self.update_every == 0 and self._states:
            self._update()

    def _update(self) -> None:
        import torch
        from torch import nn

        from toolorch.rl.policy import collate

        b_states = collate(self.encoder.encode_many(self._states))
        b_actions = torch.tensor(self._actions, dtype=torch.long)
        b_returns = torch.tensor(self._returns, dtype=torch.float32)
        self._states, self._actions, self._returns = [], [], []

        self.policy.train()
        logits, values = self.policy(b_states)
        logps_all = torch.log_softmax(logits, dim=-1)
        logps = logps_all.gather(1, b_actions.unsqueeze(1)).squeeze(1)
        advantages = b_returns - values.detach()
        probs = logps_all.exp()
        entropy = -torch.where(b_states.mask, probs * logps_all, torch.zeros_like(probs)).sum(-1).mean()

        pg_loss = -(advantages * logps).mean()
        v_loss = ((values - b_returns) ** 2).mean()
        loss = pg_loss - self.ent_coef * entropy + self.vf_coef * v_loss

        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.policy.eval()
        self._updates += 1
