"""GELU, in the exact erf form BERT uses."""

from __future__ import annotations

import math

from tinykd import backend, parallel
from tinykd.backend import xp
from tinykd.nn.module import Module

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def normal_cdf(x, out):
    """``Phi(x) = (1 + erf(x / sqrt 2)) / 2`` into ``out`` (not ``x``: GELU needs both); returns ``out``.

    GELU's forward before its product with x; tinykd.inference_forward calls it too."""
    xp.multiply(x, _INV_SQRT2, out=out)
    backend.erf(out, out=out)                                       # erf(x / sqrt 2)
    out += 1.0
    out *= 0.5
    return out


class GELU(Module):
    """``gelu(x) = x * Phi(x)`` with ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``, the normal CDF.

    BERT uses this exact form; the tanh approximation differs by up to 4.7e-4,
    enough to miss the reference embeddings. The derivative is
    ``Phi(x) + x * phi(x)`` with ``phi`` the normal density.

    Every pass is elementwise, so both directions run block by block on all
    cores (``tinykd.parallel``), each block through all its passes while it is in cache.
    """

    def forward(self, x):
        x = xp.ascontiguousarray(x)
        cdf, y = xp.empty_like(x), xp.empty_like(x)                 # (...,) each
        flat_x, flat_cdf, flat_y = x.reshape(-1), cdf.reshape(-1), y.reshape(-1)

        def block(s):
            c = normal_cdf(flat_x[s], out=flat_cdf[s])              # Phi(x)
            xp.multiply(flat_x[s], c, out=flat_y[s])                # x * Phi(x)

        parallel.for_blocks(flat_x.size, parallel.BLOCK, block)
        self.cache = (x, cdf)
        return y

    def backward(self, dy):
        x, cdf = self.cache
        dy = xp.ascontiguousarray(dy)
        dx = xp.empty_like(x)
        flat_x, flat_cdf, flat_dy, flat_dx = x.reshape(-1), cdf.reshape(-1), dy.reshape(-1), dx.reshape(-1)

        def block(s):
            # forward: y = x * Phi(x)   =>   dy/dx = Phi(x) + x * phi(x)
            xs, d = flat_x[s], flat_dx[s]
            xp.multiply(xs, -0.5, out=d)
            d *= xs
            xp.exp(d, out=d)
            d *= _INV_SQRT_2PI                                      # phi(x)
            d *= xs
            d += flat_cdf[s]
            d *= flat_dy[s]

        parallel.for_blocks(flat_x.size, parallel.BLOCK, block)
        return dx
