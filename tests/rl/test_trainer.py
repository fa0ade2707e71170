"""Learning: a synthetic stream moves the policy toward the good tool; EMA; background thread;
offline retraining."""

from __future__ import annotations

import threading

import pytest
import torch

from tests.rl.helpers import INDEXED, MemoryStore, experience, hash_embed
from toolorch.core.state import State
from toolorch.rl.offline import train_offline
from toolorch.rl.online import OnlineTrainer
from toolorch.rl.policy import PolicyConfig
from toolorch.rl.reference import ReferencePolicy
from toolorch.rl.runner import PolicyRunner
from toolorch.rl.state import StateEncoder
from toolorch.rl.trainer import Learner, TrainerConfig

GOOD = "lean4_generate_specs"
GOAL = "write Lean specs for my crate"


def stream(runner: PolicyRunner, rounds: int) -> list[float]:
    """The policy acts; only GOOD serves the goal. Returns π(GOOD|s) after each round."""
    state = State.of(GOAL, **INDEXED)
    trace = []
    for _ in range(rounds):
        exps = [experience(c.action, c.action == GOOD, goal=GOAL)
                for c in (runner.choose(state, explore=True) for _ in range(32))]
        runner.observe(exps)
        trace.append(runner.choose(state, explore=False).probs[GOOD])
    return trace


def test_synthetic_stream_moves_the_policy_to_the_good_tool(registry, settings) -> None:
    settings = settings.model_copy(update={"train_every": 32})  # one round per 32-call batch
    runner = PolicyRunner(registry, settings, hash_embed, background=False, persist=False)
    start = runner.choose(State.of(GOAL, **INDEXED), explore=False)
    assert start.version == 0 and start.probs[GOOD] < 0.5
    trace = stream(runner, rounds=3)
    assert runner.version == 3
    assert trace[-1] > 0.95 and trace[-1] > start.probs[GOOD] + 0.5
    m = runner.metrics()
    assert m["rewards/margins"] > 0 and m["trainer/rounds"] == 3
    assert 0 <= m["charts/entropy"] and m["losses/z0"] >= 0 and m["charts/success_rate"] > 0
    # masking still holds in another state after training
    other = runner.choose(State.of("graph the callers", ["project_path", "language"]), explore=False)
    assert {k for k, v in other.probs.items() if v > 0} == {"scip_index_code", "STOP"}


def test_ema_reference_trails_and_frozen_stays(registry) -> None:
    encoder = StateEncoder(registry, hash_embed)
    learner = Learner(encoder, PolicyConfig(), TrainerConfig(steps=2, train_every=8, ema_decay=0.9))
    frozen = ReferencePolicy(learner.policy, decay=None)
    init = [p.clone() for p in learner.reference.model.parameters()]
    learner.add([experience(GOOD, True) for _ in range(4)] + [experience("STOP", False) for _ in range(4)])
    assert learner.due()
    learner.train_round()
    frozen.update(learner.policy)
    for p0, ref, pol, fr in zip(init, learner.reference.model.parameters(), learner.policy.parameters(),
                                frozen.model.parameters()):
        assert torch.allclose(ref, 0.9 * p0 + 0.1 * pol, atol=1e-6)
        assert torch.equal(fr, p0)
    with pytest.raises(ValueError, match="decay"):
        ReferencePolicy(learner.policy, decay=1.0)


def test_background_thread_trains_off_the_calling_thread(registry, settings) -> None:
    encoder = StateEncoder(registry, hash_embed)
    learner = Learner(encoder, PolicyConfig(), TrainerConfig(train_every=16, steps=2))
    published: list[tuple[int, str]] = []
    trainer = OnlineTrainer(learner, None, lambda v, actor: published.append((v, threading.current_thread().name)))
    try:
        trainer.observe([experience(GOOD, i % 2 == 0) for i in range(40)])
        assert trainer.wait_idle(timeout=60)
        assert [v for v, _ in published] == [1, 2]
        assert {name for _, name in published} == {"toolorch-kto-trainer"}
        assert trainer.metrics()["trainer/errors"] == 0
    finally:
        trainer.close()


def test_train_offline_from_the_whole_store(registry, settings) -> None:
    store = MemoryStore()
    store.append([experience(GOOD, True) for _ in range(48)] + [experience("STOP", False) for _ in range(48)])
    config = TrainerConfig(batch_size=16, steps=4)
    result = train_offline(store, registry, settings, epochs=2, embed_fn=hash_embed, trainer_config=config)
    assert result["examples"] == 96 and result["policy/version"] == 1
    assert result["trainer/global_step"] == 2 * 6
    runner = PolicyRunner(registry, settings, hash_embed, train=False)
    choice = runner.choose(State.of("write Lean specs for my crate", **INDEXED), explore=False)
    assert choice.version == 1 and choice.action == GOOD
    with pytest.raises(ValueError, match="empty"):
        train_offline(MemoryStore(), registry, settings, embed_fn=hash_embed)


def test_exploration_temperature_anneals_with_training_rounds(registry, settings) -> None:
    """Sampling temperature = T·decay^version with a floor; the logged propensity uses it."""
    settings = settings.model_copy(update={"train_every": 32})
    runner = PolicyRunner(registry, settings, hash_embed, background=False, persist=False,
                          temperature=1.0, temperature_decay=0.5, min_temperature=0.3)
    assert runner.sampling_temperature(0) == 1.0
    assert runner.sampling_temperature(1) == 0.5 and runner.sampling_temperature(5) == 0.3
    state = State.of(GOAL, **INDEXED)
    stream(runner, rounds=2)
    assert runner.version == 2 and runner.sampling_temperature() == pytest.approx(0.3)
    choice = runner.choose(state, explore=True)
    logits = torch.log(torch.tensor([runner.choose(state, explore=False).probs[a] for a in choice.probs]))
    expected = torch.softmax(logits / 0.3, dim=-1)   # the same distribution sharpened at T = 0.3
    assert choice.probs[choice.action] == pytest.approx(float(expected[list(choice.probs).index(choice.action)]), rel=1e-4)
    fixed = PolicyRunner(registry, settings, hash_embed, train=False, persist=False, temperature_decay=1.0)
    assert fixed.sampling_temperature(100) == 1.0


def test_defaults_frozen_reference_and_inverse_propensity_draws(registry, monkeypatch) -> None:
    learner = Learner(StateEncoder(registry, hash_embed), PolicyConfig(), TrainerConfig(steps=2, train_every=8))
    assert learner.reference.frozen and learner.config.propensity_floor == 0.05
    floors: list[float | None] = []
    draw = learner.buffer.sample_balanced
    monkeypatch.setattr(learner.buffer, "sample_balanced", lambda n, floor=None: floors.append(floor) or draw(n, floor))
    before = [p.clone() for p in learner.reference.model.parameters()]
    learner.add([experience(GOOD, True, propensity=0.9) for _ in range(4)]
                + [experience("STOP", False, propensity=0.1) for _ in range(4)])
    learner.train_round()
    assert floors == [0.05, 0.05]                        # every step's batch is drawn by propensity
    assert all(torch.equal(a, b) for a, b in zip(before, learner.reference.model.parameters(), strict=True))
