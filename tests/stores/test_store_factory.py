"""open_store picks SQLite by default and the resilient Redis store when a URL is configured."""

from __future__ import annotations

from pathlib import Path

from toolorch.config import Settings
from toolorch.core.state import State
from toolorch.stores.experience import Experience
from toolorch.stores.factory import open_store
from toolorch.stores.resilient import ResilientExperienceStore
from toolorch.stores.sqlite_experiences import SqliteExperienceStore


def one() -> Experience:
    return Experience(State(""), action="marquez_get_lineage", desirable=True, success=True)


def test_default_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    store = open_store(Settings(home=tmp_path / "home"))
    assert isinstance(store, SqliteExperienceStore)
    assert store.path == (tmp_path / "home" / "experiences.sqlite").resolve()
    store.append([one()])
    assert open_store(Settings(home=tmp_path / "home")).count() == 1


def test_redis_url_selects_the_resilient_store(tmp_path: Path, redis_url: str) -> None:
    store = open_store(Settings(home=tmp_path / "home", redis_url=redis_url))
    assert isinstance(store, ResilientExperienceStore)
    store.append([one()])
    assert store.count() == 1
    assert store.summary()["backend"] == "redis+spool"
    assert store.spool.path.name == "experiences-spool.sqlite"
