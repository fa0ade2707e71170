"""Qdrant access for toolorch: local mode under `<home>/qdrant`, or a server at `qdrant_url`.

Local mode locks its folder per process, so the local client lives in a `Lease` (lease.py):
one process owns it at a time and hands it over on request; callers never see a lock error.
Its point storage is SQLite committing once per point; see `_tune_local` for why and how those
commits are made cheap.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from toolorch.backends.vectors.lease import Lease, WaitFn
from toolorch.core.services import ServiceKey, Services
from toolorch.errors import BackendError

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

    from toolorch.config import Settings

log = logging.getLogger(__name__)

SYMBOLS_COLLECTION = "code_symbols"
SERVICE_KEY: ServiceKey[VectorStore] = ServiceKey("vector_store")
_ID_NAMESPACE = uuid.UUID("6f6b1a52-52c4-4d8e-9d43-6f2f0c1d7a10")
_SERVER_BATCH = 256
T = TypeVar("T")


def point_id(project: str, symbol: str) -> str:
    """Deterministic point id of a symbol: re-indexing overwrites instead of duplicating."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{project}\x00{symbol}"))


def _project_filter(project: str) -> Any:
    from qdrant_client import models

    return models.Filter(must=[models.FieldCondition(key="project",
                                                     match=models.MatchValue(value=project))])


def _tune_local(client: QdrantClient) -> None:
    """WAL journaling and synchronous=NORMAL on the local collections' SQLite connections.

    qdrant-client commits once per point; with its default rollback journal and full sync that
    is an fsync or three per point (2,000 points: 2–16 s here, depending on the neighbours' disk
    load; 0.1–0.7 s tuned). Losing the last writes on a power cut is acceptable: the points are
    derived from the fact store, and a count that disagrees with the sync marker re-syncs them.
    The connections are qdrant-client internals, so this is best effort: if they moved, writes
    are only slower."""
    collections = getattr(getattr(client, "_client", None), "collections", None)
    if not isinstance(collections, dict):
        return
    for name, collection in collections.items():
        conn = getattr(getattr(collection, "storage", None), "storage", None)
        if not isinstance(conn, sqlite3.Connection):
            continue
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            log.warning("could not tune the storage of local collection %r: %s", name, exc)


class VectorStore:
    """The collections toolorch searches. Thread-safe; one per data dir and process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.qdrant_url
        self.path = settings.home / "qdrant"
        self.state_dir = settings.home / "vectors"
        self._remote: QdrantClient | None = None
        self._remote_lock = threading.Lock()
        self._lease: Lease[QdrantClient] | None = None
        if not self.url:
            self._lease = Lease(self.state_dir / "qdrant.lock", self._open_local, self._close_client,
                                what=f"the local vector store {self.path}")

    @property
    def where(self) -> str:
        return f"Qdrant at {self.url}" if self.url else f"local Qdrant {self.path}"

    # ---- clients -----------------------------------------------------------------------------

    def _open_local(self) -> QdrantClient:
        from qdrant_client import QdrantClient

        self.path.mkdir(parents=True, exist_ok=True)
        try:
            client = QdrantClient(path=str(self.path))
        except RuntimeError as exc:  # qdrant's own folder lock, held by a non-toolorch program
            raise BackendError(
                f"{self.path} is open in another program that is not toolorch ({exc}); close it, "
                "or run a Qdrant server and set TOOLORCH_QDRANT_URL", retryable=True) from exc
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot open the local vector store {self.path}: {exc}") from exc
        _tune_local(client)
        return client

    @staticmethod
    def _close_client(client: QdrantClient) -> None:
        client.close()

    @contextmanager
    def client(self, on_wait: WaitFn | None = None) -> Iterator[QdrantClient]:
        """A client for one operation (local: exclusive while the block runs)."""
        if self._lease is not None:
            with self._lease.hold(on_wait) as client:
                yield client
            return
        with self._remote_lock:
            if self._remote is None:
                from qdrant_client import QdrantClient

                self._remote = QdrantClient(url=self.url, timeout=30, check_compatibility=False)
        yield self._remote

    def close(self) -> None:
        if self._lease is not None:
            self._lease.close()
        if self._remote is not None:
            self._remote.close()
            self._remote = None

    @property
    def local_opens(self) -> int:
        """How many times the local folder was loaded (a measure of hand-overs)."""
        return self._lease.opens if self._lease is not None else 0

    # ---- operations --------------------------------------------------------------------------

    def collections(self, on_wait: WaitFn | None = None) -> list[str]:
        with self._errors("listing collections"), self.client(on_wait) as client:
            return sorted(c.name for c in client.get_collections().collections)

    def ensure_collection(self, name: str, dimension: int, on_wait: WaitFn | None = None) -> bool:
        """Create a cosine collection of `dimension` unless it exists; True when created."""
        from qdrant_client import models

        with self._errors(f"creating collection {name!r}"), self.client(on_wait) as client:
            if client.collection_exists(name):
                return False
            client.create_collection(name, vectors_config=models.VectorParams(
                size=dimension, distance=models.Distance.COSINE))
            if self.url:
                client.create_payload_index(name, "project", models.PayloadSchemaType.KEYWORD)
            else:
                _tune_local(client)
            return True

    def count(self, name: str, project: str | None = None, on_wait: WaitFn | None = None) -> int:
        flt = _project_filter(project) if project else None
        with self._errors(f"counting {name!r}"), self.client(on_wait) as client:
            return int(client.count(name, count_filter=flt, exact=True).count)

    def search(self, name: str, vector: Sequence[float], limit: int,
               on_wait: WaitFn | None = None) -> list[tuple[float, dict[str, Any]]]:
        with self._errors(f"searching {name!r}"), self.client(on_wait) as client:
            found = client.query_points(name, query=list(vector), limit=limit, with_payload=True)
        return [(float(p.score), dict(p.payload or {})) for p in found.points]

    def payloads_of(self, name: str, project: str,
                    on_wait: WaitFn | None = None) -> dict[str, dict[str, Any]]:
        """Point id → payload of every point of `project`."""
        out: dict[str, dict[str, Any]] = {}
        offset: Any = None
        with self._errors(f"reading {name!r}"), self.client(on_wait) as client:
            while True:
                points, offset = client.scroll(name, scroll_filter=_project_filter(project),
                                               limit=1000, offset=offset, with_payload=True,
                                               with_vectors=False)
                out.update((str(p.id), dict(p.payload or {})) for p in points)
                if offset is None:
                    return out

    def vectors_of(self, name: str, ids: Sequence[str],
                   on_wait: WaitFn | None = None) -> dict[str, list[float]]:
        if not ids:
            return {}
        with self._errors(f"reading {name!r}"), self.client(on_wait) as client:
            points = client.retrieve(name, ids=list(ids), with_vectors=True, with_payload=False)
        return {str(p.id): [float(x) for x in p.vector] for p in points  # type: ignore[arg-type]
                if isinstance(p.vector, list)}

    def inspect(self, name: str, during: Callable[[], T]) -> tuple[bool, int, T]:
        """(collection exists, its point count, during()) seen at one moment: `during` runs
        while the store is held, so no local write lands between the count and it."""
        with self._errors(f"inspecting {name!r}"), self.client() as client:
            exists = client.collection_exists(name)
            count = int(client.count(name, exact=True).count) if exists else 0
            return exists, count, during()

    def write(self, name: str, upserts: Sequence[tuple[str, Sequence[float], dict[str, Any]]],
              deletes: Sequence[str], on_wait: WaitFn | None = None,
              then: Callable[[], None] | None = None) -> None:
        """Upsert (id, vector, payload) points and delete ids, in one hold of the store; `then`
        runs before the store is let go (to record what was written)."""
        from qdrant_client import models

        points = [models.PointStruct(id=pid, vector=list(vec), payload=payload)
                  for pid, vec, payload in upserts]
        batch = _SERVER_BATCH if self.url else max(1, len(points))
        with self._errors(f"writing to {name!r}"), self.client(on_wait) as client:
            if deletes:
                client.delete(name, points_selector=models.PointIdsList(points=list(deletes)))
            for start in range(0, len(points), batch):
                client.upsert(name, points=points[start:start + batch])
            if then is not None:
                then()

    def delete_project(self, name: str, project: str, on_wait: WaitFn | None = None) -> None:
        from qdrant_client import models

        with self._errors(f"deleting {project!r} from {name!r}"), self.client(on_wait) as client:
            if client.collection_exists(name):
                client.delete(name, points_selector=models.FilterSelector(
                    filter=_project_filter(project)))

    # ---- errors ------------------------------------------------------------------------------

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Translate qdrant-client / transport errors into BackendError at this edge."""
        try:
            yield
        except BackendError:
            raise
        except (ValueError, KeyError) as exc:  # local mode: unknown collection, bad id...
            raise BackendError(f"{self.where}: {doing} failed: {exc}") from exc
        except Exception as exc:
            from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

            if isinstance(exc, ResponseHandlingException):
                raise BackendError(f"cannot reach {self.where} while {doing}: {exc}; is the "
                                   "server running (TOOLORCH_QDRANT_URL)?", retryable=True) from exc
            if isinstance(exc, UnexpectedResponse):
                raise BackendError(f"{self.where} refused {doing}: {exc}",
                                   retryable=exc.status_code is not None
                                   and exc.status_code >= 500) from exc
            raise


def store_of(services: Services) -> VectorStore:
    """The process-wide VectorStore held by the engine's services."""
    return services.get(SERVICE_KEY, lambda: VectorStore(services.settings))
