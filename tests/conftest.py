"""Shared fixtures: the backend each test runs on, and hypothesis profiles."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from tinykd import backend

# Hypothesis: no deadline (a gradient check does many forward passes), and in CI
# the same examples every run, so a red CI is reproducible.
# The backend and float64 fixtures hold for every example of a test, hence the suppression.
_common = dict(deadline=None, max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("dev", **_common)
settings.register_profile("ci", **_common, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


_DEFAULT_BACKEND = backend.name()   # numpy, or cupy under TINYKD_BACKEND=cupy


def _cupy_reason() -> str | None:
    """None if the CuPy backend can run here, else why not."""
    try:
        backend.use("cupy")
    except backend.BackendError as err:
        return str(err).splitlines()[0]
    finally:
        backend.use(_DEFAULT_BACKEND)
    return None


_CUPY_SKIP = _cupy_reason()
BACKENDS = ["numpy", pytest.param("cupy", marks=pytest.mark.skipif(
    _CUPY_SKIP is not None, reason=f"CuPy backend unavailable: {_CUPY_SKIP}"))]


@pytest.fixture(params=BACKENDS)
def on_backend(request):
    """Run the test once per backend (CuPy skipped cleanly without a GPU)."""
    backend.use(request.param)
    try:
        yield request.param
    finally:
        backend.use(_DEFAULT_BACKEND)


@pytest.fixture
def float64():
    """Numerical gradient checks run in float64."""
    with backend.precision(np.float64):
        yield


@pytest.fixture(autouse=True, scope="session")
def _start_up_cache(tmp_path_factory):
    """Training runs in tests keep their start-up cache (tinykd.cache) in a folder of this session,
    never in the user's ~/.cache/tinykd (subprocesses inherit it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TINYKD_CACHE", str(tmp_path_factory.mktemp("tinykd-cache")))
        yield


@pytest.fixture(autouse=True)
def _fresh_seed():
    backend.seed(0)
    yield
