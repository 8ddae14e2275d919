"""Layer normalisation over the last axis."""

from __future__ import annotations

from tinykd import backend
from tinykd.backend import xp
from tinykd.nn.module import Module


class LayerNorm(Module):
    """``y = (x - mean) / sqrt(var + eps) * weight + bias``, statistics over the last axis.

    BERT names the scale ``weight`` and the shift ``bias`` (gamma and beta in the paper).
    """

    def __init__(self, width: int, eps: float = 1e-12):
        super().__init__()
        self.eps = eps
        dtype = backend.default_dtype()
        self.add_param("weight", xp.ones(width, dtype=dtype))     # (C,) gamma
        self.add_param("bias", xp.zeros(width, dtype=dtype))      # (C,) beta

    def forward(self, x):
        mean = x.mean(axis=-1, keepdims=True)                     # (..., 1)
        xc = x - mean                                             # (..., C)
        var = (xc * xc).mean(axis=-1, keepdims=True)              # (..., 1)
        rstd = 1.0 / xp.sqrt(var + self.eps)                      # (..., 1)
        xhat = xc * rstd                                          # (..., C)
        self.cache = (xhat, rstd)
        return xhat * self.params["weight"] + self.params["bias"]

    def backward(self, dy):
        xhat, rstd = self.cache
        C = xhat.shape[-1]
        dy2, xhat2 = dy.reshape(-1, C), xhat.reshape(-1, C)
        # forward: y = xhat * weight + bias
        self.grads["weight"] += (dy2 * xhat2).sum(axis=0)
        self.grads["bias"] += dy2.sum(axis=0)
        dxhat = dy * self.params["weight"]                        # (..., C)
        # forward: xhat = (x - mean) * rstd, where mean and rstd depend on x too.
        # Differentiating through both gives the three familiar terms:
        #   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
        # the second undoes the mean, the third the variance.
        dx = dxhat - dxhat.mean(axis=-1, keepdims=True)
        dx -= xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)
        dx *= rstd
        return dx
