"""The real n8n node descriptions (n8n-nodes-base's dist/types/nodes.json), cached locally.

Used to check generated workflows against the node types, versions and required parameters n8n
itself knows. `fetch_node_types.sh` does the download (`npm pack`, one file extracted); the Makefile
set-up and the tests call `ensure_node_types()`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from toolorch.config import PROJECT_ROOT
from toolorch.errors import NotAvailableError

NODES_BASE_VERSION = "2.41.2"
SCRIPT = Path(__file__).with_name("fetch_node_types.sh")
DEFAULT_CACHE = PROJECT_ROOT / ".cache" / "n8n"


def ensure_node_types(cache_dir: Path = DEFAULT_CACHE, timeout_s: float = 300.0) -> Path:
    """Path of nodes.json, fetching it once with npm when it is not cached yet."""
    target = cache_dir / "nodes.json"
    version = cache_dir / "VERSION"
    if target.is_file() and version.is_file() and version.read_text().strip() == NODES_BASE_VERSION:
        return target
    try:
        subprocess.run(["sh", str(SCRIPT), str(cache_dir)], check=True, capture_output=True,
                       text=True, timeout=timeout_s,
                       env={**os.environ, "N8N_NODES_BASE_VERSION": NODES_BASE_VERSION})
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise NotAvailableError(
            f"could not fetch n8n-nodes-base@{NODES_BASE_VERSION} node descriptions with npm "
            f"({detail.strip()[-500:]}); run `sh {SCRIPT}` with access to the npm registry") from exc
    return target


if __name__ == "__main__":
    print(ensure_node_types())
