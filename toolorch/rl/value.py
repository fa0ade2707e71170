"""The value head's objective and diagnostics: V(s) ≈ P(the workflow containing s succeeds).

Target: the outcome of the experience's workflow, i.e. the label of its latest step (a workflow
ends with a desirable step exactly when the deliverable was made or the goal was served; a failed
or premature end is undesirable, DESIGN.md "Labels"). A call outside any workflow is its own
outcome. Loss: mean squared error to that 0/1 target.

Reported, not used for labels. The labels of DESIGN.md are observed facts (did the step succeed,
was its output used, did the agent approve); a learned value is biased while it is young, and
replacing facts with its estimates (advantage labels) would let early mistakes relabel the data
that is supposed to correct them. The value head is trained on detached features, so it never
moves the policy; it is shown per step (`Choice.value`) and in the metrics, and a baseline such as
REINFORCE can use it for its advantage.
"""

from __future__ import annotations

import torch


def value_loss(values: torch.Tensor, returns: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """MSE between V(s) (B,) in [0, 1] and the workflow outcomes (B,) in {0, 1}.

    `weights` (B,) undo the balanced sampling: KTO batches are half desirable by construction, so
    unweighted V would estimate success under that mixture instead of the data's own rate."""
    squared = (values - returns) ** 2
    if weights is None:
        return squared.mean()
    return (weights * squared).sum() / weights.sum().clamp(min=1e-8)


def balance_weights(desirable: torch.Tensor, desirable_share: float) -> torch.Tensor:
    """(B,) weights that make a batch's label mix match `desirable_share` (the buffer's)."""
    batch_share = float(desirable.float().mean())
    if batch_share in (0.0, 1.0):
        return torch.ones(desirable.shape[0])
    w_good, w_bad = desirable_share / batch_share, (1 - desirable_share) / (1 - batch_share)
    return torch.where(desirable, torch.tensor(w_good), torch.tensor(w_bad))


def explained_variance(values: torch.Tensor, returns: torch.Tensor) -> float:
    """1 − Var(returns − V) / Var(returns): 1 = perfect, 0 = no better than the mean, nan when
    the returns do not vary (a batch of only successes)."""
    var = float(returns.var(unbiased=False))
    if var == 0.0:
        return float("nan")
    return 1.0 - float((returns - values).var(unbiased=False)) / var
