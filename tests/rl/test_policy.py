"""KTOPolicy: shapes, masking, sampling, presets."""

from __future__ import annotations

import pytest
import torch

from tests.rl.helpers import INDEXED, hash_embed
from toolorch.core.state import State
from toolorch.rl.policy import PolicyConfig, collate, policy_for
from toolorch.rl.state import StateEncoder


@pytest.fixture
def encoder(registry) -> StateEncoder:
    return StateEncoder(registry, hash_embed)


def test_shapes_and_padding(encoder) -> None:
    policy = policy_for(encoder, PolicyConfig()).eval()
    states = [State.of("a"), State.of("b", **INDEXED), State.of("c", ["project_path", "language"])]
    batch = collate(encoder.encode_many(states))
    assert batch.tokens.shape[0] == 3 and batch.padding is not None
    logits, value = policy(batch)
    assert logits.shape == (3, 10) and value.shape == (3,)
    assert ((value >= 0) & (value <= 1)).all()
    logps = policy.log_probs(batch)
    assert torch.allclose(logps.exp().sum(-1), torch.ones(3))
    # a padded row gives the same result as that row alone
    alone = policy.log_probs(collate(encoder.encode_many(states[2:])))
    assert torch.allclose(logps[2], alone[0], atol=1e-5)


def test_infeasible_actions_are_never_chosen(encoder) -> None:
    policy = policy_for(encoder, PolicyConfig(), 1).eval()
    state = State.of("index my project", ["project_path", "language"])
    batch = collate([encoder.encode(state)] * 500)
    gen = torch.Generator().manual_seed(0)
    actions, prob, probs = policy.act(batch, temperature=3.0, generator=gen)
    allowed = {encoder.action_index("scip_index_code"), encoder.action_index("STOP")}
    assert set(actions.tolist()) == allowed          # both feasible ones occur, nothing else
    assert (probs[:, [i for i in range(10) if i not in allowed]] == 0).all()
    assert torch.allclose(prob, probs.gather(1, actions[:, None]).squeeze(1))


def test_greedy_and_temperature(encoder) -> None:
    policy = policy_for(encoder, PolicyConfig(), 2).eval()
    batch = collate([encoder.encode(State.of("specs please", **INDEXED))])
    action, prob, probs = policy.act(batch, greedy=True)
    assert action.item() == probs.argmax().item() and prob.item() == probs.max().item()
    _, _, hot = policy.act(batch, temperature=100.0)
    feasible = batch.mask[0]
    assert hot[0, feasible].std() < probs[0, feasible].std()   # flatter at high temperature
    with pytest.raises(ValueError, match="temperature"):
        policy.act(batch, temperature=0.0)


def test_presets_and_config_checks() -> None:
    seed = PolicyConfig.preset("seed")
    assert (seed.d_model, seed.n_heads, seed.n_layers, seed.d_ff) == (256, 8, 6, 1024)
    assert PolicyConfig.preset("default") == PolicyConfig()
    assert PolicyConfig.from_dict(seed.to_dict()) == seed
    with pytest.raises(ValueError, match="preset"):
        PolicyConfig.preset("huge")
    with pytest.raises(ValueError, match="divisible"):
        PolicyConfig(d_model=100, n_heads=8)


def test_same_seed_same_weights(encoder) -> None:
    a = policy_for(encoder, PolicyConfig(), 7)
    b = policy_for(encoder, PolicyConfig(), 7)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_stop_starts_below_the_tools(encoder) -> None:
    """The initial STOP bias: an untrained policy rarely ends a workflow before trying a tool."""
    state = [State.of("index it", ["project_path", "language"])]   # scip_index_code or STOP
    batch = collate(encoder.encode_many(state))
    stop = encoder.action_index("STOP")
    for seed in range(3):
        biased = policy_for(encoder, PolicyConfig(), seed).eval()
        flat = policy_for(encoder, PolicyConfig(stop_bias=0.0), seed).eval()
        p_biased, p_flat = biased.log_probs(batch).exp()[0, stop], flat.log_probs(batch).exp()[0, stop]
        assert p_biased < 0.2 < p_flat                 # ≈ e^-2 odds vs ≈ even odds
        # only STOP's bias differs between the two
        diff = [n for (n, a), b in zip(biased.state_dict().items(), flat.state_dict().values()) if not torch.equal(a, b)]
        assert diff == ["stop_bias"]
