"""Each tool's own representation: its description and schema as text, embedded once.

The policy scores a tool from the state AND this representation (policy.py), instead of one fixed
output row per tool, so the action set is open (DESIGN.md, "The policy's action space"): a tool
added to the registry — or imported from a downstream MCP server — gets a meaningful score from
its description before it was ever called, and a checkpoint trained on other tools still loads.

The text of a tool (`tool_text`) is its name in words, title, description, the input parameters
with their descriptions, and the artifacts it consumes and produces: what an agent reading
tools/list would know. It is embedded with the registry's embedding model (all-MiniLM-L6-v2, the
goal embedder), so goal and tool live in one space and their cosine is a zero-shot prior.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from toolorch.registry.registry import Registry

EmbedFn = Callable[[list[str]], np.ndarray]

#: Characters of a tool's text that are embedded (MiniLM reads ≈ 256 word pieces).
MAX_TEXT = 1200


def tool_text(spec: Any) -> str:
    """The text that represents a tool (a registry `ToolSpec` or anything with its fields)."""
    name = str(spec.name).replace("_", " ").replace(".", " ")
    parts = [f"{name}.", str(getattr(spec, "title", "") or ""), str(spec.description or "")]
    props = (getattr(spec, "input_schema", None) or {}).get("properties", {})
    if props:
        params = [f"{k}: {v.get('description', '')}".rstrip(": ") for k, v in props.items() if isinstance(v, dict)]
        parts.append("Inputs: " + "; ".join(params) + ".")
    consumes = [c.artifact for c in getattr(spec, "consumes", ())]
    produces = [p.artifact for p in getattr(spec, "produces", ())]
    if consumes:
        parts.append("Uses " + ", ".join(a.replace("_", " ") for a in consumes) + ".")
    if produces:
        parts.append("Makes " + ", ".join(a.replace("_", " ") for a in produces) + ".")
    return " ".join(p for p in parts if p)[:MAX_TEXT]


class ToolFeatures:
    """Embeddings of tool texts, computed once per text (thread-safe). Rows are L2-normalised,
    so a row's dot product with a normalised goal embedding is their cosine."""

    def __init__(self, embed_fn: EmbedFn, dim: int = 384) -> None:
        self.embed_fn, self.dim = embed_fn, dim
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def of_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32."""
        with self._lock:
            todo = sorted({t for t in texts if t not in self._cache})
            if todo:
                vecs = np.asarray(self.embed_fn(todo), dtype=np.float32).reshape(len(todo), -1)
                if vecs.shape[1] != self.dim:
                    raise ValueError(f"the embedder returned {vecs.shape[1]}-d tool embeddings; the policy "
                                     f"expects {self.dim} (PolicyConfig.goal_dim)")
                norms = np.linalg.norm(vecs, axis=1, keepdims=True)
                vecs = vecs / np.maximum(norms, 1e-8)
                for t, v in zip(todo, vecs, strict=True):
                    self._cache[t] = v
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            return np.stack([self._cache[t] for t in texts]).astype(np.float32)

    def of_registry(self, registry: Registry) -> np.ndarray:
        """(n_tools, dim) in registry order."""
        return self.of_texts([tool_text(s) for s in registry])
