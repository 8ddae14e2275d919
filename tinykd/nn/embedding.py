"""Embedding lookups: BERT's word + position + token type embeddings."""

from __future__ import annotations

from tinykd import backend
from tinykd.backend import xp
from tinykd.nn.dropout import Dropout
from tinykd.nn.layernorm import LayerNorm
from tinykd.nn.module import Module


class Embedding(Module):
    """A table of vectors; ``forward(ids)`` returns ``weight[ids]``."""

    def __init__(self, num_embeddings: int, width: int, init_std: float = 0.02):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.add_param("weight", backend.normal((num_embeddings, width), init_std))   # (V, C)
        self.rows_used = None                              # rows with a gradient since zero_grad (U,)

    def forward(self, ids):
        self.cache = ids                                   # (...,) ints
        return self.params["weight"][ids]                  # (..., C)

    def backward(self, dy):
        ids = self.cache
        C = dy.shape[-1]
        # forward: out[i] = weight[ids[i]]  =>  dweight[v] = sum of dy[i] over i with ids[i] == v
        used = backend.scatter_add_rows(self.grads["weight"], ids.reshape(-1), dy.reshape(-1, C))   # (U,) sorted
        # every other row's gradient is zero; a second backward before zero_grad adds its rows
        self.rows_used = used if self.rows_used is None else xp.unique(xp.concatenate([self.rows_used, used]))
        return None                                        # ids are not differentiable

    def zero_grad(self) -> None:
        # Only the rows a backward added to can be nonzero: zeroing those is zeroing the table's
        # gradient (the student's is 49,000 x 384, 75 MB, of which a batch touches ~1,300 rows).
        if self.rows_used is None:
            super().zero_grad()
        else:
            self.grads["weight"][self.rows_used] = 0
        self.rows_used = None


class BertEmbeddings(Module):
    """``LayerNorm(word[ids] + position[0..T-1] + token_type[types])``, then dropout.

    ``forward(ids)`` embeds the whole (B, T) grid, padding included, into (B, T, C);
    ``forward(ids, types, tokens)`` with the batch's :class:`~tinykd.nn.packing.RealTokens`
    embeds only its real tokens, into (N, C), each at its own position (what the encoder does).
    """

    def __init__(self, vocab_size: int, width: int, max_position: int, type_vocab_size: int = 2,
                 eps: float = 1e-12, dropout: float = 0.1):
        super().__init__()
        self.max_position = max_position
        self.word_embeddings = self.add("word_embeddings", Embedding(vocab_size, width))
        self.position_embeddings = self.add("position_embeddings", Embedding(max_position, width))
        self.token_type_embeddings = self.add("token_type_embeddings", Embedding(type_vocab_size, width))
        self.LayerNorm = self.add("LayerNorm", LayerNorm(width, eps))
        self.dropout = self.add("dropout", Dropout(dropout))

    def forward(self, input_ids, token_type_ids=None, tokens=None):
        B, T = input_ids.shape
        if T > self.max_position:
            raise ValueError(f"sequence of {T} tokens is longer than the model's {self.max_position} "
                             "positions: truncate it when tokenising")
        if token_type_ids is None:
            token_type_ids = xp.zeros((B, T), dtype=input_ids.dtype)
        if tokens is not None:                                       # the real tokens only: (N,) each
            input_ids = input_ids.reshape(-1)[tokens.index]
            token_type_ids = token_type_ids.reshape(-1)[tokens.index]
            positions = tokens.positions
        else:
            positions = xp.arange(T)                                 # (T,) the same for every sentence
        x = self.word_embeddings(input_ids)                          # (B, T, C) or (N, C)
        x += self.position_embeddings(positions)                     # (T, C) broadcast over B, or (N, C)
        x += self.token_type_embeddings(token_type_ids)              # (B, T, C) or (N, C)
        return self.dropout(self.LayerNorm(x))

    def backward(self, dy):
        dx = self.LayerNorm.backward(self.dropout.backward(dy))      # (B, T, C) or (N, C)
        self.word_embeddings.backward(dx)
        # padded grid (B, T, C): position t's row was broadcast over the B sentences, so its gradient is
        # their sum; real tokens (N, C): each token looked its position's row up itself
        self.position_embeddings.backward(dx.sum(axis=0) if dx.ndim == 3 else dx)
        self.token_type_embeddings.backward(dx)
        return None
