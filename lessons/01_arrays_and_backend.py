"""Lesson 01: arrays, the backend switch, and why gradient checks run in float64.

    python lessons/01_arrays_and_backend.py

What you will see:
  1. ``xp``: the one name every tinykd layer uses for "the array module".
  2. Arrays of shape (B, T, C), broadcasting, and views (a reshape that shares memory).
  3. The backend switch: NumPy everywhere, CuPy on an NVIDIA GPU, and the clear
     error you get when you ask for CuPy on a machine without one.
  4. One seeded random generator: the same seed gives the same weights.
  5. float32 against float64: machine epsilon, and a table of the centred
     difference's error against the step h, which is why tinykd's numerical
     gradient checks always run in float64.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
from _common import FAST, exercises, section, table

import tinykd
from tinykd import backend
from tinykd.backend import xp

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)

# %% 1. xp: NumPy or CuPy, chosen in one place
section("1. xp: NumPy or CuPy, chosen in one place")
print("Every layer in tinykd writes `from tinykd.backend import xp` and then xp.tanh, xp.exp, ...")
print("xp forwards each attribute to whichever module is in use, looked up at call time:")
print(f"  xp                      = {xp!r}")
print(f"  backend.name()          = {backend.name()!r}")
print(f"  backend.default_dtype() = {backend.default_dtype()}   (parameters and activations are created in it)")
print("The default backend is NumPy; the environment variable TINYKD_BACKEND=cupy selects CuPy")
print("when tinykd is imported, and backend.use('cupy') switches later (build models after switching).")

# %% 2. arrays: shapes (B, T, C), broadcasting, views
section("2. arrays: shapes (B, T, C), broadcasting, views")
B, T, C = 2, 3, 4          # batch of 2 sentences, 3 tokens each, width 4
x = backend.asarray(np.arange(B * T * C).reshape(B, T, C), dtype=backend.default_dtype())
print(f"a batch of token vectors x has shape (B, T, C) = {x.shape}, dtype {x.dtype}")
print("x[0] (the first sentence, one row per token):")
print(backend.to_numpy(x[0]))

bias = backend.asarray(np.array([100, 200, 300, 400]), dtype=x.dtype)     # (C,)
print(f"\nbroadcasting: x + bias, with bias of shape {bias.shape}, adds the same bias to every token:")
print(backend.to_numpy((x + bias)[0]))
mean = x.mean(axis=-1, keepdims=True)                                     # (B, T, 1)
print(f"x.mean(axis=-1, keepdims=True) has shape {mean.shape}: one mean per token, ready to broadcast back")

flat = x.reshape(-1)       # a view: the same memory, seen as one long vector
flat[0] = -1.0
print(f"\nx.reshape(-1) is a *view*: writing flat[0] = -1 changed x[0, 0, 0] to {float(x[0, 0, 0])}.")
print("tinykd.gradcheck.numerical_gradient relies on this: it nudges one entry of a parameter")
print("through such a flat view, reruns the forward pass, and puts the entry back.")

# %% 3. the backend switch, and what happens without a GPU
section("3. the backend switch, and what happens without a GPU")
try:
    backend.use("cupy")
except backend.BackendError as err:
    print("backend.use('cupy') raised BackendError, as it should on a machine without CuPy or a GPU:")
    print(f"  {err}")
    print("Nothing else changed: tinykd keeps running on NumPy.")
else:
    print("backend.use('cupy') worked: this machine has CuPy and a CUDA GPU.")
    g = backend.asarray(np.ones((2, 3), dtype=np.float32))
    print(f"  a backend array is now a {type(g).__module__}.{type(g).__name__};"
          f" backend.to_numpy brings it back as {type(backend.to_numpy(g)).__name__}")
    print(f"  erf on the GPU: backend.erf(1.0) = {float(backend.to_numpy(backend.erf(g))[0, 0]):.7f}")
finally:
    backend.use("numpy")
print(f"backend.name() is back to {backend.name()!r}")

# The same request through the environment variable fails at import, before any work is done:
package_root = os.path.dirname(os.path.dirname(os.path.abspath(tinykd.__file__)))     # so the child finds tinykd
probe = subprocess.run([sys.executable, "-c", "import tinykd"], capture_output=True, text=True,
                       env=dict(os.environ, TINYKD_BACKEND="cupy",
                                PYTHONPATH=os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")])))
if probe.returncode == 0:
    print("TINYKD_BACKEND=cupy python -c 'import tinykd': imported fine (CuPy and a GPU are here).")
else:
    print("TINYKD_BACKEND=cupy python -c 'import tinykd' stops at once, with")
    print(f"  {probe.stderr.strip().splitlines()[-1]}")

try:
    backend.use("jax")
except backend.BackendError as err:
    print(f"an unknown name is refused too: {err}")

# %% 4. one seeded generator
section("4. one seeded generator")
backend.seed(42)
a = backend.to_numpy(backend.normal((4,), std=1.0))
backend.seed(42)
b = backend.to_numpy(backend.normal((4,), std=1.0))
print(f"backend.seed(42); backend.normal((4,), 1.0) -> {np.round(a, 4)}")
print(f"backend.seed(42); backend.normal((4,), 1.0) -> {np.round(b, 4)}   identical: {np.array_equal(a, b)}")
print("Initial weights are drawn on the host, so the same seed gives the same model on NumPy and CuPy.")

# %% 5. float32 against float64
section("5. float32 against float64")
for dt in (np.float32, np.float64):
    eps = np.finfo(dt).eps
    print(f"{np.dtype(dt).name}: machine epsilon {eps:.2e} (about {-math.log10(eps):.0f} significant digits);"
          f"  1 + 1e-8 == 1 is {bool(dt(1) + dt(1e-8) == dt(1))}")
print("Training and inference use float32 (half the memory and memory traffic of float64).")
print("A gradient check needs more digits; here is why.")

# The centred difference (f(x+h) - f(x-h)) / 2h estimates f'(x) with two errors:
#   truncation: about h^2 |f'''(x)| / 6   -- shrinks as h shrinks
#   rounding:   about eps |f(x)| / h      -- f(x+h) and f(x-h) agree in most digits,
#                                            and their difference keeps only the rest
# The total is smallest near h = eps^(1/3): about 5e-3 in float32 and 6e-6 in float64.
xs = np.linspace(-2.0, 2.0, 101 if FAST else 1001)            # many points, not one lucky one
exact = 1.0 - np.tanh(xs) ** 2                                # d/dx tanh(x) = 1 - tanh(x)^2, in float64
hs = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7] if FAST else [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9]


def worst(estimate):
    """max |estimate - exact| / max |exact| over all points."""
    return float(np.abs(backend.to_numpy(estimate).astype(np.float64) - exact).max() / np.abs(exact).max())


rows = []
for h in hs:
    row = [f"{h:.0e}"]
    for dt in (np.float32, np.float64):
        with backend.precision(dt):          # the default dtype, as a gradient check sets it
            dtype = backend.default_dtype()
            x = backend.asarray(xs, dtype=dtype)
            step = dtype.type(h)
            centred = (xp.tanh(x + step) - xp.tanh(x - step)) / (2 * step)
            one_sided = (xp.tanh(x + step) - xp.tanh(x)) / step
        row.append(worst(centred))
        if dt is np.float64:
            row.append(worst(one_sided))
    rows.append(row)

print(f"\nworst relative error of the finite-difference estimate of d tanh(x)/dx, {xs.size} points in [-2, 2]:")
table(["h", "centred, float32", "centred, float64", "one-sided, float64"], rows)
best32 = min(r[1] for r in rows)
best64 = min(r[2] for r in rows)
at_1e5 = next(r for r in rows if r[0] == "1e-05")
print(f"""
Read the table from the top: the error first falls as h^2 (truncation), then rises as 1/h
(rounding); at the bottom, float32 cannot even represent x + h as different from x, and the
estimate is 0 (error near 1). The best float32 can do is about {best32:.0e}, and at h = 1e-5,
the step tinykd's checks use, it is off by {at_1e5[1]:.0e}; float64 reaches {best64:.0e}, near h = 1e-5.
A hand-written backward is "right" when it agrees with the estimate to about 1e-7 or better,
so only float64 can tell a right backward from one with a small bug. The one-sided
difference (f(x+h) - f(x)) / h is worse: its truncation error is O(h), not O(h^2).

That is why tinykd.gradcheck runs inside `with backend.precision(np.float64):` with the
centred difference and h = 1e-5, while training stays in float32.""")

# %% Exercise
section("Exercise: write the centred difference yourself")
print("""Replace the body of centred_difference below (at the end of this file) with your own loop, then run

    python lessons/01_arrays_and_backend.py --check

It is graded against the exact gradient of a function whose derivative we know, in float64;
right means a relative error under 1e-8. lessons/solutions/arrays_and_backend.py has an answer.""")


def centred_difference(f, x, h=1e-5):
    """Exercise 01.1. The gradient of the scalar f(x) with respect to every entry of the float64
    array x, by centred differences: (f(x + h e_i) - f(x - h e_i)) / 2h for each entry i.

    Nudge x in place through a flat view (section 2: x.reshape(-1) shares x's memory), call f(x)
    twice, and put the entry back: the grader checks that x ends as it began.
    Returns an array of x's shape. (tinykd.gradcheck.numerical_gradient is the library's version.)
    """
    return np.zeros_like(x)          # replace this line with your code
