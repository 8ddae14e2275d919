"""Multi-head scaled dot-product self-attention with a key padding mask."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from tinykd import backend, parallel
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


def softmax(scores, out=None):
    """Softmax over the last axis, shifted by the row maximum for stability; into ``out``
    (``scores`` itself for in place) or a new array."""
    p = xp.subtract(scores, scores.max(axis=-1, keepdims=True), out=out)
    xp.exp(p, out=p)
    p /= p.sum(axis=-1, keepdims=True)
    return p


class Block(NamedTuple):
    """Sentences ``rows`` of the length-sorted grid with their first ``queries`` query rows and
    first ``keys`` keys: their (b, H, queries, keys) scores start at ``offset`` of a flat buffer."""
    rows: slice
    queries: int
    keys: int
    offset: int

    @property
    def sentences(self) -> int:
        return self.rows.stop - self.rows.start


class LengthBlocks:
    """How one attention pass cuts its work: the sentences sorted by length, longest first, in
    blocks of about :data:`tinykd.parallel.BLOCK` scores, each block as short as its longest.

    A batch is padded to its longest sentence T, but a sentence needs only its own keys: a key of
    padding gets weight 0, and a query of padding is never read when only the real tokens go on
    (``RealTokens``). Sorted, a block's sentences are about as long as each other, so its scores
    are (L, L) with L its longest, not (T, T): 60% of the work in the default run's batches. On
    the padded grid (no RealTokens) every query row is kept and only the keys are cut::

        lengths 5 2 4 3   ->   sorted 5 4 3 2   ->   blocks [5 4] of 5 x 5,  [3 2] of 3 x 3

    On a GPU all sentences make one block (one launch per pass).
    """

    def __init__(self, mask, num_heads: int, dtype, tokens: RealTokens | None = None):
        self.batch, self.length = mask.shape                                     # B, T
        self.num_heads, self.tokens = num_heads, tokens
        lengths = backend.to_numpy(mask.sum(axis=1)).astype(np.int64)           # (B,)
        self.order = np.argsort(-lengths, kind="stable")                         # (B,) longest first
        sorted_lengths = lengths[self.order]
        budget = math.inf if backend.is_cupy() else parallel.BLOCK
        self.blocks, start, offset = [], 0, 0
        while start < self.batch:
            keys = int(sorted_lengths[start]) or self.length      # a sentence of no tokens: every key
            queries = keys if tokens is not None else self.length
            per = max(1, int(min(self.batch, budget // (num_heads * queries * keys))))
            block = Block(slice(start, min(start + per, self.batch)), queries, keys, offset)
            self.blocks.append(block)
            start, offset = block.rows.stop, offset + block.sentences * num_heads * queries * keys
        self.total = offset                                       # scores in all blocks together
        self.padded = sorted_lengths < self.length                # (B,) sorted: has padding to mask
        order = backend.asarray(self.order)
        self.bias = padding_bias(mask[order], dtype)              # (B, 1, 1, T) sorted
        if tokens is not None:                                    # each real token's row of the sorted grid
            rank = xp.empty(self.batch, dtype=tokens.index.dtype)
            rank[order] = xp.arange(self.batch, dtype=rank.dtype)
            self.index = rank[tokens.index // self.length] * self.length + tokens.positions     # (N,)

    def to_grid(self, a):
        """The real tokens (N, C) or the padded batch (B, T, C) -> a new (B, T, C), the sentences
        in sorted order (zero where real tokens leave padding)."""
        if self.tokens is None:
            return a[backend.asarray(self.order)]
        grid = xp.zeros((self.batch * self.length, a.shape[-1]), dtype=a.dtype)
        grid[self.index] = a
        return grid.reshape(self.batch, self.length, a.shape[-1])

    def from_grid(self, grid):
        """The inverse of :meth:`to_grid`, and its backward (each is the other's): a sorted
        (B, T, C) -> the real tokens (N, C) or the batch's (B, T, C) in its own order."""
        if self.tokens is not None:
            return grid.reshape(self.batch * self.length, grid.shape[-1])[self.index]
        out = xp.empty_like(grid)
        out[backend.asarray(self.order)] = grid
        return out

    def scores(self, flat, block: Block):
        """``block``'s (b, H, queries, keys) part of a flat buffer of :attr:`total` scores (a view)."""
        shape = (block.sentences, self.num_heads, block.queries, block.keys)
        return flat[block.offset:block.offset + math.prod(shape)].reshape(shape)

    def for_blocks(self, work) -> None:
        """``work(block)`` for every block, spread over all cores (tinykd.parallel)."""
        parallel.for_blocks(len(self.blocks), 1, lambda s: [work(block) for block in self.blocks[s]])


class MultiHeadSelfAttention(Module):
    """``softmax(Q K^T / sqrt(d_k) + mask) V`` for H heads at once.

    The width C is split into H heads of d_k = C / H. All heads of a block of sentences go
    through one batched matmul each (no Python loop over heads or sentences), the blocks on all
    cores, each through its matmuls and softmax while it is in cache (:class:`LengthBlocks`).
    Names follow BERT: ``query``, ``key``, ``value``.

    ``forward(x, mask)`` takes a padded batch, x (B, T, C) with its (B, T) mask, or only its
    real tokens, x (N, C) with a :class:`~tinykd.nn.packing.RealTokens` for the mask (what
    the encoder passes): then the three products run on the N tokens, and q, k and v are put
    into a (B, T) grid for the scores, the context taken out of it again.
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
        """The softmax weights of the last forward pass, (B, H, T, T) in the batch's order (rows
        of padded queries, which only the padded grid computes, are 0 with RealTokens)."""
        plan, weights = self.cache[0], self.cache[4]
        full = xp.zeros((plan.batch, self.num_heads, plan.length, plan.length), dtype=weights.dtype)
        for block in plan.blocks:
            rows = backend.asarray(plan.order[block.rows])
            full[rows, :, :block.queries, :block.keys] = plan.scores(weights, block)
        return full

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
        mask = tokens.mask if tokens else attention_mask                           # (B, T)
        plan = LengthBlocks(mask, self.num_heads, x.dtype, tokens)
        q = self.query(x)
        q *= self.scale                                           # q / sqrt(d_k): scale the (N, C), not the scores
        # (B, H, T, D) each, the sentences in sorted order
        q, k, v = (self._split_heads(plan.to_grid(a)) for a in (q, self.key(x), self.value(x)))
        B, H, T, D = q.shape
        weights = xp.empty(plan.total, dtype=x.dtype)             # every block's (b, H, queries, keys)

        def attend(block):
            s, nq, nk = block.rows, block.queries, block.keys
            scores = plan.scores(weights, block)                  # (b, H, nq, nk)
            xp.matmul(q[s, :, :nq], k[s, :, :nk].transpose(0, 1, 3, 2), out=scores)
            if plan.padded[s].any():                              # padded keys -> -inf-ish
                scores += plan.bias[s, :, :, :nk]
            softmax(scores, out=scores)                           # rows sum to 1

        plan.for_blocks(attend)
        dropped = self.dropout(weights)                           # the same flat layout
        # heads merged: (B, T, C); a block writes its first `queries` rows, which hold every row from_grid
        # reads (every row on the padded grid, whose queries are all T)
        context = xp.empty((B, T, H, D), dtype=x.dtype)

        def mix(block):
            s, nq, nk = block.rows, block.queries, block.keys
            context[s, :nq] = (plan.scores(dropped, block) @ v[s, :, :nk]).transpose(0, 2, 1, 3)

        plan.for_blocks(mix)
        self.cache = (plan, q, k, v, weights, dropped)
        return plan.from_grid(context.reshape(B, T, H * D))     # (N, C) or (B, T, C)

    def backward(self, dy):
        plan, q, k, v, weights, dropped = self.cache
        # forward: out = from_grid(context)  =>  dcontext = to_grid(dy)
        dcontext = self._split_heads(plan.to_grid(dy))           # (B, H, T, D) sorted
        B, H, T, D = q.shape
        ddropped = xp.empty_like(weights)
        # merged: (B, T, C). dq as context above; the keys past a block's longest are padding, whose
        # gradient is 0 (the padded grid returns those rows too)
        dq = xp.empty((B, T, H, D), dtype=dy.dtype)
        dk, dv = (xp.zeros((B, T, H, D), dtype=dy.dtype) for _ in range(2))

        def through_mix(block):
            s, nq, nk = block.rows, block.queries, block.keys
            # forward: context = dropped @ v
            xp.matmul(dcontext[s, :, :nq], v[s, :, :nk].transpose(0, 1, 3, 2), out=plan.scores(ddropped, block))
            dv[s, :nk] = (plan.scores(dropped, block).transpose(0, 1, 3, 2) @ dcontext[s, :, :nq]).transpose(0, 2, 1, 3)

        plan.for_blocks(through_mix)
        # forward: dropped = dropout(weights)
        dweights = self.dropout.backward(ddropped)

        def through_softmax(block):
            s, nq, nk = block.rows, block.queries, block.keys
            # forward: weights = softmax(scores), row by row. Its Jacobian is
            #   diag(w) - w w^T, so dscores = w * (dweights - sum(dweights * w)).
            w, dscores = plan.scores(weights, block), plan.scores(dweights, block)   # (b, H, nq, nk)
            dscores -= (dscores * w).sum(axis=-1, keepdims=True)  # in place: dweights is ours
            dscores *= w
            # forward: scores = q_scaled @ k^T + bias   (the bias is a constant)
            dq[s, :nq] = (dscores @ k[s, :, :nk]).transpose(0, 2, 1, 3)                       # (b, nq, H, D)
            dk[s, :nk] = (dscores.transpose(0, 1, 3, 2) @ q[s, :, :nq]).transpose(0, 2, 1, 3)

        plan.for_blocks(through_softmax)
        # forward: q, k, v = to_grid(query(x) * scale), to_grid(key(x)), to_grid(value(x)): x feeds all three
        dquery = plan.from_grid(dq.reshape(B, T, H * D))
        dquery *= self.scale
        dx = self.query.backward(dquery)
        dx += self.key.backward(plan.from_grid(dk.reshape(B, T, H * D)))
        dx += self.value.backward(plan.from_grid(dv.reshape(B, T, H * D)))
        return dx                                                 # (N, C) or (B, T, C)
