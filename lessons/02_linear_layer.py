"""Lesson 02: a Linear layer, its backward derived by hand, and the check that proves it.

    python lessons/02_linear_layer.py

What you will see:
  1. The forward pass y = x W^T + b of tinykd.nn.Linear, with shapes.
  2. The backward pass derived entry by entry: dW = dy^T x, db = sum dy, dx = dy W.
  3. The proof: every entry of the analytic gradient beside its centred-difference
     estimate, then one line per parameter (exact / approximate / max diff / relative
     error), as the `cmp` of nn-zero-to-hero's backprop lesson prints it.
  4. tinykd.gradcheck.check_gradients doing the same on a bigger layer, and
     catching a deliberately broken backward.
  5. The layer contract: backward *adds* into grads; zero_grad() resets them.
"""

from __future__ import annotations

import numpy as np
from _common import FAST, exercises, section, table

from tinykd import backend
from tinykd.gradcheck import check_gradients, numerical_gradient, randomize_parameters, rel_error
from tinykd.nn import Linear

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)
backend.seed(0)
rng = np.random.default_rng(0)

# Everything in this lesson runs in float64: we are about to compare gradients to ~1e-10
# (lesson 01 showed why float32 cannot).
backend.set_default_dtype(np.float64)     # for the whole lesson: no `with` block, so any cell runs alone

# %% 1. forward: y = x W^T + b
section("1. forward: y = x W^T + b")
N, I, O = 2, 3, 2                          # 2 inputs, 3 features in, 2 features out
layer = Linear(I, O)
randomize_parameters(layer, seed=1)        # a nonzero bias, so nothing hides behind zeros
x = backend.asarray(rng.standard_normal((N, I)))                 # (N, I)
y = layer(x)                                                     # (N, O)
W, b = layer.params["weight"], layer.params["bias"]
print(f"x: {x.shape} (N, I)   W = layer.params['weight']: {W.shape} (O, I), stored as PyTorch/BERT store it")
print(f"b = layer.params['bias']: {b.shape} (O,)   y = layer(x): {y.shape} (N, O)")
print("y =\n", np.round(backend.to_numpy(y), 4))
print("In one entry:  y[n, j] = sum_i x[n, i] W[j, i] + b[j]")

# %% 2. backward, derived by hand
section("2. backward, derived by hand")
print("""Some loss L sits downstream. The layer receives dy = dL/dy, shape (N, O), and must return
dx = dL/dx and add dL/dW, dL/db into its grads. The chain rule, one entry at a time:

  y[n, j] = sum_i x[n, i] W[j, i] + b[j]

  (write dy for dL/dy, as the code does)
  dL/dW[j, i] = sum_n dL/dy[n, j] * (d y[n, j] / d W[j, i]) = sum_n dy[n, j] x[n, i]
          -> dW = dy^T x          (O, N) @ (N, I) = (O, I)   the shape of W: a good sign
  dL/db[j]    = sum_n dy[n, j] * 1
          -> db = dy.sum(axis=0)  (O,)   b was broadcast over the N rows; backward sums them
  dL/dx[n, i] = sum_j dy[n, j] W[j, i]
          -> dx = dy W            (N, O) @ (O, I) = (N, I)   the shape of x

Rule of thumb: the gradient of a matrix product is a matrix product with the other factor,
transposed so that the shapes fit. tinykd/nn/linear.py writes exactly these three lines,
each beside the forward line it undoes.""")

# The scalar we differentiate: L = sum(y * dout) with a random dout, so that dL/dy = dout.
# (Lesson 03 shows why dout must be random and not all ones.)
dout = backend.asarray(rng.standard_normal((N, O)))              # (N, O)
layer.zero_grad()
layer(x)
dx = layer.backward(dout)                                        # fills layer.grads, returns dx
analytic = {"x": dx, "weight": layer.grads["weight"], "bias": layer.grads["bias"]}

# %% 3. the proof: analytic against numerical, entry by entry
section("3. the proof: analytic against numerical, entry by entry")
def loss():
    return float((layer(x) * dout).sum())

# numerical_gradient nudges each entry by +-h (h = 1e-5) in place and takes the centred difference
numeric = {"x": numerical_gradient(loss, x),
           "weight": numerical_gradient(loss, layer.params["weight"]),
           "bias": numerical_gradient(loss, layer.params["bias"])}

rows = []
for name in ("weight", "bias", "x"):
    a, n = backend.to_numpy(analytic[name]), backend.to_numpy(numeric[name])
    for idx in np.ndindex(a.shape):
        rows.append([f"{name}{list(idx)}", f"{a[idx]:+.10f}", f"{n[idx]:+.10f}", float(abs(a[idx] - n[idx]))])
table(["entry", "analytic (backward)", "numerical (centred)", "|difference|"], rows)

print("\nOne line per gradient, as nn-zero-to-hero's cmp() prints it:")

def cmp(name, a, n):
    a, n = backend.to_numpy(a), backend.to_numpy(n)
    return [name, bool(np.array_equal(a, n)), bool(np.allclose(a, n, rtol=1e-7, atol=1e-9)),
            float(np.abs(a - n).max()), rel_error(a, n)]

table(["gradient", "exact", "approximate", "max diff", "rel error"],
      [cmp(f"d{name}", analytic[name], numeric[name]) for name in ("weight", "bias", "x")])
print("""
'exact' is no: a finite difference is an estimate, never bit-for-bit equal. 'approximate'
(np.allclose with rtol 1e-7) is yes, and the relative error max|a-n| / max(|a|+|n|) is
around 1e-12..1e-11, the rounding floor of lesson 01's table. A wrong formula gives 1e-3
or more; tinykd's tests require under 1e-7 per layer.""")

# %% 4. check_gradients: the same proof, for any layer, in one call
section("4. check_gradients: the same proof, for any layer, in one call")
shape = (2, 3, 5) if FAST else (4, 6, 16)      # (B, T, I): Linear accepts any leading shape
out = 4 if FAST else 12
big = Linear(shape[-1], out)
randomize_parameters(big, seed=2)
xb = backend.asarray(rng.standard_normal(shape))
errors = check_gradients(big, lambda x: big(x), {"x": xb}, wrt=("x",))
print(f"Linear({shape[-1]}, {out}) on x of shape {shape}: relative error of every gradient")
table(["gradient", "rel error", "verdict"],
      [[name, err, "ok" if err < 1e-7 else "WRONG"] for name, err in errors.items()])

class MeanBiasLinear(Linear):
    """A classic slip: the bias gradient as a mean over the rows instead of a sum."""

    def backward(self, dy):
        x2 = self.cache                                          # (N, I)
        dy2 = dy.reshape(-1, self.out_features)                  # (N, O)
        self.grads["weight"] += dy2.T @ x2
        self.grads["bias"] += dy2.mean(axis=0)                   # BUG: should be .sum(axis=0)
        return (dy2 @ self.params["weight"]).reshape(*dy.shape[:-1], self.in_features)

broken = MeanBiasLinear(shape[-1], out)
randomize_parameters(broken, seed=2)
errors = check_gradients(broken, lambda x: broken(x), {"x": xb}, wrt=("x",))
print("\nThe same check on a Linear whose bias gradient uses mean instead of sum:")
table(["gradient", "rel error", "verdict"],
      [[name, err, "ok" if err < 1e-7 else "WRONG"] for name, err in errors.items()])
print("The check points at the one gradient that is wrong, by name.")

# %% 5. the contract: backward adds into grads
section("5. the contract: backward adds into grads")
layer.zero_grad()
layer(x)
layer.backward(dout)
once = backend.to_numpy(layer.grads["weight"]).copy()
layer(x)
layer.backward(dout)
twice = backend.to_numpy(layer.grads["weight"])
print(f"after one backward:  grads['weight'][0] = {np.round(once[0], 5)}")
print(f"after two backwards: grads['weight'][0] = {np.round(twice[0], 5)}   (twice: {np.allclose(twice, 2 * once)})")
layer.zero_grad()
print(f"after zero_grad():   grads['weight'][0] = {backend.to_numpy(layer.grads['weight'])[0]}")
print("""Gradients accumulate with +=, as in micrograd: a parameter used twice (or a batch split in
two) gets the sum of its gradients. So zero_grad() before every step; tinykd never does it for you.""")

# %% Exercise
section("Exercise: the backward of a Linear layer, by you")
print("""Fill in linear_backward at the end of this file from section 2's three lines, then run

    python lessons/02_linear_layer.py --check

The grader compares your dx, dW and db with centred differences of y = x W^T + b (section 3's
proof), in float64 with a random dy; right means a relative error under 1e-7 for all three.""")


def linear_backward(x, W, dy):
    """Exercise 02.1. The backward of y = x W^T + b.

    x: (N, I) the input, W: (O, I) the weight, dy: (N, O) = dL/dy.
    Returns (dx, dW, db) of shapes (N, I), (O, I) and (O,).
    """
    return x * 0, W * 0, dy[0] * 0          # replace this line with your code
