"""Open the experience store the settings ask for."""

from __future__ import annotations

from toolorch.config import Settings
from toolorch.stores.experience import ExperienceStore

SQLITE_FILE = "experiences.sqlite"
SPOOL_FILE = "experiences-spool.sqlite"


def open_store(settings: Settings) -> ExperienceStore:
    """SQLite (WAL) at `<home>/experiences.sqlite` by default; with `redis_url` set, the Redis
    stream with a local spool at `<home>/experiences-spool.sqlite` for outages."""
    from toolorch.stores.sqlite_experiences import SqliteExperienceStore

    home = settings.ensure_home()
    if not settings.redis_url:
        return SqliteExperienceStore(home / SQLITE_FILE)

    from toolorch.stores.redis_experiences import RedisExperienceStore
    from toolorch.stores.resilient import ResilientExperienceStore

    return ResilientExperienceStore(RedisExperienceStore(settings.redis_url),
                                    SqliteExperienceStore(home / SPOOL_FILE))
