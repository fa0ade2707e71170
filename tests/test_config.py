"""Settings: allowed roots, masked secrets, the config file and its precedence."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolorch.config import Settings, load_settings
from toolorch.errors import ConfigError


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


def test_config_file_is_read_and_the_environment_overrides_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "conf" / "toolorch.toml"
    conf.parent.mkdir()
    conf.write_text('home = "data"\nmax_rows = 50\nredis_url = "redis://file:6379/0"\n'
                    '[backends.glean_query_code]\nkind = "http"\nurl = "http://glean:8080"\n')
    monkeypatch.setenv("TOOLORCH_CONFIG", str(conf))
    monkeypatch.setenv("TOOLORCH_MAX_ROWS", "7")
    monkeypatch.delenv("TOOLORCH_HOME", raising=False)
    monkeypatch.delenv("TOOLORCH_REDIS_URL", raising=False)
    s = load_settings()
    assert s.home == (conf.parent / "data").resolve()          # relative to the file
    assert s.max_rows == 7                                     # the environment wins over the file
    assert s.redis_url == "redis://file:6379/0"
    assert s.backends == {"glean_query_code": {"kind": "http", "url": "http://glean:8080"}}
    assert Settings(max_rows=3).max_rows == 3                  # code arguments win over both
    assert Settings().cache_max_entries == 4096                # what neither sets keeps its default
    assert Settings().max_query_chars == 20_000 and Settings().max_arg_chars == 100_000


def test_json_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "toolorch.json"
    conf.write_text('{"breaker_failures": 9, "home": "/abs/home"}')
    monkeypatch.setenv("TOOLORCH_CONFIG", str(conf))
    monkeypatch.delenv("TOOLORCH_HOME", raising=False)
    s = Settings()
    assert s.breaker_failures == 9 and s.home == Path("/abs/home")


@pytest.mark.parametrize(("content", "problem"), [
    ("max_rowz = 5\n", "unknown setting 'max_rowz'; known: allowed_roots, backends"),
    ("max_rows = \n", "not valid TOML"),
    ("max_rows = 0\n", "invalid setting (environment or TOOLORCH_CONFIG="),
])
def test_a_bad_config_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, problem: str) -> None:
    conf = tmp_path / "bad.toml"
    conf.write_text(content)
    monkeypatch.setenv("TOOLORCH_CONFIG", str(conf))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert problem in info.value.message
    assert str(conf) in info.value.message
    if "max_rows = 0" in content:
        assert "TOOLORCH_MAX_ROWS" in info.value.message


def test_a_missing_config_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLORCH_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match=r"TOOLORCH_CONFIG=.*nope.toml: cannot read the config file"):
        load_settings()
