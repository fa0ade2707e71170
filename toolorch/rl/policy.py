"""`KTOPolicy`: a small transformer over the state tokens that scores an OPEN set of actions.

    goal vector ──Linear──┐
    state tokens ─Embed───┤   (+ the tool's own representation for tokens about a tool)
    history recency ─Embed┴─► TransformerEncoder ─► h[goal position] (LayerNorm)
                                                                  └─(detached)─► value head ─► P(success)
    tool t:   logit = h · (W_k e_t + r_t)  +  b_t  +  α · cos(goal, e_t)
    STOP:     logit = h · k_stop  +  b_stop

e_t is the tool's text (description + schema, rl/actions.py) embedded once with the goal embedder;
r_t, b_t a learned per-tool residual (zero for a tool never trained on); α a learned scale of the
goal–description cosine, the zero-shot prior that routes to a new tool from its description at
once. With W_k = 0 this is exactly a linear output head whose row for tool t is r_t (so a
residual learns as fast as the old fixed head did); W_k e_t lets what is learned about one tool's
text carry over to tools with similar texts. There is no output row per tool: a registry with other tools builds the same network, and
`load_named_state` copies every weight by name (tokens by token name, residuals by tool name), so
checkpoints survive registry changes. STOP stays a learned action with its own key and bias.

Infeasible actions get a logit of −1e9 (probability exactly 0, nothing in the KL estimate). The
value head sees the encoder's features through a stop-gradient: a diagnostic (value.py).

Sizes (measured on 2 shared cores, one torch thread, `toolorch bench policy`): the default
128/4/2/512 forwards a batch of one in ≈ 0.5–0.7 ms and takes a KTO step at batch 32 in ≈ 20–26 ms
with 10 tools; the figures at 200 tools are in the README.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch
from torch import nn

from toolorch.rl.state import PAD, EncodedState

if TYPE_CHECKING:
    from toolorch.rl.state import StateEncoder, Vocabulary

MASKED_LOGIT = -1e9
#: Parameters with one row per token / per tool: remapped by name when a checkpoint is loaded.
TOKEN_ROWS = ("token_emb.weight",)
TOOL_ROWS = ("tool_residual", "tool_bias")


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
    """Dimension of the goal and tool-text embeddings (all-MiniLM-L6-v2: 384)."""
    max_history: int = 16
    """History entries kept (the most recent); older steps are dropped from the state."""
    stop_bias: float = -2.0
    """Initial bias of STOP's logit. STOP before the goal is served always fails, and an
    untrained policy that gives it 1/(feasible + 1) at every step ends many early episodes
    there; a negative bias starts it below the tools (optimistic about trying one), and the
    labels teach it when STOP is right."""
    text_scale: float = 20.0
    """Initial α, the weight of cos(goal, tool description) in a tool's logit (learned). It is the
    zero-shot prior: a tool never trained on is scored by it alone. Cosines of MiniLM embeddings
    differ by ≈ 0.1–0.4 between a fitting and an unrelated tool. With 5 (0.5–2 logits) sampling
    over MetaTool's 199 tools was nearly uniform, almost every pick was wrong and KTO's held-out
    NDCG@5 fell from 0.66 to 0.25 in 2,000 queries; with 20 it rose to 0.67 (and α stayed ≈ 20);
    on `--env contexts` (seed 0) held-out success 0.83 → 0.92 of 0.93 for the oracle."""

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
    """Collated states. B = batch size, L = longest token sequence, A = actions (tools + STOP)."""

    goal: torch.Tensor              # (B, goal_dim) float
    tokens: torch.Tensor            # (B, L) long, PAD-padded
    recency: torch.Tensor           # (B, L) long
    mask: torch.Tensor              # (B, A) bool, feasible actions
    padding: torch.Tensor | None    # (B, 1 + L) bool, True = padding; None when nothing is padded
    tool_ref: torch.Tensor | None = None  # (B, L) long, tool a token is about (−1 none); None = no such token

    def __len__(self) -> int:
        return int(self.goal.shape[0])


def collate(states: Sequence[EncodedState]) -> StateBatch:
    """Stack encoded states into one batch (padding token sequences to the longest)."""
    n = len(states)
    width = max((len(s.tokens) for s in states), default=0)
    tokens = np.full((n, width), PAD, dtype=np.int64)
    recency = np.zeros((n, width), dtype=np.int64)
    refs = np.full((n, width), -1, dtype=np.int64)
    for i, s in enumerate(states):
        tokens[i, : len(s.tokens)] = s.tokens
        recency[i, : len(s.recency)] = s.recency
        if s.tool_ref is not None:
            refs[i, : len(s.tool_ref)] = s.tool_ref
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
        tool_ref=torch.from_numpy(refs) if (refs >= 0).any() else None,
    )


class KTOPolicy(nn.Module):
    """π(a|s) over the registry's tools + STOP, and V(s) ≈ P(the workflow succeeds | s)."""

    tool_features: torch.Tensor     # (T, goal_dim) buffer, not saved: recomputed from the descriptions

    def __init__(self, config: PolicyConfig, token_names: Sequence[str], tool_names: Sequence[str],
                 tool_features: np.ndarray | torch.Tensor) -> None:
        super().__init__()
        feats = torch.as_tensor(np.asarray(tool_features, dtype=np.float32))
        if feats.shape != (len(tool_names), config.goal_dim):
            raise ValueError(f"tool_features has shape {tuple(feats.shape)}; expected "
                             f"({len(tool_names)}, {config.goal_dim}), one row per tool")
        self.config = config
        self.token_names, self.tool_names = list(token_names), list(tool_names)
        self.n_tokens, self.n_actions = len(self.token_names), len(self.tool_names) + 1
        d = config.d_model
        self.goal_proj = nn.Linear(config.goal_dim, d)
        self.token_emb = nn.Embedding(self.n_tokens, d, padding_idx=PAD)
        self.recency_emb = nn.Embedding(config.max_history + 1, d)
        self.tool_in = nn.Linear(config.goal_dim, d, bias=False)   # a token about a tool gets its text
        layer = nn.TransformerEncoderLayer(
            d, config.n_heads, config.d_ff, config.dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, config.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.key_proj = nn.Linear(config.goal_dim, d, bias=False)
        self.tool_residual = nn.Parameter(torch.zeros(len(self.tool_names), d))
        self.tool_bias = nn.Parameter(torch.zeros(len(self.tool_names)))
        self.text_scale = nn.Parameter(torch.tensor(float(config.text_scale)))
        self.stop_key = nn.Parameter(torch.zeros(d))   # STOP starts at exactly its bias in every state
        self.stop_bias = nn.Parameter(torch.tensor(float(config.stop_bias)))
        self.value_head = nn.Sequential(nn.Linear(d, d), nn.Tanh(), nn.Linear(d, 1))
        self.register_buffer("tool_features", feats, persistent=False)
        self._keys: torch.Tensor | None = None      # inference cache of the tool keys

    def train(self, mode: bool = True) -> KTOPolicy:
        self._keys = None
        return super().train(mode)

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        self._keys = None
        return super().load_state_dict(state_dict, strict, assign)

    def features(self, batch: StateBatch) -> torch.Tensor:
        """(B, d_model): the encoder's output at the goal position."""
        goal = self.goal_proj(batch.goal).unsqueeze(1)                       # (B, 1, d)
        rest = self.token_emb(batch.tokens) + self.recency_emb(batch.recency)  # (B, L, d)
        if batch.tool_ref is not None:
            ref = batch.tool_ref
            feats = self.tool_features
            about = self.tool_in(feats[ref.clamp(min=0)])                     # (B, L, d)
            rest = rest + about * (ref >= 0).unsqueeze(-1)
        x = torch.cat([goal, rest], dim=1)                                  # (B, 1+L, d)
        x = self.encoder(x, src_key_padding_mask=batch.padding)
        features: torch.Tensor = self.norm(x[:, 0])
        return features

    def tool_keys(self) -> torch.Tensor:
        """(T, d) W_k e_t + r_t; cached under inference mode in eval (the frozen actors)."""
        feats = self.tool_features
        if self.training or not torch.is_inference_mode_enabled():
            keys: torch.Tensor = self.key_proj(feats) + self.tool_residual
            return keys
        if self._keys is None:
            self._keys = (self.key_proj(feats) + self.tool_residual).detach()
        return self._keys

    def forward(self, batch: StateBatch, mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(masked logits (B, A), value (B,) in [0, 1])."""
        h = self.features(batch)                                             # (B, d)
        goal = batch.goal / batch.goal.norm(dim=-1, keepdim=True).clamp(min=1e-8)
        feats = self.tool_features
        tools = h @ self.tool_keys().T + self.tool_bias + self.text_scale * (goal @ feats.T)
        stop = (h @ self.stop_key).unsqueeze(-1) + self.stop_bias
        logits = torch.cat([tools, stop], dim=-1)
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

    # -- checkpoints across registries --------------------------------------------------------
    def load_named_state(self, state: dict[str, torch.Tensor], token_names: Sequence[str],
                         tool_names: Sequence[str]) -> list[str]:
        """Load weights saved by a policy with other tokens/tools: per-token and per-tool rows are
        copied by name, rows of names the checkpoint lacks keep their fresh values (residual 0:
        the tool is scored from its description). Returns the tools that were new to it."""
        own = self.state_dict()
        merged = dict(state)
        for key, old, new in [*((k, token_names, self.token_names) for k in TOKEN_ROWS),
                              *((k, tool_names, self.tool_names) for k in TOOL_ROWS)]:
            rows = own[key].clone()
            where = {n: i for i, n in enumerate(old)}
            for j, name in enumerate(new):
                if name in where:
                    rows[j] = state[key][where[name]]
            merged[key] = rows
        self.load_state_dict(merged)
        self._keys = None
        return [t for t in self.tool_names if t not in set(tool_names)]


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


def build_policy(config: PolicyConfig, vocab: Vocabulary, tool_features: np.ndarray, seed: int = 0) -> KTOPolicy:
    """A freshly initialised policy; the same seed gives the same weights in every process."""
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        return KTOPolicy(config, list(vocab.token_ids), vocab.tools, tool_features)
    finally:
        torch.random.set_rng_state(gen_state)


def policy_for(encoder: StateEncoder, config: PolicyConfig, seed: int = 0) -> KTOPolicy:
    """`build_policy` for an encoder's registry (its vocabulary and tool embeddings)."""
    return build_policy(config, encoder.vocab, encoder.tool_matrix(), seed)
