"""`toolorch train --simulate`: the policy trained in simulation is what a fresh server loads."""

from __future__ import annotations

from pathlib import Path

from toolorch.bench.learn.warmstart import pretrain
from toolorch.config import Settings
from toolorch.core.state import State
from toolorch.registry import Registry
from toolorch.rl.runner import PolicyRunner, policy_status


def test_pretrained_checkpoint_is_loaded_by_a_fresh_runner(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    out = pretrain(settings, episodes=40, seed=0)
    assert out["policy_version"] > 0
    assert policy_status(settings)["version"] == out["policy_version"]

    from toolorch.backends.vectors.embedder import Embedder

    registry = Registry.load(settings.registry_dir)
    runner = PolicyRunner(registry, settings, Embedder(settings).embed, train=False).start()
    try:
        choice = runner.choose(State.of("turn this project into an n8n workflow", ["project_path", "language"]),
                               explore=False)
        assert choice.version == out["policy_version"]
        assert choice.action == "scip_index_code"  # the only tool that makes progress from these inputs
    finally:
        runner.close()
