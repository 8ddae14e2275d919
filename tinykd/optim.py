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

    ``step_scales``: ``{name: factor}`` multiplies the Adam step of those parameters (their decay
    stays ``lr * weight_decay``): the trainer's word-embedding table moves ``embedding_lr_scale``
    times as far per step as the layers (docs/experiments.md, "The word table's step").
    """

    def __init__(self, params: dict, lr: float = 1e-4, betas=(0.9, 0.999), eps: float = 1e-6,
                 weight_decay: float = 0.01, step_scales: dict | None = None):
        not_contiguous = [name for name, p in params.items() if not p.flags.c_contiguous]
        if not_contiguous:
            raise ValueError(f"AdamW updates parameters in place through flat views: {not_contiguous} "
                             "are not contiguous arrays")
        self.params = params                         # name -> array, updated in place
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        unknown = sorted(set(step_scales or {}) - set(params))
        if unknown:
            raise ValueError(f"step_scales names parameters that are not optimised: {unknown}")
        self.step_scales = dict(step_scales or {})
        self.m = {name: xp.zeros_like(p) for name, p in params.items()}
        self.v = {name: xp.zeros_like(p) for name, p in params.items()}
        self.t = 0

    def step(self, grads: dict, lr: float | None = None, rows: dict | None = None) -> None:
        """One update of every parameter. ``rows``: ``{name: row indices}`` of tables updated lazily:
        only those rows move (the rows the batch used), the others keep their values and moments."""
        lr = self.lr if lr is None else lr
        beta1, beta2 = self.betas
        self.t += 1
        bias1 = 1.0 - beta1 ** self.t
        bias2 = 1.0 - beta2 ** self.t
        step_size = lr / bias1
        rows = rows or {}
        for name, p in self.params.items():
            decay = 1.0 - lr * self.weight_decay if self.weight_decay and not no_decay(name) else None
            g, m, v = grads[name], self.m[name], self.v[name]
            size = step_size * self.step_scales.get(name, 1.0)
            if name in rows:
                self._lazy(p, g, m, v, rows[name], size, bias2, decay)
                continue
            flat = [a.reshape(-1) for a in (p, g, m, v)]                                  # views, (n,) each
            parallel.for_blocks(p.size, parallel.BLOCK, lambda s, flat=flat, decay=decay, size=size: self._update(
                *(a[s] for a in flat), size, bias2, decay))

    def _update(self, p, g, m, v, step_size: float, bias2: float, decay: float | None) -> None:
        """The update above, in place on p, m, v (one block of each, or gathered rows), with one scratch
        buffer: a dozen passes over the whole (V, C) table and eight temporaries as big as it made the
        update a fifth of the training step; by blocks, each block's passes run while it is in cache."""
        beta1, beta2 = self.betas
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

    def _lazy(self, p, g, m, v, rows, step_size: float, bias2: float, decay: float | None) -> None:
        """Lazy Adam for an embedding table (PyTorch's SparseAdam, TensorFlow's LazyAdam): the rows a
        batch used get the update above, with the run's step count t; every other row, whose gradient
        is zero, keeps its value and moments, where dense AdamW would move each of the 49,000 rows
        every step by its stale momentum and its decay. A batch of the default run uses about 1,300
        rows, so the update is 3% of the table's."""
        p_rows, m_rows, v_rows = p[rows], m[rows], v[rows]            # (U, C) copies
        self._update(p_rows, g[rows], m_rows, v_rows, step_size, bias2, decay)
        p[rows], m[rows], v[rows] = p_rows, m_rows, v_rows

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


def clip_grad_norm(grads: dict, max_norm: float, rows: dict | None = None) -> float:
    """Scale all gradients together so their global L2 norm is at most ``max_norm``.

    ``rows``: ``{name: row indices}`` of tables whose other rows' gradients are zero (the embedding
    rows a batch used, ``Module.embedding_rows``): only those rows are read and scaled. The
    student's word table is 49,000 x 384 and a batch uses about 1,300 of its rows, so reading the
    whole 75 MB gradient to add its zeros was 9 ms of a 280 ms step; the norm is the same sum
    without the zeros (its last digits may differ: the sum is grouped otherwise).

    Returns the norm before clipping (inf or nan if a gradient is not finite).
    """
    # each gradient's sum of squares by blocks on all cores, the partial sums added in block order
    # in float64; one host sync for the whole sum (on CuPy each float() would wait for the GPU)
    rows = rows or {}
    parts = []
    for name, g in grads.items():
        if name in rows:
            used = g[rows[name]].reshape(-1)                                   # (U C,) a copy
            parts.append(xp.vdot(used, used))
            continue
        flat = g.reshape(-1)
        parts += parallel.for_blocks(flat.size, parallel.BLOCK, lambda s, flat=flat: xp.vdot(flat[s], flat[s]))
    total = float(xp.sqrt(sum(part.astype(xp.float64) for part in parts)))
    if max_norm > 0 and math.isfinite(total) and total > max_norm:
        scale = max_norm / (total + 1e-6)
        for name, g in grads.items():
            if name in rows:
                g[rows[name]] *= scale                                         # the zeros stay zero
            else:
                g *= scale
    return total
