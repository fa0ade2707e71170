"""Online training in a background thread (offline retraining from the whole store: offline.py).

The engine hands experiences to `OnlineTrainer.observe` (a queue put: never blocks the event
loop). The trainer thread adds them to the replay buffer; after every k new ones it adopts a newer
checkpoint written by another process (if any; with Redis, also by another machine: shared.py),
runs m KTO steps on balanced batches, updates the reference when it is an EMA, writes an atomic
checkpoint with the next version number and publishes a frozen copy of the policy for inference
(`on_publish(version, actor)`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from toolorch.rl.checkpoint import CheckpointDir
from toolorch.rl.shared import RedisCheckpoints
from toolorch.rl.trainer import Learner
from toolorch.stores.experience import Experience

if TYPE_CHECKING:
    from toolorch.config import Settings
    from toolorch.rl.policy import KTOPolicy

logger = logging.getLogger(__name__)

Publish = Callable[[int, "KTOPolicy"], None]
_STOP = object()


def save_version(learner: Learner, checkpoints: CheckpointDir, shared: RedisCheckpoints | None = None) -> int:
    """Write the learner as the next version; with `shared`, numbered by and published to Redis."""
    version = shared.next_version(checkpoints.newest()) if shared is not None else None
    version = checkpoints.save(learner.state_dict(), version)
    if shared is not None:
        shared.push(version, checkpoints)
    return version


def adopt_newer(learner: Learner, checkpoints: CheckpointDir) -> bool:
    """Load the newest good checkpoint into the learner when it is newer than the learner's."""
    if checkpoints.newest() <= learner.version:
        return False
    payload = checkpoints.load_latest(newer_than=learner.version)
    if payload is None:
        return False
    why = learner.compatible(payload)
    if why:
        logger.warning("ignoring policy checkpoint v%s: %s", payload.get("version"), why)
        return False
    learner.load_state_dict(payload)
    logger.info("policy v%d loaded from %s", learner.version, checkpoints.directory)
    return True


class OnlineTrainer:
    """Runs `Learner` rounds off the event loop. `background=False` trains inline instead
    (deterministic: what benchmarks and tests of learning use)."""

    def __init__(
        self,
        learner: Learner,
        checkpoints: CheckpointDir | None = None,
        on_publish: Publish | None = None,
        background: bool = True,
        shared: RedisCheckpoints | None = None,
    ) -> None:
        """`shared`: versions are also numbered by and published to Redis (shared.py)."""
        self.learner = learner
        self.checkpoints = checkpoints
        self.shared = shared if checkpoints is not None else None
        self.on_publish = on_publish
        self.background = background
        self.errors = 0
        self.last_error: str | None = None
        self.last_round_s: float | None = None
        self._queue: queue.Queue[Any] = queue.Queue()
        self._idle = threading.Condition()
        self._busy = 0
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._run, name="toolorch-kto-trainer", daemon=True)
            self._thread.start()

    def observe(self, experiences: Sequence[Experience]) -> None:
        """Hand over new experiences; returns at once in background mode."""
        if not experiences:
            return
        if not self.background:
            self._handle(list(experiences))
            return
        with self._idle:
            self._busy += 1
        self._queue.put(list(experiences))

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every observed batch is processed (tests, shutdown). False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def close(self, timeout: float = 30.0) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
        self._thread = None

    def metrics(self) -> dict[str, Any]:
        return {
            **self.learner.metrics(),
            "trainer/errors": self.errors,
            "trainer/last_error": self.last_error,
            "trainer/last_round_s": self.last_round_s,
            "trainer/background": self.background,
        }

    # -- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                self._handle(item)
            except Exception as exc:  # the thread must survive a bad batch
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                logger.exception("KTO training round failed; the previous policy stays in use")
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _handle(self, experiences: list[Experience]) -> None:
        self.learner.add(experiences)
        while self.learner.due():
            start = time.perf_counter()
            if self.checkpoints is not None:
                if self.shared is not None:
                    self.shared.pull_into(self.checkpoints)
                adopt_newer(self.learner, self.checkpoints)
            self.learner.train_round()
            self._publish()
            self.last_round_s = time.perf_counter() - start

    def _publish(self) -> None:
        if self.checkpoints is not None:
            self.learner.version = save_version(self.learner, self.checkpoints, self.shared)
        else:
            self.learner.version += 1
        if self.on_publish is not None:
            self.on_publish(self.learner.version, self.learner.actor())


def shared_checkpoints(settings: Settings, keep: int = 5) -> RedisCheckpoints | None:
    """Checkpoints shared through Redis when TOOLORCH_REDIS_URL is set (shared.py)."""
    return RedisCheckpoints(settings.redis_url, keep=keep) if settings.redis_url else None
