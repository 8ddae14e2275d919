"""Lesson 03: LayerNorm and GELU, their checks, and why the check's dout must be random.

    python lessons/03_layernorm_and_gelu.py

What you will see:
  1. LayerNorm: each token vector normalised to mean 0 and variance 1, then scaled
     and shifted by learned gamma (``weight``) and beta (``bias``).
  2. Its backward, derived: three terms, and the gradient check that proves it.
  3. GELU in BERT's exact erf form against the tanh approximation, tinykd's erf
     against math.erf, and GELU's gradient check.
  4. Why a check with dout = ones can pass a wrong backward: deliberately broken
     LayerNorm backwards, checked with dout = ones and with a random dout.
"""

from __future__ import annotations

import math

import numpy as np
from _common import FAST, exercises, section, table

from tinykd import backend
from tinykd.backend import xp
from tinykd.gradcheck import check_gradients, numerical_gradient, randomize_parameters, rel_error
from tinykd.nn import GELU, LayerNorm

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)
backend.seed(0)
rng = np.random.default_rng(0)
B, T, C = (2, 2, 5) if FAST else (2, 3, 8)

# %% 1. LayerNorm forward
section("1. LayerNorm forward")
ln = LayerNorm(C)                                            # float32, gamma = 1, beta = 0
x = backend.asarray(rng.standard_normal((B, T, C)) * 3 + 5, dtype=backend.default_dtype())
y = ln(x)
print(f"x: {x.shape} (B, T, C), entries around 5 +- 3")
print(f"  per-token mean of x:          {np.round(backend.to_numpy(x.mean(-1)).ravel(), 3)}")
print(f"  per-token mean of LayerNorm(x): {np.round(backend.to_numpy(y.mean(-1)).ravel(), 6)}")
print(f"  per-token std  of LayerNorm(x): {np.round(backend.to_numpy(y.std(-1)).ravel(), 6)}")
print("""The statistics are over the last axis only (C features of one token), never across tokens
or sentences, so a sentence's vectors do not depend on what else is in the batch.
  xhat = (x - mean) / sqrt(var + eps),   y = xhat * gamma + beta
gamma (params['weight']) and beta (params['bias']) start at 1 and 0, BERT's names and init.""")

# %% 2. LayerNorm backward, and its check
section("2. LayerNorm backward, and its check")
print("""The derivation, for one token's C features (the same for every token, which never sees another).
Forward:  mu = (1/C) sum_i x_i,   var = (1/C) sum_i (x_i - mu)^2,   r = (var + eps)^(-1/2)   (rstd),
          xhat_i = (x_i - mu) r,   y_i = gamma_i xhat_i + beta_i.

The easy two: y_i depends on gamma_i and beta_i only through gamma_i xhat_i + beta_i, summed over tokens:
  dgamma = sum over tokens of dy * xhat,   dbeta = sum over tokens of dy,   and  dxhat_i = dy_i gamma_i.

The hard one: x_j moves every xhat_i, through x_j itself, through mu and through r.
  d mu / d x_j  = 1/C
  d var / d x_j = (2/C) sum_i (x_i - mu)(delta_ij - 1/C) = (2/C)(x_j - mu)     (sum_i (x_i - mu) = 0)
  d r / d x_j   = -1/2 (var + eps)^(-3/2) d var / d x_j = -r^3 (x_j - mu) / C = -r^2 xhat_j / C
  d xhat_i / d x_j = r (delta_ij - 1/C) + (x_i - mu) d r / d x_j
                   = r (delta_ij - 1/C - xhat_i xhat_j / C)
Then the chain rule, dx_j = sum_i dxhat_i d xhat_i / d x_j, gives three terms, one per path:

  dx = r * (dxhat  -  mean(dxhat)  -  xhat * mean(dxhat * xhat))
            ------    ------------     --------------------------
            direct    through mu       through var (and r)

tinykd/nn/layernorm.py writes these lines beside the forward lines they undo. Two sanity checks
you can see in the formula: dx sums to 0 over the C features, and is orthogonal to xhat, because
adding a constant to x, or scaling x - mu, leaves xhat unchanged.""")

with backend.precision(np.float64):
    ln64 = LayerNorm(C)
    randomize_parameters(ln64, seed=1)       # gamma ~ 1 + N(0, 0.25), beta ~ N(0, 0.25): no term can hide
    x64 = backend.asarray(rng.standard_normal((B, T, C)) * 2 + 0.5)
    errors = check_gradients(ln64, lambda x: ln64(x), {"x": x64}, wrt=("x",))
print(f"\ncheck_gradients(LayerNorm({C}), x of shape {(B, T, C)}), float64, random gamma/beta, random dout:")
table(["gradient", "rel error", "verdict"], [[k, v, "ok" if v < 1e-7 else "WRONG"] for k, v in errors.items()])

# %% 3. GELU: the exact erf form, not the tanh approximation
section("3. GELU: the exact erf form, not the tanh approximation")
grid = np.linspace(-6.0, 6.0, 2001 if FAST else 20001)                      # float64
exact = grid * 0.5 * (1.0 + np.array([math.erf(v / math.sqrt(2.0)) for v in grid]))
tanh_form = 0.5 * grid * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (grid + 0.044715 * grid ** 3)))
ours32 = backend.to_numpy(GELU()(backend.asarray(grid, dtype=np.float32))).astype(np.float64)
gap = np.abs(tanh_form - exact)
normal_draws = rng.standard_normal(2000 if FAST else 200_000)
typical = np.abs(0.5 * normal_draws * (1 + np.tanh(math.sqrt(2 / math.pi) * (normal_draws + 0.044715 * normal_draws ** 3)))
                 - normal_draws * 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in normal_draws])))
print(f"""gelu(x) = x * Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2     (BERT, tinykd)
gelu(x) ~ 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))                         (GPT-2's shortcut)

on x in [-6, 6]:
  max |tanh form - exact|            = {gap.max():.2e}   (at x = {grid[gap.argmax()]:+.2f})
  mean |tanh form - exact|, x ~ N(0,1) = {typical.mean():.2e}
  max |tinykd GELU in float32 - exact| = {np.abs(ours32 - exact).max():.2e}

Why BERT's checkpoint needs the exact one: all-MiniLM-L6-v2 was trained with hidden_act = "gelu",
the erf form. With the tanh form every feed-forward activation is off by up to {gap.max():.0e}: not
rounding noise but a systematic error {gap.max() / np.abs(ours32 - exact).max():.0f} times tinykd's float32 GELU error, made in 1536
units of each of 6 layers.
Our encoder is tested against sentence-transformers' embeddings at rtol ~1e-4..1e-3
(tests/test_teacher.py); a different activation function cannot promise that, so tinykd uses the exact form.""")

print("\nNumPy has no erf, so tinykd.backend.erf brings its own. Against Python's math.erf:")
xs = np.linspace(-5.0, 5.0, 2001 if FAST else 20001)
true_erf = np.array([math.erf(v) for v in xs])
rows = []
for dt in (np.float32, np.float64):
    ours = backend.to_numpy(backend.erf(backend.asarray(xs, dtype=dt))).astype(np.float64)
    err = float(np.abs(ours - true_erf).max())
    rows.append([np.dtype(dt).name, err, f"{err / np.finfo(np.float32).eps:.1f}"])
table(["dtype", "max |erf - math.erf|", "in float32 eps"], rows)
print("""float32: a rational approximation (the one Eigen and XLA use), within a few float32 roundings.
float64: math.erf itself, exact, so the GELU backward agrees with centred differences to ~1e-10.
GELU's derivative: d/dx [x Phi(x)] = Phi(x) + x phi(x), phi the standard normal density.""")

with backend.precision(np.float64):
    gelu = GELU()
    xg = backend.asarray(rng.standard_normal((3, 7)) * 3)        # wide spread: both tails and the bend
    errors = check_gradients(gelu, lambda x: gelu(x), {"x": xg}, wrt=("x",))
print("\ncheck_gradients(GELU(), x of shape (3, 7)), float64, random dout:")
table(["gradient", "rel error", "verdict"], [[k, v, "ok" if v < 1e-7 else "WRONG"] for k, v in errors.items()])

# %% 4. why the check uses a random dout, never dout = ones
section("4. why the check uses a random dout, never dout = ones")
print("""A gradient check differentiates one scalar, L = sum(y * dout), so dL/dy = dout. With dout = ones,
L = sum(y): the check then only tests the backward on the single input dy = ones. Two things
can go wrong:
  (a) a factor of dy forgotten somewhere is invisible, because dy = 1 everywhere;
  (b) a normalisation's output sums to a constant, so part of the true gradient is zero
      whatever the Jacobian, and a backward that drops that part still agrees.
Below, LayerNorm backwards with deliberate bugs, each checked both ways.""")


class BuggyLayerNorm(LayerNorm):
    """tinykd's LayerNorm with one deliberate bug in its backward (the forward is untouched)."""

    def __init__(self, width, bug):
        super().__init__(width)
        self.bug = bug

    def backward(self, dy):
        xhat, rstd = self.cache
        if self.bug == "forgot dy":
            dy = xp.ones_like(dy)                 # BUG: local derivative only, upstream gradient dropped
        C = xhat.shape[-1]
        self.grads["weight"] += (dy * xhat).reshape(-1, C).sum(axis=0)
        self.grads["bias"] += dy.reshape(-1, C).sum(axis=0)
        dxhat = dy * self.params["weight"]
        dx = dxhat.copy()
        if self.bug != "no mean term":
            dx -= dxhat.mean(axis=-1, keepdims=True)
        if self.bug != "no variance term":
            dx -= xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)
        return dx * rstd


def check_with_dout(layer, x, dout):
    """check_gradients with a dout we choose: analytic vs centred differences, name -> rel error."""
    layer.zero_grad()
    layer(x)
    analytic = {"input:x": layer.backward(dout)}
    analytic.update({k: g.copy() for k, g in layer.grads.items()})

    def loss():
        return float((layer(x) * dout).sum())

    targets = {"input:x": x, **layer.params}
    return {k: rel_error(analytic[k], numerical_gradient(loss, targets[k])) for k in targets}


def verdict(errors):
    worst = max(errors, key=errors.get)
    return "passes" if errors[worst] < 1e-7 else f"CAUGHT ({worst}: {errors[worst]:.1e})"


variants = ["none (tinykd's)", "forgot dy", "no mean term", "no variance term"]
rows = []
with backend.precision(np.float64):
    x4 = backend.asarray(rng.standard_normal((B, T, C)) * 2 + 0.5)
    ones = xp.ones((B, T, C))
    for bug in variants:
        layer = BuggyLayerNorm(C, bug) if bug != variants[0] else LayerNorm(C)
        randomize_parameters(layer, seed=4)                      # random gamma and beta
        with_ones = check_with_dout(layer, x4, ones)
        with_random = check_gradients(layer, layer, {"x": x4}, wrt=("x",))
        rows.append([bug, verdict(with_ones), verdict(with_random)])
print("\nrandom gamma/beta; worst relative error over dx, dgamma, dbeta:")
table(["bug in backward", "dout = ones", "random dout (check_gradients)"], rows)
print("""'forgot dy' passes with dout = ones: multiplying by dy = 1 changes nothing. Only a random dout
exposes it. The mean-term bug is caught either way here: not every bug hides from dout = ones,
but you cannot know in advance which ones will, so the check always uses a random dout.""")

# (b) with fresh parameters, gamma = 1 and beta = 0, sum(LayerNorm(x)) = sum(xhat) = 0 for every x.
with backend.precision(np.float64):
    fresh = {bug: (BuggyLayerNorm(C, bug) if bug != variants[0] else LayerNorm(C)) for bug in variants}
    true_dx = numerical_gradient(lambda: float(fresh[variants[0]](x4).sum()), x4)
    rows = []
    for bug, layer in fresh.items():
        layer(x4)
        dx = backend.to_numpy(layer.backward(xp.ones((B, T, C))))
        random_errors = check_gradients(layer, layer, {"x": x4}, wrt=("x",))
        rows.append([bug, float(np.abs(dx).max()), verdict(random_errors)])
print(f"""
Worse, with fresh parameters (gamma = 1, beta = 0), sum(LayerNorm(x)) = sum(xhat) = 0 for every x:
the true dL/dx for dout = ones is zero (its centred difference is {np.abs(true_dx).max():.0e}, rounding noise).
Any backward that returns about zero agrees with it:""")
table(["bug in backward", "max |dx| for dout = ones", "random dout, gamma = 1"], rows)
print("""With dout = ones and gamma = 1, the right backward, 'forgot dy' and 'no variance term' all return
(about) zero, the true answer: three backwards, one verdict. A random dout catches every bug.
So tinykd's checks use a random dout AND random parameters (gradcheck.randomize_parameters,
tests/test_gradcheck.py): neither dy = 1 nor gamma = 1, beta = 0 may make a term vanish.""")

# %% Exercises
section("Exercises: LayerNorm's and GELU's backward, by you")
print("""Two functions at the end of this file start with a placeholder: layernorm_backward returns
only the direct term of section 2's derivation (the check of section 4 catches exactly that bug),
gelu_backward returns zeros. Write them, then run

    python lessons/03_layernorm_and_gelu.py --check

Each is compared with centred differences of tinykd's forward (LayerNorm with random gamma and
beta, GELU on a wide spread of x), float64, random dy; right means a relative error under 1e-7.""")


def layernorm_backward(dy, xhat, rstd, gamma):
    """Exercise 03.1. LayerNorm's backward from its cache, as tinykd.nn.LayerNorm keeps it.

    dy, xhat: (B, T, C); rstd: (B, T, 1) = 1/sqrt(var + eps); gamma: (C,).
    Returns (dx, dgamma, dbeta): (B, T, C), (C,), (C,).
    """
    C = xhat.shape[-1]
    dxhat = dy * gamma
    dx = rstd * dxhat                                   # the direct term only: add the other two
    return dx, (dy * xhat).reshape(-1, C).sum(axis=0), dy.reshape(-1, C).sum(axis=0)


def gelu_backward(x, dy):
    """Exercise 03.2. dL/dx of gelu(x) = x Phi(x), element by element, given dy = dL/dgelu(x).

    Phi is the standard normal CDF, (1 + erf(x / sqrt 2)) / 2, and phi its density,
    exp(-x^2 / 2) / sqrt(2 pi). math.erf works on one number (np.vectorize(math.erf) on arrays);
    tinykd.backend.erf on arrays.
    """
    return np.zeros_like(x)          # replace this line with your code
