"""Experiences are written by a background thread, so a tool's answer never waits on a disk
commit. The queue is drained in batches; `flush()` waits until everything queued is stored, and
`close()` flushes before returning, so a clean shutdown loses nothing."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from toolorch.stores.experience import Experience, ExperienceStore

log = logging.getLogger(__name__)
_BATCH = 256
_SYNC_EVERY_S = 2.0  # a store with a spool (Redis down) replays it this often when idle


class ExperienceWriter:
    def __init__(self, store: ExperienceStore, on_stored: Callable[[list[Experience]], None] | None = None) -> None:
        self.store = store
        self.on_stored = on_stored
        self._queue: queue.Queue[list[Experience] | None] = queue.Queue()
        self._pending = 0
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="toolorch-experience-writer", daemon=True)
        self._thread.start()

    def submit(self, exps: list[Experience]) -> None:
        if not exps:
            return
        with self._cond:
            self._pending += len(exps)
        self._queue.put(exps)

    def _run(self) -> None:
        sync = getattr(self.store, "sync", None)
        while True:
            try:
                item = self._queue.get(timeout=_SYNC_EVERY_S)
            except queue.Empty:
                if callable(sync):
                    try:
                        sync()
                    except Exception:  # noqa: BLE001 - retried on the next idle tick
                        log.debug("store sync failed", exc_info=True)
                continue
            if item is None:
                return
            batch = list(item)
            while len(batch) < _BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.extend(more)
            self._write(batch)

    def _write(self, batch: list[Experience]) -> None:
        for attempt in range(5):
            try:
                self.store.append(batch)
                break
            except Exception:  # noqa: BLE001 - keep trying; the store may fall back itself
                log.exception("storing %d experiences failed (attempt %d)", len(batch), attempt + 1)
                threading.Event().wait(0.05 * (attempt + 1))
        else:
            log.error("dropping %d experiences after 5 failed attempts", len(batch))
        if self.on_stored is not None:
            try:
                self.on_stored(batch)
            except Exception:  # noqa: BLE001 - learning must not stop logging
                log.exception("on_stored callback failed")
        with self._cond:
            self._pending -= len(batch)
            self._cond.notify_all()

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every submitted experience is stored; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._thread.join(timeout=10)
