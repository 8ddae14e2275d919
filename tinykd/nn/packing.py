"""A batch's real tokens without its padding: what the encoder carries from layer to layer.

A batch of sentences is padded to its longest, a (B, T) grid whose mask is 1 for a token and
0 for padding. In a training batch of the default run a quarter of the grid is padding. Every
layer inside the encoder but attention acts on each token alone (the products, LayerNorm, GELU,
dropout, the residual sums), so the encoder hands them only the N real tokens, an (N, C) array,
and their work falls by that quarter. Attention is where tokens meet: it puts its queries, keys
and values back into a grid, the sentences sorted by length, for each sentence's scores and takes
the real tokens out again (``MultiHeadSelfAttention``, ``LengthBlocks``). Mean pooling (a sentence's
tokens averaged) and the position embeddings (each token's place in its sentence) read the grid's
layout from here too.

    mask (B, T)          1 1 1 0        grid rows, flattened: b * T + t
                         1 1 0 0
    index (N,)           0 1 2 4 5      where the real tokens sit in the flattened grid
    positions (N,)       0 1 2 0 1      t: each token's place in its sentence

The real tokens' vectors are exactly the padded computation's: a padded key gets zero
attention weight, so padding never reaches a real token (tests/test_gradcheck.py compares both).
"""

from __future__ import annotations

from tinykd.backend import xp


class RealTokens:
    """The layout of a padded batch's real tokens: ``gather`` takes them out of the (B, T, ...) grid
    in row order, ``scatter`` puts them back (zeros where the padding was)."""

    def __init__(self, attention_mask):
        self.mask = attention_mask                               # (B, T), 1 token / 0 padding
        self.batch, self.length = attention_mask.shape           # B, T
        self.index = xp.flatnonzero(attention_mask.reshape(-1) > 0)   # (N,) rows of the flattened grid
        self.positions = self.index % self.length                # (N,) t of each token

    @property
    def count(self) -> int:
        """N, the number of real tokens."""
        return int(self.index.shape[0])

    def gather(self, grid):
        """(B, T, ...) -> (N, ...): the real tokens' rows, in row order."""
        return grid.reshape(self.batch * self.length, *grid.shape[2:])[self.index]

    def scatter(self, tokens):
        """(N, ...) -> (B, T, ...): the real tokens in their places, zeros at the padding.

        The backward of :meth:`gather` (and ``gather`` that of ``scatter``): each grid cell
        receives the one token row it came from, or nothing."""
        grid = xp.zeros((self.batch * self.length, *tokens.shape[1:]), dtype=tokens.dtype)
        grid[self.index] = tokens
        return grid.reshape(self.batch, self.length, *tokens.shape[1:])
