"""The one place that chooses the array module.

Every layer in tinykd is written against ``xp``, an object that behaves like the
NumPy module.  Here, and only here, we decide whether ``xp`` is NumPy (the
default, runs anywhere) or CuPy (an NVIDIA GPU).  No other module imports CuPy.

    from tinykd.backend import xp
    y = xp.tanh(x)              # NumPy or CuPy, whichever is in use

Choose the backend with the environment variable ``TINYKD_BACKEND=cupy`` or by
calling :func:`use` before any model is built.

Also here:
  * the default floating dtype (float32 for training and inference; the
    numerical gradient checks switch to float64 with :func:`precision`),
  * one seeded random generator for initialisation and dropout (:func:`seed`),
  * the few operations whose best implementation differs between NumPy and
    CuPy (``erf``, ``scatter_add_rows``) and host/device transfers.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import math
import os
import sys
from types import ModuleType

import numpy as np

__all__ = [
    "BackendError", "xp", "use", "name", "is_cupy", "default_dtype", "set_default_dtype", "precision",
    "seed", "host_rng", "uniform", "normal", "to_numpy", "asarray", "erf", "scatter_add_rows",
]


class BackendError(RuntimeError):
    """The requested backend cannot be used on this machine."""


# ---------------------------------------------------------------------------
# the array module
# ---------------------------------------------------------------------------

_module: ModuleType = np          # the module ``xp`` forwards to
_dtype = np.dtype(np.float32)     # default floating dtype for new parameters


class _ArrayModule:
    """A stand-in for ``numpy``/``cupy`` that forwards to whichever is in use.

    Other modules write ``from tinykd.backend import xp`` once; because ``xp``
    looks the attribute up at call time, switching the backend later still
    takes effect everywhere.
    """

    def __getattr__(self, attr):
        return getattr(_module, attr)

    def __repr__(self):
        return f"<tinykd xp -> {_module.__name__}>"


xp = _ArrayModule()


def _load_cupy() -> ModuleType:
    try:
        import cupy  # the only import of CuPy in tinykd
    except ImportError as err:
        raise BackendError(
            "TINYKD_BACKEND=cupy needs CuPy: pip install 'tinykd[cuda]' (cupy-cuda12x). "
            f"Import failed with: {err}") from err
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # CUDA driver missing or broken
        raise BackendError(f"CuPy is installed but no CUDA GPU can be used: {err}") from err
    if n_devices == 0:
        raise BackendError("CuPy is installed but this machine has no CUDA GPU.")
    return cupy


def use(backend: str) -> ModuleType:
    """Switch the array module: ``"numpy"`` or ``"cupy"``. Returns the module.

    Build models after switching: parameters live on the backend that was in
    use when they were created.
    """
    global _module
    backend = backend.strip().lower()
    if backend == "numpy":
        _module = np
    elif backend == "cupy":
        _module = _load_cupy()
    else:
        raise BackendError(f"unknown backend {backend!r}: choose 'numpy' or 'cupy'")
    return _module


def name() -> str:
    """``"numpy"`` or ``"cupy"``."""
    return "cupy" if is_cupy() else "numpy"


def is_cupy() -> bool:
    return _module is not np


# ---------------------------------------------------------------------------
# dtype
# ---------------------------------------------------------------------------

def default_dtype() -> np.dtype:
    """The dtype new parameters and activations are created in (float32 by default)."""
    return _dtype


def set_default_dtype(dtype) -> None:
    global _dtype
    dtype = np.dtype(dtype)
    if dtype not in (np.float16, np.float32, np.float64):
        raise ValueError(f"default dtype must be a float type, got {dtype}")
    _dtype = dtype


@contextlib.contextmanager
def precision(dtype):
    """Temporarily change the default dtype, e.g. ``with precision(np.float64):``.

    The numerical gradient checks run in float64: a centred difference with
    h = 1e-5 in float32 would lose almost all its digits to rounding.
    """
    old = _dtype
    set_default_dtype(dtype)
    try:
        yield
    finally:
        set_default_dtype(old)


# ---------------------------------------------------------------------------
# randomness: one seeded generator
# ---------------------------------------------------------------------------

_host_rng = np.random.default_rng(0)
_device_rng = None  # a cupy Generator, created lazily when CuPy is in use
_seed = 0


def seed(value: int) -> None:
    """Seed tinykd's random generator (initialisation and dropout)."""
    global _host_rng, _device_rng, _seed
    _seed = int(value)
    _host_rng = np.random.default_rng(_seed)
    _device_rng = None


def host_rng() -> np.random.Generator:
    """The NumPy generator. Initial weights are drawn here on every backend, so
    the same seed gives the same weights on NumPy and on CuPy."""
    return _host_rng


def uniform(shape, dtype=None):
    """Uniform [0, 1) samples as an ``xp`` array, drawn on the device (dropout masks)."""
    global _device_rng
    dtype = np.dtype(dtype or _dtype)
    if not is_cupy():
        drawn = _host_rng.random(shape, dtype=np.float64 if dtype == np.float64 else np.float32)
        return drawn.astype(dtype, copy=False)
    if _device_rng is None:
        _device_rng = _module.random.default_rng(_seed)
    return _device_rng.random(shape, dtype=np.float64 if dtype == np.float64 else np.float32).astype(dtype, copy=False)


def normal(shape, std: float, dtype=None):
    """Normal(0, std) initial weights, drawn on the host then moved to the device."""
    dtype = dtype or _dtype
    return asarray(_host_rng.normal(0.0, std, size=shape), dtype=dtype)


# ---------------------------------------------------------------------------
# host <-> device
# ---------------------------------------------------------------------------

def asarray(a, dtype=None):
    """Put ``a`` on the current backend (a copy only when needed)."""
    return _module.asarray(a, dtype=dtype)


def to_numpy(a) -> np.ndarray:
    """Bring an array back to the host as a NumPy array."""
    if isinstance(a, np.ndarray):
        return a
    get = getattr(a, "get", None)
    return get() if get is not None else np.asarray(a)


# ---------------------------------------------------------------------------
# operations whose best implementation depends on the backend
# ---------------------------------------------------------------------------

# erf(x) ~= x * P(x^2) / Q(x^2) on [-4, 4]; erf is +-1 to float32 precision outside.
# A minimax rational approximation (the one Eigen and XLA use for float32):
# its own error is 6.5e-8, and evaluated in float32 it stays within 7 ulp of the
# true erf (tested in tests/test_forward.py).
_ERF_P = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
          -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
          -1.60960333262415e-02)
_ERF_Q = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
          -7.37332916720468e-03, -1.42647390514189e-02)
_erf_exact = np.frompyfunc(math.erf, 1, 1)


def erf(x, out=None):
    """The error function, elementwise, on any backend; into ``out`` if given (may be ``x``).

    NumPy has no erf, so we bring our own:
      * float32 (training, inference): a rational approximation evaluated with
        a handful of fused multiply-adds; fast and accurate to float32 rounding.
      * float64 (gradient checks): the exact value from ``math.erf``, so that
        the hand-written GELU backward (which uses the exact derivative
        2/sqrt(pi) exp(-x^2)) agrees with centred differences to 1e-10.
    On CuPy, ``cupyx.scipy.special.erf`` gives the exact value in every dtype.
    """
    if is_cupy():
        import cupyx.scipy.special  # part of CuPy; only reached on the CuPy backend
        return cupyx.scipy.special.erf(x, out=out) if out is not None else cupyx.scipy.special.erf(x)
    if x.dtype == np.float64:
        exact = _erf_exact(x).astype(np.float64)
        if out is None:
            return exact
        out[...] = exact
        return out
    # About 25 elementwise passes: done on blocks that stay in the CPU's cache, they run
    # ~2.5x faster than over a whole (N, 4C) activation. The blocks are as large as
    # tinykd.parallel's: with 4x smaller ones, each NumPy call lasted ~1 microsecond and
    # two threads spent their time handing the GIL over (GELU 12.3 -> 5.6 ms on 2 threads).
    x = np.ascontiguousarray(x)
    out = np.empty_like(x) if out is None else out
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    for start in range(0, flat_x.size, _ERF_BLOCK):
        _erf_rational(flat_x[start:start + _ERF_BLOCK], flat_out[start:start + _ERF_BLOCK])
    return out


_ERF_BLOCK = 131072                # = tinykd.parallel.BLOCK: a GELU block is erf'd in one go


def _erf_rational(x, out):
    """out = x * P(x^2) / Q(x^2) with x clipped to [-4, 4] (Horner's rule, in place)."""
    z = np.clip(x, -4.0, 4.0, out=out)
    z2 = z * z
    p = z2 * _ERF_P[0]
    p += _ERF_P[1]
    for c in _ERF_P[2:]:
        p *= z2
        p += c
    p *= z
    q = z2 * _ERF_Q[0]
    q += _ERF_Q[1]
    for c in _ERF_Q[2:]:
        q *= z2
        q += c
    np.divide(p, q, out=out)


def scatter_add_rows(table, rows, values):
    """``table[rows[i]] += values[i]`` for every i, repeated rows accumulating; returns the distinct
    rows it added to, sorted (U,).

    This is the backward of an embedding lookup. ``np.add.at`` does it but is
    slow; on NumPy we sort the row indices and sum each run of equal indices
    with one ``np.add.reduceat`` (a contiguous reduction), then add each sum to
    its row once. CuPy's ``add.at`` uses atomic adds and is fast.

    table: (V, C)   rows: (N,) ints   values: (N, C)
    """
    if is_cupy():
        _module.add.at(table, rows, values)
        return _module.unique(rows)
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]                                      # (N,)
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    sums = np.add.reduceat(values[order], starts, axis=0)          # (U, C)
    distinct = sorted_rows[starts]                                 # (U,)
    table[distinct] += sums                                        # unique rows: no collisions
    return distinct


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed blocks for reuse instead of returning them to the system.

    A training step allocates and frees the same large activations every time.
    By default glibc hands blocks over a few MB straight back to the kernel
    (munmap) and gets fresh ones (mmap), whose every page then faults on first
    touch: on our 2 cores that cost a fifth of the time in the kernel and made the
    step about 10% slower (benchmarks/README.md). Raising malloc's thresholds
    keeps those pages mapped, as PyTorch's caching allocator does on a GPU.
    Returns False (and changes nothing) where the C library is not glibc.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3       # from glibc's malloc.h
    ok = mallopt(M_MMAP_THRESHOLD, 1 << 30)        # blocks under 1 GiB come from the heap ...
    ok &= mallopt(M_TRIM_THRESHOLD, 2**31 - 1)     # ... which is trimmed back only past 2 GiB free
    ok &= mallopt(M_TOP_PAD, 256 << 20)            # and grows in 256 MiB strides
    return bool(ok)


# ---------------------------------------------------------------------------

_requested = os.environ.get("TINYKD_BACKEND", "numpy")
if _requested.strip().lower() != "numpy":
    use(_requested)
