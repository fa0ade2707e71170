"""Shared fixtures. (Written by the stores/metrics/cache helper; the lead owns this file.)"""

from tests.redis_server import (  # noqa: F401  (pytest fixtures)
    persistent_redis_server,
    redis_server,
    redis_url,
)
