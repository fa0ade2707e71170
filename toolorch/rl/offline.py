"""Offline retraining: a fresh policy trained on every experience in the store (`toolorch train`).

The embedder is given by the caller (the CLI hands it the production goal embedder), so rl/ never
reaches into the backends for one.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from toolorch.rl.checkpoint import CheckpointDir
from toolorch.rl.online import save_version, shared_checkpoints
from toolorch.rl.state import EmbedFn, StateEncoder
from toolorch.rl.trainer import Learner, TrainerConfig
from toolorch.stores.experience import ExperienceStore

if TYPE_CHECKING:
    from toolorch.config import Settings
    from toolorch.registry.registry import Registry
    from toolorch.rl.policy import PolicyConfig


def train_offline(
    store: ExperienceStore,
    registry: Registry,
    settings: Settings,
    epochs: int = 3,
    *,
    embed_fn: EmbedFn,
    policy_config: PolicyConfig | None = None,
    trainer_config: TrainerConfig | None = None,
    save: bool = True,
) -> dict[str, Any]:
    """`toolorch train`: a fresh policy trained on every experience in the store.

    Each epoch takes ceil(n / batch_size) steps on balanced batches (the EMA reference follows
    every `steps` steps, as online); the result is saved as the next checkpoint version, which
    running servers pick up. Returns the final metrics plus `examples` and `epochs`."""
    config = trainer_config or TrainerConfig.from_settings(settings)
    experiences = list(store.iter_all())
    if not experiences:
        raise ValueError(f"the experience store is empty ({settings.home}); run some tools first")
    encoder = StateEncoder(registry, embed_fn)
    capacity = max(config.buffer_capacity, len(experiences))
    learner = Learner(encoder, policy_config, replace(config, buffer_capacity=capacity, refresh_from_store=False))
    learner.add(experiences)
    steps_per_epoch = -(-len(experiences) // config.batch_size)
    start = time.perf_counter()
    for _ in range(epochs):
        done = 0
        while done < steps_per_epoch:
            n = min(config.steps, steps_per_epoch - done)
            learner.train_round(steps=n)
            done += n
    metrics = learner.metrics()
    if save:
        checkpoints = CheckpointDir(settings.home / "policy", keep=config.keep_checkpoints)
        learner.version = save_version(learner, checkpoints, shared_checkpoints(settings, config.keep_checkpoints))
        metrics["policy/version"] = learner.version
    return {**metrics, "examples": len(experiences), "epochs": epochs, "seconds": time.perf_counter() - start}


def train_from_store(settings: Settings, embed_fn: EmbedFn, epochs: int = 3) -> dict[str, Any]:
    """`toolorch train`: retrain a fresh policy from every stored experience and save it as the
    next version (running servers pick it up)."""
    from toolorch.registry.registry import Registry
    from toolorch.stores.factory import open_store

    registry = Registry.load(settings.registry_dir)
    store = open_store(settings)
    try:
        return train_offline(store, registry, settings, epochs, embed_fn=embed_fn)
    finally:
        store.close()
