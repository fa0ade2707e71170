"""`KTOPolicy`: a small transformer over the state tokens, an action head, a value head.

    goal vector ──Linear──┐
    state tokens ─Embed───┼─► TransformerEncoder ─► h[goal position] ─► action head ─► masked logits (10)
    history recency ─Embed┘                                    └─(detached)─► value head ─► P(success)

The action head scores the nine tools plus STOP; infeasible actions get a logit of -1e9, so their
probability is exactly 0 and they contribute nothing to the KL estimate. The value head sees the
encoder's features through a stop-gradient: it is a diagnostic (expected workflow success) and never
moves the policy (see value.py).

Sizes (measured on 2 shared cores, one torch thread): the default 128/4/2/512 forwards a batch of
one in ≈ 0.5 ms and takes a KTO step at batch 32 in ≈ 20 ms; the seed's 256/8/6/1024 preset is kept
for comparison (`toolorch bench policy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from toolorch.rl.state import PAD, EncodedState

MASKED_LOGIT = -1e9


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """Network shape. The default fits the CPU goals (≤ 1 ms forward, ≤ 30 ms KTO step)."""

    d_model: int = 128
    """Width of every token and of the transformer."""
    n_heads: int = 4
    """Attention heads per layer (must divide d_model)."""
    n_layers: int = 2
    """Transformer encoder layers."""
    d_ff: int = 512
    """Hidden width of each layer's feed-forward block."""
    dropout: float = 0.0
    """Dropout in the encoder. 0 by default: with dropout, log π differs between the acting and the
    training pass, which adds noise to the KTO reward r = log π − log π_ref."""
    goal_dim: int = 384
    """Dimension of the goal embedding (all-MiniLM-L6-v2: 384)."""
    max_history: int = 16
    """History entries kept (the most recent); older steps are dropped from the state."""
    stop_bias: float = -2.0
    """Added to the initial bias of STOP's logit. STOP before the deliverable always fails, and an
    untrained policy that gives it 1/(feasible + 1) at every step ends many early episodes
    there; a negative bias starts it below the tools (optimistic about trying one), and the
    labels still teach it when STOP is right."""

    @classmethod
    def preset(cls, name: str) -> PolicyConfig:
        """`default` (128/4/2/512) or `seed` (256/8/6/1024, the original design's size)."""
        presets = {"default": cls(), "seed": cls(d_model=256, n_heads=8, n_layers=6, d_ff=1024)}
        try:
            return presets[name]
        except KeyError:
            raise ValueError(f"unknown policy preset {name!r}; choose one of {sorted(presets)}") from None

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} is not divisible by n_heads={self.n_heads}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class StateBatch(NamedTuple):
    """Collated states. B = batch size, L = longest token sequence, A = actions."""

    goal: torch.Tensor              # (B, goal_dim) float
    tokens: torch.Tensor            # (B, L) long, PAD-padded
    recency: torch.Tensor           # (B, L) long
    mask: torch.Tensor              # (B, A) bool, feasible actions
    padding: torch.Tensor | None    # (B, 1 + L) bool, True = padding; None when nothing is padded

    def __len__(self) -> int:
        return int(self.goal.shape[0])


def collate(states: Sequence[EncodedState]) -> StateBatch:
    """Stack encoded states into one batch (padding token sequences to the longest)."""
    n = len(states)
    width = max((len(s.tokens) for s in states), default=0)
    tokens = np.full((n, width), PAD, dtype=np.int64)
    recency = np.zeros((n, width), dtype=np.int64)
    for i, s in enumerate(states):
        tokens[i, : len(s.tokens)] = s.tokens
        recency[i, : len(s.recency)] = s.recency
    padding = None
    if any(len(s.tokens) != width for s in states):
        pad = np.zeros((n, 1 + width), dtype=bool)
        pad[:, 1:] = tokens == PAD
        padding = torch.from_numpy(pad)
    return StateBatch(
        goal=torch.from_numpy(np.stack([s.goal_vec for s in states])),
        tokens=torch.from_numpy(tokens),
        recency=torch.from_numpy(recency),
        mask=torch.from_numpy(np.stack([s.mask for s in states])),
        padding=padding,
    )


class KTOPolicy(nn.Module):
    """π(a|s) over the nine tools + STOP, and V(s) ≈ P(the workflow succeeds | s)."""

    def __init__(self, config: PolicyConfig, n_tokens: int, n_actions: int) -> None:
        super().__init__()
        self.config, self.n_tokens, self.n_actions = config, n_tokens, n_actions
        d = config.d_model
        self.goal_proj = nn.Linear(config.goal_dim, d)
        self.token_emb = nn.Embedding(n_tokens, d, padding_idx=PAD)
        self.recency_emb = nn.Embedding(config.max_history + 1, d)
        layer = nn.TransformerEncoderLayer(
            d, config.n_heads, config.d_ff, config.dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, config.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.action_head = nn.Linear(d, n_actions)
        with torch.no_grad():
            self.action_head.bias[-1] += config.stop_bias   # STOP is the last action
        self.value_head = nn.Sequential(nn.Linear(d, d), nn.Tanh(), nn.Linear(d, 1))

    def features(self, batch: StateBatch) -> torch.Tensor:
        """(B, d_model): the encoder's output at the goal position."""
        goal = self.goal_proj(batch.goal).unsqueeze(1)                       # (B, 1, d)
        rest = self.token_emb(batch.tokens) + self.recency_emb(batch.recency)  # (B, L, d)
        x = torch.cat([goal, rest], dim=1)                                  # (B, 1+L, d)
        x = self.encoder(x, src_key_padding_mask=batch.padding)
        features: torch.Tensor = self.norm(x[:, 0])
        return features

    def forward(self, batch: StateBatch, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(masked logits (B, A), value (B,) in [0, 1])."""
        h = self.features(batch)
        logits = self.action_head(h)
        logits = logits.masked_fill(~(batch.mask if mask is None else mask), MASKED_LOGIT)
        value = torch.sigmoid(self.value_head(h.detach())).squeeze(-1)
        return logits, value

    def log_probs(self, batch: StateBatch, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, A) log π(·|s); infeasible actions ≈ -1e9 (probability exactly 0)."""
        logits, _ = self(batch, mask)
        return torch.log_softmax(logits, dim=-1)

    @torch.inference_mode()
    def act(
        self,
        batch: StateBatch,
        mask: torch.Tensor | None = None,
        temperature: float = 1.0,
        greedy: bool = False,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Choose one action per state: (action (B,), prob_of_action (B,), probs (B, A)).

        `probs` is the distribution at `temperature` that the action was drawn from, so
        `prob_of_action` is the propensity to log. Greedy takes its argmax and reports the
        policy's probability of it (not 1), which is what the engine shows to the agent."""
        logits, _ = self(batch, mask)
        return sample_actions(logits, temperature, greedy, generator)

    @torch.inference_mode()
    def value(self, batch: StateBatch) -> torch.Tensor:
        """(B,) estimated probability that the workflow succeeds from this state."""
        value: torch.Tensor = self(batch)[1]
        return value


def sample_actions(
    logits: torch.Tensor,
    temperature: float = 1.0,
    greedy: bool = False,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """From masked logits (B, A): (action (B,), prob_of_action (B,), probs (B, A))."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0 (got {temperature}); use greedy=True instead")
    probs = torch.softmax(logits / temperature, dim=-1)
    if greedy:
        action = probs.argmax(dim=-1)
    else:
        action = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
    return action, probs.gather(1, action.unsqueeze(1)).squeeze(1), probs


def build_policy(config: PolicyConfig, n_tokens: int, n_actions: int, seed: int = 0) -> KTOPolicy:
    """A freshly initialised policy; the same seed gives the same weights in every process."""
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        return KTOPolicy(config, n_tokens, n_actions)
    finally:
        torch.random.set_rng_state(gen_state)
