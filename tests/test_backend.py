"""The backend switch: one place chooses NumPy or CuPy."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from tinykd import backend
from tinykd.backend import xp


def test_numpy_is_the_default_and_float32_the_dtype():
    if os.environ.get("TINYKD_BACKEND", "numpy") != "numpy":
        pytest.skip("this run asked for another backend")
    assert backend.name() == "numpy" and xp.zeros(2).__class__ is np.ndarray
    assert backend.default_dtype() == np.float32


def test_precision_context_restores_the_dtype():
    with backend.precision(np.float64):
        assert backend.default_dtype() == np.float64
    assert backend.default_dtype() == np.float32


def test_unknown_backend_is_refused():
    with pytest.raises(backend.BackendError, match="unknown backend 'jax'"):
        backend.use("jax")


def test_cupy_without_cupy_or_gpu_is_a_clear_error():
    try:
        backend.use("cupy")
    except backend.BackendError as err:
        assert "CuPy" in str(err)
    else:  # a GPU machine: the switch worked
        assert backend.name() == "cupy"
    finally:
        backend.use("numpy")


def test_environment_variable_chooses_the_backend():
    code = "from tinykd import backend; print(backend.name())"
    env = dict(os.environ, TINYKD_BACKEND="numpy")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "numpy"
    env["TINYKD_BACKEND"] = "nonsense"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown backend 'nonsense'" in bad.stderr


def test_no_module_but_backend_imports_cupy():
    import pathlib

    import tinykd
    root = pathlib.Path(tinykd.__file__).parent
    offenders = [p for p in root.rglob("*.py")
                 if p.name != "backend.py" and ("import cupy" in p.read_text() or "from cupy" in p.read_text())]
    assert not offenders


def test_seed_makes_draws_repeatable():
    backend.seed(11)
    a = backend.normal((3,), 1.0)
    backend.seed(11)
    b = backend.normal((3,), 1.0)
    assert np.array_equal(backend.to_numpy(a), backend.to_numpy(b))


def test_scatter_add_rows_matches_add_at(on_backend):
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 6, 50)
    values = rng.standard_normal((50, 4))
    expected = np.zeros((6, 4))
    np.add.at(expected, rows, values)
    table = backend.asarray(np.zeros((6, 4)))
    distinct = backend.scatter_add_rows(table, backend.asarray(rows), backend.asarray(values))
    np.testing.assert_allclose(backend.to_numpy(table), expected, atol=1e-12)
    np.testing.assert_array_equal(backend.to_numpy(distinct), np.unique(rows))     # the rows it added to
