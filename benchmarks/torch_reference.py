"""tinykd's encoder, loss and optimiser step written in PyTorch: the reference to check and time against.

Never imported by the package (tinykd does not depend on torch). Used by
``tests/test_torch_reference.py`` (every gradient of tinykd against autograd,
the llm.c-style check) and by the benchmarks in this folder.

The architecture is the one of :class:`tinykd.model.Encoder`::

    embeddings   LayerNorm(word[ids] + position[0..T-1] + token_type[types]), dropout
    encoder      num_layers x BERT post-LN block:
                   a  = softmax(Q K^T / sqrt(d) + padding bias) V        (dropout on the weights)
                   x1 = LayerNorm(x + dropout(dense(a)))
                   y  = LayerNorm(x1 + dropout(dense(gelu_exact(dense(x1)))))
    pooling      masked mean over real tokens (count clamped at 1e-9)
    projection   optional Linear C -> output_size
    normalize    optional y / max(|y|, 1e-12)

Parameter names are exactly ``Encoder.parameters()``'s, so weights copy one to
one in both directions: :func:`load_from_tinykd` and :func:`copy_to_tinykd`.

    from benchmarks.torch_reference import TorchEncoder, distillation_loss, make_adamw
    ref = TorchEncoder.from_tinykd(encoder)          # same config, same weights
    loss = distillation_loss(ref(ids, mask), teacher)
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embeddings = nn.Embedding(c.max_position, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, input_ids, token_type_ids):
        T = input_ids.shape[1]
        positions = torch.arange(T, device=input_ids.device)
        x = (self.word_embeddings(input_ids) + self.position_embeddings(positions)[None]
             + self.token_type_embeddings(token_type_ids))                                  # (B, T, C)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.num_heads, self.head_dim = c.num_heads, c.hidden_size // c.num_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout = nn.Dropout(c.dropout)

    def forward(self, x, bias):
        B, T, C = x.shape
        def split(t):
            return t.view(B, T, self.num_heads, self.head_dim).transpose(1, 2)     # (B, H, T, D)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim)) + bias       # (B, H, T, T)
        weights = self.dropout(torch.softmax(scores, dim=-1))
        return (weights @ v).transpose(1, 2).reshape(B, T, C)                               # (B, T, C)


class DenseAddNorm(nn.Module):
    def __init__(self, in_width, width, c):
        super().__init__()
        self.dense = nn.Linear(in_width, width)
        self.dropout = nn.Dropout(c.dropout)
        self.LayerNorm = nn.LayerNorm(width, eps=c.layer_norm_eps)

    def forward(self, h, residual):
        return self.LayerNorm(self.dropout(self.dense(h)) + residual)


class AttentionBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        # "self" as in BERT's checkpoint names: attention.self.query.weight
        self.self = SelfAttention(c)
        self.output = DenseAddNorm(c.hidden_size, c.hidden_size, c)

    def forward(self, x, bias):
        return self.output(self.self(x, bias), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x):
        return F.gelu(self.dense(x))                     # exact erf GELU (approximate="none")


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = AttentionBlock(c)
        self.intermediate = Intermediate(c)
        self.output = DenseAddNorm(c.intermediate_size, c.hidden_size, c)

    def forward(self, x, bias):
        x1 = self.attention(x, bias)
        return self.output(self.intermediate(x1), x1)


class Stack(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Block(c) for _ in range(c.num_layers)])

    def forward(self, x, bias):
        for block in self.layer:
            x = block(x, bias)
        return x


class TorchEncoder(nn.Module):
    """The PyTorch twin of ``tinykd.model.Encoder`` (takes the same ``EncoderConfig``)."""

    def __init__(self, config):
        super().__init__()
        self.config = c = config
        self.embeddings = Embeddings(c)
        self.encoder = Stack(c)
        self.projection = nn.Linear(c.hidden_size, c.output_size) if c.output_size else None

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        """input_ids, attention_mask: (B, T) int tensors -> sentence vectors (B, D)."""
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.embeddings(input_ids, token_type_ids)                                      # (B, T, C)
        # key padding mask as an additive bias: 0 for tokens, the most negative float for padding
        neg = torch.finfo(x.dtype).min
        bias = torch.zeros(attention_mask.shape, dtype=x.dtype).masked_fill(attention_mask == 0, neg)
        bias = bias[:, None, None, :]                                                       # (B, 1, 1, T)
        x = self.encoder(x, bias)
        m = attention_mask.to(x.dtype)[:, :, None]                                          # (B, T, 1)
        y = (x * m).sum(dim=1) / m.sum(dim=1).clamp_min(1e-9)                               # (B, C)
        if self.projection is not None:
            y = self.projection(y)
        if self.config.normalize:
            y = y / y.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        return y

    # -- weights from/to tinykd ----------------------------------------------------------
    @classmethod
    def from_tinykd(cls, encoder, dtype=torch.float32) -> TorchEncoder:
        """A reference with ``encoder``'s config and weights (dropout as in the config)."""
        ref = cls(encoder.config).to(dtype)
        load_from_tinykd(ref, encoder)
        return ref


def _to_numpy(a) -> np.ndarray:
    get = getattr(a, "get", None)          # a CuPy array
    return get() if get is not None else np.asarray(a)


def load_from_tinykd(ref: TorchEncoder, encoder) -> None:
    """Copy every tinykd parameter into the reference, by name; names must match one to one."""
    ours = encoder.parameters()
    theirs = dict(ref.named_parameters())
    if set(ours) != set(theirs):
        raise KeyError(f"names differ: only tinykd {sorted(set(ours) - set(theirs))}, "
                       f"only torch {sorted(set(theirs) - set(ours))}")
    with torch.no_grad():
        for name, p in theirs.items():
            value = torch.from_numpy(np.ascontiguousarray(_to_numpy(ours[name])))
            if value.shape != p.shape:
                raise ValueError(f"{name}: tinykd {tuple(value.shape)} vs torch {tuple(p.shape)}")
            p.copy_(value.to(p.dtype))


def copy_to_tinykd(ref: TorchEncoder, encoder) -> None:
    """The other direction: the reference's weights into a tinykd encoder."""
    encoder.load_state_dict({k: v.detach().cpu().numpy() for k, v in ref.named_parameters()})


# ---------------------------------------------------------------------------
# the loss and the optimiser, as tinykd.loss and tinykd.optim define them
# ---------------------------------------------------------------------------

def distillation_loss(student: torch.Tensor, teacher_english: torch.Tensor) -> torch.Tensor:
    """``L = MSE(S(en), T) + MSE(S(xx), T)``; student (2B, D) = [English rows; translation rows]."""
    B = teacher_english.shape[0]
    return F.mse_loss(student[:B], teacher_english) + F.mse_loss(student[B:], teacher_english)


def no_decay(name: str) -> bool:
    """tinykd.optim.no_decay: biases and LayerNorm parameters are not weight-decayed."""
    return name.endswith("bias") or "LayerNorm" in name


def make_adamw(ref: TorchEncoder, lr: float = 1e-4, weight_decay: float = 0.01, eps: float = 1e-6,
               betas=(0.9, 0.999), **kwargs) -> torch.optim.AdamW:
    """torch's AdamW with tinykd's settings: no decay on biases and LayerNorm, eps 1e-6.

    ``kwargs`` go to torch.optim.AdamW (e.g. ``foreach=True`` or ``fused=True``).
    """
    named = list(ref.named_parameters())
    groups = [{"params": [p for n, p in named if not no_decay(n)], "weight_decay": weight_decay},
              {"params": [p for n, p in named if no_decay(n)], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, **kwargs)


def train_step(ref: TorchEncoder, optimizer, input_ids, attention_mask, teacher_english,
               lr: float | None = None, clip: float = 1.0) -> float:
    """One step of tinykd.train's loop in PyTorch: forward, loss, backward, clip, AdamW. Returns the loss."""
    ref.train()
    vectors = ref(input_ids, attention_mask)
    loss = distillation_loss(vectors, teacher_english)
    optimizer.zero_grad(set_to_none=False)          # tinykd zero-fills its gradients too
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(ref.parameters(), clip)
    if lr is not None:
        for group in optimizer.param_groups:
            group["lr"] = lr
    optimizer.step()
    return float(loss.detach())
