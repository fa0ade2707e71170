"""Checkpoints: atomic versions, fallback to the last good one, sharing between processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.rl.helpers import INDEXED, experience, hash_embed
from toolorch.config import PROJECT_ROOT
from toolorch.core.state import State
from toolorch.rl.checkpoint import CheckpointDir
from toolorch.rl.policy import PolicyConfig
from toolorch.rl.runner import PolicyRunner
from toolorch.rl.state import StateEncoder
from toolorch.rl.trainer import Learner, TrainerConfig


@pytest.fixture
def learner(registry) -> Learner:
    return Learner(StateEncoder(registry, hash_embed), PolicyConfig(), TrainerConfig(train_every=8, steps=1))


def test_versions_increment_and_roundtrip(tmp_path, learner) -> None:
    ckpt = CheckpointDir(tmp_path / "policy", keep=2)
    assert ckpt.load_latest() is None and ckpt.latest_version() == 0
    assert [ckpt.save(learner.state_dict()) for _ in range(3)] == [1, 2, 3]
    assert ckpt.versions() == [3, 2]                                   # pruned to `keep`
    info = json.loads((tmp_path / "policy" / "latest").read_text())
    assert info["version"] == 3 and set(info["sha256"]) == {"3", "2"}
    payload = ckpt.load_latest()
    assert payload is not None and payload["version"] == 3 and learner.compatible(payload) is None
    assert not list((tmp_path / "policy").glob(".tmp-*"))


def test_truncated_checkpoint_falls_back(tmp_path, learner) -> None:
    ckpt = CheckpointDir(tmp_path / "policy")
    ckpt.save(learner.state_dict())
    ckpt.save(learner.state_dict())
    newest = ckpt.path_of(2)
    newest.write_bytes(newest.read_bytes()[:1000])                       # torn write / bad disk
    payload = ckpt.load_latest()
    assert payload is not None and payload["version"] == 1


def test_missing_checkpoint_falls_back(tmp_path, learner) -> None:
    ckpt = CheckpointDir(tmp_path / "policy")
    ckpt.save(learner.state_dict())
    ckpt.save(learner.state_dict())
    ckpt.path_of(2).unlink()
    payload = ckpt.load_latest()
    assert payload is not None and payload["version"] == 1
    assert ckpt.save(learner.state_dict()) == 3                          # never reuses a number


@pytest.mark.parametrize("field", ["format", "policy_config"])
def test_incompatible_checkpoint_is_not_adopted(registry, settings, learner, field) -> None:
    payload = learner.state_dict()
    payload[field] = 1 if field == "format" else {**payload["policy_config"], "d_model": 64, "n_heads": 4}
    CheckpointDir(settings.home / "policy").save(payload)
    runner = PolicyRunner(registry, settings, hash_embed, background=False)
    assert runner.choose(State.of("x", **INDEXED)).version == 0


def _worker(mode: str, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.rl.worker", mode, str(home)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=PROJECT_ROOT)


@pytest.mark.slow
def test_kill_during_writes_leaves_the_last_good_version(tmp_path) -> None:
    home = tmp_path / "home"
    proc = _worker("spin", home)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:                      # each line: a version fully written
            if int(line) >= 3:
                break
        deadline = time.monotonic() + 30              # wait until the next write is under way
        while not list((home / "policy").glob(".tmp-*")) and time.monotonic() < deadline:
            time.sleep(0.001)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert list((home / "policy").glob(".tmp-*")), "the kill did not land during a write"
    ckpt = CheckpointDir(home / "policy")
    payload = ckpt.load_latest()
    assert payload is not None and payload["version"] == ckpt.latest_version() >= 3
    for v in ckpt.versions():                         # every named version is complete
        assert ckpt._load(v, None) is not None


@pytest.mark.slow
def test_two_processes_share_checkpoints(registry, settings) -> None:
    trainer_cfg = TrainerConfig(train_every=8, steps=2)
    here = PolicyRunner(registry, settings, hash_embed, background=False, trainer_config=trainer_cfg)
    here.observe([experience("lean4_generate_specs", i % 2 == 0) for i in range(8)])
    assert here.version == 1
    before = here.choose(State.of("x", **INDEXED), explore=False)

    other = _worker("train", settings.home)           # adopts v1, trains, writes v2
    out, err = other.communicate(timeout=120)
    assert other.returncode == 0, err
    assert out.strip() == "2"

    assert here.maybe_reload() and here.version == 2
    after = here.choose(State.of("x", **INDEXED), explore=False)
    assert after.version == 2 and after.probs != before.probs
    # this process's trainer adopts v2 before its next round, then writes v3
    here.observe([experience("lean4_generate_specs", i % 2 == 0) for i in range(8)])
    assert here.version == 3 and here.trainer is not None and here.trainer.learner.rounds == 3
