"""Linear layer: y = x W^T + b."""

from __future__ import annotations

import math

from tinykd import backend, parallel
from tinykd.backend import xp
from tinykd.nn.module import Module


class Linear(Module):
    """A fully connected layer, ``y = x @ W.T + b``.

    The weight is stored ``(out_features, in_features)`` as in PyTorch and BERT
    checkpoints. Inputs of any leading shape are flattened to 2-D first, so each
    product is one large BLAS matmul instead of a batch of small ones.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, init_std: float | None = None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        std = init_std if init_std is not None else 1.0 / math.sqrt(in_features)
        self.add_param("weight", backend.normal((out_features, in_features), std))            # (O, I)
        if bias:
            self.add_param("bias", xp.zeros(out_features, dtype=backend.default_dtype()))     # (O,)

    def forward(self, x):
        lead = x.shape[:-1]
        x2 = x.reshape(-1, self.in_features)                 # (N, I)
        y = x2 @ self.params["weight"].T                     # (N, O)
        if "bias" in self.params:
            bias = self.params["bias"]

            def add_bias(s):
                y[s] += bias

            parallel.for_blocks(y.shape[0], parallel.rows_per_block(self.out_features), add_bias)
        self.cache = x2
        return y.reshape(*lead, self.out_features)           # (..., O)

    def backward(self, dy):
        x2 = self.cache                                      # (N, I)
        dy2 = dy.reshape(-1, self.out_features)              # (N, O)
        # forward: y = x2 @ W.T + b
        self.grads["weight"] += dy2.T @ x2                   # (O, I)
        if "bias" in self.params:                            # (O,): summed by blocks of rows, in block order
            for part in parallel.for_blocks(dy2.shape[0], parallel.rows_per_block(self.out_features),
                                            lambda s: dy2[s].sum(axis=0)):
                self.grads["bias"] += part
        dx2 = dy2 @ self.params["weight"]                    # (N, I)
        return dx2.reshape(*dy.shape[:-1], self.in_features)
