"""The encoder's forward pass for encoding only: no backward caches, passes fused, thread-safe.

``Encoder.forward`` (tinykd.model) is written for training: every layer keeps what its
backward needs. Encoding needs none of it, so this module runs the same computation as
plain functions over the model's parameters::

    x = LayerNorm(word[ids] + position[:T] + token_type[0])          (B, T, C)
    per block:
        q | k | v = x W_qkv^T + b_qkv        one product for the three (N, 3C), N = B T
        a = softmax(q k^T / sqrt(d) + padding bias) v                  (B, H, T, d)
        x1 = LayerNorm(x + a W_o^T + b_o)
        x = LayerNorm(x1 + gelu(x1 W_1^T + b_1) W_2^T + b_2)
    mean over real tokens, projection, L2 normalisation (where the model has them)

Nothing is written outside the arrays of one call, so several threads may run
:class:`InferenceWeights` on different batches at once (tinykd.inference does, with
BLAS held to one thread each). The weights are read once, when it is built: build it
again after the parameters change (the trainer's evaluations build one per evaluation).
The vectors equal the module path's to float32 rounding (tests/test_inference.py).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from tinykd import backend
from tinykd.backend import xp
from tinykd.model import Encoder
from tinykd.nn.activation import normal_cdf
from tinykd.nn.attention import padding_bias, softmax
from tinykd.nn.layernorm import standardize

GELU_BLOCK = 32768          # elements of the GELU's activation taken at a time (128 KiB of float32)


class Block(NamedTuple):
    """One encoder block's parameters, with query, key and value stacked into one product."""

    qkv_weight: object          # (3C, C)
    qkv_bias: object            # (3C,)
    out_weight: object          # (C, C)   attention.output.dense
    out_bias: object
    norm1: tuple                # (weight, bias) of attention.output.LayerNorm, (C,) each
    ffn_in_weight: object       # (I, C)   intermediate.dense
    ffn_in_bias: object
    ffn_out_weight: object      # (C, I)   output.dense
    ffn_out_bias: object
    norm2: tuple                # (weight, bias) of output.LayerNorm


def layer_norm(x, weight, bias, eps: float):
    """LayerNorm over the last axis, in place of ``x`` (N, C), as tinykd.nn.LayerNorm computes it."""
    standardize(x, eps, out=x)                                        # xhat
    x *= weight
    x += bias
    return x


def gelu(x):
    """``x * Phi(x)``, the exact erf form (tinykd.nn.GELU), in place of ``x`` (N, I), a block of
    rows at a time: each block goes through its ~30 passes while it is in the core's cache."""
    rows = len(x) if backend.is_cupy() else max(1, GELU_BLOCK // x.shape[-1])
    cdf = xp.empty((min(rows, len(x)), x.shape[-1]), dtype=x.dtype)
    for start in range(0, len(x), rows):
        block = x[start:start + rows]                                 # (rows, I), a view
        block *= normal_cdf(block, out=cdf[:len(block)])              # x * Phi(x)
    return x


class InferenceWeights:
    """An :class:`~tinykd.model.Encoder`'s parameters arranged for encoding;
    ``weights(input_ids, attention_mask) -> (B, D)``, the vectors ``Encoder.forward`` gives."""

    def __init__(self, model: Encoder):
        c = model.config
        self.config = c
        self.eps = c.layer_norm_eps
        self.num_heads, self.head_dim = c.num_heads, c.hidden_size // c.num_heads
        p = model.parameters()                     # dotted name -> the array itself (no copy)
        self.word = p["embeddings.word_embeddings.weight"]                # (V, C)
        self.position = p["embeddings.position_embeddings.weight"]        # (max_position, C)
        self.token_type = p["embeddings.token_type_embeddings.weight"][0]  # (C,) every token is type 0
        self.embedding_norm = (p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"])
        self.blocks = []
        for i in range(c.num_layers):
            b = f"encoder.layer.{i}."
            attention = b + "attention.self."
            self.blocks.append(Block(
                qkv_weight=xp.concatenate([p[attention + n + ".weight"] for n in ("query", "key", "value")]),
                qkv_bias=xp.concatenate([p[attention + n + ".bias"] for n in ("query", "key", "value")]),
                out_weight=p[b + "attention.output.dense.weight"], out_bias=p[b + "attention.output.dense.bias"],
                norm1=(p[b + "attention.output.LayerNorm.weight"], p[b + "attention.output.LayerNorm.bias"]),
                ffn_in_weight=p[b + "intermediate.dense.weight"], ffn_in_bias=p[b + "intermediate.dense.bias"],
                ffn_out_weight=p[b + "output.dense.weight"], ffn_out_bias=p[b + "output.dense.bias"],
                norm2=(p[b + "output.LayerNorm.weight"], p[b + "output.LayerNorm.bias"])))
        self.projection = ((p["projection.weight"], p.get("projection.bias"))
                           if model.projection is not None else None)
        self.normalize = model.normalize is not None

    def __call__(self, input_ids, attention_mask):
        """input_ids, attention_mask: (B, T) integer arrays -> sentence vectors (B, D)."""
        B, T = input_ids.shape
        if T > len(self.position):
            raise ValueError(f"sequence of {T} tokens is longer than the model's {len(self.position)} "
                             "positions: truncate it when tokenising")
        C = self.config.hidden_size
        x = self.word[input_ids]                                      # (B, T, C), a new array
        x += self.position[:T]
        x += self.token_type
        x = layer_norm(x.reshape(B * T, C), *self.embedding_norm, self.eps)   # (N, C)
        bias = padding_bias(attention_mask, x.dtype)                  # (B, 1, 1, T)
        for block in self.blocks:
            x = self._block(block, x, bias, B, T)
        h = x.reshape(B, T, C)
        m = attention_mask.astype(h.dtype)[:, :, None]                # (B, T, 1)
        y = (h * m).sum(axis=1) / xp.maximum(m.sum(axis=1), 1e-9)     # (B, C) mean over real tokens
        if self.projection is not None:
            weight, bias_ = self.projection
            y = y @ weight.T                                          # (B, D)
            if bias_ is not None:
                y += bias_
        if self.normalize:
            y /= xp.maximum(xp.sqrt((y * y).sum(axis=-1, keepdims=True)), 1e-12)
        return y

    def _block(self, w: Block, x, bias, B: int, T: int):
        """One encoder block: x (N, C) -> (N, C), N = B T."""
        H, d = self.num_heads, self.head_dim
        C = H * d
        qkv = x @ w.qkv_weight.T                                      # (N, 3C)
        qkv += w.qkv_bias
        qkv = qkv.reshape(B, T, 3, H, d)
        q = qkv[:, :, 0].transpose(0, 2, 1, 3)                        # (B, H, T, d)
        k = qkv[:, :, 1].transpose(0, 2, 1, 3)
        v = qkv[:, :, 2].transpose(0, 2, 1, 3)
        scores = q @ k.transpose(0, 1, 3, 2)                          # (B, H, T, T)
        scores *= 1.0 / math.sqrt(d)
        scores += bias                                                # padded keys -> -inf-ish
        context = softmax(scores) @ v                                 # (B, H, T, d)
        context = context.transpose(0, 2, 1, 3).reshape(B * T, C)     # (N, C) heads merged
        a = context @ w.out_weight.T                                  # (N, C)
        a += w.out_bias
        a += x                                                        # residual
        x1 = layer_norm(a, *w.norm1, self.eps)
        h = x1 @ w.ffn_in_weight.T                                    # (N, I)
        h += w.ffn_in_bias
        h = gelu(h)
        y = h @ w.ffn_out_weight.T                                    # (N, C)
        y += w.ffn_out_bias
        y += x1                                                       # residual
        return layer_norm(y, *w.norm2, self.eps)
