"""Checkpoints shared through Redis (toolorch/rl/shared.py): instances on different data dirs run
the same policy versions; Redis going away leaves each on its local directory."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import torch

from tests.redis_server import RedisServer
from tests.rl.helpers import INDEXED, experience, hash_embed
from toolorch.config import Settings
from toolorch.core.state import State
from toolorch.registry.registry import Registry
from toolorch.rl.checkpoint import CheckpointDir
from toolorch.rl.runner import PolicyRunner
from toolorch.rl.shared import RedisCheckpoints
from toolorch.rl.trainer import TrainerConfig


def test_publish_and_pull_between_directories(tmp_path: Path, redis_url: str) -> None:
    a, b = CheckpointDir(tmp_path / "a"), CheckpointDir(tmp_path / "b")
    shared_a, shared_b = RedisCheckpoints(redis_url), RedisCheckpoints(redis_url)
    a.save({"w": torch.ones(3)})                                   # a local-only v1 first
    v = shared_a.next_version(a.newest())
    assert v == 2 and a.save({"w": torch.full((3,), 2.0)}, v) == 2
    assert shared_a.push(2, a)
    assert shared_b.pull_into(b) == 2 and shared_b.pull_into(b) == 0  # once
    assert b.read_bytes(2) == a.read_bytes(2)
    payload = b.load_latest()
    assert payload is not None and payload["version"] == 2 and torch.equal(payload["w"], torch.full((3,), 2.0))
    assert shared_b.next_version(b.newest()) == 3                  # numbers are never reused


def test_latest_never_moves_back_and_bad_bytes_are_refused(tmp_path: Path, redis_url: str) -> None:
    fast, slow, reader = (CheckpointDir(tmp_path / n) for n in ("fast", "slow", "reader"))
    shared = RedisCheckpoints(redis_url)
    fast.save({"w": torch.tensor([7.0])}, 7)
    slow.save({"w": torch.tensor([6.0])}, 6)
    assert shared.push(7, fast) and shared.push(6, slow)           # the slow writer publishes last
    latest = shared.latest()
    assert latest is not None and latest["version"] == 7
    shared._redis.set(shared.key("v7"), b"garbage")                # corrupt the published bytes
    assert shared.pull_into(reader) == 0 and reader.newest() == 0


def test_unreachable_redis_is_skipped_quickly(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]                                  # closed once the block ends
    shared = RedisCheckpoints(f"redis://127.0.0.1:{port}/0")
    local = CheckpointDir(tmp_path / "p")
    assert shared.next_version(0) is None and shared.pull_into(local) == 0
    start = time.perf_counter()
    for _ in range(100):                                           # the reload check runs every 2 s
        assert shared.pull_into(local) == 0
    assert time.perf_counter() - start < 0.05                      # no new connection attempts


@pytest.mark.slow
def test_servers_on_different_data_dirs_share_versions(
    registry: Registry, tmp_path: Path, redis_server: RedisServer
) -> None:
    def runner(name: str, **kw: object) -> PolicyRunner:
        settings = Settings(home=tmp_path / name, allowed_roots=str(tmp_path), redis_url=redis_server.url)
        return PolicyRunner(registry, settings, hash_embed, background=False, reload_interval_s=0.0,
                            trainer_config=TrainerConfig(train_every=8, steps=2), **kw)  # type: ignore[arg-type]

    here, there = runner("here"), runner("there", train=False)
    state = State.of("write Lean specs for my crate", **INDEXED)
    assert there.choose(state).version == 0
    here.observe([experience("lean4_generate_specs", i % 2 == 0) for i in range(8)])
    assert here.version == 1
    mine, theirs = here.choose(state, explore=False), there.choose(state, explore=False)
    assert theirs.version == 1 and theirs.probs == pytest.approx(mine.probs, abs=1e-6)
    # a third instance starts from the published version, and numbers its own after it
    third = runner("third")
    third.observe([experience("lean4_generate_specs", True) for _ in range(8)])
    assert third.version == 2
    # Redis goes away: training and deciding go on locally
    redis_server.kill()
    here.observe([experience("glean_query_code", False) for _ in range(8)])
    assert here.version == 2 and here.choose(state).version == 2
    for r in (here, there, third):
        r.close()
