"""The Transformer encoder block (BERT's post-LN order) and the stack of blocks.

One block, with BERT's parameter names::

    attention.self      a = MultiHeadSelfAttention(x, mask)
    attention.output    x1 = LayerNorm(x + dropout(dense(a)))          residual + norm
    intermediate        h = gelu(dense(x1))                            (C -> 4C)
    output              y = LayerNorm(x1 + dropout(dense(h)))           (4C -> C), residual + norm

"Post-LN": the LayerNorm comes after each residual sum, as in the original
Transformer and BERT, so that a BERT checkpoint runs on it unchanged.

x is a padded batch (B, T, C) with its (B, T) mask, or only its real tokens (N, C) with a
RealTokens for the mask (tinykd.nn.packing): only the attention tells the two apart.
"""

from __future__ import annotations

from tinykd.nn.activation import GELU
from tinykd.nn.attention import MultiHeadSelfAttention
from tinykd.nn.dropout import Dropout
from tinykd.nn.layernorm import LayerNorm
from tinykd.nn.linear import Linear
from tinykd.nn.module import Module


class DenseAddNorm(Module):
    """``y = LayerNorm(residual + dropout(dense(h)))``: a sublayer's output, the
    residual connection around it, and the normalisation after the sum."""

    def __init__(self, in_width: int, width: int, eps: float = 1e-12, dropout: float = 0.1,
                 init_std: float = 0.02):
        super().__init__()
        self.dense = self.add("dense", Linear(in_width, width, init_std=init_std))
        self.dropout = self.add("dropout", Dropout(dropout))
        self.LayerNorm = self.add("LayerNorm", LayerNorm(width, eps))

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)

    def backward(self, dy):
        """Returns ``(dh, dresidual)``."""
        dsum = self.LayerNorm.backward(dy)
        # forward: sum = dropout(dense(h)) + residual: the gradient flows to both unchanged
        dh = self.dense.backward(self.dropout.backward(dsum))
        return dh, dsum


class Intermediate(Module):
    """The first half of the feed-forward block: ``gelu(dense(x))``, C -> 4C."""

    def __init__(self, width: int, ffn_width: int, init_std: float = 0.02):
        super().__init__()
        self.dense = self.add("dense", Linear(width, ffn_width, init_std=init_std))
        self.gelu = self.add("gelu", GELU())

    def forward(self, x):
        return self.gelu(self.dense(x))

    def backward(self, dy):
        return self.dense.backward(self.gelu.backward(dy))


class AttentionBlock(Module):
    """Self-attention followed by dense + residual + LayerNorm (BERT's ``attention``)."""

    def __init__(self, width: int, num_heads: int, eps: float, dropout: float, init_std: float):
        super().__init__()
        self.self_attention = self.add("self", MultiHeadSelfAttention(width, num_heads, dropout, init_std))
        self.output = self.add("output", DenseAddNorm(width, width, eps, dropout, init_std))

    def forward(self, x, attention_mask):
        return self.output(self.self_attention(x, attention_mask), x)

    def backward(self, dy):
        da, dx = self.output.backward(dy)
        dx += self.self_attention.backward(da)
        return dx


class EncoderBlock(Module):
    """One Transformer encoder layer: attention block, then feed-forward block."""

    def __init__(self, width: int, num_heads: int, ffn_width: int, eps: float = 1e-12,
                 dropout: float = 0.1, init_std: float = 0.02):
        super().__init__()
        self.attention = self.add("attention", AttentionBlock(width, num_heads, eps, dropout, init_std))
        self.intermediate = self.add("intermediate", Intermediate(width, ffn_width, init_std))
        self.output = self.add("output", DenseAddNorm(ffn_width, width, eps, dropout, init_std))

    def forward(self, x, attention_mask):
        x1 = self.attention(x, attention_mask)              # (B, T, C) or (N, C)
        h = self.intermediate(x1)                           # (B, T, 4C) or (N, 4C)
        return self.output(h, x1)                           # (B, T, C) or (N, C)

    def backward(self, dy):
        dh, dx1 = self.output.backward(dy)
        dx1 += self.intermediate.backward(dh)               # x1 fed both the FFN and the residual
        return self.attention.backward(dx1)


class EncoderStack(Module):
    """``num_layers`` encoder blocks applied in turn (BERT's ``encoder.layer.N``)."""

    def __init__(self, num_layers: int, width: int, num_heads: int, ffn_width: int,
                 eps: float = 1e-12, dropout: float = 0.1, init_std: float = 0.02):
        super().__init__()
        layers = self.add("layer", Module())
        self.blocks = [layers.add(str(i), EncoderBlock(width, num_heads, ffn_width, eps, dropout, init_std))
                       for i in range(num_layers)]

    def forward(self, x, attention_mask, keep_cache: bool = True):
        """``keep_cache=False`` (inference): each block forgets its activations once the
        next block has its input, so memory holds one block's, not num_layers' of them
        (at (64, 256) tokens a block keeps ~0.7 GB, mostly the (B, H, T, T) attention)."""
        for block in self.blocks:
            x = block(x, attention_mask)
            if not keep_cache:
                block.clear_cache()
        self.cache = keep_cache
        return x

    def backward(self, dy):
        if not self.cache:
            raise RuntimeError("EncoderStack.backward: the blocks' activations were not kept "
                               "(forward with keep_cache=False, or clear_cache() since)")
        for block in reversed(self.blocks):
            dy = block.backward(dy)
        return dy
