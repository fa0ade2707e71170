"""REINFORCE on the same network, features, labels and update budget as the KTO policy.

Same `StateEncoder` (goal embedding + artifact/history/context tokens + action mask) and the same
`policy_for(PolicyConfig)` network; the reward of a step is its KTO label (1 desirable, 0 not:
`EpisodeRun.experiences`, the labels KTO trains on), and the update budget is KTO's: after every
`train_every` (16) new experiences, `steps` (8) gradient steps on batches of `batch_size` (32)
drawn from the most recent `window` experiences (the policy gradient wants recent, near on-policy
data; KTO's replay keeps 4096 per label):

    A      = r − V(s)                                    advantage against the value head
    loss   = −mean A log π(a|s) − ent_coef · H(π(·|s)) + vf_coef · mean (V(s) − r)²

Exploration anneals like the KTO policy's (`annealed_temperature`): temperature · decay^rounds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from toolorch.bench.learn.agents import Agent, Observation
from toolorch.bench.learn.env import EpisodeRun
from toolorch.core.state import State

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
        ent_coef: float = 0.01,
        vf_coef: float = 0.5,
        max_grad_norm: float = 1.0,
        train_every: int = 16,
        steps: int = 8,
        batch_size: int = 32,
        window: int = 256,
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
        self.ent_coef, self.vf_coef, self.max_grad_norm = ent_coef, vf_coef, max_grad_norm
        self.train_every, self.steps, self.batch_size, self.temperature = train_every, steps, batch_size, temperature
        self.rng = np.random.default_rng([seed, 9])
        self._recent: deque[tuple[State, int, float]] = deque(maxlen=window)
        self.temperature_decay, self.min_temperature = temperature_decay, min(min_temperature, temperature)
        self._pending = 0
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
        for e in run.experiences():
            self._recent.append((e.state, self.encoder.action_index(e.action), float(e.desirable)))
            self._pending += 1
        while self._pending >= self.train_every:
            self._pending -= self.train_every
            for _ in range(self.steps):
                self._update()
            self._updates += 1

    def _update(self) -> None:
        import torch
        from torch import nn

        from toolorch.rl.policy import collate

        picks = self.rng.integers(len(self._recent), size=self.batch_size)
        rows = [self._recent[int(i)] for i in picks]
        b_states = collate(self.encoder.encode_many([r[0] for r in rows]))
        b_actions = torch.tensor([r[1] for r in rows], dtype=torch.long)
        b_rewards = torch.tensor([r[2] for r in rows], dtype=torch.float32)

        self.policy.train()
        logits, values = self.policy(b_states)
        logps_all = torch.log_softmax(logits, dim=-1)
        logps = logps_all.gather(1, b_actions.unsqueeze(1)).squeeze(1)
        advantages = b_rewards - values.detach()
        probs = logps_all.exp()
        entropy = -torch.where(b_states.mask, probs * logps_all, torch.zeros_like(probs)).sum(-1).mean()

        pg_loss = -(advantages * logps).mean()
        v_loss = ((values - b_rewards) ** 2).mean()
        loss = pg_loss - self.ent_coef * entropy + self.vf_coef * v_loss

        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.policy.eval()
