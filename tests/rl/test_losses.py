"""kto_loss and estimate_z0 against hand-computed values, and the direction of one step."""

from __future__ import annotations

import math

import pytest
import torch

from tests.rl.helpers import INDEXED, hash_embed
from toolorch.core.state import State
from toolorch.rl.losses import estimate_z0, kl_divergence, kto_loss
from toolorch.rl.policy import PolicyConfig, collate, policy_for
from toolorch.rl.state import StateEncoder


def t(*xs: float) -> torch.Tensor:
    return torch.tensor(xs, dtype=torch.float64)


def test_batch_of_four_matches_hand_computation() -> None:
    # r = [0.5, -1.0, 0.0, -1.0], z0 = 0.2, β = 0.1, λ_D = 1, λ_U = 2.25
    #   d: 1 − σ(0.1·0.3)  = 0.4925005624;   u: 2.25·(1 − σ(0.1·1.2)) = 1.0575808835
    #   d: 1 − σ(0.1·−0.2) = 0.5049998333;   u: 1.0575808835          mean = 0.7781655407
    loss, metrics = kto_loss(
        t(-1.0, -2.0, -0.5, -3.0), t(-1.5, -1.0, -0.5, -2.0),
        torch.tensor([True, False, True, False]), z0=0.2,
    )
    assert loss.item() == pytest.approx(0.7781655407, abs=1e-9)
    assert metrics["rewards/desirable"] == pytest.approx(0.1 * 0.25)
    assert metrics["rewards/undesirable"] == pytest.approx(0.1 * -1.0)
    assert metrics["rewards/margins"] == pytest.approx(0.125)
    assert metrics["counts/desirable"] == 2 and metrics["counts/undesirable"] == 2


def test_all_desirable_and_all_undesirable() -> None:
    # r − z0 = [0.5, 1.5, −1.5, −0.5] is symmetric, and σ(x) + σ(−x) = 1: mean 1 − ½ = 0.5
    ref = t(0.0, 0.0, 0.0, 0.0)
    pol = t(1.0, 2.0, -1.0, 0.0)
    good, _ = kto_loss(pol, ref, torch.ones(4, dtype=torch.bool), z0=0.5)
    bad, metrics = kto_loss(pol, ref, torch.zeros(4, dtype=torch.bool), z0=0.5)
    assert good.item() == pytest.approx(0.5)
    assert bad.item() == pytest.approx(2.25 * 0.5)
    assert "rewards/desirable" not in metrics and "rewards/margins" not in metrics
    # an asymmetric case, written out term by term
    one, _ = kto_loss(t(-0.3), t(-1.3), torch.tensor([True]), z0=0.0, beta=0.5, lambda_d=2.0)
    assert one.item() == pytest.approx(2.0 * (1 - 1 / (1 + math.exp(-0.5))))


def test_z0_is_exact_kl_clamped_and_detached() -> None:
    mask = torch.tensor([[True, True, False], [True, True, True], [True, False, True], [True, True, True]])
    p = torch.tensor([[0.7, 0.3, 0.0], [0.2, 0.3, 0.5], [0.5, 0.0, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    q = torch.tensor([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.9, 0.0, 0.1], [0.5, 0.25, 0.25]])
    logp = torch.where(mask, p.clamp_min(1e-30).log(), torch.full_like(p, -1e9)).requires_grad_()
    logq = torch.where(mask, q.clamp_min(1e-30).log(), torch.full_like(q, -1e9))
    expected = [
        0.7 * math.log(0.7 / 0.5) + 0.3 * math.log(0.3 / 0.5),
        0.0,
        0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1),
        (1 / 3) * (math.log((1 / 3) / 0.5) + 2 * math.log((1 / 3) / 0.25)),
    ]
    assert kl_divergence(logp, logq, mask).tolist() == pytest.approx(expected, rel=1e-5)
    z0 = estimate_z0(logp, logq, mask)
    assert z0.item() == pytest.approx(sum(expected) / 4, rel=1e-5)
    assert not z0.requires_grad


def test_z0_clamps_at_zero_and_needs_four_states() -> None:
    # a reference that is "more than a distribution" (log-probs summing above 1) gives KL < 0
    mask = torch.ones(4, 2, dtype=torch.bool)
    logp = torch.log(torch.full((4, 2), 0.5))
    logq = torch.log(torch.full((4, 2), 0.9))
    assert kl_divergence(logp, logq, mask).mean().item() < 0
    assert estimate_z0(logp, logq, mask).item() == 0.0
    with pytest.raises(ValueError, match="at least 4"):
        estimate_z0(logp[:3], logq[:3], mask[:3])


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="shape mismatch"):
        kto_loss(t(0.0, 0.0), t(0.0), torch.tensor([True, False]), z0=0.0)


@pytest.mark.parametrize("desirable", [True, False])
def test_one_step_raises_desirable_and_lowers_undesirable(registry, desirable: bool) -> None:
    """The seed's formula raised failed actions; ours must lower them (and raise successes)."""
    encoder = StateEncoder(registry, hash_embed)
    policy = policy_for(encoder, PolicyConfig(), 3)
    reference = policy_for(encoder, PolicyConfig(), 3).eval()
    states = [State.of(f"goal {i}", **INDEXED) for i in range(4)]
    batch = collate(encoder.encode_many(states))
    action = torch.full((4,), encoder.action_index("lean4_generate_specs"))
    labels = torch.full((4,), desirable)
    optimizer = torch.optim.SGD(policy.parameters(), lr=1.0)

    def logps() -> torch.Tensor:
        return policy.log_probs(batch).gather(1, action[:, None]).squeeze(1)

    before = logps().detach()
    with torch.no_grad():
        ref_all = reference.log_probs(batch)
    z0 = estimate_z0(policy.log_probs(batch), ref_all, batch.mask)
    loss, _ = kto_loss(logps(), ref_all.gather(1, action[:, None]).squeeze(1), labels, z0)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    after = logps().detach()
    if desirable:
        assert (after > before).all(), (before, after)
    else:
        assert (after < before).all(), (before, after)
