"""The shipped warm-start policy (toolorch/rl/warm): present, intact, loadable by the current
policy code with the current registry, installed into a new data dir, never over one that has
its own. When this fails after a change to the policy or the registry, regenerate it:
`toolorch train --simulate 300 --ship`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from toolorch.config import Settings
from toolorch.registry import Registry
from toolorch.rl import shipped
from toolorch.rl.checkpoint import CheckpointDir
from toolorch.rl.runner import PolicyRunner, policy_status

REGEN = "regenerate it with `toolorch train --simulate 300 --ship`"


def _zeros(texts: list[str]) -> np.ndarray:
    return np.zeros((len(texts), 384), dtype=np.float32)


def test_the_package_ships_an_intact_small_policy() -> None:
    meta = shipped.info()
    assert meta is not None, f"no shipped policy in {shipped.WARM_DIR}; {REGEN}"
    data = (shipped.WARM_DIR / "policy.pt").read_bytes()
    assert hashlib.sha256(data).hexdigest() == meta["sha256"], f"policy.pt does not match policy.json; {REGEN}"
    assert len(data) == meta["bytes"] < 4_000_000
    assert meta["version"] > 0 and meta["command"].startswith("toolorch train --simulate")


def test_a_new_data_dir_starts_from_the_shipped_policy(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    before = policy_status(settings)
    meta = shipped.info()
    assert meta is not None
    assert before["version"] == meta["version"] and before["source"].startswith("shipped with the package")
    runner = PolicyRunner(Registry.for_settings(settings), settings, _zeros, train=False)
    try:
        runner.start()
        assert runner.version == meta["version"], f"the shipped checkpoint did not load; {REGEN}"
    finally:
        runner.close()
    after = policy_status(settings)
    assert after["version"] == meta["version"] and after["versions_on_disk"] == [meta["version"]]
    assert after["source"].startswith("shipped with the package (toolorch/rl/warm")


def test_install_never_replaces_a_data_dirs_own_policy(tmp_path: Path) -> None:
    shipped.copy_to(tmp_path / "warm")
    own = CheckpointDir(tmp_path / "policy")
    own.import_version(1, b"not a real checkpoint", {"source": "online"})
    assert not shipped.install(own, tmp_path / "warm")
    assert own.versions() == [1]
    empty = CheckpointDir(tmp_path / "empty")
    assert shipped.install(empty, tmp_path / "warm") and not shipped.install(empty, tmp_path / "warm")


def test_a_corrupt_shipped_file_is_not_installed(tmp_path: Path) -> None:
    shipped.copy_to(tmp_path / "warm")
    (tmp_path / "warm" / "policy.pt").write_bytes(b"corrupt")
    target = CheckpointDir(tmp_path / "policy")
    assert not shipped.install(target, tmp_path / "warm") and target.versions() == []


@pytest.mark.parametrize("metrics,words", [({"source": "shipped", "shipped": {"episodes": 300}}, "shipped with"),
                                           ({}, "trained in this data dir")])
def test_source_in_words(metrics: dict[str, object], words: str) -> None:
    assert shipped.source_of({"version": 3, "metrics": metrics}).startswith(words)
    assert shipped.source_of({}) == "none"


def test_not_installed_for_another_registry(tmp_path: Path) -> None:
    support = Path(__file__).resolve().parents[1] / "support" / "registry"
    other = Registry.load(support)
    meta = shipped.info()
    assert meta is not None and not shipped.fits(other, meta)
    target = CheckpointDir(tmp_path / "policy")
    assert not shipped.install(target, registry=other) and target.versions() == []
    status = policy_status(Settings(home=tmp_path / "home", registry_dir=support))
    assert status["version"] == 0 and status["source"] == "none"
