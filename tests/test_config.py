"""Settings: allowed roots and masked secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolorch.config import Settings


def test_roots_default_to_cwd_but_never_to_the_filesystem_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.chdir(tmp_path)
    assert Settings(home=home).roots == [tmp_path.resolve(), home.resolve()]
    monkeypatch.chdir("/")
    assert Settings(home=home).roots == [home.resolve()]
    explicit = Settings(home=home, allowed_roots=os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")]))
    assert explicit.roots == [(tmp_path / "a").resolve(), (tmp_path / "b").resolve(), home.resolve()]


def test_public_settings_mask_secrets(tmp_path: Path) -> None:
    s = Settings(home=tmp_path, http_token="t0ken", memgraph_password="pw")
    assert s.public()["http_token"] == "***" and s.public()["memgraph_password"] == "***"
    s = Settings(home=tmp_path, redis_url="redis://:hunter2@cache:6379/0", backends={
        "glean_query_code": {"kind": "http", "url": "https://bot:pw@glean", "headers": {"Authorization": "Bearer x"}},
        "memgraph_query_graph": {"kind": "mcp", "server": {"command": "mg", "env": {"TOKEN": "y"}}},
    })
    shown = s.public()
    assert shown["redis_url"] == "redis://***@cache:6379/0"
    assert shown["backends"]["glean_query_code"]["url"] == "https://***@glean"
    assert shown["backends"]["glean_query_code"]["headers"] == {"Authorization": "***"}
    assert shown["backends"]["memgraph_query_graph"]["server"]["env"] == {"TOKEN": "***"}
    assert "hunter2" not in str(shown) and s.backends["glean_query_code"]["headers"]["Authorization"] == "Bearer x"
