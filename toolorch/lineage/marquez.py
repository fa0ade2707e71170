"""Marquez over HTTP: events out (`POST /api/v1/lineage`), lineage graphs in
(`GET /api/v1/lineage?nodeId=...&depth=N`).

Sending goes through the local store as an outbox: the writer stores every event first, marked
pending, and `MarquezSender` (one thread) claims pending events, posts them in order with
openlineage-python's HttpTransport and marks them sent. An unreachable Marquez loses nothing:
events stay pending and are retried with backoff, also by another toolorch process on the same
data dir (stale claims are taken over).
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import TYPE_CHECKING, Any

from toolorch.errors import BackendError

if TYPE_CHECKING:
    from toolorch.lineage.store import LineageStore

log = logging.getLogger(__name__)


def base_url(url: str) -> str:
    """Marquez base URL with one trailing slash, so relative joins keep any path prefix."""
    return url.rstrip("/") + "/"


class MarquezSender:
    """Delivers the store's pending events to Marquez from a background thread."""

    def __init__(self, url: str, store: LineageStore, *, timeout_s: float = 5.0,
                 batch: int = 100, max_backoff_s: float = 60.0) -> None:
        from openlineage.client.transport.http import HttpConfig, HttpTransport

        self.url = base_url(url)
        self.store = store
        self.owner = f"sender-{uuid.uuid4().hex[:12]}"
        self.batch = batch
        self.max_backoff_s = max_backoff_s
        self.sent = 0
        self.failures = 0
        # Retries are ours (with backoff, across restarts), so the transport tries once.
        self._transport = HttpTransport(HttpConfig(
            url=self.url, endpoint="api/v1/lineage", timeout=timeout_s,
            retry={"total": 0, "connect": 0, "read": 0, "backoff_factor": 0},
        ))
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name="toolorch-marquez-sender", daemon=True)
        self._thread.start()
        self._wake.set()  # deliver what earlier runs left pending

    def notify(self) -> None:
        self._idle.clear()
        self._wake.set()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until the sender found nothing left to send (tests, shutdown)."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """One last delivery attempt, then stop."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        self._transport.close()

    def _run(self) -> None:
        backoff = 0.0
        while True:
            self._wake.wait(backoff or 30.0)  # a periodic pass also picks up other processes' leftovers
            self._wake.clear()
            try:
                delivered_all = self._deliver()
            except Exception:  # the store itself failed: keep the thread alive
                log.exception("lineage: reading the outbox failed")
                delivered_all = False
            if delivered_all:
                if backoff:
                    log.info("lineage: Marquez at %s reachable again", self.url)
                backoff = 0.0
                self._idle.set()
            else:
                backoff = min(self.max_backoff_s, max(0.5, backoff * 2))
            if self._stop.is_set():
                return

    def _deliver(self) -> bool:
        """Send pending events until none are left; False when Marquez refused or is down."""
        while True:
            claimed = self.store.claim_pending(self.owner, self.batch)
            if not claimed:
                return True
            sent: list[int] = []
            try:
                for event_id, event in claimed:
                    self._transport.emit(event)  # type: ignore[arg-type]  # a dict serializes like an event
                    sent.append(event_id)
            except Exception as exc:
                self.failures += 1
                if self.failures == 1 or self.failures % 20 == 0:
                    log.warning("lineage: cannot send events to Marquez at %s (%s); they stay queued "
                                "in the local store and are retried", self.url, exc)
                self.store.mark_sent(sent)
                self.store.release([i for i, _ in claimed if i not in set(sent)])
                self.sent += len(sent)
                return False
            self.store.mark_sent(sent)
            self.sent += len(sent)
            self.failures = 0


async def fetch_lineage(url: str, node_id: str, depth: int, *, timeout_s: float = 10.0
                        ) -> dict[str, Any] | None:
    """`GET /api/v1/lineage`; None when Marquez does not know the node (404). Network errors
    and other statuses raise a retryable BackendError."""
    import httpx

    endpoint = base_url(url) + "api/v1/lineage"
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            resp = await client.get(endpoint, params={"nodeId": node_id, "depth": depth})
    except httpx.HTTPError as exc:
        raise BackendError(f"Marquez at {url} is unreachable ({exc}); check TOOLORCH_MARQUEZ_URL",
                           retryable=True) from exc
    if resp.status_code == 404:
        return None
    if resp.status_code != 200:
        raise BackendError(f"Marquez answered {resp.status_code} to GET {endpoint}?nodeId={node_id}: "
                           f"{resp.text[:300]}", retryable=resp.status_code >= 500)
    try:
        body = resp.json()
    except ValueError as exc:
        raise BackendError(f"Marquez answered non-JSON to GET {endpoint}: {resp.text[:200]}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("graph"), list):
        raise BackendError(f"Marquez's lineage answer has no 'graph' list: {str(body)[:200]}")
    return body
