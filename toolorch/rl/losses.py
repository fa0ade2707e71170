"""The KTO loss (Ethayarajh et al., 2024, "KTO: Model Alignment as Prospect Theoretic
Optimization", eq. 8), as stated in DESIGN.md, "KTO, stated exactly".

    r        = log π(a|s) − log π_ref(a|s)
    z0       = max(0, KL(π ‖ π_ref)) over the batch's states, no gradient
    desirable:   λ_D · (1 − σ(β (r − z0)))
    undesirable: λ_U · (1 − σ(β (z0 − r)))
    loss     = Σ losses / N

A desirable loss falls as r rises, an undesirable one rises with r: gradient descent therefore
raises the probability of desirable actions and lowers the probability of undesirable ones (the
seed's Mojo formula had the undesirable sign flipped and raised them).

Both functions are pure: tensors in, tensors out, settings passed explicitly.
"""

from __future__ import annotations

import torch

#: z0 averages over states; fewer than this many gives an estimate too noisy to centre r on.
MIN_Z0_BATCH = 4


def estimate_z0(
    policy_log_probs_all: torch.Tensor,
    reference_log_probs_all: torch.Tensor,
    mask: torch.Tensor,
) -> torch.Tensor:
    """z0 = max(0, mean over states of KL(π(·|s) ‖ π_ref(·|s))), detached.

    The paper estimates KL from mismatched (state, other example's action) pairs; with ten actions
    the KL is computed exactly per state, which has no sampling variance.

    Args:
        policy_log_probs_all: (B, A) log π(·|s) for every action.
        reference_log_probs_all: (B, A) log π_ref(·|s).
        mask: (B, A) bool, feasible actions (infeasible ones have probability 0 and are skipped).
    Returns:
        () scalar tensor, ≥ 0, without gradient.
    """
    n = policy_log_probs_all.shape[0]
    if n < MIN_Z0_BATCH:
        raise ValueError(f"z0 needs a batch of at least {MIN_Z0_BATCH} states (got {n}); raise batch_size")
    with torch.no_grad():
        kl = kl_divergence(policy_log_probs_all, reference_log_probs_all, mask)  # (B,)
        return kl.mean().clamp(min=0.0)


def kl_divergence(
    policy_log_probs_all: torch.Tensor,
    reference_log_probs_all: torch.Tensor,
    mask: torch.Tensor,
) -> torch.Tensor:
    """(B,) exact KL(π(·|s) ‖ π_ref(·|s)) = Σ_a π(a|s) (log π(a|s) − log π_ref(a|s)) over the
    feasible actions, from (B, A) log-probabilities and a (B, A) bool mask."""
    probs = policy_log_probs_all.exp()
    terms = probs * (policy_log_probs_all - reference_log_probs_all)      # (B, A)
    return torch.where(mask, terms, torch.zeros_like(terms)).sum(dim=-1)


def kto_loss(
    policy_logps: torch.Tensor,
    reference_logps: torch.Tensor,
    desirable: torch.Tensor,
    z0: torch.Tensor | float,
    beta: float = 0.1,
    lambda_d: float = 1.0,
    lambda_u: float = 2.25,
) -> tuple[torch.Tensor, dict[str, float]]:
    """KTO loss of a batch of (state, action, label) examples.

    Args:
        policy_logps: (N,) log π(a|s) of each example's action (with gradient).
        reference_logps: (N,) log π_ref(a|s) (no gradient needed).
        desirable: (N,) bool, the KTO label.
        z0: () or float, the reference point (see `estimate_z0`); detached here in any case.
        beta: β, the reward scale (0.1 = the paper's default).
        lambda_d, lambda_u: λ_D, λ_U; λ_U/λ_D is the loss aversion (2.25 by default).
    Returns:
        (loss, metrics): loss is a () tensor = sum of the per-example losses / N; metrics has the
        mean reward β·r of each label (`rewards/desirable`, `rewards/undesirable`, present only
        when the batch has that label), their difference `rewards/margins`, and the counts.
    """
    if policy_logps.shape != reference_logps.shape or policy_logps.shape != desirable.shape:
        raise ValueError(
            f"shape mismatch: policy_logps {tuple(policy_logps.shape)}, reference_logps "
            f"{tuple(reference_logps.shape)}, desirable {tuple(desirable.shape)}; all must be (N,)"
        )
    if policy_logps.shape[0] == 0:
        raise ValueError("kto_loss got an empty batch; sample at least one example")
    z0 = torch.as_tensor(z0, dtype=policy_logps.dtype).detach()
    logratios = policy_logps - reference_logps.detach()                         # r, (N,)

    desirable_losses = lambda_d * (1 - torch.sigmoid(beta * (logratios - z0)))  # (N,)
    undesirable_losses = lambda_u * (1 - torch.sigmoid(beta * (z0 - logratios)))
    losses = torch.where(desirable, desirable_losses, undesirable_losses)
    loss = losses.sum() / losses.shape[0]

    rewards = beta * logratios.detach()
    n_desirable = int(desirable.sum())
    metrics: dict[str, float] = {
        "counts/desirable": float(n_desirable),
        "counts/undesirable": float(len(desirable) - n_desirable),
    }
    if n_desirable:
        metrics["rewards/desirable"] = float(rewards[desirable].mean())
    if n_desirable < len(desirable):
        metrics["rewards/undesirable"] = float(rewards[~desirable].mean())
    if 0 < n_desirable < len(desirable):
        metrics["rewards/margins"] = metrics["rewards/desirable"] - metrics["rewards/undesirable"]
    return loss, metrics
