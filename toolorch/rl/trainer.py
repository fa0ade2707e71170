"""One KTO training step (`kto_update`) and the `Learner` that owns the training state.

Reads top to bottom like cleanrl: config → batch → step. The background thread, checkpoints and
offline retraining are in online.py; this module is synchronous and deterministic for a seed, so a
benchmark can drive it directly (`Learner.add` + `Learner.due` + `Learner.train_round`).
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch
from torch import nn

from toolorch.rl.buffer import ExperienceBuffer
from toolorch.rl.losses import MIN_Z0_BATCH, estimate_z0, kl_divergence, kto_loss
from toolorch.rl.policy import KTOPolicy, PolicyConfig, StateBatch, collate, policy_for
from toolorch.rl.reference import ReferencePolicy
from toolorch.rl.state import StateEncoder
from toolorch.rl.value import balance_weights, explained_variance, value_loss
from toolorch.stores.experience import STOP, Experience, ExperienceStore

if TYPE_CHECKING:
    from toolorch.config import Settings

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 2   # 2: open action set (tool residuals by name, tokens without tool names)


@dataclass(frozen=True, slots=True)
class TrainerConfig:
    """KTO training hyper-parameters (DESIGN.md, "KTO, stated exactly")."""

    beta: float = 1.0
    """β, the scale of the implicit reward β·r. DESIGN.md starts from the paper's 0.1; on
    `toolorch bench learn` (seeds 0–9, every other default below) 0.1 reached 95% of the oracle
    on 8 of 10 seeds, censored mean 238 episodes, cost 1.10× the oracle's; 1.0: 10 of 10, 105
    episodes, 1.03×. With β = 1 the sigmoid stops pushing an example once β·(r − z0) is a few
    units past 0, which keeps the policy near its reference."""
    lambda_d: float = 1.0
    """λ_D, weight of desirable examples."""
    lambda_u: float = 1.0
    """λ_U, weight of undesirable examples; λ_U/λ_D is the loss aversion. Decided by the
    benchmark, which runs both (`kto_alt`); the README has the comparison. On balanced batches
    2.25 pushes mass onto actions the data has not tried yet."""
    lr: float = 1e-4
    """Adam learning rate. 1e-3 committed to the first tool that worked within one round (8 steps)
    in a synthetic two-good-tools stream; 1e-4 still moves a clear winner to p > 0.95 in a round."""
    batch_size: int = 32
    """Examples per step, half desirable and half undesirable when both exist (≥ 4 for z0)."""
    ema_decay: float | None = None
    """Reference update θ_ref ← decay·θ_ref + (1−decay)·θ after each round; None = frozen (the
    default). A moving reference lets the policy drift without bound: an action pushed down
    round after round took its mass to STOP, which then had too little gradient left
    (∂log π/∂logit = 1 − π ≈ 0) to come back. Benchmark, seeds 0–9, floor 0.1: EMA 0.99 reached
    95% of the oracle on 10/10 seeds in 140 episodes (censored mean), frozen in 120."""
    train_every: int = 16
    """k: a training round starts after this many new experiences."""
    steps: int = 8
    """m: gradient steps per round."""
    vf_coef: float = 0.5
    """Weight of the value head's MSE (it trains on detached features, so it never moves π)."""
    max_grad_norm: float = 1.0
    """Global gradient-norm clip."""
    propensity_floor: float | None = 0.05
    """Draw each label's examples ∝ 1/max(propensity, floor) (ExperienceBuffer.sample_balanced);
    None = uniform draws. Without it the policy's own favourites fill both sides of the buffer
    and a rarely tried action's failures hardly count: seeds 0–9 reached 95% of the oracle on
    6/10 (uniform, EMA reference) vs 9/10 (floor 0.05); with the frozen reference, floors 0.05 /
    0.1 / 0.2 gave censored means 105 / 120 / 135 episodes."""
    buffer_capacity: int = 4096
    """Replay memory: the most recent experiences kept per label."""
    seed: int = 0
    """Seeds the initial weights and the batch sampling."""
    keep_checkpoints: int = 5
    """Checkpoint versions kept on disk."""
    refresh_from_store: bool = True
    """Before each round, merge the store's newest rows (other processes, relabels)."""

    def __post_init__(self) -> None:
        if self.batch_size < MIN_Z0_BATCH:
            raise ValueError(f"batch_size must be ≥ {MIN_Z0_BATCH} for z0 (got {self.batch_size})")
        if self.beta <= 0 or self.lambda_d < 0 or self.lambda_u < 0:
            raise ValueError("beta must be > 0 and lambda_d, lambda_u ≥ 0")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> TrainerConfig:
        """k and m from settings (TOOLORCH_TRAIN_EVERY, TOOLORCH_TRAIN_STEPS), the rest default."""
        base = cls(train_every=settings.train_every, steps=settings.train_steps)
        return replace(base, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainerConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class TrainingBatch(NamedTuple):
    states: StateBatch          # B states
    actions: torch.Tensor       # (B,) long, index of the action taken
    desirable: torch.Tensor     # (B,) bool, the KTO label
    returns: torch.Tensor       # (B,) float, the workflow's outcome (value target)
    value_weights: torch.Tensor  # (B,) float, undo the balanced sampling for the value loss


def make_batch(
    encoder: StateEncoder,
    experiences: Sequence[Experience],
    outcome: Callable[[Experience], float],
    desirable_share: float | None = None,
) -> TrainingBatch:
    """Tensors for `kto_update`. `desirable_share`: the data's own share of desirable examples
    (weights the value loss back to it); None = weight every example alike."""
    states = collate(encoder.encode_many([e.state for e in experiences]))
    actions = [encoder.action_index(e.action) for e in experiences]
    desirable = torch.tensor([bool(e.desirable) for e in experiences])
    weights = torch.ones(len(experiences)) if desirable_share is None else balance_weights(desirable, desirable_share)
    return TrainingBatch(
        states=states,
        actions=torch.tensor(actions, dtype=torch.long),
        desirable=desirable,
        returns=torch.tensor([outcome(e) for e in experiences], dtype=torch.float32),
        value_weights=weights,
    )


def kto_update(
    policy: KTOPolicy,
    reference: ReferencePolicy,
    optimizer: torch.optim.Optimizer,
    batch: TrainingBatch,
    config: TrainerConfig,
) -> dict[str, float]:
    """One gradient step of KTO (+ the value head's MSE). Returns the step's metrics."""
    mask = batch.states.mask
    # log π(·|s) with gradient, log π_ref(·|s) without
    new_logits, new_values = policy(batch.states)
    new_logps_all = torch.log_softmax(new_logits, dim=-1)            # (B, A)
    ref_logps_all = reference.log_probs(batch.states)                # (B, A)

    # the reference point: z0 = max(0, mean KL(π ‖ π_ref)), detached
    z0 = estimate_z0(new_logps_all, ref_logps_all, mask)

    # log-probabilities of the actions taken
    taken = batch.actions.unsqueeze(1)
    policy_logps = new_logps_all.gather(1, taken).squeeze(1)         # (B,)
    reference_logps = ref_logps_all.gather(1, taken).squeeze(1)      # (B,)

    # losses, term by term
    kto, kto_metrics = kto_loss(
        policy_logps, reference_logps, batch.desirable, z0,
        beta=config.beta, lambda_d=config.lambda_d, lambda_u=config.lambda_u,
    )
    v_loss = value_loss(new_values, batch.returns, batch.value_weights)
    loss = kto + config.vf_coef * v_loss

    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]  # torch leaves Tensor.backward unannotated
    grad_norm = nn.utils.clip_grad_norm_(policy.parameters(), config.max_grad_norm)
    optimizer.step()

    with torch.no_grad():
        probs = new_logps_all.exp()
        entropy = -torch.where(mask, probs * new_logps_all, torch.zeros_like(probs)).sum(-1).mean()
        kl = kl_divergence(new_logps_all, ref_logps_all, mask).mean()
    return {
        "losses/loss": loss.item(),
        "losses/kto_loss": kto.item(),
        "losses/value_loss": v_loss.item(),
        "losses/z0": float(z0),
        "charts/entropy": float(entropy),
        "charts/kl_reference": float(kl),
        "charts/batch_desirable_share": float(batch.desirable.float().mean()),
        "charts/grad_norm": float(grad_norm),
        "value/explained_variance": explained_variance(new_values.detach(), batch.returns),
        **kto_metrics,
    }


def _mean_metrics(steps: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key in sorted({k for m in steps for k in m}):
        vals = [m[key] for m in steps if key in m and not math.isnan(m[key])]
        if vals:
            out[key] = float(np.mean(vals))
    return out


class Learner:
    """The training state: policy, reference, optimizer, replay buffer, counters."""

    def __init__(
        self,
        encoder: StateEncoder,
        policy_config: PolicyConfig | None = None,
        config: TrainerConfig | None = None,
        store: ExperienceStore | None = None,
    ) -> None:
        self.encoder = encoder
        self.policy_config = policy_config or PolicyConfig()
        self.config = config or TrainerConfig()
        self.policy = policy_for(encoder, self.policy_config, self.config.seed)
        self.reference = ReferencePolicy(self.policy, self.config.ema_decay)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=self.config.lr, eps=1e-5)
        self.buffer = ExperienceBuffer(self.config.buffer_capacity, store, seed=self.config.seed)
        self.version = 0
        self.pending = 0            # new experiences since the last round
        self.global_step = 0
        self.rounds = 0
        self.last_metrics: dict[str, float] = {}

    # -- data ---------------------------------------------------------------------------------
    def add(self, experiences: Sequence[Experience]) -> int:
        new = self.buffer.add(experiences)
        self.pending += new
        return new

    def due(self) -> bool:
        return self.pending >= self.config.train_every

    # -- training -----------------------------------------------------------------------------
    def train_round(self, steps: int | None = None) -> dict[str, float]:
        """m steps on balanced batches, then the EMA update of the reference."""
        self.pending = max(0, self.pending - self.config.train_every)
        if self.config.refresh_from_store:
            self.buffer.refresh()
        self.policy.train()
        step_metrics = []
        n_good, n_bad = self.buffer.n_desirable, self.buffer.n_undesirable
        share = n_good / max(1, n_good + n_bad)
        for _ in range(steps or self.config.steps):
            b_exps = self.buffer.sample_balanced(self.config.batch_size, self.config.propensity_floor)
            batch = make_batch(self.encoder, b_exps, self.buffer.outcome, share)
            step_metrics.append(kto_update(self.policy, self.reference, self.optimizer, batch, self.config))
            self.global_step += 1
        self.reference.update(self.policy)
        self.policy.eval()
        self.rounds += 1
        self.last_metrics = _mean_metrics(step_metrics)
        return self.last_metrics

    def metrics(self) -> dict[str, Any]:
        n_good, n_bad = self.buffer.n_desirable, self.buffer.n_undesirable
        return {
            **self.last_metrics,
            "charts/success_rate": self.buffer.success_rate(),
            "buffer/desirable": n_good,
            "buffer/undesirable": n_bad,
            "buffer/desirable_share": n_good / (n_good + n_bad) if n_good + n_bad else None,
            "trainer/global_step": self.global_step,
            "trainer/rounds": self.rounds,
            "trainer/pending": self.pending,
            "policy/version": self.version,
        }

    def actor(self) -> KTOPolicy:
        """A frozen copy for inference, safe to use while this learner keeps training."""
        actor = copy.deepcopy(self.policy).eval()
        for p in actor.parameters():
            p.requires_grad_(False)
        return actor

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "version": self.version,
            "policy_config": self.policy_config.to_dict(),
            "trainer_config": self.config.to_dict(),
            "vocab": self.encoder.vocab.to_dict(),
            "policy": self.policy.state_dict(),
            "reference": self.reference.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "counters": {"global_step": self.global_step, "rounds": self.rounds},
            "metrics": {k: v for k, v in self.last_metrics.items() if isinstance(v, float)},
        }

    def compatible(self, payload: dict[str, Any]) -> str | None:
        """None when the checkpoint fits this learner, else why not. Other tools or artifacts are
        fine (weights are remapped by name, `load_state_dict`); another format or shape is not."""
        return checkpoint_mismatch(payload, self.policy_config)

    def load_state_dict(self, payload: dict[str, Any]) -> None:
        """Load a checkpoint, also one trained with other tools: per-tool and per-token rows are
        copied by name (a new tool starts from its description); the optimizer's moments are
        kept only when the registry is unchanged (their shapes follow the tool count). The
        shipped warm start (rl/shipped.py) carries the policy alone: π_ref starts equal to it and
        the optimizer fresh."""
        vocab = payload.get("vocab", {})
        tokens, tools = vocab.get("tokens", []), [a for a in vocab.get("actions", []) if a != STOP]
        new = self.policy.load_named_state(payload["policy"], tokens, tools)
        self.reference.model.load_named_state(payload.get("reference") or payload["policy"], tokens, tools)
        same_registry = vocab == self.encoder.vocab.to_dict()
        if payload.get("optimizer") and same_registry:
            self.optimizer.load_state_dict(payload["optimizer"])
        elif not same_registry:
            logger.info("policy checkpoint from another registry: tools new to it %s; fresh optimizer state", new)
        counters = payload.get("counters", {})
        self.global_step = int(counters.get("global_step", 0))
        self.rounds = int(counters.get("rounds", 0))
        self.last_metrics = dict(payload.get("metrics", {}))
        self.version = int(payload["version"])
        self.policy.eval()


def checkpoint_mismatch(payload: dict[str, Any], config: PolicyConfig) -> str | None:
    """Why a checkpoint cannot load into a policy of `config` (None: it can, whatever its tools)."""
    if payload.get("format") != CHECKPOINT_FORMAT:
        return f"format {payload.get('format')} != {CHECKPOINT_FORMAT}"
    if PolicyConfig.from_dict(payload.get("policy_config", {})) != config:
        return f"policy shape {payload.get('policy_config')} != {config.to_dict()}"
    return None
