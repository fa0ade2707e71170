"""Run by test_vectors_processes.py as a separate OS process on a shared data dir.

    python vector_worker.py HOME lease COLLECTION      create COLLECTION, print the collections
    python vector_worker.py HOME search PROJECT TEXT   search, ingest PROJECT (wait), search again
Prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio

from toolorch.backends.vectors.ingest import ingest_project
from toolorch.backends.vectors.store import store_of
from toolorch.backends.vectors.tool import search_similar
from toolorch.config import Settings
from toolorch.core.context import ToolContext
from toolorch.core.services import Services


def main() -> None:
    home, mode = Path(sys.argv[1]), sys.argv[2]
    settings = Settings(home=home, allowed_roots=str(home))
    services = Services(settings)
    ctx = ToolContext(tool="worker", run_id="w", settings=settings, services=services,
                      roots=settings.roots)
    try:
        if mode == "lease":
            store = store_of(services)
            store.ensure_collection(sys.argv[3], 4)
            out: dict[str, object] = {"collections": store.collections()}
        else:
            project, text = sys.argv[3], sys.argv[4]

            async def run() -> dict[str, object]:
                first = await search_similar({"text": text, "limit": 6}, ctx)
                ingested = await ingest_project(ctx, project, wait=True)
                second = await search_similar({"text": text, "limit": 6}, ctx)
                return {"first": first, "ingested": ingested, "second": second}

            out = anyio.run(run)
    finally:
        services.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
