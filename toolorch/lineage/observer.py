"""LineageObserver: the engine's RunObserver that turns every tool run into OpenLineage events.

The engine calls `run_started` / `run_finished` on its event loop, around every tool call. Those
two calls only put a tuple on a queue (a few microseconds); one writer thread per observer builds
the OpenLineage events (openlineage-python's event_v2 classes), stores them in the local store
(`<home>/lineage.sqlite`, one transaction per batch) and wakes the Marquez sender when
`marquez_url` is set. So the event loop never waits on SQLite's lock (other processes write the
same file) nor on Marquez.

Readers in the same process call `flush()` first (the lineage tool does, through the shared
`LineageWriter` in `Services`), so they see every run that finished before them. `close()` (also
run at interpreter exit) drains the queue; only a process killed hard loses the events of its
last few milliseconds.
"""

from __future__ import annotations

import atexit
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolorch.config import Settings
from toolorch.core.services import ServiceKey

if TYPE_CHECKING:
    from toolorch.core.runs import RunInfo, RunOutcome
    from toolorch.core.services import Services
    from toolorch.lineage.marquez import MarquezSender
    from toolorch.lineage.store import LineageStore

log = logging.getLogger(__name__)

#: Services key under which the observer shares its writer with the lineage tool.
WRITER_KEY: ServiceKey[LineageWriter] = ServiceKey("lineage_writer")


def store_path(settings: Settings) -> Path:
    return settings.home / "lineage.sqlite"


class LineageWriter:
    """The queue and the thread behind the observer: events in, SQLite (and Marquez) out."""

    def __init__(self, settings: Settings, *, batch_max: int = 256) -> None:
        from toolorch.stores.batcher import BatchWorker

        self.settings = settings
        self.path = store_path(settings)
        self._closed = False
        self._store: LineageStore | None = None
        self._sender: MarquezSender | None = None
        self.errors = 0                          # events dropped after an error (logged)
        # no per-event wake-up: see toolorch.stores.batcher for why
        self._worker = BatchWorker("toolorch-lineage-writer", self._write, batch_max=batch_max)
        atexit.register(self.close)

    # -- producer side (the engine's thread) -----------------------------------------------------

    def submit(self, item: tuple[Any, ...]) -> None:
        if not self._worker.submit(item):
            log.debug("lineage writer closed; event dropped")

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything submitted so far is stored; False on timeout."""
        return self._worker.flush(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Drain the queue, stop the thread, close the store and the Marquez sender."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        self._worker.close(timeout)
        self._shutdown()

    # -- the writer thread -----------------------------------------------------------------------

    def _open(self) -> LineageStore:
        if self._store is None:
            from toolorch.lineage.store import LineageStore

            self._store = LineageStore(self.path)
            days = self.settings.lineage_retention_days
            if days > 0:
                pruned = self._store.prune_events(days * 86400.0)
                if pruned:
                    log.info("lineage: deleted %d raw events older than %g days (runs and datasets kept)",
                             pruned, days)
            if self.settings.marquez_url:
                from toolorch.lineage.marquez import MarquezSender

                self._sender = MarquezSender(self.settings.marquez_url, self._store)
        return self._store

    def _write(self, batch: list[tuple[Any, ...]]) -> None:
        from toolorch.lineage.events import finish_event, start_event, to_dict

        events = []
        for item in batch:
            try:
                event = start_event(item[1]) if item[0] == "start" else finish_event(item[1], item[2])
                events.append(to_dict(event))
            except Exception:  # one bad run must not stop lineage
                self.errors += 1
                log.exception("could not build the OpenLineage event of tool run %s",
                              getattr(item[1], "run_id", item[1]))
        if not events:
            return
        try:
            store = self._open()
            store.add_events(events, deliver=self._sender is not None)
        except Exception:  # observability never fails a tool call
            self.errors += len(events)
            log.exception("could not store %d lineage events in %s", len(events), self.path)
            return
        if self._sender is not None:
            self._sender.notify()

    def _shutdown(self) -> None:
        if self._sender is not None:
            self._sender.close()
        if self._store is not None:
            self._store.close()


class LineageObserver:
    """toolorch.core.runs.RunObserver emitting OpenLineage START and COMPLETE/FAIL events.

    Pass the engine's `services` to share the writer with the lineage tool (exact
    read-your-writes); without it the tool sees a run a few milliseconds after it finished.
    """

    def __init__(self, settings: Settings, services: Services | None = None) -> None:
        self.settings = settings
        if services is not None:
            self.writer = services.get(WRITER_KEY, lambda: LineageWriter(settings))
        else:
            self.writer = LineageWriter(settings)

    def run_started(self, run: RunInfo) -> None:
        try:
            self.writer.submit(("start", run))
        except Exception:  # observers must not raise into the engine
            log.exception("lineage: run_started failed for %s", getattr(run, "tool", "?"))

    def run_finished(self, run: RunInfo, outcome: RunOutcome) -> None:
        try:
            self.writer.submit(("finish", run, outcome))
        except Exception:
            log.exception("lineage: run_finished failed for %s", getattr(run, "tool", "?"))

    def flush(self, timeout: float = 5.0) -> bool:
        return self.writer.flush(timeout)

    def close(self) -> None:
        self.writer.close()
