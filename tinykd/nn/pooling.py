"""From token vectors to one sentence vector: masked mean pooling and L2 normalisation."""

from __future__ import annotations

import numpy as np

from tinykd.backend import to_numpy, xp
from tinykd.nn.module import Module
from tinykd.nn.packing import RealTokens


class MeanPooling(Module):
    """Average of the token vectors of each sentence, padding excluded.

    ``pooled[b] = sum_t mask[b, t] * h[b, t] / sum_t mask[b, t]``, as
    sentence-transformers' mean pooling (counts clamped at 1e-9). ``h`` is the padded
    (B, T, C) with its (B, T) mask, or the real tokens (N, C) with their RealTokens, in
    which each sentence's tokens are consecutive rows: their sum needs no grid.
    """

    def forward(self, h, attention_mask):
        if isinstance(attention_mask, RealTokens):
            return self._forward_real_tokens(h, attention_mask)
        m = attention_mask.astype(h.dtype)[:, :, None]                  # (B, T, 1)
        count = xp.maximum(m.sum(axis=1), 1e-9)                         # (B, 1)
        self.cache = (m, count, None)
        return (h * m).sum(axis=1) / count                              # (B, C)

    def _forward_real_tokens(self, h, tokens: RealTokens):
        lengths = to_numpy((tokens.mask > 0).sum(axis=1))              # (B,) on the host
        starts = np.cumsum(lengths) - lengths                           # sentence b: rows starts[b]:+lengths[b]
        total = xp.empty((tokens.batch, h.shape[1]), dtype=h.dtype)     # (B, C)
        for b, (start, length) in enumerate(zip(starts.tolist(), lengths.tolist())):
            h[start:start + length].sum(axis=0, out=total[b])          # an empty sentence sums to 0
        count = xp.maximum(xp.asarray(lengths, dtype=h.dtype), 1e-9)[:, None]   # (B, 1)
        self.cache = (None, count, tokens)
        return total / count                                            # (B, C)

    def backward(self, dy):
        m, count, tokens = self.cache
        # forward: pooled = sum_t(m * h) / count  =>  dh[b, t] = m[b, t] * dy[b] / count[b]
        if tokens:                                                      # each real token: its sentence's row
            return (dy / count)[tokens.index // tokens.length]          # (N, C)
        return (dy / count)[:, None, :] * m                             # (B, T, C)


class L2Normalize(Module):
    """``y = x / max(||x||, eps)``: every sentence vector gets unit length."""

    def __init__(self, eps: float = 1e-12):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        norm = xp.maximum(xp.sqrt((x * x).sum(axis=-1, keepdims=True)), self.eps)   # (B, 1)
        y = x / norm
        self.cache = (y, norm)
        return y

    def backward(self, dy):
        y, norm = self.cache
        # forward: y = x / |x|. Its Jacobian is (I - y y^T) / |x|: only the part of
        # dy orthogonal to y survives, since moving x along y leaves y unchanged.
        return (dy - y * (dy * y).sum(axis=-1, keepdims=True)) / norm
