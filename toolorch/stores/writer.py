"""Experiences are written by a background thread, so a tool's answer never waits on a disk
commit (see toolorch.stores.batcher for why the hand-off does not wake the thread per item).
`flush()` waits until everything queued is stored; `close()` flushes first, so a clean shutdown
loses nothing. A store with a spool (Redis down) is asked to replay it when idle."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from toolorch.stores.batcher import BatchWorker
from toolorch.stores.experience import Experience, ExperienceStore

log = logging.getLogger(__name__)


class ExperienceWriter:
    def __init__(self, store: ExperienceStore, on_stored: Callable[[list[Experience]], None] | None = None) -> None:
        self.store = store
        self.on_stored = on_stored
        sync = getattr(store, "sync", None)
        self._worker = BatchWorker("toolorch-experience-writer", self._write,
                                   on_idle=sync if callable(sync) else None)

    def submit(self, exps: list[Experience]) -> None:
        for e in exps:
            self._worker.submit(e)

    def _write(self, batch: list[Experience]) -> None:
        for attempt in range(5):
            try:
                self.store.append(batch)
                break
            except Exception:
                log.exception("storing %d experiences failed (attempt %d)", len(batch), attempt + 1)
                threading.Event().wait(0.05 * (attempt + 1))
        else:
            log.error("dropping %d experiences after 5 failed attempts", len(batch))
        if self.on_stored is not None:
            try:
                self.on_stored(batch)
            except Exception:
                log.exception("on_stored callback failed")

    def flush(self, timeout: float | None = 30.0) -> bool:
        return self._worker.flush(timeout)

    def close(self) -> None:
        self._worker.close()
