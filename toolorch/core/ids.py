"""Random ids without a syscall per id.

`uuid.uuid4()` reads os.urandom each time; on a busy machine that syscall cost more than the rest
of a cached tool call. These ids need uniqueness, not secrecy: a per-process `random.Random`
seeded from the OS (and reseeded in forked children by the random module) is enough.
"""

from __future__ import annotations

import random
import uuid

_rng = random.Random()
random_getrandbits = _rng.getrandbits


def new_id() -> str:
    """A version-4 UUID as 32 hex digits."""
    return uuid.UUID(int=random_getrandbits(128), version=4).hex
