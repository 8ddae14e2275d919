"""The alignment fit's dense solve, side by side: LAPACK's Cholesky against tinykd's blocked one.

    python benchmarks/bench_align_solve.py [--size 18000] [--repeats 2]

The ridge system of tinykd.align, (A^T A + r I) X = A^T Y + r X0, is K x K (K = ``--align_max_tokens``)
with C = 384 right-hand sides. Three ways to factor it, each on the same matrix, in one process:

  * before: ``np.linalg.cholesky`` in float64 (LAPACK's potrf, on a copy of the K x K matrix);
  * ``np.linalg.cholesky`` in float32;
  * now: ``tinykd.align.cholesky_in_place`` in float32 (block columns of 512, the trailing update as
    matrix products, in place).

Each is followed by the same two blocked triangular solves. The matrix is random and well
conditioned (G G^T / 512 + I, G a K x 512 normal sample): the time of a Cholesky factor does not depend
on the numbers. How close float32 comes on the real fit (the default run's K = 18000: rows within
1e-6 of float64's, 1e-4 at worst) is in benchmarks/README.md. Times are the best of ``--repeats``;
ratios are to the first line.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_line  # noqa: E402

from tinykd.align import _solve_lower, _solve_upper, cholesky_in_place  # noqa: E402


def timed(factor, M, B, repeats):
    """Best time of factor + the two triangular solves, and X.  M: (K, K)   B: (K, C)"""
    best, X = float("inf"), None
    for _ in range(repeats):
        work = M.copy()
        start = time.perf_counter()
        L = factor(work)
        X = _solve_upper(L, _solve_lower(L, B.astype(L.dtype)))
        best = min(best, time.perf_counter() - start)
        del work, L
    return best, X


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=18000, help="K, the fitted tokens (default 18000)")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    K = args.size
    rng = np.random.default_rng(0)
    G = rng.standard_normal((K, 512))
    M64 = G @ G.T / 512                                           # (K, K) symmetric, rank 512
    del G
    M64[np.diag_indices_from(M64)] += 1.0                         # positive definite
    B = rng.standard_normal((K, 384))                             # (K, C)
    print(machine_line())
    print(f"K = {K}, C = 384, best of {args.repeats}\n")
    rows = [("np.linalg.cholesky, float64 (before)", lambda M: np.linalg.cholesky(M), M64),
            ("np.linalg.cholesky, float32", lambda M: np.linalg.cholesky(M), M64.astype(np.float32)),
            ("cholesky_in_place, float32 (now)", cholesky_in_place, M64.astype(np.float32))]
    print("| factor and solve | seconds | ratio | max |X - X_float64| / max |X_float64| |")
    print("|---|---|---|---|")
    first = reference = None
    for name, factor, M in rows:
        seconds, X = timed(factor, M, B, args.repeats)
        first = first or seconds
        reference = X if reference is None else reference
        error = float(np.abs(X - reference).max() / np.abs(reference).max())
        print(f"| {name} | {seconds:.1f} | {seconds / first:.2f}x | {error:.1e} |", flush=True)


if __name__ == "__main__":
    main()
