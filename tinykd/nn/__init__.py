"""Layers with hand-written backward passes, one idea per file.

Every layer follows the contract in :mod:`tinykd.nn.module`.
"""

from tinykd.nn.activation import GELU
from tinykd.nn.attention import MultiHeadSelfAttention, padding_bias, softmax
from tinykd.nn.block import AttentionBlock, DenseAddNorm, EncoderBlock, EncoderStack, Intermediate
from tinykd.nn.dropout import Dropout
from tinykd.nn.embedding import BertEmbeddings, Embedding
from tinykd.nn.layernorm import LayerNorm
from tinykd.nn.linear import Linear
from tinykd.nn.module import Module
from tinykd.nn.packing import RealTokens
from tinykd.nn.pooling import L2Normalize, MeanPooling

__all__ = [
    "Module", "Linear", "LayerNorm", "GELU", "Dropout", "Embedding", "BertEmbeddings",
    "MultiHeadSelfAttention", "padding_bias", "softmax", "DenseAddNorm", "Intermediate",
    "AttentionBlock", "EncoderBlock", "EncoderStack", "MeanPooling", "L2Normalize", "RealTokens",
]
