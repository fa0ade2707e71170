"""A second server process for the checkpoint tests: `python -m tests.rl.worker <mode> <home>`.

train: adopt the newest checkpoint, observe one round of experiences, write the next version.
spin:  write checkpoints of the seed-sized policy in a loop until killed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from tests.rl.helpers import experience, hash_embed
from toolorch.config import Settings
from toolorch.registry.registry import Registry
from toolorch.rl.checkpoint import CheckpointDir
from toolorch.rl.policy import PolicyConfig
from toolorch.rl.runner import PolicyRunner
from toolorch.rl.state import StateEncoder
from toolorch.rl.trainer import Learner, TrainerConfig


def main(mode: str, home: str) -> None:
    torch.set_num_threads(1)
    settings = Settings(home=Path(home), policy_warm_start=False)
    registry = Registry.load(settings.registry_dir)
    if mode == "train":
        runner = PolicyRunner(registry, settings, hash_embed, background=False,
                              trainer_config=TrainerConfig(train_every=8, steps=2))
        runner.observe([experience("lean4_generate_specs", i % 2 == 0) for i in range(8)])
        print(runner.version, flush=True)
    elif mode == "spin":
        learner = Learner(StateEncoder(registry, hash_embed), PolicyConfig.preset("seed"))
        checkpoints = CheckpointDir(settings.home / "policy", keep=3)
        while True:
            v = checkpoints.save(learner.state_dict())
            print(v, flush=True)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
