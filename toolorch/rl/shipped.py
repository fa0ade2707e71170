"""The policy that ships with the package: trained in simulation on the public task suite, so a
new server (a desktop client's first, a fresh data dir) never starts at version 0.

    toolorch/rl/warm/policy.pt     the checkpoint (as CheckpointDir writes it)
    toolorch/rl/warm/policy.json   how it was made: command, episodes, seed, suite, success, sha256

`install(checkpoints)` copies it into a data dir that has no checkpoint yet (a file copy, no
torch); online learning continues from it there. `toolorch train --simulate N --ship`
(bench/learn/warmstart.ship) trains it again in a scratch data dir and writes both files through
`write`: deterministic for a given seed, so the same code yields the same bytes. Run it whenever the policy's architecture, state
encoding or the registry's tools change (tests/rl/test_shipped.py fails until then).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolorch.rl.checkpoint import CheckpointDir

if TYPE_CHECKING:
    from toolorch.registry import Registry

log = logging.getLogger(__name__)

WARM_DIR = Path(__file__).resolve().parent / "warm"
SOURCE = "shipped"


def info(directory: Path = WARM_DIR) -> dict[str, Any] | None:
    """The shipped checkpoint's metadata, or None when the package has none."""
    meta = directory / "policy.json"
    if not meta.is_file() or not (directory / "policy.pt").is_file():
        return None
    data: dict[str, Any] = json.loads(meta.read_text())
    return data


def fits(registry: Registry | None, meta: dict[str, Any]) -> bool:
    """Whether the shipped policy was trained for this registry's tools and artifacts (no torch)."""
    if registry is None or "vocab" not in meta:
        return True
    from toolorch.rl.state import Vocabulary

    return bool(Vocabulary.from_registry(registry).to_dict() == meta["vocab"])


def install(checkpoints: CheckpointDir, directory: Path = WARM_DIR, registry: Registry | None = None) -> bool:
    """Put the shipped checkpoint into an empty checkpoint dir; False when the dir already has a
    version (its own training wins), nothing ships, or it was trained for other tools than
    `registry`'s. The version keeps its shipped number."""
    meta = info(directory)
    if meta is None or checkpoints.newest() > 0:
        return False
    if not fits(registry, meta):
        log.info("the shipped policy was trained for other tools than this registry's; starting untrained")
        return False
    data = (directory / "policy.pt").read_bytes()
    if hashlib.sha256(data).hexdigest() != meta["sha256"]:
        log.warning("shipped policy %s does not match its sha256; not installed", directory / "policy.pt")
        return False
    metrics = {**meta.get("metrics", {}), "source": SOURCE, "shipped": {k: v for k, v in meta.items() if k != "metrics"}}
    installed = checkpoints.import_version(int(meta["version"]), data, metrics)
    if installed:
        log.info("installed the shipped warm-start policy v%s into %s", meta["version"], checkpoints.directory)
    return installed


def source_of(latest: dict[str, Any]) -> str:
    """Where a data dir's newest checkpoint came from, in words (`toolorch status`)."""
    metrics = latest.get("metrics") or {}
    if not latest:
        return "none"
    if metrics.get("source") == SOURCE:
        shipped = metrics.get("shipped") or {}
        return (f"shipped with the package (toolorch/rl/warm, `{shipped.get('command', 'toolorch train --simulate')}`, "
                f"{shipped.get('episodes', '?')} simulated episodes)")
    if metrics.get("source") == "simulation":
        return "warm start in this data dir (toolorch train --simulate)"
    return "trained in this data dir (online from real experiences, or toolorch train)"


def write(checkpoint: bytes, facts: dict[str, Any], directory: Path = WARM_DIR) -> dict[str, Any]:
    """Ship `checkpoint` (a CheckpointDir version file): slimmed, with its metadata (`facts`:
    command, episodes, seed, ... and the round's metrics)."""
    data, vocab = _policy_only(checkpoint)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "policy.pt").write_bytes(data)
    meta = {**facts, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "vocab": vocab}
    (directory / "policy.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return meta


def _policy_only(data: bytes) -> tuple[bytes, Any]:
    """The checkpoint without what a fresh start does not need (the optimizer's moments and the
    reference copy: 2/3 of its size), and the vocabulary it was trained with."""
    import io

    import torch

    payload = torch.load(io.BytesIO(data), weights_only=False)
    slim = {k: v for k, v in payload.items() if k not in ("optimizer", "reference")}
    buf = io.BytesIO()
    torch.save(slim, buf)
    return buf.getvalue(), payload.get("vocab")


def copy_to(target: Path, directory: Path = WARM_DIR) -> None:
    """Copy the shipped files elsewhere (tests)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("policy.pt", "policy.json"):
        shutil.copy2(directory / name, target / name)
