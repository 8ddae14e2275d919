"""Multi-head scaled dot-product self-attention with a key padding mask."""

from __future__ import annotations

import math

from tinykd import parallel
from tinykd.backend import xp
from tinykd.nn.dropout import Dropout
from tinykd.nn.linear import Linear
from tinykd.nn.module import Module
from tinykd.nn.packing import RealTokens


def padding_bias(attention_mask, dtype):
    """(B, T) mask of 1 (token) / 0 (padding)  ->  (B, 1, 1, T) additive bias.

    0 where a key may be attended to, the most negative float where it is
    padding: after the softmax those keys get exactly zero weight.
    """
    neg = xp.finfo(dtype).min
    bias = xp.where(attention_mask > 0, 0.0, neg).astype(dtype)   # (B, T)
    return bias[:, None, None, :]                                 # (B, 1, 1, T)


def softmax(scores):
    """Softmax over the last axis, shifted by the row maximum for stability."""
    p = scores - scores.max(axis=-1, keepdims=True)
    xp.exp(p, out=p)
    p /= p.sum(axis=-1, keepdims=True)
    return p


class MultiHeadSelfAttention(Module):
    """``softmax(Q K^T / sqrt(d_k) + mask) V`` for H heads at once.

    The width C is split into H heads of d_k = C / H. All heads and all
    sentences of the batch go through one batched matmul each: no Python loop.
    Names follow BERT: ``query``, ``key``, ``value``.

    ``forward(x, mask)`` takes a padded batch, x (B, T, C) with its (B, T) mask, or only its
    real tokens, x (N, C) with a :class:`~tinykd.nn.packing.RealTokens` for the mask (what
    the encoder passes): then the three products run on the N tokens, and q, k and v are put
    into the (B, T) grid for the scores, the context taken out of it again.
    """

    def __init__(self, width: int, num_heads: int, dropout: float = 0.1, init_std: float = 0.02):
        super().__init__()
        if width % num_heads:
            raise ValueError(f"width {width} is not divisible by {num_heads} heads")
        self.num_heads, self.head_dim = num_heads, width // num_heads
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.query = self.add("query", Linear(width, width, init_std=init_std))
        self.key = self.add("key", Linear(width, width, init_std=init_std))
        self.value = self.add("value", Linear(width, width, init_std=init_std))
        self.dropout = self.add("dropout", Dropout(dropout))   # on the attention weights, as BERT

    @property
    def attention_weights(self):
        """The softmax weights of the last forward pass, (B, H, T, T)."""
        return self.cache[3]

    def _split_heads(self, x):
        B, T, C = x.shape
        return x.reshape(B, T, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)   # (B, H, T, D)

    def _merge_heads(self, x):
        B, H, T, D = x.shape
        return x.transpose(0, 2, 1, 3).reshape(B, T, H * D)                           # (B, T, C)

    def forward(self, x, attention_mask):
        """x: (B, T, C) and attention_mask: (B, T), 1 for tokens, 0 for padding; or
        x: (N, C), the real tokens only, and attention_mask: their RealTokens."""
        tokens = attention_mask if isinstance(attention_mask, RealTokens) else None
        to_grid = tokens.scatter if tokens else (lambda a: a)    # (N, C) -> (B, T, C), zero padding
        q = self._split_heads(to_grid(self.query(x)))             # (B, H, T, D)
        k = self._split_heads(to_grid(self.key(x)))               # (B, H, T, D)
        v = self._split_heads(to_grid(self.value(x)))             # (B, H, T, D)
        mask = tokens.mask if tokens else attention_mask          # (B, T)
        bias = padding_bias(mask, x.dtype)                        # (B, 1, 1, T) padded keys -> -inf-ish
        B, H, T, D = q.shape
        weights = xp.empty((B, H, T, T), dtype=x.dtype)
        sentences = parallel.rows_per_block(H * T * T)            # a block: a few sentences' scores

        # Sentences never look at each other: blocks of them go to all cores (tinykd.parallel),
        # each through its small matmuls and softmax while it is in cache.
        def attend(s):
            scores = q[s] @ k[s].transpose(0, 1, 3, 2)            # (b, H, T, T)
            scores *= self.scale
            scores += bias[s]
            weights[s] = softmax(scores)                          # rows sum to 1

        parallel.for_blocks(B, sentences, attend)
        dropped = self.dropout(weights)                           # (B, H, T, T)
        context = xp.empty((B, T, H, D), dtype=x.dtype)           # heads already merged: (B, T, C)

        def mix(s):
            context[s] = (dropped[s] @ v[s]).transpose(0, 2, 1, 3)   # (b, H, T, D) -> (b, T, H, D)

        parallel.for_blocks(B, sentences, mix)
        self.cache = (q, k, v, weights, dropped, tokens)
        context = context.reshape(B, T, H * D)                    # (B, T, C)
        return tokens.gather(context) if tokens else context     # (N, C) or (B, T, C)

    def backward(self, dy):
        q, k, v, weights, dropped, tokens = self.cache
        # forward (real tokens only): out = gather(context)  =>  dcontext = scatter(dy), zero at the padding
        dcontext = self._split_heads(tokens.scatter(dy) if tokens else dy)   # (B, H, T, D)
        B, H, T, D = q.shape
        ddropped = xp.empty_like(weights)                         # (B, H, T, T)
        sentences = parallel.rows_per_block(H * T * T)
        dq, dk, dv = (xp.empty((B, T, H, D), dtype=dy.dtype) for _ in range(3))   # merged: (B, T, C)

        def through_mix(s):
            # forward: context = dropped @ v
            ddropped[s] = dcontext[s] @ v[s].transpose(0, 1, 3, 2)                  # (b, H, T, T)
            dv[s] = (dropped[s].transpose(0, 1, 3, 2) @ dcontext[s]).transpose(0, 2, 1, 3)

        parallel.for_blocks(B, sentences, through_mix)
        # forward: dropped = dropout(weights)
        dweights = self.dropout.backward(ddropped)

        def through_softmax(s):
            # forward: weights = softmax(scores), row by row. Its Jacobian is
            #   diag(w) - w w^T, so dscores = w * (dweights - sum(dweights * w)).
            w = weights[s]
            dscores = dweights[s] - (dweights[s] * w).sum(axis=-1, keepdims=True)
            dscores *= w
            # forward: scores = (q @ k^T) * scale + bias   (the bias is a constant)
            dscores *= self.scale
            dq[s] = (dscores @ k[s]).transpose(0, 2, 1, 3)                          # (b, T, H, D)
            dk[s] = (dscores.transpose(0, 1, 3, 2) @ q[s]).transpose(0, 2, 1, 3)

        parallel.for_blocks(B, sentences, through_softmax)
        # forward (real tokens only): q = scatter(query(x)), ...  =>  dquery = gather(dq), ...
        from_grid = tokens.gather if tokens else (lambda a: a)   # (B, T, C) -> (N, C)
        # forward: q, k, v = query(x), key(x), value(x): x feeds all three
        dx = self.query.backward(from_grid(dq.reshape(B, T, H * D)))
        dx += self.key.backward(from_grid(dk.reshape(B, T, H * D)))
        dx += self.value.backward(from_grid(dv.reshape(B, T, H * D)))
        return dx                                                 # (N, C) or (B, T, C)
