"""Inverted dropout."""

from __future__ import annotations

from tinykd import backend
from tinykd.nn.module import Module


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by
    ``1 / (1 - p)`` so the expectation is unchanged; in evaluation, the identity."""

    def __init__(self, p: float = 0.1):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            self.cache = None
            return x
        keep = backend.uniform(x.shape, dtype=x.dtype) >= self.p
        scale = (keep / (1.0 - self.p)).astype(x.dtype)     # (...,) 0 or 1/(1-p)
        self.cache = scale
        return x * scale

    def backward(self, dy):
        # forward: y = x * scale
        return dy if self.cache is None else dy * self.cache
