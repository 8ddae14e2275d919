"""Numerical gradient checking: the proof that a hand-written backward is right.

The recipe (cs231n's, with the traps closed):
  * run in float64: a centred difference with h = 1e-5 keeps ~10 significant
    digits there, but almost none in float32;
  * centred differences ``(f(x+h) - f(x-h)) / 2h``, error O(h^2);
  * differentiate the scalar ``sum(y * dout)`` with a *random* ``dout``.
    With ``dout = ones`` a softmax or a LayerNorm output sums to a constant, its
    gradient is zero whatever the Jacobian, and a wrong backward passes;
  * compare every parameter, by name, and every differentiable input.

Relative error: ``max|a - n| / max(1e-8, max(|a| + |n|))`` over the array. About
1e-10..1e-7 means right; 1e-3 and up means a bug.
"""

from __future__ import annotations

import numpy as np

from tinykd import backend
from tinykd.nn.layernorm import LayerNorm


def rel_error(analytic, numeric) -> float:
    """``max|a - n| / max(1e-8, max(|a| + |n|))``."""
    a, n = backend.to_numpy(analytic).astype(np.float64), backend.to_numpy(numeric).astype(np.float64)
    return float(np.abs(a - n).max() / max(1e-8, float((np.abs(a) + np.abs(n)).max())))


def numerical_gradient(f, array, indices=None, h: float = 1e-5) -> np.ndarray:
    """Centred-difference estimate of d f() / d array, perturbing ``array`` in place.

    ``f`` takes no argument and reads ``array`` (a parameter or input) itself.
    ``indices`` (flat positions) limits the estimate to some entries; the
    others are returned as NaN.
    """
    if not array.flags.c_contiguous:
        raise ValueError("numerical_gradient perturbs the array through a flat view: pass a C-contiguous "
                         "array (a transposed view would be copied and never perturbed)")
    flat = array.reshape(-1)          # a view: writing to it perturbs ``array``
    grad = np.full(flat.shape, np.nan)
    for i in range(flat.size) if indices is None else indices:
        old = flat[i].item()
        flat[i] = old + h
        f_plus = f()
        flat[i] = old - h
        f_minus = f()
        flat[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad.reshape(array.shape)


def _sample(analytic: np.ndarray, max_entries: int | None, rng) -> np.ndarray | None:
    """All entries, or at most ``max_entries``: half among those with a nonzero
    analytic gradient (an embedding table's used rows), half drawn from all."""
    size = analytic.size
    if max_entries is None or size <= max_entries:
        return None
    nonzero = np.flatnonzero(analytic.reshape(-1))
    picks = rng.choice(nonzero, min(len(nonzero), max_entries // 2), replace=False) if len(nonzero) else []
    rest = rng.choice(size, max_entries - len(picks), replace=False)
    return np.unique(np.concatenate([np.asarray(picks, dtype=np.int64), rest]))


def check_gradients(module, forward, inputs: dict, wrt=(), seed: int = 0, h: float = 1e-5,
                    max_entries: int | None = None) -> dict[str, float]:
    """Compare ``module.backward`` with centred differences; return name -> relative error.

    forward(**inputs) must run ``module`` forward and return its output y.
    ``wrt`` names the inputs to check too; ``module.backward(dout)`` must return
    their gradients (one array, or a tuple in the order of ``wrt``).
    Every parameter of ``module`` is checked, by its dotted name.
    """
    rng = np.random.default_rng([seed, 1])   # not the stream of default_rng(seed), which made the inputs
    y = forward(**inputs)
    dout = backend.asarray(rng.standard_normal(y.shape), dtype=y.dtype)

    module.zero_grad()
    forward(**inputs)
    d_inputs = module.backward(dout)
    if len(wrt) == 1:
        d_inputs = (d_inputs,)
    analytic = {f"input:{name}": d for name, d in zip(wrt, d_inputs or ())}
    analytic.update({name: g.copy() for name, g in module.gradients().items()})

    def loss():
        return float((forward(**inputs) * dout).sum())

    targets = {f"input:{name}": inputs[name] for name in wrt}
    targets.update(module.parameters())
    errors = {}
    for name, array in targets.items():
        a = backend.to_numpy(analytic[name])
        idx = _sample(a, max_entries, rng)
        numeric = numerical_gradient(loss, array, idx, h)
        picked = slice(None) if idx is None else idx
        errors[name] = rel_error(a.reshape(-1)[picked], numeric.reshape(-1)[picked])
    return errors


def randomize_parameters(module, seed: int = 0, std: float = 0.5) -> None:
    """Overwrite every parameter with N(0, std^2) noise (LayerNorm gains around 1).

    Freshly initialised layers hide bugs: LayerNorm's gamma = 1 and beta = 0
    make terms vanish, and BERT's small 0.02 weights make attention almost
    uniform, so the query and key gradients are tiny and drown in rounding.
    """
    rng = np.random.default_rng(seed)
    for _, m, key in module.named_parameters():
        p = m.params[key]
        noise = rng.standard_normal(p.shape) * std
        if isinstance(m, LayerNorm) and key == "weight":
            noise += 1.0
        p[...] = backend.asarray(noise, dtype=p.dtype)
