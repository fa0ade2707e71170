"""The KTO policy: learn online, from every success and failure, which tool to call next.

    state.py       StateEncoder (goal embedding + artifact/history/context tokens, action mask) of
                   toolorch.core.state.State (its Context: toolorch.core.context_features)
    mask.py        the repeat-failure mask (blocked_tools, args_key, record_failure)
    actions.py     each tool's text (description + schema), embedded once: the open action set
    labels.py      served_goal, used_output_labels, stop_label, hindsight_stop, CostReference
    policy.py      PolicyConfig, KTOPolicy (transformer; tools scored from their text + residual; STOP)
    losses.py      kto_loss, estimate_z0 (pure functions; DESIGN.md "KTO, stated exactly")
    reference.py   ReferencePolicy (EMA or frozen π_ref)
    buffer.py      ExperienceBuffer (balanced, inverse-propensity replay over the experience store)
    value.py       the value head's loss and why it is reported, not used for labels
    trainer.py     TrainerConfig, kto_update, Learner (synchronous, deterministic)
    online.py      OnlineTrainer (background thread, checkpoints)
    offline.py     train_offline, train_from_store (`toolorch train`; the caller gives the embedder)
    checkpoint.py  CheckpointDir (atomic, versioned, falls back to the last good version)
    shared.py      RedisCheckpoints (versions shared by instances on different machines)
    runner.py      PolicyRunner, Choice: the engine's facade (the engine gives it its embedder)

Names are resolved lazily so `import toolorch.rl` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolorch.core.state import State
    from toolorch.rl.buffer import ExperienceBuffer
    from toolorch.rl.checkpoint import CheckpointDir
    from toolorch.rl.labels import StepTrace, served_goal
    from toolorch.rl.losses import estimate_z0, kto_loss
    from toolorch.rl.offline import train_offline
    from toolorch.rl.online import OnlineTrainer
    from toolorch.rl.policy import KTOPolicy, PolicyConfig
    from toolorch.rl.reference import ReferencePolicy
    from toolorch.rl.runner import Choice, PolicyRunner
    from toolorch.rl.shared import RedisCheckpoints
    from toolorch.rl.state import StateEncoder
    from toolorch.rl.trainer import Learner, TrainerConfig, kto_update

_EXPORTS = {
    "CheckpointDir": "checkpoint",
    "Choice": "runner",
    "ExperienceBuffer": "buffer",
    "KTOPolicy": "policy",
    "Learner": "trainer",
    "OnlineTrainer": "online",
    "PolicyConfig": "policy",
    "PolicyRunner": "runner",
    "RedisCheckpoints": "shared",
    "ReferencePolicy": "reference",
    "State": "state",
    "StateEncoder": "state",
    "StepTrace": "labels",
    "TrainerConfig": "trainer",
    "estimate_z0": "losses",
    "kto_loss": "losses",
    "kto_update": "trainer",
    "served_goal": "labels",
    "train_offline": "offline",
}

__all__ = [
    "CheckpointDir",
    "Choice",
    "ExperienceBuffer",
    "KTOPolicy",
    "Learner",
    "OnlineTrainer",
    "PolicyConfig",
    "PolicyRunner",
    "RedisCheckpoints",
    "ReferencePolicy",
    "State",
    "StateEncoder",
    "StepTrace",
    "TrainerConfig",
    "estimate_z0",
    "kto_loss",
    "kto_update",
    "served_goal",
    "train_offline",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'toolorch.rl' has no attribute {name!r}")
    return getattr(importlib.import_module(f"toolorch.rl.{module}"), name)
