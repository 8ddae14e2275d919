"""Layer normalisation over the last axis."""

from __future__ import annotations

from tinykd import backend, parallel
from tinykd.backend import xp
from tinykd.nn.module import Module


def standardize(x, eps: float, out):
    """``out = (x - mean) / sqrt(var + eps)``, statistics over the last axis of ``x`` (n, C);
    ``out`` may be ``x`` itself. Returns ``1 / sqrt(var + eps)``, (n, 1).

    LayerNorm's forward before its scale and shift; tinykd.inference_forward calls it too."""
    xp.subtract(x, x.mean(axis=-1, keepdims=True), out=out)                  # x - mean
    var = (out * out).mean(axis=-1, keepdims=True)                           # (n, 1)
    rstd = 1.0 / xp.sqrt(var + eps)
    out *= rstd
    return rstd


class LayerNorm(Module):
    """``y = (x - mean) / sqrt(var + eps) * weight + bias``, statistics over the last axis.

    BERT names the scale ``weight`` and the shift ``bias`` (gamma and beta in the paper).
    Each row is normalised on its own, so blocks of rows run on all cores (``tinykd.parallel``).
    """

    def __init__(self, width: int, eps: float = 1e-12):
        super().__init__()
        self.eps = eps
        dtype = backend.default_dtype()
        self.add_param("weight", xp.ones(width, dtype=dtype))     # (C,) gamma
        self.add_param("bias", xp.zeros(width, dtype=dtype))      # (C,) beta

    def forward(self, x):
        C = x.shape[-1]
        x2 = xp.ascontiguousarray(x).reshape(-1, C)               # (N, C)
        xhat, y = xp.empty_like(x2), xp.empty_like(x2)            # (N, C) each
        rstd = xp.empty((x2.shape[0], 1), dtype=x2.dtype)         # (N, 1)
        weight, bias = self.params["weight"], self.params["bias"]

        def rows(s):
            rstd[s] = standardize(x2[s], self.eps, out=xhat[s])               # xhat
            xp.multiply(xhat[s], weight, out=y[s])
            y[s] += bias

        parallel.for_blocks(x2.shape[0], parallel.rows_per_block(C), rows)
        self.cache = (xhat.reshape(x.shape), rstd.reshape(*x.shape[:-1], 1))       # (..., C), (..., 1)
        return y.reshape(x.shape)

    def backward(self, dy):
        xhat, rstd = self.cache                                   # (..., C), (..., 1)
        C = xhat.shape[-1]
        xhat, rstd = xhat.reshape(-1, C), rstd.reshape(-1, 1)     # (N, C), (N, 1): views
        dy2 = xp.ascontiguousarray(dy).reshape(xhat.shape)        # (N, C)
        dx = xp.empty_like(dy2)
        weight = self.params["weight"]

        def rows(s):
            d, xh, out = dy2[s], xhat[s], dx[s]
            # forward: y = xhat * weight + bias; this block's share of the two sums over rows
            dweight, dbias = (d * xh).sum(axis=0), d.sum(axis=0)
            # forward: xhat = (x - mean) * rstd, where mean and rstd depend on x too.
            # Differentiating through both gives the three familiar terms:
            #   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
            # the second undoes the mean, the third the variance.
            dxhat = d * weight                                    # (n, C)
            xp.subtract(dxhat, dxhat.mean(axis=-1, keepdims=True), out=out)
            dxhat *= xh
            out -= xh * dxhat.mean(axis=-1, keepdims=True)
            out *= rstd[s]
            return dweight, dbias

        parts = parallel.for_blocks(xhat.shape[0], parallel.rows_per_block(xhat.shape[1]), rows)
        for dweight, dbias in parts:                              # in block order: any thread count, same sum
            self.grads["weight"] += dweight
            self.grads["bias"] += dbias
        return dx.reshape(dy.shape)
