"""π_ref, the policy KTO measures its reward against: an EMA of past policies, or frozen.

Online there is no supervised start to freeze, so the default reference trails the policy:
θ_ref ← decay · θ_ref + (1 − decay) · θ after every training round. r = log π − log π_ref then
measures how far the last rounds moved an action, and the policy keeps learning as it goes
instead of being anchored to its random initialisation forever. `decay=None` freezes it.
"""

from __future__ import annotations

import copy

import torch

from toolorch.rl.policy import KTOPolicy, StateBatch


class ReferencePolicy:
    """A copy of the policy, updated by EMA (or never), used only under no_grad."""

    def __init__(self, policy: KTOPolicy, decay: float | None = 0.9) -> None:
        if decay is not None and not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1) or None for a frozen reference (got {decay})")
        self.decay = decay
        self.model = copy.deepcopy(policy).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @property
    def frozen(self) -> bool:
        return self.decay is None

    @torch.no_grad()
    def log_probs(self, batch: StateBatch) -> torch.Tensor:
        """(B, A) log π_ref(·|s)."""
        return self.model.log_probs(batch)

    @torch.no_grad()
    def update(self, policy: KTOPolicy) -> None:
        """θ_ref ← decay · θ_ref + (1 − decay) · θ (no-op when frozen)."""
        if self.decay is None:
            return
        for ref_p, p in zip(self.model.parameters(), policy.parameters(), strict=True):
            ref_p.lerp_(p.detach(), 1.0 - self.decay)
        for ref_b, b in zip(self.model.buffers(), policy.buffers(), strict=True):
            ref_b.copy_(b)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.model.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(state)
