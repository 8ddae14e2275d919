"""Optimisation, by hand: AdamW, the learning-rate schedule, gradient clipping."""

from __future__ import annotations

import math

from tinykd import parallel
from tinykd.backend import xp


def no_decay(name: str) -> bool:
    """Biases and LayerNorm parameters are not weight-decayed (BERT's practice)."""
    return name.endswith("bias") or "LayerNorm" in name


class AdamW:
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    For each parameter p with gradient g, at step t (from 1)::

        m = beta1 m + (1 - beta1) g            first moment
        v = beta2 v + (1 - beta2) g^2          second moment
        m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)
        p -= lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * p)

    The decay acts on p directly, not through g: that is the "W" in AdamW.
    """

    def __init__(self, params: dict, lr: float = 1e-4, betas=(0.9, 0.999), eps: float = 1e-6,
                 weight_decay: float = 0.01):
        not_contiguous = [name for name, p in params.items() if not p.flags.c_contiguous]
        if not_contiguous:
            raise ValueError(f"AdamW updates parameters in place through flat views: {not_contiguous} "
                             "are not contiguous arrays")
        self.params = params                         # name -> array, updated in place
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.m = {name: xp.zeros_like(p) for name, p in params.items()}
        self.v = {name: xp.zeros_like(p) for name, p in params.items()}
        self.t = 0

    def step(self, grads: dict, lr: float | None = None) -> None:
        lr = self.lr if lr is None else lr
        beta1, beta2 = self.betas
        self.t += 1
        bias1 = 1.0 - beta1 ** self.t
        bias2 = 1.0 - beta2 ** self.t
        step_size = lr / bias1
        for name, p in self.params.items():
            decay = 1.0 - lr * self.weight_decay if self.weight_decay and not no_decay(name) else None
            flat = [a.reshape(-1) for a in (p, grads[name], self.m[name], self.v[name])]   # views, (n,) each

            def block(s, p=flat[0], g=flat[1], m=flat[2], v=flat[3], decay=decay):
                # The update above, in place on one block of every array (a few passes while it is
                # in cache) with one scratch buffer: a dozen passes over the whole (V, C) table and
                # eight temporaries as big as it made the update a fifth of the training step.
                g, m, v, p = g[s], m[s], v[s], p[s]
                scratch = xp.multiply(g, 1.0 - beta1)
                m *= beta1
                m += scratch                                    # m = beta1 m + (1 - beta1) g
                xp.multiply(g, g, out=scratch)
                scratch *= 1.0 - beta2
                v *= beta2
                v += scratch                                    # v = beta2 v + (1 - beta2) g^2
                if decay is not None:
                    p *= decay                                  # p -= lr * weight_decay * p
                xp.divide(v, bias2, out=scratch)
                xp.sqrt(scratch, out=scratch)
                scratch += self.eps                             # sqrt(v_hat) + eps
                xp.divide(m, scratch, out=scratch)
                scratch *= step_size
                p -= scratch                                    # p -= lr * m_hat / (sqrt(v_hat) + eps)

            parallel.for_blocks(p.size, parallel.BLOCK, block)
    def state_dict(self) -> dict:
        """Arrays to checkpoint: ``m.<name>``, ``v.<name>`` and the step count."""
        state = {f"m.{k}": a for k, a in self.m.items()}
        state.update({f"v.{k}": a for k, a in self.v.items()})
        state["t"] = xp.asarray([self.t])
        return state

    def load_state_dict(self, state: dict) -> None:
        for name in self.params:
            self.m[name][...] = xp.asarray(state[f"m.{name}"])
            self.v[name][...] = xp.asarray(state[f"v.{name}"])
        self.t = int(state["t"][0])


def learning_rate(step: int, total_steps: int, peak: float, warmup_steps: int) -> float:
    """Linear warm-up from 0 to ``peak`` over ``warmup_steps``, then linear decay to 0."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    remaining = max(1, total_steps - warmup_steps)
    return peak * max(0.0, (total_steps - step) / remaining)


def clip_grad_norm(grads: dict, max_norm: float) -> float:
    """Scale all gradients together so their global L2 norm is at most ``max_norm``.

    Returns the norm before clipping (inf or nan if a gradient is not finite).
    """
    # each gradient's sum of squares by blocks on all cores, the partial sums added in block order
    # in float64; one host sync for the whole sum (on CuPy each float() would wait for the GPU)
    parts = []
    for g in grads.values():
        flat = g.reshape(-1)
        parts += parallel.for_blocks(flat.size, parallel.BLOCK, lambda s, flat=flat: xp.vdot(flat[s], flat[s]))
    total = float(xp.sqrt(sum(part.astype(xp.float64) for part in parts)))
    if max_norm > 0 and math.isfinite(total) and total > max_norm:
        scale = max_norm / (total + 1e-6)
        for g in grads.values():
            g *= scale
    return total
