"""Fixtures for the policy tests: the real registry, settings on tmp_path, one torch thread."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolorch.config import Settings
from toolorch.registry.registry import Registry


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load(Settings().registry_dir)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", allowed_roots=str(tmp_path), policy_warm_start=False)  # learning from scratch
