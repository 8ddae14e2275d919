"""Optimisation, by hand: AdamW, the learning-rate schedule, gradient clipping."""

from __future__ import annotations

import math

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
            g, m, v = grads[name], self.m[name], self.v[name]
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * (g * g)
            if self.weight_decay and not no_decay(name):
                p *= 1.0 - lr * self.weight_decay
            denom = xp.sqrt(v / bias2)
            denom += self.eps
            p -= step_size * (m / denom)

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
    # one host sync for the whole sum (on CuPy each float() would wait for the GPU)
    total = float(xp.sqrt(sum(xp.vdot(g.ravel(), g.ravel()) for g in grads.values())))
    if max_norm > 0 and math.isfinite(total) and total > max_norm:
        scale = max_norm / (total + 1e-6)
        for g in grads.values():
            g *= scale
    return total
