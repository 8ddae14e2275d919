"""Solutions to the optimizer lesson's exercises."""

import numpy as np


def warmup_then_decay(step, total_steps, peak, warmup_steps):
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    return peak * max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum((g * g).sum() for g in grads.values())))
    if norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        grads = {k: g * scale for k, g in grads.items()}
    return grads, norm


def adamw_step(p, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    p = p * (1 - lr * weight_decay)               # decoupled: the decay does not go through m and v
    p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p, m, v
